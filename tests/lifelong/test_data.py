"""Run data: one padded layout and normaliser for every task; lazy and materialised windows
give the same batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from robolearn.config import compose, to_dict
from robolearn.lifelong.data import AttrDict, RunData, Windows, concat_batches, index_batch
from robolearn.policies import config_from_dict
from tests.lifelong import TASKS, write_task_files


@pytest.fixture(scope="module")
def run_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / "demos"
    write_task_files(root, demos=5, length=10)
    cfg = to_dict(compose("lifelong", [f"data.root={root}", "data.collect_missing=false"]))
    return RunData(TASKS, AttrDict(cfg["data"]), config_from_dict(cfg["policy"]))


def test_every_task_gets_the_run_layout_and_normaliser(run_data):
    assert run_data.sizes["object_state"] == 10  # task 1 has 10 object dims, task 0 has 8
    assert run_data.spec.obs_shapes["object_state"] == (10,)
    first = run_data.train([TASKS[0]])
    batch = first.batch(np.arange(4))
    assert batch["obs"]["object_state"].shape[-1] == 10
    raw = run_data.train([TASKS[0]]).dataset[0]["obs"]["object_state"]  # unpadded, raw
    expected = np.concatenate([raw.numpy(), np.zeros((raw.shape[0], 2), np.float32)], axis=-1)
    expected = run_data.normalizer.normalize("obs/object_state", expected)
    assert torch.allclose(batch["obs"]["object_state"][0], torch.from_numpy(expected), atol=1e-6)


def test_lazy_windows_equal_materialised_ones(run_data):
    eager = run_data.train([TASKS[1]])
    lazy = Windows(eager.dataset, run_data.finish, materialize=False)
    assert eager.materialized and not lazy.materialized and len(lazy) == len(eager)
    idx = np.array([5, 0, len(eager) - 1])
    a, b = eager.batch(idx), lazy.batch(idx)
    assert a["language"] == b["language"] and a["task_id"] == b["task_id"]
    for key in a["obs"]:
        assert torch.equal(a["obs"][key], b["obs"][key]), key
    assert torch.equal(a["actions"], b["actions"])
    head = lazy.head(7)
    assert head.materialized and len(head) == 7
    assert torch.equal(head.rows["actions"], eager.batch(np.arange(7))["actions"])


def test_batches_concatenate_and_index():
    a = {"obs": {"x": torch.zeros(2, 3)}, "actions": torch.zeros(2, 1), "language": ["a", "a"]}
    b = {"obs": {"x": torch.ones(1, 3)}, "actions": torch.ones(1, 1), "language": ["b"]}
    both = concat_batches([a, b])
    assert both["obs"]["x"].shape == (3, 3) and both["language"] == ["a", "a", "b"]
    picked = index_batch(both, np.array([2, 0]))
    assert picked["language"] == ["b", "a"] and picked["actions"].flatten().tolist() == [1.0, 0.0]


def test_extra_roots_add_their_demos_to_each_task(tmp_path, run_data):
    from robolearn.errors import DataError

    root, extra = tmp_path / "demos", tmp_path / "more"
    write_task_files(root, demos=5, length=10)
    write_task_files(extra, demos=3, length=10, seed=7)
    overrides = [f"data.root={root}", "data.collect_missing=false"]
    cfg = to_dict(compose("lifelong", [*overrides, f"data.extra_roots=[{extra}]"]))
    both = RunData(TASKS, AttrDict(cfg["data"]), config_from_dict(cfg["policy"]))
    assert both.paths[TASKS[0]][1].parent.parent == extra
    for task in TASKS:  # each task's windows now come from both of its files
        assert len(both.train([task]).dataset) > len(run_data.train([task]).dataset)
        assert both.train([task]).dataset.num_demos > run_data.train([task]).dataset.num_demos
    cfg = to_dict(compose("lifelong", [*overrides, f"data.extra_roots=[{tmp_path / 'none'}]"]))
    with pytest.raises(DataError, match=r"data\.extra_roots: no complete demo file"):
        RunData(TASKS, AttrDict(cfg["data"]), config_from_dict(cfg["policy"]))
