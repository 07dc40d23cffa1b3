"""Generate the fixed initial states shipped under envs/init_states/ (50 per task).

    python scripts/make_init_states.py            # every task of every base suite
    python scripts/make_init_states.py --check    # exit 1 if a shipped file is stale

States are drawn from each task's fixed seed, so rerunning reproduces the files exactly.
"""

from __future__ import annotations

import argparse
import json
import sys

from robolearn.envs.init_states import generate_init_states, init_state_path, write_init_states
from robolearn.tasks.suites import BASE_SUITES, get_suite


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with shipped files")
    args = parser.parse_args()
    stale = []
    for suite in BASE_SUITES:
        for task in get_suite(suite).tasks:
            states = generate_init_states(task)
            path = init_state_path(task)
            if args.check:
                shipped = json.loads(path.read_text()) if path.exists() else None
                if shipped is None or shipped["states"] != [s.to_dict() for s in states]:
                    stale.append(task.task_id)
                continue
            write_init_states(task, states)
        print(f"{suite}: {len(get_suite(suite))} tasks")
    if stale:
        print(f"stale or missing: {stale}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
