import json

import h5py
import numpy as np
import pytest
import torch

from robolearn.data.importers import (
    LiberoDemoFile,
    RobomimicDemoFile,
    detect_layout,
    open_demo_file,
)
from robolearn.data.reader import DemoFile
from robolearn.errors import DataError

from . import write_file

RED, BLUE = [255, 0, 0], [0, 0, 255]


def upright_images(length, h=4, w=6):
    """Frames whose top row is red and bottom row blue; pixel (1, 0) holds the step."""
    image = np.zeros((length, h, w, 3), dtype=np.uint8)
    image[:, 0] = RED
    image[:, -1] = BLUE
    image[:, 1, 0, 0] = np.arange(length)
    return image


def _demo(group, length, base, images, lowdim):
    t = np.arange(length, dtype=np.float64) + base
    group.attrs["num_samples"] = length
    obs = group.create_group("obs")
    for key in images:
        obs.create_dataset(key, data=upright_images(length)[:, ::-1])  # stored upside down
    for key, dim in lowdim.items():
        obs.create_dataset(key, data=np.repeat(t[:, None], dim, axis=1))
    group.create_dataset("actions", data=np.stack([t, -t], axis=1))
    group.create_dataset("rewards", data=np.zeros(length))
    group.create_dataset("dones", data=(t == t[-1]).astype(np.int64))
    group.create_dataset("states", data=np.zeros((length, 5)))


def make_robomimic(path, lengths):
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        data.attrs["total"] = sum(lengths)
        data.attrs["env_args"] = json.dumps({"env_name": "Lift", "type": 1, "env_kwargs": {}})
        for i, n in enumerate(lengths):
            _demo(
                data.create_group(f"demo_{i}"),
                n,
                100 * i,
                ["agentview_image", "robot0_eye_in_hand_image"],
                {"robot0_eef_pos": 3, "robot0_eef_quat": 4, "robot0_gripper_qpos": 2, "object": 10},
            )
        names = [f"demo_{i}" for i in range(len(lengths))]
        f.create_dataset("mask/train", data=np.array(names[:-2], dtype="S"))
        f.create_dataset("mask/valid", data=np.array(names[-2:], dtype="S"))
    return path


def make_libero(path, lengths, convention=None):
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        info = {
            "problem_name": "libero_tabletop_manipulation",
            "language_instruction": "put the bowl on the plate",
        }
        data.attrs["problem_info"] = json.dumps(info)
        data.attrs["bddl_file_content"] = "(define (problem x))"
        data.attrs["env_args"] = json.dumps(
            {"env_name": "Libero_Tabletop", "type": 1, "env_kwargs": {}}
        )
        if convention:
            data.attrs["macros_image_convention"] = convention
        for i, n in enumerate(lengths):
            group = data.create_group(f"demo_{i}")
            _demo(
                group,
                n,
                100 * i,
                ["agentview_rgb", "eye_in_hand_rgb"],
                {"joint_states": 7, "gripper_states": 2, "ee_pos": 3, "ee_ori": 3},
            )
            group.attrs["init_state"] = np.arange(5, dtype=np.float64) + i
    return path


def _assert_upright(images, first=0):
    np.testing.assert_array_equal(images[:, 0, 0], [RED] * len(images))
    np.testing.assert_array_equal(images[:, -1, 0], [BLUE] * len(images))
    np.testing.assert_array_equal(images[:, 1, 0, 0], np.arange(len(images)) + first)


def test_detect_layouts(tmp_path):
    assert detect_layout(make_robomimic(tmp_path / "rm.hdf5", [3])) == "robomimic"
    assert detect_layout(make_libero(tmp_path / "lib_demo.hdf5", [3])) == "libero"
    assert detect_layout(write_file(tmp_path / "ours.hdf5", [3])) == "robolearn"
    assert type(open_demo_file(tmp_path / "ours.hdf5")) is DemoFile
    (tmp_path / "junk.hdf5").write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match=r"junk\.hdf5"):
        open_demo_file(tmp_path / "junk.hdf5")


