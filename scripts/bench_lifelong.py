"""Benchmark the lifelong protocol: a sweep of learners x orderings, aggregated beside LIBERO.

    .venv/bin/python scripts/bench_lifelong.py [--suite object] [--learners seql,er,ewc,packnet]
        [--orderings 0,1,2] [--jobs 1] [--sweep DIR] [--report-only] [key=value ...]

1. Collects the suite's low-dim demos if missing (one process, before any job starts).
2. Runs ``robolearn lifelong -m lifelong=<learners> ordering.seed=<orderings> suite=<suite>
   hydra/launcher=joblib hydra.launcher.n_jobs=<jobs> hydra.sweep.dir=<sweep> [overrides]``
   (the default scale of ``configs/lifelong.yaml`` unless overridden). The sweep folder is
   fixed, so rerunning the script resumes: finished runs are skipped, a crashed one resumes.
3. Aggregates with :func:`robolearn.lifelong.report.write_report` and writes
   ``docs/bench_lifelong.json`` + ``docs/bench_lifelong.md`` (our table beside LIBERO's
   Table 2 AUC, the scale, the time per run) and ``lifelong_{heatmaps,metrics}.png`` beside
   the markdown (named after ``--md``: ``bench_lifelong_spatial.md`` gets
   ``lifelong_spatial_heatmaps.png``; ``--out``/``--md`` elsewhere leave the docs untouched).

``--report-only`` skips 1-2 and aggregates whatever the sweep folder holds (partial runs are
named, not averaged).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DEFAULT_OUT = str(DOCS / "bench_lifelong.json")
DEFAULT_MD = str(DOCS / "bench_lifelong.md")


def compose_sweep(args: argparse.Namespace) -> Any:
    """The sweep's config, composed with its first learner so that learner-specific
    overrides (``lifelong.finetune_epochs=50``) resolve."""
    from robolearn.config import compose

    learner = args.learners.split(",")[0]
    return compose("lifelong", [f"suite={args.suite}", f"lifelong={learner}", *args.overrides])


def episodes_note(episodes: int) -> str:
    from robolearn.config import compose

    default = int(compose("lifelong").eval.episodes_per_task)
    return "the default" if episodes == default else f"the default is {default}"


def selection_note(select_by: str, held_out: tuple[int, int] | None = None) -> str:
    """How the kept checkpoint of each task was chosen, for the report's scale sentence;
    ``held_out``: the first and last fixed state of ``success``'s own selection rollouts."""
    if select_by == "last":
        return "the kept checkpoint is the last epoch's (`last`), never chosen on the test rollouts"
    if select_by == "success" and held_out is not None:
        return (
            f"the kept checkpoint is chosen by `success` of separate rollouts from the held-out "
            f"fixed states {held_out[0]}..{held_out[1]}, never on the test rollouts"
        )
    if select_by == "success":
        return "the kept checkpoint is chosen by `success`: on the test rollouts, as LIBERO does"
    return f"the kept checkpoint is chosen by `{select_by}` on held-out demos, never on the test rollouts"


def held_out_states(cfg: dict) -> tuple[int, int] | None:
    """The first and last fixed state of the selection rollouts (None: the test rollouts)."""
    offset = cfg["protocol"].get("select_offset")
    if offset is None:
        return None
    episodes = cfg["protocol"].get("select_episodes") or cfg["eval"]["episodes_per_task"]
    return (offset, offset + episodes - 1)


def collect_demos(args: argparse.Namespace) -> None:
    from robolearn.lifelong.ordering import make_ordering
    from robolearn.tasks.suites import get_suite
    from robolearn.training.pipeline import ensure_demos

    cfg = compose_sweep(args)
    tasks = make_ordering(get_suite(args.suite).task_ids, None)
    ensure_demos(tasks, cfg.data, list(cfg.policy.obs_keys))


def run_sweep(args: argparse.Namespace, sweep: Path) -> float:
    cmd = [
        sys.executable, "-m", "robolearn.cli.main", "lifelong", "-m",
        f"lifelong={args.learners}", f"ordering.seed={args.orderings}", f"suite={args.suite}",
        "hydra/launcher=joblib", f"hydra.launcher.n_jobs={args.jobs}",
        f"hydra.sweep.dir={sweep}", *args.overrides,
    ]  # fmt: skip
    print("running:", " ".join(cmd[2:]), flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=False)  # crashed runs are reported, not fatal
    return time.perf_counter() - start


def reproduce_command(args: argparse.Namespace) -> str:
    """The shell command that reruns (or extends) this benchmark: its sweep folder and output
    files where they are not the defaults, every argument quoted for the shell."""
    argv = [".venv/bin/python", "scripts/bench_lifelong.py", "--suite", args.suite, "--learners",
            args.learners, "--orderings", args.orderings, "--jobs", str(args.jobs)]  # fmt: skip
    defaults = {"--sweep": None, "--out": DEFAULT_OUT, "--md": DEFAULT_MD}
    for flag, value in (("--sweep", args.sweep), ("--out", args.out), ("--md", args.md)):
        if value and str(value) != str(defaults[flag]):
            argv += [flag, str(value)]
    return shlex.join([*argv, *args.overrides])


