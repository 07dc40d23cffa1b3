"""Importing robosuite quietly and choosing the rendering backend."""

from __future__ import annotations

import logging
import os
from types import ModuleType

_NOISY_LOGGERS = ("robosuite_logs", "OpenGL.acceleratesupport")


class _BelowErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


def quiet_sim_loggers() -> None:
    """Drop robosuite's and PyOpenGL's import-time chatter below ERROR.

    Set ``ROBOLEARN_ROBOSUITE_LOG=1`` to keep them.
    """
    if os.environ.get("ROBOLEARN_ROBOSUITE_LOG"):
        return
    for name in _NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _BelowErrorFilter) for f in logger.filters):
            logger.addFilter(_BelowErrorFilter())


def import_robosuite() -> ModuleType:
    """Import robosuite quietly, with the headless EGL backend unless one is chosen."""
    quiet_sim_loggers()
    os.environ.setdefault("MUJOCO_GL", "egl")
    if os.environ["MUJOCO_GL"] == "egl":
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    import robosuite

    return robosuite
