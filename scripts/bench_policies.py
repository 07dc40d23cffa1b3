"""Policy quality benchmark: success rates of trained policies per suite, in one run.

    .venv/bin/python scripts/bench_policies.py [--suites spatial object goal long]
        [--steps N] [--dart STD] [--miss P] [--drop-miss P] [--seed N] [--set KEY=VALUE ... --tag NAME]
        [--episodes 20] [--image] [--image-steps 3000]
        [--out docs/bench_policies.json]

1. ``bc_mlp`` on low-dim state (proprio + object state), multitask over each suite's 10
   tasks with 50 scripted demos per task (collected into ``demos/lowdim`` when missing),
   evaluated for ``--episodes`` episodes per task from the fixed initial states.
   Targets (issue 5): >= 0.90 on spatial/object/goal, >= 0.70 on long.
   With ``--dart STD`` the demos are collected with DART noise of that std (into
   ``demos/lowdim_dart<STD>``, ``--dart-scope transit``: ``..._dart<STD>-transit``, likewise
   ``-reach`` and ``-drop``) and the policy learns the expert's clean labels
   (``data.action_key=expert_actions``); rows ``bc_mlp-<suite>-dart<STD>[-<scope>]``. With
   ``--miss P`` they are recovery demos: a pick's first attempt misses on purpose with
   probability P and the expert retries (the miss itself is masked out of training); folder
   and row get ``-miss<P>``. ``--drop-miss P``
   does the same for drops into a snug opening (let go beside it on purpose, it jams, the
   expert pushes it in): ``-dropmiss<P>``. ``--set`` adds
   train overrides to every run, whose rows get ``-<tag>``; takeover demos (README
   "Takeover demonstrations") join with ``--set 'data.extra_roots=[demos/lowdim_takeover]'
   --tag takeover`` after ``robolearn collect ... takeover=<a run's checkpoints/best>``.
   ``--suites goal --ensemble RUN_A RUN_B RUN_C --tag NAME`` evaluates finished runs' best
   checkpoints as one policy (robolearn.policies.ensemble), row ``bc_mlp-<suite>-<NAME>``.
2. With ``--image``: ``bc_transformer`` (LIBERO's ResNet-T) on agentview + wrist RGB at a small
   size on this CPU (``--image-size``, narrow ResNet), on ``--image-suite``; demos are
   collected with cameras into ``demos/image<size>``.

Every run is a ``robolearn train`` job (``robolearn.training.pipeline.train_and_evaluate``)
in ``outputs/bench_policies/<name>``, so a rerun resumes finished work. On a GPU machine the
full-size image run is::

    robolearn train policy=bc_transformer suite=object data.root=demos \
        train.batch_size=32 train.lr=1e-4 train.steps=50000 train.device=cuda

and on a GPU box without the simulator, ``scripts/gpu_image_run.py`` (README, "Image policies
on a GPU").

Writes JSON and a markdown table (temp file + rename) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from robolearn.experts.base import PERTURB_SCOPES

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"spatial": 0.90, "object": 0.90, "goal": 0.90, "long": 0.70}


def run(name: str, overrides: list[str]) -> dict[str, Any]:
    from robolearn.config import compose
    from robolearn.experts.base import EXPERT_VERSION
    from robolearn.training.pipeline import train_and_evaluate

    cfg = compose("train", overrides)
    start = time.perf_counter()
    result = train_and_evaluate(cfg, ROOT / "outputs" / "bench_policies" / name)
    assert result.eval is not None
    update_s, data_s = result.fit.update_seconds, result.fit.data_seconds
    if result.fit.resumed_from:  # trained by an earlier invocation: its logged totals
        _, update_s, data_s = logged_training(result.run_dir / "metrics.jsonl")
    return {
        "overrides": overrides,
        **eval_fields(result.eval),
        "train_steps": result.fit.steps,
        "resumed_from": result.fit.resumed_from,
        "train_update_s": round(update_s, 1),
        "train_data_s": round(data_s, 1),
        "eval_s": round(result.eval.seconds, 1),
        "wall_s": round(time.perf_counter() - start, 1),
        "checkpoint": result.checkpoint,
        "expert_version": EXPERT_VERSION,  # of the demos (the pipeline refuses other versions)
        "task_version": task_version(cfg.suite),
    }


def eval_fields(result: Any) -> dict[str, Any]:
    """A row's success numbers from an EvalResult, overall and per task."""
    per_task = result.per_task()
    return {
        "success": result.success,
        "success_at_end": result.success_at_end,
        "per_task": {t: r["success"] for t, r in per_task.items()},
        "progress": result.progress,  # partial success: goal atoms held together
        "per_task_progress": {t: r["progress"] for t, r in per_task.items()},
    }


