"""Dataclass schemas of the robolearn commands' configs.

``SCHEMAS`` maps a ConfigStore entry name to ``(group, dataclass)``; ``register_schemas``
stores them all. A command's primary YAML lists ``<command>_schema`` first in its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from robolearn.evaluation.config import EvalConfig
from robolearn.lifelong.config import (
    LEARNER_CONFIGS,
    LifelongTrainConfig,
    OrderingConfig,
    ProtocolConfig,
)
from robolearn.logging.config import LoggerConfig
from robolearn.policies.configs import CONFIGS as POLICY_CONFIGS
from robolearn.training.config import FitConfig


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
    compression: str | None = "gzip"
    max_attempts_factor: float = 2.0
    valid_fraction: float = 0.1
    perturb: float = 0.0  # DART noise on executed actions (std, action units); 0: off
    perturb_rho: float = 0.9
    perturb_scope: str = "all"  # all | transit | reach | drop
    miss: float = 0.0  # recovery demos: probability a pick's first attempt misses on purpose
    drop_miss: float = 0.0  # ... and a drop into a snug opening is let go beside it
    takeover: str | None = None  # takeover demos: a policy checkpoint drives first (DAgger-style)
    takeover_steps: list[int] = field(default_factory=lambda: [10, 120])  # its steps, [lo, hi]
    progress: bool = True


@dataclass
class DataConfig:
    """Where training demos come from; missing files are collected first (if allowed)."""

    root: str = "demos"  # files are <root>/<suite>/<task>.hdf5
    collect_missing: bool = True  # run the scripted experts for tasks without a file
    demos_per_task: int = 50
    collect_workers: int = 2
    image_size: int = 128  # camera size when collecting for an image policy
    compression: str | None = "gzip"
    seed: int = 0  # collection seed
    perturb: float = 0.0  # collect with DART noise (std on executed actions); 0: off
    perturb_rho: float = 0.9
    perturb_scope: str = "all"  # all | transit | reach | drop (configs/collect.yaml)
    miss: float = 0.0  # recovery demos: probability a pick's first attempt misses on purpose
    drop_miss: float = 0.0  # ... and a drop into a snug opening is let go beside it
    action_key: str = "actions"  # actions (executed) | expert_actions (a DART demo's labels)
    # more folders of demos of the same tasks (<extra>/<suite>/<task>.hdf5, e.g. takeover
    # demos from `robolearn collect takeover=<checkpoint>`), learned from alongside root's
    extra_roots: list[str] = field(default_factory=list)
    train_split: str | None = "train"  # mask of the demos to train on (null: all)
    valid_split: str | None = "valid"  # mask for the validation loss (null: none)
    cache: str = "low_dim"  # none | low_dim | all
    cache_budget_mb: float = 4096.0


@dataclass
class TrainConfig:
    """``robolearn train``: demos -> fit -> evaluate -> videos and a success table."""

    suite: str | None = "object"
    tasks: list[str] = field(default_factory=list)  # task ids (override the suite)
    policy: Any = MISSING  # a configs/policy/<name>.yaml, checked by its own schema
    data: DataConfig = field(default_factory=DataConfig)
    train: FitConfig = field(default_factory=FitConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    final_eval: bool = True  # evaluate the selected checkpoint after training
    checkpoint: str = "best"  # best | last: which one the final evaluation uses


@dataclass
class EvalCommandConfig:
    """``robolearn eval``: a checkpoint on a suite or task list -> table, videos, eval_info."""

    checkpoint: str = MISSING  # a checkpoint folder (<run>/checkpoints/best) or a run folder
    # more checkpoints acting with it as one policy (robolearn.policies.ensemble): the mean
    # (or median) of their actions, a majority vote on a binary gripper
    ensemble: list[str] = field(default_factory=list)
    ensemble_reduce: str = "mean"  # mean | median
    suite: str | None = "object"
    tasks: list[str] = field(default_factory=list)
    eval: EvalConfig = field(default_factory=EvalConfig)
    # rollout-time policy keys that replace the checkpoint's (bc_mlp: execute, temporal_ensemble)
    rollout: dict[str, Any] = field(default_factory=dict)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    device: str = "auto"


@dataclass
class RenderConfig:
    """``robolearn render``: a video of a checkpoint on one task."""

    checkpoint: str = MISSING
    ensemble: list[str] = field(default_factory=list)  # as robolearn eval's
    ensemble_reduce: str = "mean"
    task: str = MISSING
    out: str = "rollout.mp4"
    episodes: int = 1  # tiled side by side when > 1
    init_state: int = 0
    size: int = 256
    camera: str = "agentview"
    max_steps: int | None = None
    device: str = "auto"


@dataclass
class LifelongConfig:
    """``robolearn lifelong``: learn a suite's tasks in order, evaluate, write R and metrics."""

    suite: str = "object"
    seed: int = 0  # model init, batch order, replay draws
    ordering: OrderingConfig = field(default_factory=OrderingConfig)
    lifelong: Any = MISSING  # a configs/lifelong/<name>.yaml, checked by its own schema
    policy: Any = MISSING  # a configs/policy/<name>.yaml, checked by its own schema
    data: DataConfig = field(default_factory=DataConfig)
    train: LifelongTrainConfig = field(default_factory=LifelongTrainConfig)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    resume: bool = True  # continue from <run>/state when it exists


@dataclass
class ReportConfig:
    """``robolearn report <dir>``: aggregate lifelong runs into a table and plots."""

    dir: str = "multirun/lifelong"  # a sweep folder (searched recursively for results.json)
    out: str | None = None  # default: <dir>/report
    plots: bool = True
    libero: bool = True  # show LIBERO's Table 2 AUC beside ours


SCHEMAS: dict[str, tuple[str | None, type]] = {
    "collect_schema": (None, CollectConfig),
    "doctor_schema": (None, DoctorConfig),
    "eval_schema": (None, EvalCommandConfig),
    "render_schema": (None, RenderConfig),
    "render_suite_schema": (None, RenderSuiteConfig),
    "train_schema": (None, TrainConfig),
    **{f"{name}_schema": ("policy", cls) for name, cls in POLICY_CONFIGS.items()},
    "lifelong_schema": (None, LifelongConfig),
    "report_schema": (None, ReportConfig),
    **{f"{name}_schema": ("lifelong", cls) for name, cls in LEARNER_CONFIGS.items()},
}
