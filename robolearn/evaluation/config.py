"""The evaluation config (pure dataclass; a Hydra structured config under ``eval:``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EvalConfig:
    episodes_per_task: int = 20  # from fixed initial states init_offset, init_offset + 1, ...
    init_offset: int = 0
    # start instead from the initial states of demos init_offset, ... of mask init_split of
    # <init_demos>/<suite>/<task>.hdf5 (robolearn/evaluation/inits.py)
    init_demos: str | None = None
    init_split: str = "train"
    max_steps: int | None = None  # per episode (default: the task's horizon)
    success_hold: int = 10  # an episode ends once success has held this many steps
    num_envs: int = 10  # parallel env slots (the policy acts on all of them in one batch)
    workers: int = 2  # worker processes hosting the slots (0: all in this process)
    worker_timeout_s: float = 300.0  # a worker silent this long is restarted
    videos_per_task: int = 1  # record the first k episodes of every task
    video_size: int = 256
    video_camera: str = "agentview"
    grid_video: bool = True  # one grid video per suite of every task's first episode
    grid_tile: int = 160  # tile height in the grid video
    seed: int = 0
