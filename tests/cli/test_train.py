"""`robolearn train`, `eval` and `render` end to end on one task, tiny sizes."""

from __future__ import annotations

import json
import sys

import imageio.v3 as iio
import pytest
from omegaconf import OmegaConf

from robolearn.cli.eval import load_checkpoints
from robolearn.cli.main import main
from robolearn.policies.ensemble import PolicyEnsemble
from tests import load_script

pytestmark = [pytest.mark.sim, pytest.mark.slow]
TASK = "object/cube-in-basket-v2"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    run = tmp / "run"
    args = [
        "train", "suite=null", f"tasks=[{TASK}]", f"data.root={tmp / 'demos'}",
        "data.demos_per_task=3", "data.collect_workers=1", "data.valid_split=null",
        "train.steps=40", "train.batch_size=16", "train.log_every=20", "train.ckpt_every=20",
        "train.select_by=none", "train.progress=false", "policy.hidden=[32,32]",
        "policy.text.model=RN50", "eval.episodes_per_task=2", "eval.num_envs=2",
        "eval.workers=1", "eval.max_steps=15", "eval.video_size=64", "eval.grid_tile=32",
        "logger.backends=[jsonl]", f"hydra.run.dir={run}",
    ]  # fmt: skip
    assert main(args) == 0
    return tmp, run


def test_train_writes_checkpoints_metrics_eval_and_videos(trained):
    _, run = trained
    assert (run / "config.yaml").is_file() and (run / "run.json").is_file()
    for name in ("model.safetensors", "policy.json", "train_state.json"):
        assert (run / "checkpoints" / "last" / name).is_file()
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if "train/loss" in r]
    assert steps == [20, 40]
    info = json.loads((run / "eval" / "eval_info.json").read_text())
    assert info["summary"]["episodes"] == 2 and list(info["per_task"]) == [TASK]
    episode = info["episodes"][0]
    frames = iio.imread(episode["video"])
    assert frames.shape == (episode["steps"] + 1, 64, 64, 3) and episode["steps"] == 15
    assert iio.imread(info["videos"]["object"]).shape[1:3] == (32, 32)


def test_rerunning_the_same_command_resumes_instead_of_retraining(trained, capsys):
    tmp, run = trained
    before = (run / "checkpoints" / "last" / "model.safetensors").stat().st_mtime_ns
    args = [
        "train", "suite=null", f"tasks=[{TASK}]", f"data.root={tmp / 'demos'}",
        "data.valid_split=null", "train.steps=40", "train.batch_size=16",
        "train.select_by=none", "train.progress=false", "policy.hidden=[32,32]",
        "policy.text.model=RN50", "final_eval=false", "logger.backends=[jsonl]",
        f"hydra.run.dir={run}",
    ]  # fmt: skip
    assert main(args) == 0
    assert "resumed from 40" in capsys.readouterr().out
    assert (run / "checkpoints" / "last" / "model.safetensors").stat().st_mtime_ns == before


def test_eval_and_render_a_checkpoint(trained, tmp_path, capsys):
    _, run = trained
    out = tmp_path / "eval"
    args = [
        "eval", f"checkpoint={run}", "suite=null", f"tasks=[{TASK}]",
        "eval.episodes_per_task=1", "eval.num_envs=1", "eval.workers=0", "eval.max_steps=5",
        "eval.video_size=64", "+rollout.execute=2", f"hydra.run.dir={out}",
    ]  # fmt: skip
    assert main(args) == 0
    assert TASK in capsys.readouterr().out
    assert json.loads((out / "eval_info.json").read_text())["summary"]["episodes"] == 1
    bad = [a for a in args if not a.startswith("+rollout")] + ["+rollout.hidden=[8]"]
    assert main(bad) == 2  # weights-shaping keys cannot change at rollout
    err = capsys.readouterr().err
    assert "cannot change ['hidden'] at rollout" in err and "execute" in err
    keys = {"checkpoint": str(run), "ensemble": [f"{run}/checkpoints/last"], "device": "cpu"}
    policy = load_checkpoints(OmegaConf.create({**keys, "ensemble_reduce": "median"}))
    assert isinstance(policy, PolicyEnsemble) and len(policy) == 2 and policy.reduce == "median"
    both = [a.replace(str(out), str(tmp_path / "ens")) for a in args]
    both.append(f"ensemble=[{run}/checkpoints/last]")  # two checkpoints acting as one
    assert main(both) == 0
    info = json.loads((tmp_path / "ens" / "eval_info.json").read_text())
    assert info["summary"]["episodes"] == 1
    assert main([*both[:-1], f"ensemble=[{tmp_path}/nothing]"]) == 2
    assert f"{tmp_path}/nothing is not a policy checkpoint" in capsys.readouterr().err
    assert main([*both, "ensemble_reduce=max"]) == 2
    assert "ensemble_reduce='max': choose one of ['mean', 'median']" in capsys.readouterr().err
    video = tmp_path / "r.mp4"
    args = [
        "render", f"checkpoint={run}/checkpoints/last", f"task={TASK}", f"out={video}",
        "episodes=2", "max_steps=4", "size=48",
    ]  # fmt: skip
    assert main(args) == 0
    assert iio.imread(video).shape == (5, 48, 96, 3)  # two episodes side by side


