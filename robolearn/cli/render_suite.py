"""``robolearn render-suite suite=spatial out=spatial.png``: a PNG grid of a suite."""

from __future__ import annotations

from typing import Any

from robolearn.envs.preview import render_suite_grid


def run(cfg: Any) -> int:
    path = render_suite_grid(cfg.suite, cfg.out, cfg.size, cfg.camera, cfg.init_state, cfg.cols)
    print(f"wrote {path}")
    return 0
