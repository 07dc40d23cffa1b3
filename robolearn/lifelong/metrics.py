"""The result matrix of a lifelong run and LIBERO's transfer metrics (pure numpy).

A run learns the tasks of an ordering ``tasks[0], ..., tasks[K-1]`` in *stages*. A sequential
learner has one stage per task (``stages[k] == [k]``); ``multitask`` has one stage holding
every task. ``R[s, j]`` is the success rate on task ``tasks[j]`` after stage ``s``, NaN where
it was not evaluated. ``curves[k]`` holds ``(epoch, success)`` pairs on task ``k`` while it was
being learned: ``c[k, k, e]``.

LIBERO's definitions (``k`` 1-indexed over K tasks; ``c[k,k]`` is the kept checkpoint's success
on task k after learning it, i.e. ``R[k, k]``):

- ``FWT_k = mean_e c[k,k,e]`` over the evaluated epochs; ``FWT = mean_k FWT_k``.
- ``NBT_k = 1/(K-k) * sum_{t>k} (c[k,k] - c[t,k])``; NBT_K has no terms, so ``NBT`` is the
  mean over the K-1 tasks that have successors (NaN when K = 1). Lower is better.
- ``AUC_k = 1/(K-k+1) * (FWT_k + sum_{t>k} c[t,k])``; ``AUC = mean_k AUC_k``.
- final success: the mean over tasks of the last stage's row.

LIBERO's *code* differs in one detail: its FWT freezes each curve at its best value after the
(earliest) best epoch; ``fwt_k(curve, frozen=True)`` computes that variant.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robolearn.fileio import atomic_write_bytes

FORMAT = "robolearn.lifelong.results"
FORMAT_VERSION = 1
Curve = Sequence[tuple[float, float]]


def fwt_k(curve: Curve, frozen: bool = False) -> float:
    """Mean success over a task's in-training evaluations (``frozen``: LIBERO's code)."""
    values = [float(s) for _, s in curve]
    if not values:
        return math.nan
    if frozen:
        best = int(np.argmax(values))  # argmax picks the earliest of tied maxima
        values = values[: best + 1] + [values[best]] * (len(values) - best - 1)
    return float(np.mean(values))


def best_epoch(points: Sequence[Sequence[float]], higher_is_better: bool) -> int | None:
    """The epoch of the best ``(epoch, score)`` point; the earliest of tied scores wins.
    NaN scores never win; None when no point has a score."""
    best: tuple[float, float] | None = None
    for epoch, score in points:
        if math.isnan(score):
            continue
        better = best is None or (score > best[1] if higher_is_better else score < best[1])
        if better:
            best = (float(epoch), float(score))
    return None if best is None else int(best[0])


def _check_square(r: np.ndarray) -> int:
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise ValueError(f"a sequential result matrix is K x K, got shape {r.shape}")
    return int(r.shape[0])


def nbt_per_task(r: np.ndarray) -> np.ndarray:
    """``NBT_k`` for every k (NaN for the last task, which has no successors)."""
    r = np.asarray(r, dtype=np.float64)
    k_total = _check_square(r)
    out = np.full(k_total, np.nan)
    for k in range(k_total - 1):
        out[k] = float(np.mean(r[k, k] - r[k + 1 :, k]))
    return out


def auc_per_task(r: np.ndarray, fwt: Sequence[float]) -> np.ndarray:
    """``AUC_k = (FWT_k + sum_{t>k} c[t,k]) / (K - k + 1)`` (1-indexed k)."""
    r = np.asarray(r, dtype=np.float64)
    k_total = _check_square(r)
    if len(fwt) != k_total:
        raise ValueError(f"need one FWT_k per task: {len(fwt)} for K={k_total}")
    return np.array(
        [(fwt[k] + r[k + 1 :, k].sum()) / (k_total - k) for k in range(k_total)], dtype=np.float64
    )


def _nanmean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.mean(x[~np.isnan(x)])) if np.any(~np.isnan(x)) else math.nan


@dataclass
class ResultMatrix:
    """``R[s, j]``, the in-training curves and the ordering; see the module docstring."""

    tasks: list[str]
    stages: list[list[int]]
    R: np.ndarray
    curves: list[list[tuple[float, float]]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # per-stage extras, timings, notes

    @classmethod
    def empty(cls, tasks: Sequence[str], stages: Sequence[Sequence[int]]) -> ResultMatrix:
        r = np.full((len(stages), len(tasks)), np.nan)
        return cls(list(tasks), [list(s) for s in stages], r, [[] for _ in stages])

    @property
    def num_tasks(self) -> int:
        return len(self.tasks)

    @property
    def sequential(self) -> bool:
        """One stage per task, in the ordering: FWT, NBT and AUC are defined."""
        return self.stages == [[k] for k in range(self.num_tasks)]

    def stage_complete(self, s: int) -> bool:
        """Every task learned so far was evaluated after stage ``s``."""
        seen = sorted({j for st in self.stages[: s + 1] for j in st})
        return bool(seen) and not np.any(np.isnan(self.R[s, seen]))

    @property
    def completed_stages(self) -> int:
        n = 0
        while n < len(self.stages) and self.stage_complete(n):
            n += 1
        return n

    @property
    def complete(self) -> bool:
        return self.completed_stages == len(self.stages)

    # -- metrics ---------------------------------------------------------------------------
    def fwt_per_task(self, frozen: bool = False) -> np.ndarray:
        return np.array([fwt_k(c, frozen) for c in self.curves], dtype=np.float64)

    def metrics(self, frozen_fwt: bool = False) -> dict[str, Any]:
        """Suite metrics (FWT, NBT, AUC, final success) and their per-task values."""
        if not self.complete:
            raise ValueError(
                f"result matrix has {self.completed_stages} of {len(self.stages)} stages "
                "evaluated; metrics need a complete run"
            )
        final = _nanmean(self.R[-1])
        out: dict[str, Any] = {"final_success": final, "fwt": None, "nbt": None, "auc": None}
        if not self.sequential:
            return out
        fwt = self.fwt_per_task(frozen_fwt)
        nbt = nbt_per_task(self.R)
        auc = auc_per_task(self.R, list(fwt))
        out.update(
            fwt=_nanmean(fwt),
            nbt=_nanmean(nbt),
            auc=float(np.mean(auc)),
            per_task={"fwt": fwt.tolist(), "nbt": nbt.tolist(), "auc": auc.tolist()},
        )
        return out

    # -- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if math.isnan(x) else float(x)

        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tasks": self.tasks,
            "stages": self.stages,
            "R": [[num(float(v)) for v in row] for row in self.R],
            "curves": [[[float(e), float(s)] for e, s in c] for c in self.curves],
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResultMatrix:
        if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"not a lifelong result ({data.get('format')!r} v{data.get('format_version')!r})"
            )
        r = np.array(
            [[np.nan if v is None else v for v in row] for row in data["R"]], dtype=np.float64
        ).reshape(len(data["stages"]), len(data["tasks"]))
        curves = [[(float(e), float(s)) for e, s in c] for c in data["curves"]]
        return cls(list(data["tasks"]), data["stages"], r, curves, dict(data.get("info", {})))

    def save(self, folder: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> Path:
        """Write ``results.json`` (this matrix, its metrics when complete, ``extra``) and
        ``results.npz`` (R, the curves padded with NaN) into ``folder``, atomically."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        data["complete"] = self.complete
        data["completed_stages"] = self.completed_stages
        data["metrics"] = self.metrics() if self.complete else None
        data |= extra or {}
        atomic_write_bytes(folder / "results.json", (json.dumps(data, indent=2) + "\n").encode())
        width = max((len(c) for c in self.curves), default=0)
        epochs = np.full((len(self.curves), width), np.nan)
        success = np.full((len(self.curves), width), np.nan)
        for k, c in enumerate(self.curves):
            for i, (e, s) in enumerate(c):
                epochs[k, i], success[k, i] = e, s
        npz = io.BytesIO()
        np.savez(npz, R=self.R, curve_epochs=epochs, curve_success=success)
        atomic_write_bytes(folder / "results.npz", npz.getvalue())
        return folder / "results.json"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ResultMatrix:
        """Read a ``results.json`` (or the folder holding it)."""
        path = Path(path)
        if path.is_dir():
            path = path / "results.json"
        return cls.from_dict(json.loads(path.read_text()))
