"""Fixed initial states: 50 per task, generated from a fixed seed, shipped under envs/.

Files live at ``envs/init_states/<suite>/<task-name>.json``; they hold declarative states
(object poses, fixture joint fractions, robot joint noise), so they survive changes to the
meshes or the MJCF that would invalidate flattened simulator states. Perturbed suites
(``spatial@layout``) are not shipped: their states are drawn from the same fixed seeds on
demand.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from robolearn.errors import DataError
from robolearn.paths import envs_dir
from robolearn.seeding import make_rng
from robolearn.tasks.placement import InitState, sample_init
from robolearn.tasks.spec import TaskSpec

N_INIT_STATES = 50


def init_state_path(task: TaskSpec, root: Path | None = None) -> Path:
    suite, name = task.task_id.split("/", 1)
    return (root or envs_dir() / "init_states") / suite / f"{name}.json"


def generate_init_states(task: TaskSpec, n: int = N_INIT_STATES) -> list[InitState]:
    """``n`` initial states drawn from the task's fixed seed (pure)."""
    rng = make_rng(task.seed, "init-states")
    return [sample_init(task, rng) for _ in range(n)]


def write_init_states(task: TaskSpec, states: list[InitState], root: Path | None = None) -> Path:
    from robolearn.fileio import atomic_write_text

    path = init_state_path(task, root)
    payload = {
        "task_id": task.task_id,
        "spec": json.loads(task.to_json()),
        "states": [s.to_dict() for s in states],
    }
    atomic_write_text(path, json.dumps(payload, indent=None, separators=(",", ":")) + "\n")
    return path


@cache
def init_states(task: TaskSpec) -> tuple[InitState, ...]:
    """The task's fixed initial states: the shipped file, else generated from its seed."""
    path = init_state_path(task)
    if not path.exists():
        return tuple(generate_init_states(task))
    try:
        payload = json.loads(path.read_text())
        if payload["task_id"] != task.task_id:
            raise DataError(f"{path}: holds states of {payload['task_id']}, not {task.task_id}")
        if payload["spec"] != json.loads(task.to_json()):
            raise DataError(
                f"{path}: was made for another version of task {task.task_id}; "
                "regenerate with `python scripts/make_init_states.py`"
            )
        return tuple(InitState.from_dict(s) for s in payload["states"])
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: unreadable initial-state file ({exc}); regenerate it") from exc
