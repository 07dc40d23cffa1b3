import sys

import numpy as np
import pytest

from robolearn.data import schema
from robolearn.errors import DataError

from . import make_episode


def test_demo_names_sort_numerically():
    names = ["demo_10", "demo_2", "demo_0", "demo_1"]
    assert schema.sort_demo_names(names) == ["demo_0", "demo_1", "demo_2", "demo_10"]
    assert schema.demo_index("demo_12") == 12 and schema.demo_name(3) == "demo_3"
    with pytest.raises(ValueError):
        schema.demo_index("demo_x")


def test_compression_options():
    assert schema.compression_kwargs(None) == {}
    assert schema.compression_kwargs("lzf") == {"compression": "lzf"}
    assert schema.compression_kwargs("gzip")["compression"] == "gzip"
    with pytest.raises(ValueError, match="compression"):
        schema.compression_kwargs("zstd")
    assert schema.DEFAULT_COMPRESSION in schema.COMPRESSIONS


def test_env_args_and_meta_are_json_ready():
    args = schema.make_env_args("spatial/x-v1", {"cameras": ("agentview",)}, control_freq=20)
    assert args["env_name"] == "spatial/x-v1" and args["env_kwargs"]["control_freq"] == 20
    assert args["type"] == args["env_type"] == "robolearn"
    meta = schema.make_robolearn_meta({"task_id": "spatial/x-v1"}, cameras=["agentview"])
    assert meta["schema_version"] == schema.SCHEMA_VERSION
    assert meta["image_convention"] == "upright" and "mujoco" in meta["versions"]
    assert '"cameras": ["agentview"]' in schema.to_json(args["env_kwargs"])
    assert schema.to_json({"a": np.arange(2), "b": np.float32(1.5)}) == '{"a": [0, 1], "b": 1.5}'


def test_episode_validates_and_has_length():
    ep = make_episode(5)
    ep.validate()
    assert len(ep) == 5


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("rewards", np.zeros(4), "rewards"),
        ("dones", np.zeros(6), "dones"),
        ("states", np.zeros((5,)), "states"),
        ("actions", np.zeros(5), "actions"),
    ],
)
def test_episode_names_the_bad_key(field, value, key):
    ep = make_episode(5)
    setattr(ep, field, value)
    with pytest.raises(DataError, match=f"'{key}'"):
        ep.validate()


def test_episode_rejects_bad_obs_empty_nan_and_skills():
    ep = make_episode(5)
    ep.obs["eef_pos"] = ep.obs["eef_pos"][:3]
    with pytest.raises(DataError, match="obs/eef_pos"):
        ep.validate()
    empty = make_episode(5)
    empty.actions = np.zeros((0, 2), np.float32)
    with pytest.raises(DataError, match="empty"):
        empty.validate()
    nan = make_episode(5)
    nan.actions[2, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        nan.validate()
    skills = make_episode(5)
    skills.skills = [("reach", 3, 6)]
    with pytest.raises(DataError, match=r"skills\[0\]"):
        skills.validate()


def test_data_package_does_not_import_torch():
    import subprocess

    code = "import sys, robolearn.data; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
