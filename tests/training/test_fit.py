"""The fit loop: exact resume, checkpoints without pickles, model selection, schedules."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from robolearn.errors import CheckpointError, ConfigError
from robolearn.training.checkpoint import load_train_state
from robolearn.training.config import FitConfig
from robolearn.training.fit import fit
from robolearn.training.optim import StepBatches, lr_at
from tests.policies import write_policy_file
from tests.policies.test_policies import make_policy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return write_policy_file(tmp_path_factory.mktemp("fit") / "d.hdf5", demos=4, length=16)


def weights(policy):
    return {k: v.clone() for k, v in policy.state_dict().items()}


CFG = FitConfig(
    steps=12, batch_size=8, lr=3e-3, warmup_steps=3, ckpt_every=100, log_every=4,
    select_by="none", progress=False,
)  # fmt: skip


@pytest.mark.parametrize(("name", "ema"), [("bc_mlp", 0.9), ("bc_transformer", 0.0)])
def test_n_steps_equal_half_then_resume_then_half_bit_for_bit(name, ema, demo_file, tmp_path):
    cfg = dataclasses.replace(CFG, ema=ema)
    straight, ds = make_policy(name, demo_file)
    fit(straight, ds, cfg, tmp_path / "straight")
    first, ds = make_policy(name, demo_file)
    half = fit(first, ds, cfg, tmp_path / "resumed", stop_at=6)
    assert half.steps == 6
    torch.manual_seed(1234)  # a fresh process's global RNG: the checkpoint must restore it
    second, ds = make_policy(name, demo_file)
    result = fit(second, ds, cfg, tmp_path / "resumed")
    assert result.resumed_from == 6 and result.steps == 12
    a, b = weights(straight), weights(second)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_checkpoint_holds_no_pickles_and_selects_best_by_valid_loss(demo_file, tmp_path):
    policy, ds = make_policy("bc_mlp", demo_file)
    cfg = dataclasses.replace(CFG, select_by="valid_loss", ckpt_every=6)
    result = fit(policy, ds, cfg, tmp_path, valid=ds)
    assert result.best is not None and result.best_step == 12 and result.best_score is not None
    assert result.evals and "valid_loss" in result.evals[-1]
    for folder in (tmp_path / "checkpoints" / "last", tmp_path / "checkpoints" / "best"):
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted(
            ["model.safetensors", "policy.json", "train_state.json", "train_state.safetensors"]
        )
    state = json.loads((tmp_path / "checkpoints" / "last" / "train_state.json").read_text())
    assert state["step"] == 12 and state["param_groups"]
    lines = (
        (tmp_path / "metrics.jsonl").read_text() if (tmp_path / "metrics.jsonl").exists() else ""
    )
    assert lines == ""  # no logger was given: nothing is written besides checkpoints


def test_selection_needs_its_inputs_and_resume_needs_a_training_state(demo_file, tmp_path):
    policy, ds = make_policy("bc_mlp", demo_file)
    with pytest.raises(ConfigError, match=r"data\.valid_split is null.*select_by=none"):
        fit(policy, ds, dataclasses.replace(CFG, select_by="valid_loss"), tmp_path / "a")
    with pytest.raises(ConfigError, match="select_by"):
        fit(policy, ds, dataclasses.replace(CFG, select_by="best"), tmp_path / "b")
    from robolearn.policies.io import save_policy

    bare = save_policy(policy, tmp_path / "c" / "checkpoints" / "last")
    with pytest.raises(CheckpointError, match="training state"):
        load_train_state(bare, policy, None)


def test_batches_are_a_pure_function_of_the_step():
    a = StepBatches(50, 8, seed=3)
    it = iter(a)
    first = [next(it) for _ in range(15)]
    b = StepBatches(50, 8, seed=3, start=9)
    assert next(iter(b)) == first[9]
    epoch = [i for batch in first[:6] for i in batch]
    assert len(epoch) == len(set(epoch)) == 48  # one epoch: no index twice
    assert StepBatches(50, 8, seed=4).batch(0) != first[0]


def test_learning_rate_warms_up_then_follows_a_cosine():
    assert lr_at(0, 1.0, 100, 10, 0.1) == pytest.approx(0.1)
    assert lr_at(9, 1.0, 100, 10, 0.1) == pytest.approx(1.0)
    assert lr_at(10, 1.0, 100, 10, 0.1) == pytest.approx(1.0)
    assert lr_at(55, 1.0, 100, 10, 0.1) == pytest.approx(0.55)
    assert lr_at(100, 1.0, 100, 10, 0.1) == pytest.approx(0.1)


def test_resuming_with_another_policy_config_names_the_change(demo_file, tmp_path):
    policy, ds = make_policy("bc_mlp", demo_file)  # seq_len 3
    fit(policy, ds, dataclasses.replace(CFG, steps=4), tmp_path)
    last = tmp_path / "checkpoints" / "last"
    same, _ = make_policy("bc_mlp", demo_file)
    same.cfg.execute = 3  # a rollout-time key: resuming is fine
    assert load_train_state(last, same, None).step == 4
    nested, _ = make_policy("bc_mlp", demo_file)
    nested.cfg.head.min_std = 0.5  # a nested key is named by its dotted path, alone
    with pytest.raises(CheckpointError, match=r"config \(head\.min_std: 0\.0001 -> 0\.5\);"):
        load_train_state(last, nested, None)
    other, _ = make_policy("bc_mlp", demo_file)
    other.cfg.dropout = 0.1  # shapes no weight, but changes training: still refused
    with pytest.raises(CheckpointError, match=r"dropout: 0\.0 -> 0\.1.*train\.resume=false"):
        fit(other, ds, dataclasses.replace(CFG, steps=8), tmp_path)


def test_resuming_a_run_trained_on_other_tasks_is_refused(demo_file, tmp_path):
    """A task's version changed (object/...-v1 -> -v2): the old run must not be continued."""
    policy, ds = make_policy("bc_mlp", demo_file)
    old = {"train": dataclasses.asdict(CFG), "task_ids": ["object/cube-in-basket-v1"]}
    fit(policy, ds, dataclasses.replace(CFG, steps=4), tmp_path, config=old)
    again, _ = make_policy("bc_mlp", demo_file)
    result = fit(again, ds, dataclasses.replace(CFG, steps=6), tmp_path, config=old)
    assert result.resumed_from == 4  # the same tasks resume
    new = {**old, "task_ids": ["object/cube-in-basket-v2"]}
    other, _ = make_policy("bc_mlp", demo_file)
    with pytest.raises(CheckpointError, match=r"cube-in-basket-v1 where this run has "
                       r"object/cube-in-basket-v2.*train\.resume=false"):  # fmt: skip
        fit(other, ds, dataclasses.replace(CFG, steps=8), tmp_path, config=new)
    unrecorded = {"train": dataclasses.asdict(CFG), "tasks": []}  # older runs: not checked
    assert fit(make_policy("bc_mlp", demo_file)[0], ds, CFG, tmp_path, config=unrecorded).steps


