"""Fitting or generalising? A trained policy's success from its own training demos' initial
states beside the fixed evaluation initial states, in one run.

    .venv/bin/python scripts/bench_fit_vs_generalise.py --checkpoint RUN/checkpoints/best \
        --suite goal [--root demos/lowdim] [--episodes 10] [--out docs/fit_vs_generalise.json]

From a training demo's initial state (``mask/train`` of the demo file) the policy has seen the
very trajectory it should produce, so failing there is a closed-loop fitting problem
(compounding error on states it was trained on); the gap between that and the fixed initial
states (new layouts) is the generalisation gap. Both are :func:`robolearn.evaluation.evaluate`
runs (the second with ``eval.init_demos``, the same as ``robolearn eval ...
eval.init_demos=<root>``), ``--episodes`` per task each, on ``--workers`` processes. Writes
JSON (temp file + rename) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("train_inits", "fixed_inits")


def measure(
    checkpoint: Path, suite: str, root: Path, episodes: int, workers: int
) -> dict[str, Any]:
    from robolearn.evaluation.config import EvalConfig
    from robolearn.evaluation.evaluate import evaluate
    from robolearn.policies.io import load_policy
    from robolearn.tasks.suites import get_suite

    policy = load_policy(checkpoint)
    tasks = [t.task_id for t in get_suite(suite).tasks]
    base = dict(episodes_per_task=episodes, workers=workers, num_envs=10, videos_per_task=0)
    results = {
        "train_inits": evaluate(policy, tasks, EvalConfig(**base, init_demos=str(root))),
        "fixed_inits": evaluate(policy, tasks, EvalConfig(**base)),
    }
    per_task = {c: r.per_task() for c, r in results.items()}
    return {
        "per_task": {t: {c: per_task[c][t]["success"] for c in COLUMNS} for t in tasks},
        "progress_per_task": {t: {c: per_task[c][t]["progress"] for c in COLUMNS} for t in tasks},
        "mean": {c: r.success for c, r in results.items()},
        "progress": {c: r.progress for c, r in results.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--root", type=Path, default=ROOT / "demos" / "lowdim")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    result = measure(args.checkpoint, args.suite, args.root, args.episodes, args.workers)
    result.update(
        checkpoint=str(args.checkpoint), suite=args.suite, root=str(args.root),
        episodes_per_task=args.episodes, seconds=round(time.perf_counter() - start, 1),
    )  # fmt: skip
    print("| task | from training inits | from fixed inits |\n|---|---:|---:|")
    for task, r in result["per_task"].items():
        print(f"| {task} | {r['train_inits']:.2f} | {r['fixed_inits']:.2f} |")
    m = result["mean"]
    print(f"| mean | {m['train_inits']:.2f} | {m['fixed_inits']:.2f} |")
    if args.out is not None:
        from robolearn.fileio import atomic_write_text

        atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
