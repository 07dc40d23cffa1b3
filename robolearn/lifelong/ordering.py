"""Task orderings: seeded permutations of a suite's tasks (pure, reproducible).

``make_ordering(suite_tasks, seed=None)`` is the suite's own order; an integer seed gives
the permutation drawn by ``make_rng(seed, "ordering", <suite tasks>)``, the same on every
machine and Python version. An explicit order (``tasks``) must be a permutation of the suite's
tasks; ``limit`` keeps the first n tasks of the ordering (small runs).
"""

from __future__ import annotations

from collections.abc import Sequence

from robolearn.errors import ConfigError
from robolearn.seeding import make_rng


def make_ordering(
    suite_tasks: Sequence[str],
    seed: int | None = None,
    tasks: Sequence[str] = (),
    limit: int | None = None,
) -> list[str]:
    """The ordered task list of a run; see the module docstring."""
    suite_tasks = list(suite_tasks)
    if not suite_tasks:
        raise ConfigError("the suite has no tasks to order")
    if len(set(suite_tasks)) != len(suite_tasks):
        raise ConfigError(f"the suite lists a task twice: {suite_tasks}")
    if tasks:
        if seed is not None:
            raise ConfigError(
                f"ordering.tasks and ordering.seed={seed} are both set; give one of them"
            )
        check_ordering(tasks, suite_tasks)
        order = list(tasks)
    elif seed is None:
        order = list(suite_tasks)
    else:
        if seed < 0:
            raise ConfigError(f"ordering.seed must be >= 0 or null, got {seed}")
        rng = make_rng(seed, "ordering", *suite_tasks)
        order = [suite_tasks[i] for i in rng.permutation(len(suite_tasks))]
    if limit is not None:
        if not 1 <= limit <= len(order):
            raise ConfigError(f"ordering.limit={limit} must be in 1..{len(order)} (or null)")
        order = order[:limit]
    return order


def check_ordering(order: Sequence[str], suite_tasks: Sequence[str]) -> None:
    """Raise ConfigError unless ``order`` is a permutation of ``suite_tasks``."""
    order, suite = list(order), list(suite_tasks)
    unknown = [t for t in order if t not in suite]
    repeated = sorted({t for t in order if order.count(t) > 1})
    missing = [t for t in suite if t not in order]
    if unknown or repeated or missing:
        parts = []
        if unknown:
            parts.append(f"not in the suite: {unknown}")
        if repeated:
            parts.append(f"repeated: {repeated}")
        if missing:
            parts.append(f"missing: {missing}")
        raise ConfigError(
            "ordering.tasks must be a permutation of the suite's tasks; "
            + "; ".join(parts)
            + ". Use ordering.seed for a seeded permutation"
        )