def run_ensemble(name: str, suite: str, members: list[str], episodes: int) -> dict[str, Any]:
    """Evaluate the best checkpoints of finished runs ``members`` (of ``suite``) as one policy
    (the mean of their actions, a majority vote on the gripper: robolearn.policies.ensemble)
    with configs/train.yaml's evaluation settings and ``episodes`` per task, as the benchmark's
    own runs are evaluated; the row sums the members' training."""
    from robolearn.config import compose, to_dict
    from robolearn.evaluation.config import EvalConfig
    from robolearn.evaluation.evaluate import evaluate
    from robolearn.experts.base import EXPERT_VERSION
    from robolearn.policies.ensemble import load_ensemble
    from robolearn.training.pipeline import task_ids_of

    runs = ROOT / "outputs" / "bench_policies"
    if (runs / name / "checkpoints").exists():
        raise SystemExit(f"{runs / name} is a trained run's folder; choose another --tag")
    folders = [runs / m / "checkpoints" / "best" for m in members]
    for folder in folders:  # the resolved train config is saved with every checkpoint
        state = folder / "train_state.json"
        if not state.is_file():
            raise SystemExit(f"ensemble member {folder}: no {state.name}; is the run finished?")
        trained_on = json.loads(state.read_text()).get("config", {}).get("suite")
        if trained_on != suite:
            raise SystemExit(
                f"ensemble member {folder} was trained on {trained_on!r}, not {suite!r}"
            )
    start = time.perf_counter()
    policy = load_ensemble(folders)
    cfg = compose("train", [f"suite={suite}", f"eval.episodes_per_task={episodes}",
                            "eval.videos_per_task=1"])  # fmt: skip
    eval_cfg = EvalConfig(**to_dict(cfg.eval))
    result = evaluate(policy, task_ids_of(cfg), eval_cfg, runs / name / "eval", progress=True)
    steps, update_s, data_s = (sum(x) for x in zip(
        *(logged_training(runs / m / "metrics.jsonl") for m in members), strict=True
    ))  # fmt: skip
    return {
        "overrides": [f"ensemble of {', '.join(members)}"],
        "members": members,
        **eval_fields(result),
        "train_steps": int(steps),
        "resumed_from": 0,
        "train_update_s": round(update_s, 1),
        "train_data_s": round(data_s, 1),
        "eval_s": round(result.seconds, 1),
        "wall_s": round(time.perf_counter() - start, 1),
        "checkpoint": [str(f) for f in folders],
        "expert_version": EXPERT_VERSION,
        "task_version": task_version(suite),
    }


def task_version(suite: str) -> int:
    """The version of a suite's tasks (task ids end in ``-v<N>``; the newest counts)."""
    from robolearn.tasks.suites import get_suite

    return max(t.version for t in get_suite(suite).tasks)


def logged_training(metrics: Path) -> tuple[int, float, float]:
    """(last logged step, update seconds, data seconds) of a run's metrics.jsonl; the seconds
    are the totals on its last training log line."""
    step, update, data = 0, 0.0, 0.0
    for line in metrics.read_text().splitlines():
        record = json.loads(line)
        step = max(step, int(record.get("step", 0)))
        if "time/update_s" in record:
            update, data = record["time/update_s"], record["time/data_s"]
    return step, update, data


