"""The fit loop's config (pure dataclass; a Hydra structured config under ``train:``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FitConfig:
    steps: int = 20000  # optimiser steps
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 500
    min_lr_ratio: float = 0.1  # cosine decays to lr * min_lr_ratio
    grad_clip: float = 1.0  # max global grad norm (0: off)
    ema: float = 0.0  # EMA decay of the weights used for eval and checkpoints (0: off)
    amp: bool = True  # bfloat16 autocast on CUDA (ignored on CPU)
    device: str = "auto"  # auto | cpu | cuda | cuda:1
    seed: int = 0
    num_workers: int = 0  # DataLoader worker processes
    log_every: int = 100
    ckpt_every: int = 1000  # save checkpoints/last every this many steps (and at the end)
    eval_every: int = 0  # run the eval callback every this many steps (0: only at the end)
    select_by: str = "eval_success"  # checkpoints/best by: eval_success | valid_loss | none
    # In-training rollouts (eval_every, select_by=eval_success) start from fixed initial
    # states select_offset, select_offset + 1, ... (None: the evaluation's own states, so
    # eval_success selects on the test rollouts); select_episodes per task (None: as eval).
    select_offset: int | None = None
    select_episodes: int | None = None
    resume: bool = True  # continue from <run>/checkpoints/last when it exists
    progress: bool = True  # tqdm progress bar
    threads: int = 0  # torch intra-op threads on CPU (0: torch's default)
