"""Doctor checks report failures with the right one-line fix."""

import types

import pytest

from robolearn import doctor


def test_version_tuple_parses_local_versions():
    assert doctor._version_tuple("2.15.0+cu132") == (2, 15, 0)
    assert doctor._version_tuple("3.10.0rc1") == (3, 10, 0)


@pytest.mark.parametrize(
    "version, ok",
    [("3.9.0", True), ("3.3.1", True), ("3.10.0", False), ("4.0.0", False), ("3.2.0", False)],
)
def test_mujoco_pin_check(monkeypatch, version, ok):
    monkeypatch.setitem(
        __import__("sys").modules, "mujoco", types.SimpleNamespace(__version__=version)
    )
    check = doctor.check_mujoco_version()
    assert check.ok is ok
    assert "<3.10" in check.fix


def test_missing_egl_points_at_the_apt_line(monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "egl")
    monkeypatch.setattr(doctor.ctypes.util, "find_library", lambda name: None)
    check = doctor.check_gl_backend()
    assert not check.ok and "apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri" in check.fix


def test_unwritable_numba_cache_fails(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(blocker / "sub"))
    check = doctor.check_numba_cache()
    assert not check.ok and "not writable" in check.detail


def test_missing_package_fails_with_pip_fix():
    check = doctor.check_package("robolearn_no_such_module")
    assert not check.ok and "pip install" in check.fix


def test_render_failure_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(doctor.sys, "executable", "/bin/false")
    check = doctor.check_render(16, "agentview", 30, 2.0, None)
    assert not check.ok and "rendering failed" in check.detail
