"""Dataclass schemas of the robolearn commands' configs.

``SCHEMAS`` maps a ConfigStore entry name to ``(group, dataclass)``; ``register_schemas``
stores them all. A command's primary YAML lists ``<command>_schema`` first in its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class CollectConfig:
    """``robolearn collect``: scripted-expert demonstrations into ``<out_dir>/<suite>/<task>.hdf5``."""

    suite: str | None = "spatial"  # a suite name; or null and list `tasks`
    tasks: list[str] = field(default_factory=list)  # task ids (override the suite)
    demos_per_task: int = 50
    cameras: list[str] = field(default_factory=lambda: ["agentview", "wrist"])
    image_size: int = 128
    depth: bool = False
    object_state: bool = True
    workers: int = 1
    seed: int = 0
    out_dir: str = "demos"
    compression: str | None = "lzf"
    max_attempts_factor: float = 2.0
    valid_fraction: float = 0.1
    progress: bool = True


SCHEMAS: dict[str, tuple[str | None, type]] = {
    "collect_schema": (None, CollectConfig),
    "doctor_schema": (None, DoctorConfig),
    "render_suite_schema": (None, RenderSuiteConfig),
}
