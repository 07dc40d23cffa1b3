"""Dataclass schemas of the robolearn commands' configs.

``SCHEMAS`` maps a ConfigStore entry name to ``(group, dataclass)``; ``register_schemas``
stores them all. A command's primary YAML lists ``<command>_schema`` first in its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DoctorConfig:
    """``robolearn doctor``: check the installation and render one offscreen frame."""

    render: bool = True
    size: int = 64
    camera: str = "agentview"
    timeout_s: float = 300.0
    save_frame: str | None = None
    min_pixel_std: float = 2.0


@dataclass
class RenderSuiteConfig:
    """``robolearn render-suite``: a PNG grid of a suite's first frames and instructions."""

    suite: str = "spatial"
    out: str = "suite_grid.png"
    size: int = 192
    camera: str = "agentview"
    init_state: int = 0
    cols: int = 5


SCHEMAS: dict[str, tuple[str | None, type]] = {
    "doctor_schema": (None, DoctorConfig),
    "render_suite_schema": (None, RenderSuiteConfig),
}