def test_resuming_a_run_whose_demo_files_were_written_again_is_refused(demo_file, tmp_path):
    """The demos were collected again under the same path (a new observation key, say): the
    old run learned from the old files and must not be continued on the new ones."""
    from robolearn.data.schema import written_at

    stamp = written_at(demo_file)
    assert stamp is not None  # the writer stamps every file it finishes
    policy, ds = make_policy("bc_mlp", demo_file)
    old = {"train": dataclasses.asdict(CFG), "demo_files": {str(demo_file): stamp}}
    fit(policy, ds, dataclasses.replace(CFG, steps=4), tmp_path, config=old)
    again, _ = make_policy("bc_mlp", demo_file)
    result = fit(again, ds, dataclasses.replace(CFG, steps=6), tmp_path, config=old)
    assert result.resumed_from == 4  # the same files resume
    new = {**old, "demo_files": {str(demo_file): "2030-01-01T00:00:00.000000+00:00"}}
    other, _ = make_policy("bc_mlp", demo_file)
    with pytest.raises(CheckpointError, match=r"written again since: .*d\.hdf5 \(written "
                       r".*now 2030-01-01.*train\.resume=false"):  # fmt: skip
        fit(other, ds, dataclasses.replace(CFG, steps=8), tmp_path, config=new)
    unstamped = {**old, "demo_files": {str(demo_file): None}}  # files from before the stamp
    assert fit(make_policy("bc_mlp", demo_file)[0], ds, CFG, tmp_path, config=unstamped).steps
