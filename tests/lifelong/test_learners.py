"""Every learner end to end on two tiny synthetic tasks (a probe stands in for rollouts);
ER's memory bound, PackNet's exactness, exact resume, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from robolearn.config import compose, to_dict
from robolearn.errors import CheckpointError, ConfigError, DataError
from robolearn.lifelong.config import LEARNER_CONFIGS
from robolearn.lifelong.protocol import LifelongRun
from robolearn.lifelong.registry import learner_names
from robolearn.lifelong.run import run_lifelong
from tests.lifelong import TASKS, ProbeEvaluator, task_episode, write_task_files

pytestmark = pytest.mark.slow
EPOCHS, EVERY = 6, 3


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    root = tmp_path_factory.mktemp("ll") / "demos"
    write_task_files(root, demos=16, length=24)
    return root


def tiny(demos, learner, *extra):
    overrides = [
        f"lifelong={learner}",
        f"data.root={demos}",
        "data.collect_missing=false",
        "ordering.seed=null",
        "ordering.limit=2",
        "policy.text.model=ViT-S-32-alt",
        "policy.hidden=[64,64]",
        "policy.seq_len=1",
        "policy.execute=1",
        "policy.head.kind=deterministic",
        "policy.head.hidden=[64]",
        "policy.lang_dim=16",
        f"train.epochs={EPOCHS}",
        "train.lr=3e-3",
        "train.warmup_steps=4",
        "train.batch_size=32",
        f"protocol.eval_every={EVERY}",
        "logger.backends=[jsonl]",
        *extra,
    ]
    return to_dict(compose("lifelong", overrides))


def test_every_registered_learner_has_a_config_and_a_yaml():
    assert set(learner_names()) == set(LEARNER_CONFIGS)


@pytest.mark.parametrize("learner", sorted(LEARNER_CONFIGS))
def test_learner_runs_two_tasks_end_to_end(learner, demos, tmp_path):
    probe = ProbeEvaluator()
    rm = run_lifelong(tiny(demos, learner), tmp_path, evaluate_fn=probe)
    assert rm.complete and rm.tasks == TASKS
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["complete"] and data["learner"] == learner and (tmp_path / "results.npz").is_file()
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert any("valid/loss" in json.loads(line) for line in lines)
    m = rm.metrics()
    assert 0.0 <= m["final_success"] <= 1.0
    if learner == "multitask":
        assert rm.stages == [[0, 1]] and rm.R.shape == (1, 2) and m["auc"] is None
        assert probe.calls == [TASKS]  # one post-training evaluation of both tasks
        return
    assert rm.R.shape == (2, 2) and np.isnan(rm.R[0, 1])  # a future task is not evaluated
    assert [e for e, _ in rm.curves[0]] == [0.0, 3.0, 6.0]  # epoch 0 and every 3 epochs
    for key in ("fwt", "nbt", "auc"):
        assert np.isfinite(m[key])
    assert max(s for _, s in rm.curves[0]) > 0.0  # the probe sees the policy learn
    if learner == "seql":  # the tasks conflict: fine-tuning on task 1 forgets task 0
        assert rm.R[1, 0] < rm.R[0, 0] and m["nbt"] > 0
    if learner in ("packnet", "single_task"):  # task 0's weights never change: reused, exact
        assert rm.R[1, 0] == rm.R[0, 0] and m["nbt"] == 0.0
        assert data["evaluations"]["reused"] >= 1


def test_er_memory_is_the_first_windows_and_bounded(demos, tmp_path, monkeypatch):
    run = LifelongRun(tiny(demos, "er", "lifelong.memory_per_task=50"), tmp_path, ProbeEvaluator())
    sizes: list[int] = []
    original = run.learner.policy.compute_loss

    def spy(batch):
        sizes.append(len(batch["language"]))
        return original(batch)

    monkeypatch.setattr(run.learner.policy, "compute_loss", spy)
    run.run()
    er = run.learner
    assert er.memory_sizes == [50, 50] and er.memory_size == 50 * len(TASKS)
    first = run.data.train([TASKS[0]]).batch(np.arange(50))
    assert torch.equal(er.rows["actions"][:50], first["actions"])
    assert er.rows["task_id"][:50] == [TASKS[0]] * 50
    assert er.memory_nbytes < 100 * 1024  # 100 low-dim windows, not the datasets
    assert 64 in sizes and 32 in sizes  # task 1 steps: 32 current + 32 replayed


def probe_outputs(policy):
    ep = task_episode(np.random.default_rng(5), 20, 0, 8, "")
    obs = {**ep.obs, "language": ["put the cube in the basket"] * 20}
    policy.reset()
    return torch.from_numpy(policy.act(obs))


def test_packnet_leaves_earlier_tasks_outputs_exactly_unchanged(demos, tmp_path):
    cfg = tiny(demos, "packnet", "lifelong.finetune_epochs=2")
    first = LifelongRun(cfg, tmp_path, ProbeEvaluator())
    first.run(max_epochs=EPOCHS + 2)  # stops once task 0 is trained, pruned and fine-tuned
    pack = first.learner
    assert pack.finished == 0 and 0.70 < pack.free_fraction() < 0.80
    with pack.view(0) as p:
        before = probe_outputs(p)
    owned = {n: p.detach().clone() for n, p in pack.policy.named_parameters()}
    second = LifelongRun(cfg, tmp_path, ProbeEvaluator())  # resumes, learns task 1
    second.run()
    pack = second.learner
    assert pack.finished == 1 and any(bool((o == 1).any()) for o in pack.owner.values())
    with pack.view(0) as p:
        after = probe_outputs(p)
    assert torch.equal(before, after)
    params = dict(pack.policy.named_parameters())
    for name, owner in pack.owner.items():
        assert torch.equal(params[name][owner == 0], owned[name][owner == 0]), name
    changed = [n for n in pack.owner if not torch.equal(params[n], owned[n])]
    assert changed  # task 1 trained its free weights
    assert not torch.equal(probe_outputs(pack.policy), after)  # and task 1's view differs


def test_packnet_equal_allocation_gives_every_task_an_equal_share(demos, tmp_path):
    """Two tasks: the first keeps 1/2 of every weight tensor, the last keeps all it trained
    (with prune 0.75 the first would keep 1/4); earlier outputs still never change."""
    cfg = tiny(demos, "packnet", "lifelong.finetune_epochs=1", "lifelong.allocation=equal")
    first = LifelongRun(cfg, tmp_path, ProbeEvaluator())
    first.run(max_epochs=EPOCHS + 1)
    pack = first.learner
    assert pack.finished == 0 and [pack.keep_fraction(k) for k in (0, 1)] == [0.5, 1.0]
    assert 0.49 < pack.free_fraction() < 0.51
    for name, owner in pack.owner.items():  # the share holds per tensor, not just overall
        assert abs(float((owner == 0).float().mean()) - 0.5) < 0.01, name
    with pack.view(0) as p:
        before = probe_outputs(p)
    second = LifelongRun(cfg, tmp_path, ProbeEvaluator())
    second.run()
    pack = second.learner
    assert pack.finished == 1 and pack.free_fraction() == 0.0
    with pack.view(0) as p:
        assert torch.equal(probe_outputs(p), before)


def test_a_crashed_run_resumes_to_the_same_result_bit_for_bit(demos, tmp_path):
    from safetensors.torch import load_file

    cfg = tiny(demos, "packnet", "lifelong.finetune_epochs=3")  # 6 + 3 epochs per task
    straight = run_lifelong(cfg, tmp_path / "a", evaluate_fn=ProbeEvaluator())
    for budget in (2, 5, None):  # stop mid-task, mid-next-phase, then finish
        resumed = run_lifelong(cfg, tmp_path / "b", evaluate_fn=ProbeEvaluator(), max_epochs=budget)
    assert np.array_equal(straight.R, resumed.R, equal_nan=True)
    assert straight.curves == resumed.curves
    a = load_file(str(tmp_path / "a" / "state" / "state.safetensors"))
    b = load_file(str(tmp_path / "b" / "state" / "state.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    probe = ProbeEvaluator()  # a rerun of the finished run does nothing
    again = run_lifelong(cfg, tmp_path / "b", evaluate_fn=probe)
    assert probe.calls == [] and np.array_equal(again.R, resumed.R, equal_nan=True)


def test_runs_refuse_demo_files_written_again_since(tmp_path):
    """Re-collected demos under the same paths: neither a crashed run nor a finished one may
    stand for the new files (a rerun of the sweep would resume or skip them)."""
    root = tmp_path / "demos"
    write_task_files(root, demos=16, length=24)
    cfg = tiny(root, "seql", "train.epochs=2")
    run_lifelong(cfg, tmp_path / "crashed", ProbeEvaluator(), max_epochs=1)
    run_lifelong(cfg, tmp_path / "finished", ProbeEvaluator())
    probe = ProbeEvaluator()  # the same files: the finished run is skipped
    assert run_lifelong(cfg, tmp_path / "finished", probe).complete and probe.calls == []
    for path in root.rglob("*.hdf5"):  # collected again: the same content, new files
        path.unlink()
    write_task_files(root, demos=16, length=24)
    for run in ("crashed", "finished"):
        with pytest.raises(CheckpointError, match=r"written again since: .*\.hdf5 \(written "):
            run_lifelong(cfg, tmp_path / run, ProbeEvaluator())


def test_bad_input_fails_with_typed_errors_naming_the_key(demos, tmp_path):
    with pytest.raises(ConfigError, match=r"protocol\.select_by"):
        LifelongRun(tiny(demos, "seql", "protocol.select_by=test_success"), tmp_path)
    with pytest.raises(ConfigError, match="permutation"):
        LifelongRun(tiny(demos, "seql", f"ordering.tasks=[{TASKS[1]},{TASKS[0]}]"), tmp_path)
    with pytest.raises(ConfigError, match=r"packnet\.allocation .*'evenly'"):
        LifelongRun(tiny(demos, "packnet", "lifelong.allocation=evenly"), tmp_path)
    with pytest.raises(DataError, match=r"data\.valid_split='heldout'"):
        run_lifelong(
            tiny(demos, "seql", "data.valid_split=heldout"),
            tmp_path / "v",
            evaluate_fn=ProbeEvaluator(),
        )
    run_lifelong(tiny(demos, "seql", "train.epochs=1"), tmp_path / "r", ProbeEvaluator())
    with pytest.raises(CheckpointError, match="another run"):
        run_lifelong(tiny(demos, "ewc", "train.epochs=1"), tmp_path / "r", ProbeEvaluator())


@pytest.mark.parametrize("select_by", ["last", "success", "valid_loss"])
def test_the_kept_checkpoint_follows_the_declared_criterion(select_by, demos, tmp_path):
    rm = run_lifelong(
        tiny(demos, "seql", f"protocol.select_by={select_by}"),
        tmp_path,
        evaluate_fn=ProbeEvaluator(),
    )
    info = rm.info["stages"][0]
    valid = info["train_valid"]
    if select_by == "last":
        assert info["train_selected_epoch"] == EPOCHS and valid == []
    elif select_by == "success":  # LIBERO: best in-training rollout success, earliest on ties
        best = max(s for _, s in rm.curves[0])
        assert info["train_selected_epoch"] == next(e for e, s in rm.curves[0] if s == best)
    else:
        losses = [loss for _, loss, _ in valid]
        assert [e for e, _, _ in valid] == list(range(EPOCHS + 1))
        assert info["train_selected_epoch"] == int(np.argmin(losses))


class HeldOutProbe(ProbeEvaluator):
    """The probe, recording each call's states; from held-out states (init_offset > 0) it
    reports the opposite success, so held-out selection must choose differently."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[tuple[int, int, int]] = []

    def __call__(self, policy, task_ids, cfg, **kwargs):
        self.states.append((cfg.init_offset, cfg.episodes_per_task, cfg.videos_per_task))
        result = super().__call__(policy, task_ids, cfg, **kwargs)
        if cfg.init_offset == 0:
            return result
        rows = {t: {"success": 1.0 - r["success"]} for t, r in result.per_task().items()}
        return type(result)(per_task=lambda rows=rows: rows)


