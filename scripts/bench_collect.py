"""Collection speed: demos per minute per core, with and without rendering.

    python scripts/bench_collect.py [--demos 5] [--out docs/bench_collect.json]

One worker process (one core) collects the same tasks twice in one run: once without
cameras (privileged low-dim state only) and once with agentview + wrist at 128x128.
Target: >= 20 demos/min/core without rendering.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from robolearn.data.collect import CollectSettings, collect
from robolearn.fileio import atomic_write_text
from robolearn.tasks.suites import get_suite
from robolearn.versions import versions

TASKS = [("spatial", 0), ("object", 0), ("goal", 3)]


def run(demos: int, cameras: tuple[str, ...], seed: int) -> dict:
    settings = CollectSettings(demos_per_task=demos, cameras=cameras, image_size=128, seed=seed)
    task_ids = [get_suite(s).tasks[i].task_id for s, i in TASKS]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        reports = collect(task_ids, out, settings, workers=1, show_progress=False)
        seconds = time.perf_counter() - start
    kept = sum(r.demos for r in reports)
    return {
        "cameras": list(cameras),
        "demos": kept,
        "attempts": sum(r.attempts for r in reports),
        "seconds": round(seconds, 2),
        "demos_per_min_per_core": round(60 * kept / seconds, 2),
        "per_task": {
            r.task_id: {
                "demos": r.demos,
                "attempts": r.attempts,
                "mean_length": r.mean_length,
                "seconds": round(r.seconds, 2),
            }
            for r in reports
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demos", type=int, default=5, help="demos per task")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/bench_collect.json")
    args = parser.parse_args()
    results = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), **versions()},
        "no_render": run(args.demos, (), args.seed),
        "render_2cams_128": run(args.demos, ("agentview", "wrist"), args.seed),
        "target_no_render_demos_per_min_per_core": 20,
    }
    results["pass"] = results["no_render"]["demos_per_min_per_core"] >= 20
    atomic_write_text(Path(args.out), json.dumps(results, indent=2) + "\n")
    for key in ("no_render", "render_2cams_128"):
        r = results[key]
        print(
            f"{key}: {r['demos']} demos in {r['seconds']} s = "
            f"{r['demos_per_min_per_core']} demos/min/core"
        )


if __name__ == "__main__":
    main()
