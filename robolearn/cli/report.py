"""``robolearn report <sweep dir> [key=value ...]``: aggregate lifelong runs into a markdown
table (mean +- std, spread across orderings) and PNG plots, in ``<dir>/report``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: {prog} <dir> [out=FOLDER] [plots=true|false] [libero=true|false]

Aggregates every lifelong run (results.json) under <dir> into <out>/report.md, report.json,
heatmaps.png and metrics.png (out defaults to <dir>/report). Options are configs/report.yaml.
"""


def main(argv: Sequence[str], prog: str = "robolearn report") -> int:
    args = list(argv)
    if any(a in ("-h", "--help") for a in args):
        print(USAGE.format(prog=prog))
        return 0
    overrides = [a if "=" in a else f"dir={a}" for a in args]

    from robolearn.config import compose, to_dict
    from robolearn.errors import RobolearnError
    from robolearn.lifelong.report import write_report
    from robolearn.logging import setup_logging

    setup_logging()
    try:
        cfg = to_dict(compose("report", overrides))
        result = write_report(cfg["dir"], cfg["out"], cfg["plots"], cfg["libero"])
    except RobolearnError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    print(result["markdown"])
    print(f"report: {result['out']}/report.md")
    for path in result["plots"]:
        print(f"plot: {path}")
    return 0
