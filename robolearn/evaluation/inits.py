"""Where evaluation episodes start: the tasks' fixed initial states, or demos' own.

By default episode ``e`` of a task starts from fixed initial state ``init_offset + e`` (the
evaluation protocol). With ``EvalConfig.init_demos = <root>`` it starts from the initial
state of demo ``init_offset + e`` of the ``init_split`` mask (``train`` or ``valid``) of
``<root>/<suite>/<task>.hdf5``, the layout ``robolearn collect`` writes: from its own
training demos' states a policy has seen the very trajectory it should produce, so comparing
the two separates closed-loop fitting from generalising to new layouts
(``scripts/bench_fit_vs_generalise.py``). Episodes are labelled with the fixed index or the
demo's name (``EpisodeResult.init_state``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from robolearn.errors import DataError
from robolearn.evaluation.config import EvalConfig

Start = tuple[int | str, Any]  # (label in the results, what env.reset's init_state takes)


def demo_starts(root: str | Path, task_id: str, split: str, offset: int, n: int) -> list[Start]:
    """``n`` (demo name, initial state) pairs from ``split``'s demos ``offset, offset + 1, ...``
    of the task's demo file under ``root``. Raises :class:`DataError` naming the file when it
    is missing, lacks the split or initial states, or holds too few demos."""
    from robolearn.data.collect import task_path
    from robolearn.data.reader import DemoFile

    path = task_path(root, task_id)
    if not path.is_file():
        raise DataError(
            f"eval.init_demos: no demo file {path} for task {task_id}; collect it with "
            f"`robolearn collect tasks=[{task_id}] out_dir={root}` or point init_demos elsewhere"
        )
    with DemoFile(path) as demos:
        if split not in demos.mask_names():
            raise DataError(
                f"eval.init_split: demo file {path} has no mask {split!r} "
                f"(it has {demos.mask_names()})"
            )
        listed = demos.mask(split)
        names = listed[offset : offset + n]
        if len(names) < n:
            raise DataError(
                f"eval.init_demos: demo file {path} mask {split!r} has "
                f"{len(listed)} demos; demos {offset}..{offset + n - 1} were asked "
                "for (eval.init_offset + eval.episodes_per_task): lower episodes_per_task"
            )
        starts: list[Start] = []
        for name in names:
            state = demos.init_state(name)
            if state is None:
                raise DataError(
                    f"eval.init_demos: demo file {path} demo {name} has no init_state attribute"
                )
            starts.append((name, state))
    return starts


def episode_starts(tasks: Sequence[str], cfg: EvalConfig) -> dict[str, list[Start]]:
    """Per task, where each of its ``cfg.episodes_per_task`` episodes starts."""
    n, offset = cfg.episodes_per_task, cfg.init_offset
    if cfg.init_demos is None:
        return {t: [(offset + e, offset + e) for e in range(n)] for t in tasks}
    return {t: demo_starts(cfg.init_demos, t, cfg.init_split, offset, n) for t in tasks}
