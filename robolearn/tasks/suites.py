"""Suites: named, ordered lists of tasks, LIBERO-style, plus perturbed variants.

``get_suite("spatial")`` -> the 10 spatial tasks; ``get_suite("spatial@layout")`` -> the
same tasks under the layout perturbation (axes combine: ``"goal@color@camera"``).
Task ids are ``<suite>/<name>-v<N>``; :func:`get_task` finds any task of any suite.
Every spec is generated from a seed derived from (SUITE_SEED, family, index), so the
suites are the same on every machine.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from robolearn.errors import UnknownNameError
from robolearn.seeding import derive_seed, make_rng
from robolearn.tasks.families import FAMILIES
from robolearn.tasks.perturb import PERTURBATIONS
from robolearn.tasks.spec import TaskSpec

SUITE_SEED = 0
BASE_SUITES = ("spatial", "object", "goal", "long", "pretrain")
EVAL_SUITES = ("spatial", "object", "goal", "long")


@dataclass(frozen=True)
class Suite:
    name: str
    tasks: tuple[TaskSpec, ...]

    @property
    def task_ids(self) -> list[str]:
        return [t.task_id for t in self.tasks]

    def __len__(self) -> int:
        return len(self.tasks)


@cache
def _base_suite(name: str) -> Suite:
    family = FAMILIES.get(name)
    tasks = []
    for i, params in enumerate(family.suite_params()):
        seed = derive_seed(SUITE_SEED, name, i)
        tasks.append(family.generate({**params, "seed": seed}, make_rng(SUITE_SEED, name, i)))
    return Suite(name, tuple(tasks))


@cache
def get_suite(name: str) -> Suite:
    """The suite ``name`` (``spatial``) or a perturbed one (``spatial@layout@color``)."""
    base, *axes = name.split("@")
    if base not in BASE_SUITES:
        close = difflib.get_close_matches(base, BASE_SUITES, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownNameError(f"unknown suite {name!r}{hint} (suites: {', '.join(BASE_SUITES)})")
    suite = _base_suite(base)
    tasks = list(suite.tasks)
    for axis in axes:
        perturb = PERTURBATIONS.get(axis)
        tasks = [perturb(t, make_rng(t.seed, "perturb", axis)) for t in tasks]
    return Suite(name, tuple(tasks))


def suite_names() -> list[str]:
    return list(BASE_SUITES)


@cache
def _task_index() -> dict[str, TaskSpec]:
    return {t.task_id: t for s in BASE_SUITES for t in get_suite(s).tasks}


def all_task_ids() -> list[str]:
    return list(_task_index())


def get_task(task_id: str) -> TaskSpec:
    """A task by id; perturbed ids (``spatial@color/...``) are built on demand."""
    index = _task_index()
    if task_id in index:
        return index[task_id]
    suite_name = task_id.split("/", 1)[0]
    if "@" in suite_name:
        for task in get_suite(suite_name).tasks:
            if task.task_id == task_id:
                return task
    close = difflib.get_close_matches(task_id, list(index), n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownNameError(f"unknown task {task_id!r}{hint}")
