"""Where does a policy fail? Roll a checkpoint out on one task's fixed initial states and log,
every few steps and at every gripper event, the hand's and two objects' positions.

    .venv/bin/python scripts/trace_rollout.py --checkpoint RUN/checkpoints/best \
        --task goal/in-cube-mug-v1 [--states 0-19] [--every 15] [--objects cube,mug] \
        [--out trace.json]

``--checkpoint`` given twice or more traces the checkpoints as one ensemble
(robolearn.policies.ensemble). ``--objects A,B`` are substrings of two of the task's object
names (default: the first two objects); each row holds both positions (read after the step)
and A's offset from B. A *release* is a step whose gripper command turns from closing to
opening (a command of 0 holds); each is logged with A's horizontal offset from B (mm), the
height of A's centre over B's body origin (cm) and
the hand's distance from A: the quantities the mug task's probes in docs/policy_benchmark.md
measured at the releases. Episodes start as ``robolearn eval``'s do at its defaults (the same
fixed state and reset seed), run up to the task's horizon and stop at the first success step,
one env in this process. Every input is checked before the checkpoint loads. Prints each
episode as it ends and rewrites ``--out`` (JSON, temp file + rename) with the episodes so far.
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
        if last < first:
            raise SystemExit(f"--states {text!r}: the range {part.strip()!r} runs backwards")
        out += range(first, last + 1)
    return out


def pick_objects(names: Sequence[str], wanted: Sequence[str] | None, task: str) -> list[str]:
    """The task's object names matching ``wanted`` (two substrings, stripped; default: the
    first two objects); a :class:`~robolearn.errors.ConfigError` names the task's objects."""
    from robolearn.errors import ConfigError

    if not wanted:
        if len(names) < 2:
            raise ConfigError(f"{task} has objects {list(names)}; a trace needs two")
        return list(names[:2])
    if len(wanted) != 2:
        raise ConfigError(f"objects {list(wanted)}: give two, A,B (of {task}'s {list(names)})")
    picked = []
    for part in (w.strip() for w in wanted):
        hits = [n for n in names if part and part in n]
        if len(hits) != 1:
            raise ConfigError(
                f"object {part!r} matches {hits or 'nothing'} among {task}'s objects "
                f"{list(names)}; give a substring of exactly one"
            )
        picked.append(hits[0])
    if picked[0] == picked[1]:
        raise ConfigError(f"objects {list(wanted)} both name {picked[0]}; give two different ones")
    return picked


def trace_episode(
    policy: Any, env: Any, state: int, objects: Sequence[str], every: int = 15
) -> dict[str, Any]:
    """Roll ``policy`` out from fixed initial state ``state`` with the evaluation's reset seed
    (``derive_seed(0, task, state)``: episode ``state`` of ``robolearn eval`` at its defaults).
    Rows every ``every`` steps, at every change of the gripper command between closing and
    opening (a command of 0 holds the fingers and changes nothing) and at the end; a release
    is a change from closing to opening. Positions are read after each step."""
    from robolearn.evaluation.evaluate import stack_observations
    from robolearn.seeding import derive_seed

    base = env.unwrapped
    task = base.spec_task.task_id
    a_name, b_name = objects
    horizon = base.task.horizon
    obs, info = env.reset(seed=derive_seed(0, task, state), options={"init_state": state})
    policy.reset()
    text = base.task.language
    rows: list[dict[str, Any]] = []
    releases: list[dict[str, Any]] = []
    last = 0.0  # the last non-zero gripper command's sign
    success = False
    for t in range(horizon):
        action = np.asarray(policy.act(stack_observations([obs], [text])))[0]
        obs, _, _, _, info = env.step(action)
        poses = base.scene.object_poses()
        a, b = np.asarray(poses[a_name][:3]), np.asarray(poses[b_name][:3])
        eef = np.asarray(obs["eef_pos"], dtype=float)
        command = float(np.sign(action[-1]))
        flipped = command != 0 and last != 0 and command != last
        if flipped and last > 0:
            releases.append({
                "t": t,
                "a_off_b_xy_mm": round(float(np.linalg.norm(a[:2] - b[:2])) * 1000, 1),
                "a_over_b_cm": round(float(a[2] - b[2]) * 100, 2),
                "eef_to_a_mm": round(float(np.linalg.norm(eef - a)) * 1000, 1),
            })  # fmt: skip
        last = command or last
        success = bool(info["is_success"])
        if t % every == 0 or flipped or success or t == horizon - 1:
            rows.append({
                "t": t, "grip": {1.0: "close", -1.0: "open"}.get(command, "hold"),
                "eef": np.round(eef, 4).tolist(), "a": np.round(a, 4).tolist(),
                "b": np.round(b, 4).tolist(),
                "a_minus_b_cm": np.round((a - b) * 100, 2).tolist(),
                "action_xyz": np.round(action[:3].astype(float), 3).tolist(),
            })  # fmt: skip
        if success:
            break
    return {
        "init_state": state, "success": success, "steps": t + 1,
        "objects": [a_name, b_name], "releases": releases, "rows": rows,
    }  # fmt: skip