def test_trace_rollout_traces_a_checkpoint_as_an_ensemble_into_json(
    trained, tmp_path, monkeypatch, capsys
):
    _, run = trained
    trace_rollout = load_script("trace_rollout")
    ckpt = str(run / "checkpoints" / "last")
    out = tmp_path / "trace.json"
    argv = ["trace_rollout.py", "--checkpoint", ckpt, "--checkpoint", ckpt, "--task", TASK,
            "--states", "1-2", "--every", "100", "--out", str(out)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    trace_rollout.main()
    result = json.loads(out.read_text())
    assert result["checkpoint"] == [ckpt, ckpt] and result["task"] == TASK
    assert [ep["init_state"] for ep in result["episodes"]] == [1, 2]
    for ep in result["episodes"]:
        times = [row["t"] for row in ep["rows"]]
        assert times[0] == 0 and times[-1] == ep["steps"] - 1
        assert {t for t in times if t % 100 == 0} == set(range(0, ep["steps"], 100))
    printed = capsys.readouterr().out
    assert "--- state 1:" in printed and "--- state 2:" in printed
    assert f"success {sum(ep['success'] for ep in result['episodes'])} / 2" in printed


def test_selection_rollouts_start_from_held_out_states_and_pick_best(
    trained, tmp_path, monkeypatch, capsys
):
    import robolearn.evaluation.evaluate as evaluation

    tmp, _ = trained
    calls = []
    real = evaluation.evaluate

    def recording(policy, tasks, cfg=None, *args, **kwargs):
        result = real(policy, tasks, cfg, *args, **kwargs)
        starts = sorted(e.init_state for e in result.episodes)
        calls.append((starts, cfg.videos_per_task, kwargs.get("progress", False)))
        return result

    monkeypatch.setattr(evaluation, "evaluate", recording)
    run = tmp_path / "sel"
    args = [
        "train", "suite=null", f"tasks=[{TASK}]", f"data.root={tmp / 'demos'}",
        "data.valid_split=null", "train.steps=40", "train.batch_size=16", "train.eval_every=20",
        "train.select_by=eval_success", "train.select_offset=3", "train.select_episodes=1",
        "train.progress=false", "policy.hidden=[32,32]", "policy.text.model=RN50",
        "eval.episodes_per_task=2", "eval.num_envs=2", "eval.workers=0", "eval.max_steps=5",
        "eval.videos_per_task=0", "logger.backends=[jsonl]", f"hydra.run.dir={run}",
    ]  # fmt: skip
    assert main(args) == 0
    # two in-training rollouts (steps 20, 40) from held-out state 3, then the final
    # evaluation from the test states 0 and 1
    assert calls == [([3], 0, False), ([3], 0, False), ([0, 1], 0, True)]
    assert (run / "checkpoints" / "best" / "model.safetensors").is_file()
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "eval/success" in r][:2] == [20, 40]
    calls.clear()
    overlap = [a.replace("select_offset=3", "select_offset=1") for a in args]
    overlap[-1] = f"hydra.run.dir={tmp_path / 'overlap'}"
    capsys.readouterr()
    assert main(overlap) == 2  # refused before any demo is read or rollout run
    assert "states 1..1 overlap the evaluation's 0..1" in capsys.readouterr().err
    assert calls == []


def test_eval_of_a_missing_checkpoint_is_one_clear_error_line(tmp_path, capsys):
    assert main(["eval", f"checkpoint={tmp_path}/nothing", f"hydra.run.dir={tmp_path}/out"]) == 2
    err = capsys.readouterr().err
    assert "robolearn eval: error:" in err and "policy.json is missing" in err
    assert "Traceback" not in err
