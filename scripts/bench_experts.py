"""Benchmark the scripted experts: success rate and episode length on every task of the suites.

    MUJOCO_GL=egl .venv/bin/python scripts/bench_experts.py [--episodes 20]
        [--suites spatial,object,goal,long,pretrain] [--tasks ID ...] [--init-states]
        [--out docs/bench_experts.json] [--md docs/bench_experts.md] [--merge]

Episode ``i`` of a task resets the env with ``seed=i`` (or, with ``--init-states``, from the
task's fixed initial state ``i``) and drives it with ``make_expert(env,
np.random.default_rng(EXPERT_SEED + i))`` through :func:`robolearn.experts.run_episode`
(the task's horizon; it stops once success has held 10 steps). Everything runs in this one
process, one episode at a time. Writes a JSON report (per task: success rate, mean episode
length of all and of the successful episodes, failed episode indices; per suite: mean success
and tasks under the 95% target) and a markdown table, both via a temp file + rename.

``--merge`` keeps what ``--out`` already holds and replaces only the suites (or, with
``--tasks``, the tasks) this run measured, so rerunning one suite after an expert change
updates the report in place; each suite records the date it was measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from robolearn.fileio import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("spatial", "object", "goal", "long", "pretrain")
EXPERT_SEED = 1000  # the expert of episode i draws its style from default_rng(EXPERT_SEED + i)
TARGET = 0.95


class MergeError(ValueError):
    """The report to merge into was measured differently (episodes, initial states)."""


def bench_task(task_id: str, episodes: int, init_states: bool) -> dict[str, Any]:
    from robolearn.envs import make_env
    from robolearn.experts import make_expert, run_episode
    from robolearn.tasks.suites import get_task

    env = make_env(task_id, obs={"object_state": True})
    steps, wins, failed = [], [], []
    start = time.perf_counter()
    try:
        for i in range(episodes):
            expert = make_expert(env, np.random.default_rng(EXPERT_SEED + i))
            reset = {"options": {"init_state": i}} if init_states else {"seed": i}
            result = run_episode(env, expert, reset_kwargs=reset)
            steps.append(result["steps"])
            if result["success"]:
                wins.append(result["steps"])
            else:
                failed.append(i)
    finally:
        env.close()
    return {
        "episodes": episodes,
        "successes": len(wins),
        "success_rate": len(wins) / episodes,
        "mean_steps": float(np.mean(steps)),
        "mean_steps_success": float(np.mean(wins)) if wins else None,
        "horizon": int(get_task(task_id).horizon),
        "failed_episodes": failed,
        "seconds": round(time.perf_counter() - start, 1),
    }


def summarize(tasks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rates = [t["success_rate"] for t in tasks.values()]
    return {
        "tasks": len(tasks),
        "mean_success": float(np.mean(rates)),
        "min_success": float(np.min(rates)),
        "mean_steps": float(np.mean([t["mean_steps"] for t in tasks.values()])),
        "below_target": [tid for tid, t in tasks.items() if t["success_rate"] < TARGET],
    }


def check_mergeable(old: dict[str, Any], new: dict[str, Any], source: Path) -> None:
    """MergeError naming ``source`` unless both were measured with the same settings."""
    for key in ("episodes", "init_states", "expert_seed"):
        if old.get(key) != new[key]:
            raise MergeError(
                f"{source}: {key}={old.get(key)!r} there but {new[key]!r} in this run; rerun "
                f"with the same settings or write elsewhere (--out/--md without --merge)"
            )


def merge(
    old: dict[str, Any],
    new: dict[str, Any],
    source: Path,
    current: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """``new`` laid over ``old``: its suites replace old ones, or only its tasks of a suite.

    ``current`` (suite -> its task ids now) drops the remeasured suites' old tasks that are
    no longer in them (a task whose version changed: ``-v1`` gone, ``-v2`` measured).
    Raises MergeError naming ``source`` when the two were measured with other episodes or
    initial states (their success rates would not be comparable in one table).
    """
    check_mergeable(old, new, source)
    suites = {name: {"date": old["date"], **s} for name, s in old.get("suites", {}).items()}
    for name, s in new["suites"].items():
        tasks = {**suites.get(name, {}).get("tasks", {}), **s["tasks"]}
        if current is not None and name in current:
            tasks = {t: r for t, r in tasks.items() if t in current[name]}
        suites[name] = {**s, "summary": summarize(tasks), "tasks": tasks}
    out = {**new, "suites": suites}
    out["seconds"] = round(
        sum(t["seconds"] for s in suites.values() for t in s["tasks"].values()), 1
    )
    out["below_target"] = [t for s in suites.values() for t in s["summary"]["below_target"]]
    return out


def markdown(report: dict[str, Any]) -> str:
    mode = "fixed initial states 0..N-1" if report["init_states"] else "seeded resets 0..N-1"
    dates = sorted({s.get("date", report["date"]) for s in report["suites"].values()})
    lines = [
        f"Scripted-expert success, {report['episodes']} episodes per task ({mode}, expert "
        f"rng default_rng({EXPERT_SEED} + i)); target >= {TARGET:.0%} per task. "
        f"MuJoCo {report['versions']['mujoco']}, robosuite {report['versions']['robosuite']}, "
        f"{' to '.join(dict.fromkeys([dates[0], dates[-1]]))}, "
        f"{report['seconds'] / 60:.0f} min on one core.",
        "",
        "| suite | tasks | mean success | min success | mean steps | tasks under target | date |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for name, s in report["suites"].items():
        below = ", ".join(t.split("/", 1)[1] for t in s["summary"]["below_target"]) or "none"
        sm = s["summary"]
        lines.append(
            f"| {name} | {sm['tasks']} | {sm['mean_success']:.1%} | {sm['min_success']:.0%} "
            f"| {sm['mean_steps']:.0f} | {below} | {s.get('date', report['date'])} |"
        )
    lines += ["", "| task | success | mean steps | steps (successes) | horizon | failed episodes |"]
    lines.append("|---|---:|---:|---:|---:|---|")
    for s in report["suites"].values():
        for tid, t in s["tasks"].items():
            ok = t["mean_steps_success"]
            mark = "" if t["success_rate"] >= TARGET else " **(< 95%)**"
            lines.append(
                f"| {tid} | {t['successes']}/{t['episodes']}{mark} | {t['mean_steps']:.0f} "
                f"| {'-' if ok is None else f'{ok:.0f}'} | {t['horizon']} "
                f"| {', '.join(map(str, t['failed_episodes'])) or '-'} |"
            )
    below = report["below_target"]
    lines += ["", f"Tasks under {TARGET:.0%}: {', '.join(below) if below else 'none'}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--tasks", nargs="*", default=None, help="only these task ids")
    parser.add_argument("--init-states", action="store_true", help="reset from init states")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_experts.json")
    parser.add_argument("--md", type=Path, default=ROOT / "docs" / "bench_experts.md")
    parser.add_argument("--merge", action="store_true", help="update --out's other suites")
    args = parser.parse_args()
    os.environ.setdefault("MUJOCO_GL", "egl")
    from robolearn.tasks.suites import get_suite

    previous = None
    if args.merge and args.out.exists():
        previous = json.loads(args.out.read_text())
        settings = {
            "episodes": args.episodes, "init_states": args.init_states, "expert_seed": EXPERT_SEED,
        }  # fmt: skip
        try:  # before measuring anything
            check_mergeable(previous, settings, args.out)
        except MergeError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    start = time.perf_counter()
    today = dt.date.today().isoformat()
    suites: dict[str, Any] = {}
    for name in args.suites.split(","):
        tasks: dict[str, Any] = {}
        for spec in get_suite(name).tasks:
            if args.tasks and spec.task_id not in args.tasks:
                continue
            tasks[spec.task_id] = res = bench_task(spec.task_id, args.episodes, args.init_states)
            print(
                f"{spec.task_id:58s} {res['successes']:3d}/{res['episodes']} "
                f"steps {res['mean_steps']:5.0f}  {res['seconds']:6.1f}s",
                flush=True,
            )
        if tasks:
            suites[name] = {"summary": summarize(tasks), "date": today, "tasks": tasks}
            sm = suites[name]["summary"]
            print(f"== {name}: mean {sm['mean_success']:.1%}, under target {sm['below_target']}")
    report = {
        "date": today,
        "episodes": args.episodes,
        "init_states": args.init_states,
        "expert_seed": EXPERT_SEED,
        "target": TARGET,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "versions": {p: version(p) for p in ("mujoco", "robosuite", "numpy")},
        "seconds": round(time.perf_counter() - start, 1),
        "suites": suites,
        "below_target": [t for s in suites.values() for t in s["summary"]["below_target"]],
    }
    if previous is not None:
        now = {name: list(get_suite(name).task_ids) for name in suites}
        report = merge(previous, report, args.out, now)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    atomic_write_text(args.md, markdown(report))
    print(f"wrote {args.out} and {args.md}; under target: {report['below_target'] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
