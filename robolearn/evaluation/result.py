"""Evaluation results: per episode, per task, per suite; JSON (``eval_info.json``) and tables.

``success_once``: the goal held at some step; ``success_at_end``: it held at the episode's
last step (episodes end once success has held ``success_hold`` steps, or at ``max_steps``).
``progress``: the largest fraction of the task's goal atoms that held together at one step
(partial success: 0.5 for a two-stage task whose first stage was done and second was not; an
atom that holds from the start, such as a closed drawer, counts); ``goals_once``: per goal
atom, whether it held at some step. The reset state counts for neither, as for success.
An episode whose env or worker failed counts as a failure and carries the error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robolearn.fileio import atomic_write_text


@dataclass
class EpisodeResult:
    task_id: str
    episode: int
    init_state: int | str  # the fixed initial state's index, or the demo's name
    success_once: bool = False
    success_at_end: bool = False
    steps: int = 0
    error: str | None = None
    video: str | None = None
    progress: float = 0.0
    goals_once: list[bool] = field(default_factory=list)

    def note_goals(self, goals: tuple[bool, ...] | list[bool]) -> None:
        """Fold one step's goal-atom statuses into ``progress`` and ``goals_once``."""
        if not goals:
            return
        self.progress = max(self.progress, sum(goals) / len(goals))
        if len(self.goals_once) != len(goals):
            self.goals_once = [False] * len(goals)
        self.goals_once = [a or bool(b) for a, b in zip(self.goals_once, goals, strict=True)]


@dataclass
class EvalResult:
    episodes: list[EpisodeResult] = field(default_factory=list)
    seconds: float = 0.0
    worker_restarts: int = 0
    videos: dict[str, str] = field(default_factory=dict)  # grid videos per suite

    @property
    def task_ids(self) -> list[str]:
        return list(dict.fromkeys(e.task_id for e in self.episodes))

    def per_task(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for task in self.task_ids:
            eps = [e for e in self.episodes if e.task_id == task]
            out[task] = {
                "episodes": len(eps),
                "success": float(np.mean([e.success_once for e in eps])),
                "success_at_end": float(np.mean([e.success_at_end for e in eps])),
                "progress": float(np.mean([e.progress for e in eps])),
                "mean_steps": float(np.mean([e.steps for e in eps])),
                "errors": sum(e.error is not None for e in eps),
                "videos": [e.video for e in eps if e.video],
            }
        return out

    def _task_mean(self, key: str) -> float:
        """Mean over tasks of a per-task rate (0.0 without episodes)."""
        rows = self.per_task()
        return float(np.mean([r[key] for r in rows.values()])) if rows else 0.0

    @property
    def success(self) -> float:
        """Mean over tasks of the per-task success_once rate."""
        return self._task_mean("success")

    @property
    def success_at_end(self) -> float:
        return self._task_mean("success_at_end")

    @property
    def progress(self) -> float:
        """Mean over tasks of the per-task mean episode ``progress`` (partial success)."""
        return self._task_mean("progress")

    def summary(self) -> dict[str, float]:
        return {
            "success": self.success,
            "success_at_end": self.success_at_end,
            "progress": self.progress,
            "episodes": float(len(self.episodes)),
            "errors": float(sum(e.error is not None for e in self.episodes)),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "per_task": self.per_task(),
            "episodes": [asdict(e) for e in self.episodes],
            "seconds": self.seconds,
            "worker_restarts": self.worker_restarts,
            "videos": self.videos,
        }

    def save(self, path: str | Path) -> Path:
        """Write ``eval_info.json`` (temp file + rename)."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    def table(self) -> str:
        """A markdown table: one row per task, then the mean."""
        rows = self.per_task()
        width = max([len(t) for t in rows] + [4])
        lines = [
            f"| {'task':<{width}} | success | at end | progress | steps | episodes |",
            f"|{'-' * (width + 2)}|--------:|-------:|---------:|------:|---------:|",
        ]
        for task, r in rows.items():
            err = f" ({r['errors']} failed)" if r["errors"] else ""
            lines.append(
                f"| {task:<{width}} | {r['success']:7.2f} | {r['success_at_end']:6.2f} "
                f"| {r['progress']:8.2f} | {r['mean_steps']:5.0f} | {r['episodes']:8d}{err} |"
            )
        lines.append(
            f"| {'mean':<{width}} | {self.success:7.2f} | {self.success_at_end:6.2f} "
            f"| {self.progress:8.2f} | {'':5} | {len(self.episodes):8d} |"
        )
        return "\n".join(lines)