def plot_name(args: argparse.Namespace, kind: str) -> str:
    """``lifelong_<kind>.png`` beside ``bench_lifelong.md``; ``lifelong_spatial_<kind>.png``
    beside ``bench_lifelong_spatial.md`` (one report per suite, none overwrites another)."""
    return f"{Path(args.md).stem.removeprefix('bench_')}_{kind}.png"


def markdown(args: argparse.Namespace, report: dict[str, Any], meta: dict[str, Any]) -> str:
    s = meta["scale"]
    groups = report["summary"]["groups"]
    runs = "; ".join(
        f"{g['learner']} x{g['runs']} (ordering seeds {', '.join(g['orderings'])})" for g in groups
    )
    total = sum(g["runs"] * (g["seconds_per_run"] or 0.0) for g in groups) / 60
    wall = (
        f"This invocation's sweep took {meta['sweep_seconds'] / 60:.1f} min wall time "
        f"({args.jobs} job(s) at a time). "
        if meta["sweep_seconds"]
        else ""
    )
    lines = [
        "# Lifelong benchmark (scripts/bench_lifelong.py)",
        "",
        f"{meta['date']}, {meta['cpus']} CPUs, {meta['platform']}.",
        "",
        f"**Scale.** Suite `{args.suite}`, {s['tasks']} tasks per ordering. Runs: {runs}; model "
        f"seed 0. Per task: {s['epochs']} epochs of batch {s['batch_size']} on "
        f"{s['demos_per_task']} scripted demos (90% train, 10% valid); policy `{s['policy']}` "
        f"{s['hidden']} with a {s['head']} head on low-dim observations; rollouts with "
        f"{s['episodes']} episodes per task evaluation ({episodes_note(s['episodes'])}), up to "
        f"the task horizon, at epoch 0 and every {s['eval_every']} epochs (FWT) "
        f"and after each task on every seen task; {selection_note(s['select_by'], s.get('held_out'))}. LIBERO: 50 "
        "epochs, 20 episodes, ResNet-T on images, human demos, 3 seeds.",
        "",
        f"{wall}Total run time of the aggregated runs: {total:.0f} min on one core each.",
        "",
        report["markdown"].rstrip(),
        "",
        "AUC, FWT, NBT and final success: mean ± sample std over runs (orderings x seeds). "
        "AUC spread: std and range across orderings of the per-ordering mean AUC (ordering "
        "sensitivity). LIBERO AUC: Table 2 of Liu et al. 2023 (ResNet-T); its multitask row is "
        "a success rate, compared with our multitask final success.",
        "",
        f"![success matrices]({plot_name(args, 'heatmaps')})",
        "",
        f"![metrics]({plot_name(args, 'metrics')})",
        "",
        "Reproduce (or extend: rerunning with more orderings skips finished runs):",
        "",
        "```bash",
        meta["command"],
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="object")
    parser.add_argument("--learners", default="seql,er,ewc,packnet")
    parser.add_argument("--orderings", default="0,1,2")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--sweep", default=None, help="default multirun/bench_lifelong/<suite>")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--md", default=DEFAULT_MD)
    parser.add_argument("overrides", nargs="*", help="extra `robolearn lifelong` overrides")
    args = parser.parse_args()
    sweep = Path(args.sweep or ROOT / "multirun" / "bench_lifelong" / args.suite)

    from robolearn.config import to_dict
    from robolearn.config.runs import git_commit
    from robolearn.fileio import atomic_write_text
    from robolearn.lifelong.report import LIBERO_AUC, write_report
    from robolearn.logging import setup_logging

    setup_logging("WARNING")
    seconds = 0.0
    if not args.report_only:
        collect_demos(args)
        seconds = run_sweep(args, sweep)
    report = write_report(sweep)
    cfg = to_dict(compose_sweep(args))
    scale = {
        "tasks": cfg["ordering"]["limit"] or 10,
        "epochs": cfg["train"]["epochs"],
        "batch_size": cfg["train"]["batch_size"],
        "demos_per_task": cfg["data"]["demos_per_task"],
        "policy": cfg["policy"]["name"],
        "hidden": cfg["policy"]["hidden"],
        "head": cfg["policy"]["head"]["kind"],
        "episodes": cfg["eval"]["episodes_per_task"],
        "eval_every": cfg["protocol"]["eval_every"],
        "select_by": cfg["protocol"]["select_by"],
        "held_out": held_out_states(cfg),
    }
    command = reproduce_command(args)
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "git": git_commit(ROOT),
        "scale": scale,
        "sweep": str(sweep),
        "sweep_seconds": seconds,
        "command": command,
        "libero_table2_auc": LIBERO_AUC,
    }
    for name in ("heatmaps", "metrics"):
        src = report["out"] / f"{name}.png"
        if src.exists():
            shutil.copyfile(src, Path(args.md).parent / plot_name(args, name))
    atomic_write_text(Path(args.out), json.dumps({**meta, "report": report["summary"]}, indent=2))
    atomic_write_text(Path(args.md), markdown(args, report, meta))
    print(report["markdown"])
    print(f"wrote {args.out} and {args.md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