def test_robomimic_file_reads_upright_with_our_names_and_masks(tmp_path):
    lengths = [3, 4, 2, 5, 3, 3, 3, 3, 3, 3, 6]
    with open_demo_file(make_robomimic(tmp_path / "rm.hdf5", lengths)) as f:
        assert isinstance(f, RobomimicDemoFile) and f.layout == "robomimic"
        assert f.demo_names()[-2:] == ["demo_9", "demo_10"]
        assert f.lengths() == lengths
        assert f.obs_keys() == [
            "agentview_rgb",
            "eef_pos",
            "eef_quat",
            "gripper_qpos",
            "object",
            "wrist_rgb",
        ]
        ep = f.episode("demo_10")
        _assert_upright(ep.obs["agentview_rgb"])
        _assert_upright(ep.obs["wrist_rgb"])
        np.testing.assert_array_equal(ep.obs["eef_pos"][:, 0], np.arange(6) + 1000)
        assert ep.dones.tolist() == [False] * 5 + [True] and ep.skills == [] and ep.language == ""
        _assert_upright(f.read(1, "obs/agentview_rgb", 1, 3), first=1)
        assert f.mask("valid") == ["demo_9", "demo_10"] and len(f.mask("train")) == 9
        assert f.task_id == "Lift" and f.is_image("wrist_rgb") and not f.is_image("object")
    with open_demo_file(tmp_path / "rm.hdf5", key_map={}, flip_images=False) as f:
        raw = f.read(0, "obs/agentview_image")
        np.testing.assert_array_equal(raw[:, 0, 0], [BLUE] * 3)  # as stored: upside down


def test_libero_file_language_flip_and_init_state(tmp_path):
    with open_demo_file(make_libero(tmp_path / "put_bowl_demo.hdf5", [4, 2])) as f:
        assert isinstance(f, LiberoDemoFile)
        assert f.obs_keys() == [
            "agentview_rgb",
            "ee_ori",
            "eef_pos",
            "gripper_qpos",
            "joint_pos",
            "wrist_rgb",
        ]
        ep = f.episode(1)
        _assert_upright(ep.obs["agentview_rgb"])
        _assert_upright(ep.obs["wrist_rgb"])
        assert ep.language == f.language(0) == "put the bowl on the plate"
        assert ep.init_state == {"flat_state": [1.0, 2.0, 3.0, 4.0, 5.0]}
        np.testing.assert_array_equal(ep.obs["joint_pos"][:, 6], [100, 101])
        assert f.task_id == "put_bowl"
        with pytest.raises(DataError, match=r"put_bowl_demo\.hdf5.*mask/train"):
            f.mask("train")
    stored_upright = make_libero(tmp_path / "cv_demo.hdf5", [3], convention="opencv")
    with h5py.File(stored_upright, "r+") as f:  # store the frames upright, as an opencv file would
        f["data/demo_0/obs/agentview_rgb"][...] = upright_images(3)
    with open_demo_file(stored_upright) as f:
        assert not f.flip_images
        _assert_upright(f.episode(0).obs["agentview_rgb"])


def test_dataset_over_foreign_files_with_split(tmp_path):
    from robolearn.data.dataset import DemoDataset

    rm = make_robomimic(tmp_path / "rm.hdf5", [3, 4, 2, 5])
    lib = make_libero(tmp_path / "lib_demo.hdf5", [4])
    ds = DemoDataset([rm], ["eef_pos", "agentview_rgb"], seq_len=2, split="valid")
    assert {ds.index_info(i)[1] for i in range(len(ds))} == {"demo_2", "demo_3"}
    image = ds[0]["obs"]["agentview_rgb"]  # (L, C, H, W), upright
    assert image.shape == (2, 3, 4, 6)
    assert image[0, :, 0, 0].tolist() == RED and image[0, :, -1, 0].tolist() == BLUE
    both = DemoDataset([rm, lib], ["eef_pos", "wrist_rgb"], seq_len=2)
    assert len(both) == 3 + 4 + 2 + 5 + 4
    last = both[len(both) - 1]
    assert last["language"] == "put the bowl on the plate" and last["task_id"] == "lib"
    assert torch.equal(last["obs"]["wrist_rgb"][0, :, 0, 0], torch.tensor(RED, dtype=torch.uint8))
