"""Importing robosuite quietly, choosing the rendering backend, and guarding GL contexts."""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import cache
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


@cache
def prepare_gl_context() -> None:
    """Load triton's LLVM before the first Mesa GL context in this process; once.

    Mesa's software rasteriser (llvmpipe) and triton (which torch imports lazily, through
    torch._dynamo, torchvision or open_clip) each bring their own LLVM. If Mesa's is loaded
    first, importing triton afterwards segfaults the process (seen with mujoco 3.9, Mesa on
    Debian 12, triton 3.x). Loading triton first is safe, so every robolearn renderer calls
    this before creating its context. Costs ~0.5 s once; nothing when triton is absent.
    """
    if importlib.util.find_spec("triton") is None:
        return
    try:
        import triton  # noqa: F401
    except Exception:  # a broken triton must not stop rendering
        logging.getLogger(__name__).debug("triton preload failed", exc_info=True)
