"""Where does a policy fail? Roll a checkpoint out on one task's fixed initial states and log,
every few steps and at every gripper event, the hand's and two objects' positions.

    .venv/bin/python scripts/trace_rollout.py --checkpoint RUN/checkpoints/best \
        --task goal/in-cube-mug-v1 [--states 0-19] [--every 15] [--objects cube,mug] \
        [--out trace.json]

``--checkpoint`` given twice or more traces the checkpoints as one ensemble
(robolearn.policies.ensemble). ``--objects A,B`` are substrings of two of the task's object
names (default: the first two objects); each row holds both positions and A's offset from B.
A *release* is a step whose gripper command turns from closing to opening; each is logged
with A's horizontal (mm) and vertical (cm) offset from B and the hand's distance from A, which
is what the mug task's probes in docs/policy_benchmark.md measured. Episodes run up to the
task's horizon and stop at the first success step, one env in this process. Writes JSON
(temp file + rename) and prints one line per row.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def parse_states(text: str) -> list[int]:
    """``"0-4,7"`` -> ``[0, 1, 2, 3, 4, 7]``."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            raise SystemExit(f"--states {text!r}: expected indices and ranges like 0-4,7") from None
        out += range(first, last + 1)
    return out


def pick_objects(names: Sequence[str], wanted: Sequence[str] | None, task: str) -> list[str]:
    """The task's object names matching ``wanted`` (substrings; default: the first two)."""
    from robolearn.errors import ConfigError

    if not wanted:
        if len(names) < 2:
            raise ConfigError(f"{task} has objects {list(names)}; --objects needs two")
        return list(names[:2])
    picked = []
    for part in wanted:
        hits = [n for n in names if part in n]
        if len(hits) != 1:
            raise ConfigError(
                f"--objects {part!r} matches {hits or 'nothing'} among {task}'s objects "
                f"{list(names)}; give a substring of exactly one"
            )
        picked.append(hits[0])
    return picked


def trace(
    policy: Any,
    env: Any,
    states: Sequence[int],
    objects: Sequence[str] | None = None,
    every: int = 15,
) -> list[dict[str, Any]]:
    """One record per fixed initial state: success, steps, rows (every ``every`` steps, at
    every gripper flip and at the end) and releases. ``policy`` has ``reset()`` and a batched
    ``act(obs)``; ``env`` is a robolearn env built with ``time_limit=False``."""
    from robolearn.evaluation.evaluate import stack_observations

    base = env.unwrapped
    task = base.spec_task.task_id
    a_name, b_name = pick_objects([o.name for o in base.spec_task.objects], objects, task)
    horizon = base.task.horizon
    episodes = []
    for state in states:
        obs, info = env.reset(seed=state, options={"init_state": state})
        policy.reset()
        text = base.task.language
        rows: list[dict[str, Any]] = []
        releases: list[dict[str, Any]] = []
        closing: bool | None = None
        success = False
        for t in range(horizon):
            action = np.asarray(policy.act(stack_observations([obs], [text])))[0]
            obs, _, _, _, info = env.step(action)
            poses = base.scene.object_poses()
            a, b = np.asarray(poses[a_name][:3]), np.asarray(poses[b_name][:3])
            eef = np.asarray(obs["eef_pos"], dtype=float)
            now_closing = bool(action[-1] > 0)
            flipped = closing is not None and now_closing != closing
            success = bool(info["is_success"])
            end = success or t == horizon - 1
            if flipped and closing:
                releases.append({
                    "t": t,
                    "a_off_b_xy_mm": round(float(np.linalg.norm(a[:2] - b[:2])) * 1000, 1),
                    "a_over_b_cm": round(float(a[2] - b[2]) * 100, 2),
                    "eef_to_a_mm": round(float(np.linalg.norm(eef - a)) * 1000, 1),
                })  # fmt: skip
            if t % every == 0 or flipped or end:
                rows.append({
                    "t": t, "grip": "close" if now_closing else "open",
                    "eef": np.round(eef, 4).tolist(), "a": np.round(a, 4).tolist(),
                    "b": np.round(b, 4).tolist(),
                    "a_minus_b_cm": np.round((a - b) * 100, 2).tolist(),
                    "action_xyz": np.round(action[:3].astype(float), 3).tolist(),
                })  # fmt: skip
            closing = now_closing
            if success:
                break
        episodes.append({
            "init_state": state, "success": success, "steps": t + 1,
            "objects": [a_name, b_name], "releases": releases, "rows": rows,
        })  # fmt: skip
    return episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, action="append", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--states", default="0-19", help="fixed initial states, e.g. 0-4,7")
    parser.add_argument("--every", type=int, default=15, help="a row every N steps")
    parser.add_argument("--objects", default=None, help="A,B: substrings of two object names")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.every < 1:
        parser.error("--every must be at least 1")
    objects = args.objects.split(",") if args.objects else None
    if objects is not None and len(objects) != 2:
        parser.error(f"--objects {args.objects!r}: give two names, A,B")

    from robolearn.envs import make_env
    from robolearn.evaluation.evaluate import obs_config_for

    if len(args.checkpoint) == 1:
        from robolearn.policies.io import load_policy

        policy = load_policy(args.checkpoint[0], device="cpu")
    else:
        from robolearn.policies.ensemble import load_ensemble

        policy = load_ensemble(args.checkpoint, device="cpu")
    env = make_env(args.task, obs=obs_config_for(policy.spec), time_limit=False)
    try:
        episodes = trace(policy, env, parse_states(args.states), objects, args.every)
    finally:
        env.close()
    for ep in episodes:
        a, b = ep["objects"]
        print(f"--- state {ep['init_state']}: {'success' if ep['success'] else 'failure'} "
              f"after {ep['steps']} steps; A={a} B={b}")  # fmt: skip
        for row in ep["rows"]:
            print(f"{row['t']:4d} {row['grip']:5s} eef {row['eef']} A-B cm {row['a_minus_b_cm']} "
                  f"action {row['action_xyz']}")  # fmt: skip
        for rel in ep["releases"]:
            print(
                f"     release at {rel['t']}: A off B {rel['a_off_b_xy_mm']} mm, "
                f"{rel['a_over_b_cm']} cm over; hand {rel['eef_to_a_mm']} mm from A"
            )
    print(f"success {sum(e['success'] for e in episodes)} / {len(episodes)}")
    if args.out is not None:
        from robolearn.fileio import atomic_write_text

        result = {"checkpoint": [str(c) for c in args.checkpoint], "task": args.task,
                  "episodes": episodes}  # fmt: skip
        atomic_write_text(args.out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
