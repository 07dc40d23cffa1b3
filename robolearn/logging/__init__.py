"""Logging for robolearn.

:func:`setup_logging` configures the standard library's ``logging`` once for command-line
use. Library code only ever calls ``logging.getLogger(__name__)``. Experiment loggers
(wandb, jsonl, console) will live in this package too.
"""

from __future__ import annotations

import logging
import os
import sys

_FORMAT = "%(asctime)s %(levelname).1s %(name)s: %(message)s"


def setup_logging(level: int | str | None = None) -> None:
    """Send robolearn's log records to stderr at ``level`` (env ``ROBOLEARN_LOG`` or INFO)."""
    level = level or os.environ.get("ROBOLEARN_LOG", "INFO")
    if isinstance(level, str):
        level = level.upper()
    root = logging.getLogger("robolearn")
    root.setLevel(level)
    if not any(getattr(h, "_robolearn", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
        handler._robolearn = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.propagate = False


__all__ = ["setup_logging"]
