"""``robolearn eval checkpoint=<run>/checkpoints/best suite=object``: table, videos, eval_info.

``'ensemble=[<run B>,<run C>]'`` evaluates the checkpoints together as one policy
(:mod:`robolearn.policies.ensemble`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def resolve_checkpoint(path: str) -> Path:
    """A checkpoint folder, or a run folder (its checkpoints/best, else checkpoints/last)."""
    folder = Path(path)
    for candidate in (folder, folder / "checkpoints" / "best", folder / "checkpoints" / "last"):
        if (candidate / "policy.json").is_file():
            return candidate
    return folder  # load_policy raises the typed error naming what is missing


def load_checkpoints(cfg: Any) -> Any:
    """``cfg.checkpoint`` as a policy, or with ``cfg.ensemble`` the ensemble of all of them."""
    from robolearn.policies.ensemble import check_reduce, load_ensemble
    from robolearn.policies.io import load_policy
    from robolearn.training.fit import resolve_device

    check_reduce(cfg.ensemble_reduce)  # refused by name with or without an ensemble
    device = resolve_device(cfg.device)
    if not cfg.ensemble:
        return load_policy(resolve_checkpoint(cfg.checkpoint), device)
    folders = [resolve_checkpoint(p) for p in [cfg.checkpoint, *cfg.ensemble]]
    return load_ensemble(folders, device, cfg.ensemble_reduce)


def run(cfg: Any) -> int:
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from robolearn.evaluation.config import EvalConfig
    from robolearn.evaluation.evaluate import evaluate
    from robolearn.logging.config import LoggerConfig
    from robolearn.logging.loggers import make_logger
    from robolearn.training.pipeline import task_ids_of

    out = Path(HydraConfig.get().runtime.output_dir)
    policy = load_checkpoints(cfg)
    container = OmegaConf.to_container(cfg, resolve=True)
    policy.configure_rollout(container["rollout"])
    logger = make_logger(LoggerConfig(**container["logger"]), out, container)
    try:
        result = evaluate(
            policy, task_ids_of(cfg), EvalConfig(**container["eval"]), out, logger, progress=True
        )
    finally:
        logger.finish()
    print(f"\n{result.table()}\n")
    for suite, path in result.videos.items():
        print(f"grid video ({suite}): {path}")
    print(f"eval_info.json: {out / 'eval_info.json'}")
    return 0
