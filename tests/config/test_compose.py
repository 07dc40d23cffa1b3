"""Every config under configs/ composes against its schema; bad keys/types fail by name."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import ReadonlyConfigError

from robolearn.config import SCHEMAS, compose, to_dict
from robolearn.errors import ConfigError
from robolearn.paths import configs_dir

PRIMARY = sorted(p.stem for p in Path(configs_dir()).glob("*.yaml"))
POLICIES = sorted(p.stem for p in (Path(configs_dir()) / "policy").glob("*.yaml"))
REQUIRED = {
    "eval": ["checkpoint=ckpt"],
    "render": ["checkpoint=ckpt", "task=object/cube-in-basket-v2"],
}


@pytest.mark.parametrize("name", PRIMARY)
def test_every_primary_config_composes_and_is_validated_by_its_schema(name):
    cfg = compose(name, REQUIRED.get(name, []))
    assert f"{name}_schema" in SCHEMAS, f"configs/{name}.yaml has no dataclass schema"
    _, schema = SCHEMAS[f"{name}_schema"]
    assert OmegaConf.get_type(cfg) is schema
    assert isinstance(to_dict(cfg), dict)


def test_unknown_key_fails_at_composition_naming_the_key():
    with pytest.raises(ConfigError, match="rendr"):
        compose("doctor", ["rendr=false"])


def test_a_yaml_with_a_misspelled_key_fails_naming_it(tmp_path):
    (tmp_path / "mine.yaml").write_text("defaults:\n  - doctor_schema\n  - _self_\nrendr: false\n")
    with pytest.raises(ConfigError, match="rendr"):
        compose("mine", config_dir=tmp_path)


def test_wrong_type_fails_naming_key_and_value():
    with pytest.raises(ConfigError, match=r"size.*many"):
        compose("doctor", ["size=many"])


def test_overrides_apply_and_config_is_read_only():
    cfg = compose("doctor", ["size=32", "render=false"])
    assert cfg.size == 32 and cfg.render is False
    with pytest.raises(ReadonlyConfigError):
        cfg.size = 7


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_config_composes_against_its_own_schema(policy):
    from robolearn.policies import CONFIGS, config_from_dict

    cfg = compose("train", [f"policy={policy}"])
    assert OmegaConf.get_type(cfg.policy) is CONFIGS[policy]
    assert type(config_from_dict(to_dict(cfg)["policy"])) is CONFIGS[policy]
    with pytest.raises(ConfigError, match="lyers"):
        compose("train", [f"policy={policy}", "policy.lyers=2"])


def test_mandatory_keys_are_named_when_missing():
    cfg = compose("eval")
    with pytest.raises(Exception, match="checkpoint"):
        to_dict(cfg)