def trace(
    policy: Any,
    env: Any,
    states: Sequence[int],
    objects: Sequence[str] | None = None,
    every: int = 15,
) -> list[dict[str, Any]]:
    """:func:`trace_episode` for each of ``states``; ``objects`` as :func:`pick_objects`
    takes them. ``policy`` has ``reset()`` and a batched ``act(obs)``; ``env`` is a robolearn
    env built with ``time_limit=False``."""
    spec = env.unwrapped.spec_task
    names = pick_objects([o.name for o in spec.objects], objects, spec.task_id)
    return [trace_episode(policy, env, state, names, every) for state in states]


def print_episode(ep: dict[str, Any]) -> None:
    a, b = ep["objects"]
    outcome = "success" if ep["success"] else "failure"
    print(f"--- state {ep['init_state']}: {outcome} after {ep['steps']} steps; A={a} B={b}")
    for row in ep["rows"]:
        print(f"{row['t']:4d} {row['grip']:5s} eef {row['eef']} A-B cm {row['a_minus_b_cm']} "
              f"action {row['action_xyz']}")  # fmt: skip
    for rel in ep["releases"]:
        print(
            f"     release at {rel['t']}: A off B {rel['a_off_b_xy_mm']} mm, "
            f"{rel['a_over_b_cm']} cm over B's origin; hand {rel['eef_to_a_mm']} mm from A"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, action="append", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--states", default="0-19", help="fixed initial states, e.g. 0-4,7")
    parser.add_argument("--every", type=int, default=15, help="a row every N steps")
    parser.add_argument("--objects", default=None, help="A,B: substrings of two object names")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from robolearn.envs.init_states import init_states
    from robolearn.errors import RobolearnError
    from robolearn.tasks.suites import get_task

    if args.every < 1:
        parser.error("--every must be at least 1")
    try:  # every input is checked before the checkpoint loads and the simulator starts
        spec = get_task(args.task)
        wanted = args.objects.split(",") if args.objects else None
        objects = pick_objects([o.name for o in spec.objects], wanted, args.task)
    except (RobolearnError, KeyError) as err:
        parser.error(str(err))
    states = parse_states(args.states)
    n_states = len(init_states(spec))
    if not states or max(states) >= n_states or min(states) < 0:
        parser.error(f"--states {args.states!r}: {args.task} has fixed states 0-{n_states - 1}")

    from robolearn.envs import make_env
    from robolearn.evaluation.evaluate import obs_config_for

    if len(args.checkpoint) == 1:
        from robolearn.policies.io import load_policy

        policy = load_policy(args.checkpoint[0], device="cpu")
    else:
        from robolearn.policies.ensemble import load_ensemble

        policy = load_ensemble(args.checkpoint, device="cpu")
    env = make_env(args.task, obs=obs_config_for(policy.spec), time_limit=False)
    result: dict[str, Any] = {
        "checkpoint": [str(c) for c in args.checkpoint], "task": args.task, "episodes": [],
    }  # fmt: skip
    try:
        for state in states:  # printed, and written with the ones before it, as it ends
            ep = trace_episode(policy, env, state, objects, args.every)
            result["episodes"].append(ep)
            print_episode(ep)
            if args.out is not None:
                from robolearn.fileio import atomic_write_text

                atomic_write_text(args.out, json.dumps(result, indent=1) + "\n")
    finally:
        env.close()
    episodes = result["episodes"]
    print(f"success {sum(e['success'] for e in episodes)} / {len(episodes)}")


if __name__ == "__main__":
    main()
