"""``robolearn collect suite=spatial demos_per_task=50 workers=2``."""

from __future__ import annotations

from typing import Any

from robolearn.data.collect import CollectSettings, collect
from robolearn.tasks.suites import get_suite


def run(cfg: Any) -> int:
    task_ids = list(cfg.tasks) or get_suite(cfg.suite).task_ids
    settings = CollectSettings(
        demos_per_task=cfg.demos_per_task,
        cameras=tuple(cfg.cameras),
        image_size=cfg.image_size,
        depth=cfg.depth,
        object_state=cfg.object_state,
        seed=cfg.seed,
        max_attempts_factor=cfg.max_attempts_factor,
        compression=cfg.compression,
        valid_fraction=cfg.valid_fraction,
        perturb=cfg.perturb,
        perturb_rho=cfg.perturb_rho,
        perturb_scope=cfg.perturb_scope,
        miss=cfg.miss,
        drop_miss=cfg.drop_miss,
        takeover=cfg.takeover,
        takeover_steps=tuple(cfg.takeover_steps),
    )
    reports = collect(task_ids, cfg.out_dir, settings, cfg.workers, cfg.progress)
    width = max(len(r.task_id) for r in reports)
    print(f"\n{'task':<{width}}  demos  attempts  success  mean len  seconds")
    for r in reports:
        if r.skipped:
            print(f"{r.task_id:<{width}}  (complete file kept: {r.path})")
            continue
        print(
            f"{r.task_id:<{width}}  {r.demos:>5}  {r.attempts:>8}  {r.success_rate:>7.0%}  "
            f"{r.mean_length:>8.1f}  {r.seconds:>7.1f}"
        )
    if cfg.takeover:
        alone = sum(r.driver_solved for r in reports)
        print(
            f"\ntakeover: the policy solved {alone} attempt(s) alone (nothing to learn: not kept)"
        )
    short = [r for r in reports if not r.skipped and r.demos < cfg.demos_per_task]
    if short:
        print(
            f"\n{len(short)} task(s) got fewer than {cfg.demos_per_task} demos: "
            + ", ".join(r.task_id for r in short)
        )
        return 1
    return 0
