"""Does a multitask policy share a sub-skill between instructions? Roll a checkpoint out from
one task's fixed initial states in another task's env (whose goal is the sub-skill, e.g.
``goal/lifted-mug-v1``) under each instruction given, and count how often that goal is reached.

    .venv/bin/python scripts/probe_instruction_swap.py \
        --checkpoint RUN/checkpoints/best --layouts goal/on-mug-cabinet-top-v1 \
        --check goal/lifted-mug-v1 [--episodes 20] [--out docs/instruction_swap_goal.json]

The instructions default to the two tasks' own. Both tasks must share a scene (the layouts'
object names must exist in the checked task's env), as goal's tasks do. Episodes run up to the
checked task's horizon and stop at its first success step, one env in this process. Writes JSON
(temp file + rename) and prints one line per instruction.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def probe(checkpoint: Path, layouts: str, check: str, texts: list[str], n: int) -> dict[str, Any]:
    from robolearn.envs import make_env
    from robolearn.envs.init_states import init_states
    from robolearn.evaluation.evaluate import obs_config_for, stack_observations
    from robolearn.policies.io import load_policy
    from robolearn.tasks.suites import get_task

    policy = load_policy(checkpoint)
    states = init_states(get_task(layouts))[:n]
    horizon = get_task(check).horizon
    env = make_env(check, obs=obs_config_for(policy.spec), time_limit=False)
    rows: dict[str, list[int]] = {}
    try:
        for text in texts:
            rows[text] = []
            for state in states:
                obs, info = env.reset(seed=0, options={"init_state": state})
                policy.reset()
                for _ in range(horizon):
                    action = policy.act(stack_observations([obs], [text]))[0]
                    obs, _, _, _, info = env.step(action)
                    if info["is_success"]:
                        break
                rows[text].append(int(info["is_success"]))
            print(f"{text!r}: {check} reached in {sum(rows[text])}/{len(states)}", flush=True)
    finally:
        env.close()
    return {"per_episode": rows, "rate": {t: sum(r) / len(r) for t, r in rows.items()}}


def main() -> None:
    from robolearn.tasks.suites import get_task

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--layouts", required=True, help="task whose fixed initial states to use")
    parser.add_argument("--check", required=True, help="task whose goal counts as success")
    parser.add_argument("--instructions", nargs="*", default=None)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    texts = args.instructions or [get_task(args.check).language, get_task(args.layouts).language]
    start = time.perf_counter()
    result = probe(args.checkpoint, args.layouts, args.check, texts, args.episodes)
    result.update(
        checkpoint=str(args.checkpoint), layouts=args.layouts, check=args.check,
        episodes=args.episodes, seconds=round(time.perf_counter() - start, 1),
    )  # fmt: skip
    if args.out is not None:
        from robolearn.fileio import atomic_write_text

        atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
