"""Aggregate lifelong runs (``results.json`` files under a folder) into tables and plots.

Runs are grouped by (suite, learner, variant); the variant is a run's Hydra overrides minus
the ones a sweep varies between repetitions (``lifelong``, ``ordering.seed``, ``seed``,
``suite``) and the ones that do not change results (workers, threads, logging...). Per
group: mean +- std (sample std, over every run: seeds x orderings) of AUC, FWT, NBT and final
success, and the *ordering sensitivity*: the std and the range across orderings of the
per-ordering means (averaged over seeds first). A run that crashed or is still running (no
complete result matrix) is listed by name and left out of the means; the rest aggregate.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robolearn.lifelong.metrics import ResultMatrix

log = logging.getLogger(__name__)
METRICS = ("auc", "fwt", "nbt", "final_success")
REPEAT_KEYS = {"lifelong", "ordering.seed", "seed", "suite"}
NEUTRAL_KEYS = {
    "eval.workers",
    "eval.num_envs",
    "train.progress",
    "train.threads",
    "train.device",
    "data.collect_workers",
    "data.root",
    "data.collect_missing",
    "resume",
    "logger.wandb_mode",
    "logger.backends",
    "hydra.launcher.n_jobs",
}
# LIBERO (Liu et al. 2023) Table 2, ResNet-T, 3 seeds: AUC; the multitask row is its success.
LIBERO_AUC = {
    "seql": {"long": 0.15, "spatial": 0.20, "object": 0.26, "goal": 0.22},
    "er": {"long": 0.32, "spatial": 0.56, "object": 0.44, "goal": 0.49},
    "ewc": {"long": 0.02, "spatial": 0.06, "object": 0.16, "goal": 0.06},
    "packnet": {"long": 0.25, "spatial": 0.63, "object": 0.60, "goal": 0.75},
    "multitask": {"long": 0.48, "spatial": 0.83, "object": 0.54, "goal": 0.80},
}


@dataclass
class RunRecord:
    path: str
    status: str  # complete | partial | failed
    suite: str = "?"
    learner: str = "?"
    ordering_seed: int | None = None
    seed: int | None = None
    variant: tuple[str, ...] = ()
    stages_done: int = 0
    stages: int = 0
    seconds: float = math.nan
    metrics: dict[str, Any] = field(default_factory=dict)
    R: np.ndarray | None = None
    note: str = ""


def variant_of(overrides: Sequence[str]) -> tuple[str, ...]:
    """The overrides that set a run apart (a tuple: an override may hold commas, a list)."""
    keep = []
    for item in overrides:
        key = item.split("=", 1)[0].lstrip("+~")
        if key in REPEAT_KEYS or key in NEUTRAL_KEYS or key.startswith("hydra"):
            continue
        keep.append(item)
    return tuple(sorted(keep))


def _record(path: Path) -> RunRecord:
    try:
        data = json.loads(path.read_text())
        rm = ResultMatrix.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return RunRecord(str(path.parent), "failed", note=f"unreadable results.json ({exc})")
    cfg = data.get("config", {})
    rec = RunRecord(
        str(path.parent),
        "complete" if rm.complete else "partial",
        suite=str(data.get("suite", cfg.get("suite", "?"))),
        learner=str(data.get("learner", "?")),
        ordering_seed=data.get("ordering_seed"),
        seed=data.get("seed"),
        variant=variant_of(cfg.get("overrides", [])),
        stages_done=rm.completed_stages,
        stages=len(rm.stages),
        seconds=float(data.get("seconds", math.nan)),
        R=rm.R,
    )
    if rm.complete:
        rec.metrics = {k: v for k, v in rm.metrics().items() if k in METRICS}
    else:
        rec.note = f"{rm.completed_stages} of {len(rm.stages)} stages done"
    return rec


def find_runs(root: str | Path) -> list[RunRecord]:
    """Every run under ``root``: folders with a ``results.json``, and run folders (with the
    ``run.json`` every command writes) that never wrote one."""
    root = Path(root)
    records = [_record(p) for p in sorted(root.rglob("results.json"))]
    seen = {r.path for r in records}
    for meta in sorted(root.rglob("run.json")):
        folder = meta.parent
        if str(folder) not in seen and (folder / "config.yaml").exists():
            records.append(RunRecord(str(folder), "failed", note="no results.json (crashed early)"))
    return records


def _stats(values: Sequence[float]) -> tuple[float, float]:
    v = np.array([x for x in values if x is not None and not math.isnan(x)], dtype=np.float64)
    if len(v) == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


@dataclass
class Group:
    suite: str
    learner: str
    variant: tuple[str, ...]
    runs: list[RunRecord]
    common: frozenset[str] = frozenset()  # overrides every group shares (not shown per row)

    @property
    def label(self) -> str:
        own = [v for v in self.variant if v not in self.common]
        return self.learner + (f" [{','.join(own)}]" if own else "")

    def stat(self, metric: str) -> tuple[float, float]:
        return _stats([r.metrics.get(metric) for r in self.runs])  # type: ignore[misc]

    def ordering_spread(self, metric: str) -> tuple[float, float, int]:
        """(std, range) across orderings of the per-ordering means; number of orderings."""
        by: dict[Any, list[float]] = {}
        for r in self.runs:
            value = r.metrics.get(metric)
            if value is not None and not math.isnan(value):
                by.setdefault(r.ordering_seed, []).append(value)
        means = [float(np.mean(v)) for v in by.values()]
        if len(means) < 2:
            return math.nan, math.nan, len(means)
        return float(np.std(means, ddof=1)), float(max(means) - min(means)), len(means)

    def mean_matrix(self) -> np.ndarray:
        shapes = {r.R.shape for r in self.runs if r.R is not None}
        if len(shapes) != 1:
            return np.zeros((0, 0))
        stack = np.stack([r.R for r in self.runs if r.R is not None])
        with warnings.catch_warnings():  # all-NaN cells (never evaluated) stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.asarray(np.nanmean(stack, axis=0))


def group_runs(records: Sequence[RunRecord]) -> list[Group]:
    groups: dict[tuple[str, str, tuple[str, ...]], list[RunRecord]] = {}
    for r in records:
        if r.status == "complete":
            groups.setdefault((r.suite, r.learner, r.variant), []).append(r)
    order = {n: i for i, n in enumerate(LIBERO_AUC)}
    keys = sorted(groups, key=lambda k: (k[0], order.get(k[1], 99), k[1], k[2]))
    sets = [set(k[2]) for k in keys]
    common = frozenset(set.intersection(*sets)) if sets else frozenset()
    return [Group(*k, groups[k], common) for k in keys]


def _pm(mean: float, std: float) -> str:
    return "-" if math.isnan(mean) else f"{mean:.2f} ± {std:.2f}"


def markdown(groups: Sequence[Group], records: Sequence[RunRecord], libero: bool = True) -> str:
    lines = [
        "| suite | learner | runs (orderings) | AUC ↑ | FWT ↑ | NBT ↓ | final success ↑ "
        "| AUC spread across orderings (std / range) |"
        + (" LIBERO AUC |" if libero else "")
        + " min per run |",
        "|---|---|---|---|---|---|---|---|" + ("---|" if libero else "") + "---|",
    ]
    for g in groups:
        cells = [_pm(*g.stat(m)) for m in METRICS]
        sd, rng, n_ord = g.ordering_spread("auc")
        spread = "-" if math.isnan(sd) else f"{sd:.3f} / {rng:.3f}"
        row = f"| {g.suite} | {g.label} | {len(g.runs)} ({n_ord}) | " + " | ".join(cells)
        row += f" | {spread} |"
        if libero:
            ref = LIBERO_AUC.get(g.learner, {}).get(g.suite)
            star = " (success)" if g.learner == "multitask" and ref is not None else ""
            row += f" {ref:.2f}{star} |" if ref is not None else " - |"
        minutes = np.nanmean([r.seconds for r in g.runs]) / 60 if g.runs else math.nan
        row += f" {minutes:.1f} |"
        lines.append(row)
    common = sorted(groups[0].common) if groups else []
    if common:
        lines += ["", "Overrides common to every aggregated run: `" + " ".join(common) + "`"]
    bad = [r for r in records if r.status != "complete"]
    if bad:
        lines += ["", f"Not aggregated ({len(bad)} run(s) crashed, partial or still running):", ""]
        for r in bad:
            lines.append(f"- `{r.path}`: {r.status}" + (f" ({r.note})" if r.note else ""))
    return "\n".join(lines) + "\n"


def plot(groups: Sequence[Group], out: Path, libero: bool = True) -> list[Path]:
    """``heatmaps.png`` (mean R per group) and ``metrics.png`` (bars with std error bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    if not groups:
        return paths
    cols = min(4, len(groups))
    rows = math.ceil(len(groups) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.6 * cols + 0.8, 3.4 * rows), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[len(groups) :]:
        ax.axis("off")
    cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")  # grey: never evaluated
    for ax, g in zip(axes.flat, groups):
        m = g.mean_matrix()
        im = ax.imshow(np.ma.masked_invalid(m), vmin=0, vmax=1, cmap=cmap, aspect="auto")
        if m.size and m.shape[1] <= 10:
            for (i, j), v in np.ndenumerate(m):
                if not math.isnan(v):
                    ax.text(
                        j,
                        i,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if v < 0.6 else "black",
                    )
        ax.set_xticks(range(m.shape[1]), [str(j + 1) for j in range(m.shape[1])])
        ax.set_yticks(range(m.shape[0]), [str(i + 1) for i in range(m.shape[0])])
        ax.set_title(f"{g.suite}: {g.label} ({len(g.runs)} runs)", fontsize=8)
        ax.set_xlabel("task j (position in the ordering)", fontsize=7)
        ax.set_ylabel(
            "after learning task k" if m.shape[0] > 1 else "after learning all", fontsize=7
        )
        ax.tick_params(labelsize=6)
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="success")
    paths.append(out / "heatmaps.png")
    fig.savefig(paths[-1], dpi=130)
    plt.close(fig)

    suites = sorted({g.suite for g in groups})
    labels = list(dict.fromkeys(g.label for g in groups))
    fig, axes = plt.subplots(
        1, len(METRICS), figsize=(4.2 * len(METRICS), 3.6), squeeze=False, layout="constrained"
    )
    width = 0.8 / max(1, len(suites))
    for ax, metric in zip(axes[0], METRICS):
        for si, suite in enumerate(suites):
            xs, means, stds, refs = [], [], [], []
            for li, label in enumerate(labels):
                g = next((g for g in groups if g.suite == suite and g.label == label), None)
                if g is None:
                    continue
                mean, std = g.stat(metric)
                xs.append(li + (si - (len(suites) - 1) / 2) * width)
                means.append(0.0 if math.isnan(mean) else mean)
                stds.append(0.0 if math.isnan(std) else std)
                refs.append(LIBERO_AUC.get(g.learner, {}).get(suite) if metric == "auc" else None)
            ax.bar(xs, means, width, yerr=stds, capsize=3, label=suite)
            pts = [(x, r) for x, r in zip(xs, refs) if r is not None]
            if libero and pts:
                ax.scatter(
                    *zip(*pts),
                    marker="D",
                    s=30,
                    color="crimson",
                    zorder=3,
                    label="LIBERO Table 2" if si == 0 else None,
                )
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
        ax.set_title(metric.upper() if metric != "final_success" else "final success")
        ax.axhline(0, color="grey", lw=0.5)
        if metric == "auc":
            ax.legend(fontsize=7)
    paths.append(out / "metrics.png")
    fig.savefig(paths[-1], dpi=130)
    plt.close(fig)
    return paths