def test_held_out_states_choose_the_kept_epoch_and_the_curve_stays_on_the_test_states(
    demos, tmp_path
):
    held = ("protocol.select_by=success", "protocol.select_offset=3",
            "protocol.select_episodes=2", "eval.episodes_per_task=3")  # fmt: skip
    probe = HeldOutProbe()
    rm = run_lifelong(tiny(demos, "seql", *held), tmp_path / "a", evaluate_fn=probe)
    epochs = list(range(0, EPOCHS + 1, EVERY))
    assert set(probe.states) == {(0, 3, 0), (3, 2, 0)}  # test states 0..2, held out 3..4
    for stage in (0, 1):
        info = rm.info["stages"][stage]
        scores = info["select_curve"]
        assert [e for e, _ in scores] == epochs and [e for e, _ in rm.curves[stage]] == epochs
        for (_, test), (_, held_out) in zip(rm.curves[stage], scores, strict=True):
            assert held_out == pytest.approx(1.0 - test)  # the curve is the test states'
        best = max(v for _, v in scores)
        assert info["train_selected_epoch"] == next(e for e, v in scores if v == best)
    saved = json.loads((tmp_path / "a" / "results.json").read_text())
    assert saved["selection"]["rollouts"] == 2 * len(epochs) * 1  # one task per stage
    # a crashed run resumes to the same choice (the selection cache is restored)
    for budget in (4, None):
        resumed = run_lifelong(tiny(demos, "seql", *held), tmp_path / "b", HeldOutProbe(), budget)
    assert np.array_equal(resumed.R, rm.R, equal_nan=True) and resumed.curves == rm.curves
    for k in (0, 1):
        for key in ("select_curve", "train_selected_epoch"):
            assert resumed.info["stages"][k][key] == rm.info["stages"][k][key], (k, key)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (("protocol.select_by=success", "protocol.select_offset=2"), r"protocol\.select_offset=2: .*2\.\.4 overlap .*0\.\.2.*at 3"),
        (("protocol.select_by=success", "protocol.select_offset=48"), r"states 48\.\.50; each task has states 0\.\.49"),
        (("protocol.select_offset=3",), r"protocol\.select_by='valid_mse'; set protocol\.select_by=success"),
        (("protocol.select_by=success", "protocol.select_episodes=2"), r"needs protocol\.select_offset.*select_offset=3"),
        (("protocol.select_by=success", "protocol.select_offset=3", "protocol.select_episodes=0"), r"protocol\.select_episodes=0"),
    ],
)  # fmt: skip
def test_bad_selection_states_are_refused_before_any_demo_is_read(extra, match, tmp_path):
    cfg = tiny(tmp_path / "no-demos-here", "seql", "eval.episodes_per_task=3", *extra)
    with pytest.raises(ConfigError, match=match):
        LifelongRun(cfg, tmp_path / "run")
