"""Look at a suite: a PNG grid of each task's first frame with its instruction."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import numpy as np

from robolearn.envs.env import RobolearnEnv
from robolearn.tasks.suites import get_suite

log = logging.getLogger(__name__)


def first_frames(
    suite: str, size: int, camera: str, init_state: int
) -> list[tuple[str, np.ndarray]]:
    """(instruction, frame) for every task of ``suite``, from fixed initial state ``init_state``."""
    out = []
    for task in get_suite(suite).tasks:
        env = RobolearnEnv(task, obs={"cameras": (), "render_size": size, "render_camera": camera})
        try:
            env.reset(options={"init_state": init_state})
            frame = env.render()
            assert frame is not None
            out.append((task.language, frame))
            log.info("rendered %s", task.task_id)
        finally:
            env.close()
    return out


def render_suite_grid(
    suite: str,
    out: str | Path,
    size: int = 192,
    camera: str = "agentview",
    init_state: int = 0,
    cols: int = 5,
) -> Path:
    """Save a grid of first frames with instructions as PNG; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = first_frames(suite, size, camera, init_state)
    rows = -(-len(frames) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.6, rows * 3.1), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (language, frame) in zip(axes.flat, frames):
        ax.imshow(frame)
        ax.set_title("\n".join(textwrap.wrap(language, 30)), fontsize=7)
    fig.suptitle(f"suite {suite!r}: {camera}, initial state {init_state}", fontsize=10)
    fig.tight_layout()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