def write_report(
    root: str | Path, out: str | Path | None = None, plots: bool = True, libero: bool = True
) -> dict[str, Any]:
    """Aggregate the runs under ``root`` into ``<out>/report.md``, ``report.json`` and PNGs."""
    from robolearn.errors import ConfigError
    from robolearn.fileio import atomic_write_text

    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"report dir {str(root)!r} is not a folder; pass a sweep folder")
    out = Path(out) if out else root / "report"
    records = find_runs(root)
    if not records:
        raise ConfigError(f"no lifelong runs (results.json) under {root}")
    groups = group_runs(records)
    md = markdown(groups, records, libero)
    summary = {
        "root": str(root),
        "groups": [
            {
                "suite": g.suite,
                "learner": g.learner,
                "variant": list(g.variant),
                "runs": len(g.runs),
                "orderings": sorted({str(r.ordering_seed) for r in g.runs}),
                **{m: dict(zip(("mean", "std"), g.stat(m))) for m in METRICS},
                "auc_ordering_spread": dict(
                    zip(("std", "range", "orderings"), g.ordering_spread("auc"))
                ),
                "mean_R": [
                    [None if math.isnan(v) else v for v in row] for row in g.mean_matrix().tolist()
                ],
                "seconds_per_run": float(np.nanmean([r.seconds for r in g.runs])),
            }
            for g in groups
        ],
        "not_aggregated": [
            {"path": r.path, "status": r.status, "note": r.note}
            for r in records
            if r.status != "complete"
        ],
    }
    atomic_write_text(out / "report.md", md)
    atomic_write_text(out / "report.json", json.dumps(_clean(summary), indent=2) + "\n")
    pngs = plot(groups, out, libero) if plots else []
    return {"markdown": md, "summary": summary, "out": out, "plots": pngs}


def _clean(x: Any) -> Any:
    """NaN -> None, recursively (JSON has no NaN)."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x
