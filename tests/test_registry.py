import pytest

from robolearn.errors import DuplicateNameError, RobolearnError, UnknownNameError
from robolearn.registry import Registry


def make() -> Registry[int]:
    reg: Registry[int] = Registry("widget")
    reg.add("alpha", 1)
    reg.add("beta", 2)
    return reg


def test_get_returns_registered_object_and_names_keep_order():
    reg = make()
    assert reg.get("beta") == 2
    assert reg.names() == ["alpha", "beta"]
    assert "alpha" in reg and "gamma" not in reg
    assert len(reg) == 2


def test_decorator_registers_and_returns_object():
    reg: Registry[type] = Registry("policy")

    @reg.register("mlp")
    class MLP:
        pass

    assert reg.get("mlp") is MLP


def test_unknown_name_suggests_close_matches():
    reg = make()
    with pytest.raises(UnknownNameError) as info:
        reg.get("alpah")
    msg = str(info.value)
    assert "unknown widget 'alpah'" in msg and "did you mean 'alpha'" in msg
    assert isinstance(info.value, RobolearnError) and isinstance(info.value, KeyError)


def test_unknown_name_without_match_lists_registered_names():
    with pytest.raises(UnknownNameError, match="registered: alpha, beta"):
        make().get("zzzz")


def test_empty_registry_says_nothing_is_registered():
    with pytest.raises(UnknownNameError, match="no widget is registered"):
        Registry("widget").get("x")


def test_duplicate_registration_is_an_error_unless_overwrite():
    reg = make()
    with pytest.raises(DuplicateNameError, match="'alpha' is already registered"):
        reg.add("alpha", 3)
    reg.add("alpha", 3, overwrite=True)
    assert reg.get("alpha") == 3


def test_bad_names_are_rejected():
    with pytest.raises(ValueError):
        make().add("", 0)
