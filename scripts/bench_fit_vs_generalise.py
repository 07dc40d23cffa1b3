"""Fitting or generalising? A trained policy's success from its own training demos' initial
states beside the fixed evaluation initial states, in one run.

    .venv/bin/python scripts/bench_fit_vs_generalise.py --checkpoint RUN/checkpoints/best \
        --suite goal [--root demos/lowdim] [--episodes 10] [--out docs/fit_vs_generalise.json]

From a training demo's initial state (``mask/train`` of the demo file) the policy has seen the
very trajectory it should produce, so failing there is a closed-loop fitting problem
(compounding error on states it was trained on); the gap between that and the fixed initial
states (new layouts) is the generalisation gap. ``--episodes`` of each per task, one env at a
time in this process (episodes end at the first success step or the task's horizon; the
evaluation's ``success_hold`` is not applied). Writes JSON (temp file + rename) and prints a
table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def rollout(env: Any, policy: Any, task: Any, init: Any) -> bool:
    from robolearn.evaluation.evaluate import stack_observations

    obs, _ = env.reset(seed=0, options={"init_state": init})
    policy.reset()
    for _ in range(task.horizon):
        action = policy.act(stack_observations([obs], [task.language]))[0]
        obs, _, _, _, info = env.step(action)
        if info["is_success"]:
            return True
    return False


def measure(checkpoint: Path, suite: str, root: Path, episodes: int) -> dict[str, Any]:
    from robolearn.data.reader import DemoFile
    from robolearn.envs import make_env
    from robolearn.evaluation.evaluate import obs_config_for
    from robolearn.policies.io import load_policy
    from robolearn.tasks.suites import get_suite

    policy = load_policy(checkpoint)
    obs_cfg = obs_config_for(policy.spec)
    rows: dict[str, dict[str, float]] = {}
    for task in get_suite(suite).tasks:
        with DemoFile(root / suite / f"{task.task_id.split('/', 1)[1]}.hdf5") as demos:
            train = [demos.init_state(name) for name in demos.mask("train")[:episodes]]
        env = make_env(task.task_id, obs=obs_cfg, time_limit=False)
        try:
            rows[task.task_id] = {
                "train_inits": float(np.mean([rollout(env, policy, task, i) for i in train])),
                "fixed_inits": float(
                    np.mean([rollout(env, policy, task, i) for i in range(episodes)])
                ),
            }
        finally:
            env.close()
        print(task.task_id, rows[task.task_id], flush=True)
    means = {k: float(np.mean([r[k] for r in rows.values()])) for k in next(iter(rows.values()))}
    return {"per_task": rows, "mean": means}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--root", type=Path, default=ROOT / "demos" / "lowdim")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    result = measure(args.checkpoint, args.suite, args.root, args.episodes)
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