def rate(x: float) -> str:
    """A success rate with the digits it has: 0.90, 0.895 (k of 200 episodes needs three;
    rounding 0.895 to 0.90 would read as the 0.90 target met)."""
    text = f"{x:.3f}"
    return text[:-1] if text.endswith("0") else text


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "# Policy benchmark (scripts/bench_policies.py)",
        "",
        f"{m['date']}, {m['cpus']} CPUs, torch {m['torch']}; success = mean over tasks of the "
        f"share of {report['episodes']} episodes per task (unless the run says otherwise; fixed "
        "initial states 0..) that reach "
        "the goal. Wall time includes demo collection when the demos were missing. expert: the "
        "version of the experts that collected the demos (robolearn/experts/version.py; rows "
        "`-e1` are version 1's, `-e2` version 2's). tasks: the version of the suite's tasks "
        "(rows `-v2` and up name theirs; the object suite's version 2 has a bigger basket).",
        "",
        "| run | suite | tasks | expert | success | target | pass | episodes/task | train steps "
        "| train s | eval s |",
        "|---|---|---:|---:|---:|---:|:---:|---:|---:|---:|---:|",
    ]
    for name, r in report["runs"].items():
        suite = r["suite"]
        target = TARGETS.get(suite) if name.startswith("bc_mlp") else None
        ok = "-" if target is None else ("yes" if r["success"] >= target else "**no**")
        tgt = f"{target:.2f}" if target is not None else "-"
        mark = " \\*" if r.get("resumed_from") else ""
        lines.append(
            f"| {name}{mark} | {suite} | {r.get('task_version', 1)} "
            f"| {r.get('expert_version', 1)} | {rate(r['success'])} "
            f"| {tgt} | {ok} "
            f"| {r.get('episodes_per_task', report['episodes'])} | {r['train_steps']} "
            f"| {r['train_update_s'] + r['train_data_s']:.0f} | {r['eval_s']:.0f} |"
        )
    if any(r.get("resumed_from") for r in report["runs"].values()):
        lines += ["", "\\* trained earlier (`robolearn train`, the same config and seed); this "
                  "invocation resumed the run folder at its last step and evaluated it (train s: "
                  "the logged training time)."]  # fmt: skip
    lines += ["", "Per task:", ""]
    for name, r in report["runs"].items():
        cells = ", ".join(f"{t.split('/', 1)[1]} {s:.2f}" for t, s in r["per_task"].items())
        if "progress" in r and r["progress"] != r["success"]:  # multi-atom goals, partly done
            cells += f"; progress {r['progress']:.2f}"
        lines.append(f"- {name}: {cells}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="*", default=list(TARGETS))
    parser.add_argument(
        "--steps", type=int, default=None, help="train.steps (default: configs/train.yaml)"
    )
    parser.add_argument(
        "--dart", type=float, default=None, help="collect with DART noise of this std"
    )
    parser.add_argument("--dart-scope", default="all", choices=list(PERTURB_SCOPES))
    parser.add_argument(
        "--miss", type=float, default=None,
        help="recovery demos: probability a pick's first attempt misses on purpose",
    )  # fmt: skip
    parser.add_argument(
        "--drop-miss", type=float, default=None,
        help="recovery demos: probability a snug drop is let go beside the opening on purpose",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int, default=0, help="train.seed (init, batch order): rows get -seed<N>"
    )
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE",
        help="extra train overrides (e.g. policy.lang_whiten=true); needs --tag",
    )  # fmt: skip
    parser.add_argument("--tag", default=None, help="row suffix for the --set overrides")
    parser.add_argument(
        "--ensemble", nargs="+", default=[], metavar="RUN",
        help="evaluate these finished runs' best checkpoints as one policy (row --tag)",
    )  # fmt: skip
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--image", action="store_true", help="also run bc_transformer on images")
    parser.add_argument("--image-suite", default="object")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--image-steps", type=int, default=3000)
    parser.add_argument("--image-demos", type=int, default=20)
    parser.add_argument("--image-episodes", type=int, default=None, help="default: --episodes")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_policies.json")
    args = parser.parse_args()
    if args.dart_scope != "all" and not args.dart:
        parser.error("--dart-scope needs --dart STD")
    if args.ensemble:
        if not args.tag or args.set or len(args.suites) != 1:
            parser.error("--ensemble RUN ... needs --tag (the row's name), one --suites, no --set")
        ignored = [flag for flag, value in [("--steps", args.steps), ("--dart", args.dart),
                   ("--miss", args.miss), ("--drop-miss", args.drop_miss),
                   ("--seed", args.seed), ("--image", args.image)] if value]  # fmt: skip
        if ignored:
            parser.error(f"--ensemble evaluates trained runs; {ignored} would be ignored")
    elif bool(args.set) != bool(args.tag):
        parser.error("--set and --tag go together (the tag names the rows of the overrides)")
    import torch

    from robolearn.versions import versions

    common = [f"eval.episodes_per_task={args.episodes}", "eval.videos_per_task=1",
              "train.progress=false", "logger.backends=[jsonl]"]  # fmt: skip
    report: dict[str, Any] = {
        "machine": {
            "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
            "platform": platform.platform(), "torch": torch.__version__, **versions(),
            "cuda": torch.cuda.is_available(),
        },
        "episodes": args.episodes,
        "runs": {},
    }  # fmt: skip
    if args.out.exists():  # runs of earlier invocations (other suites) stay in the table
        earlier = json.loads(args.out.read_text())
        if earlier.get("episodes") == args.episodes:
            report["runs"].update(earlier.get("runs", {}))
    if args.ensemble:
        suite, name = args.suites[0], f"bc_mlp-{args.suites[0]}-{args.tag}"
        report["runs"][name] = {
            "suite": suite,
            **run_ensemble(name, suite, args.ensemble, args.episodes),
        }
        write(report, args.out)
        print(markdown(report))
        return
    for suite in args.suites:
        # a non-default step count is its own run (and row), beside the default's
        name = f"bc_mlp-{suite}" + (f"-{args.steps // 1000}k" if args.steps else "")
        steps = [f"train.steps={args.steps}"] if args.steps else []
        version = task_version(suite)
        if version > 1:  # a new version of the tasks is a new run (and row)
            name += f"-v{version}"
        tags, extra = [], []
        if args.dart:
            tags.append(
                f"dart{args.dart:g}" + ("" if args.dart_scope == "all" else f"-{args.dart_scope}")
            )
            extra += [f"data.perturb={args.dart}", f"data.perturb_scope={args.dart_scope}",
                      "data.action_key=expert_actions"]  # fmt: skip
        if args.miss:
            tags.append(f"miss{args.miss:g}")
            extra.append(f"data.miss={args.miss}")
        if args.drop_miss:
            tags.append(f"dropmiss{args.drop_miss:g}")
            extra.append(f"data.drop_miss={args.drop_miss}")
        if tags:  # one demo folder (and row) per collection setting
            name += "-" + "-".join(tags)
            extra.append(f"data.root=demos/lowdim_{'-'.join(tags)}")
        if args.tag:
            name += f"-{args.tag}"
            extra += list(args.set)
        if args.seed:  # the seed-to-seed spread of a row
            name += f"-seed{args.seed}"
            extra.append(f"train.seed={args.seed}")
        overrides = [f"suite={suite}", *steps, *extra, *common]
        report["runs"][name] = {"suite": suite, **run(name, overrides)}
        write(report, args.out)
    if args.image:
        size = args.image_size
        name = f"bc_transformer-{args.image_suite}-{size}px"
        overrides = [
            "policy=bc_transformer", f"suite={args.image_suite}",
            f"data.root=demos/image{size}", f"data.image_size={size}",
            f"data.demos_per_task={args.image_demos}", "data.cache=all",
            "policy.vision.width=16", "policy.head.hidden=[256,256]",
            "train.batch_size=32", "train.lr=3e-4", f"train.steps={args.image_steps}",
            "train.log_every=200", "eval.num_envs=10", *common,
        ]  # fmt: skip
        if args.image_episodes is not None:
            overrides.append(f"eval.episodes_per_task={args.image_episodes}")
        episodes = args.episodes if args.image_episodes is None else args.image_episodes
        report["runs"][name] = {
            "suite": args.image_suite, "episodes_per_task": episodes, **run(name, overrides)
        }  # fmt: skip
        write(report, args.out)
    print(markdown(report))


def write(report: dict[str, Any], out: Path) -> None:
    from robolearn.fileio import atomic_write_text

    atomic_write_text(out, json.dumps(report, indent=2) + "\n")
    atomic_write_text(out.with_suffix(".md"), markdown(report))


if __name__ == "__main__":
    main()
