"""``robolearn train`` as a library call: demos -> dataset -> policy -> fit -> evaluate.

:func:`train_and_evaluate` takes the composed train config (``configs/train.yaml``) and a run
folder. Missing demo files are collected first (cameras follow the policy's image keys), the
train/valid splits become :class:`~robolearn.data.dataset.DemoDataset` s with a normaliser
computed on the train split, the policy is built under ``train.seed``, fitted (resuming from
``<run>/checkpoints/last`` when it exists), and the selected checkpoint is evaluated from the
fixed initial states with videos. Returns the fit and eval results.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from robolearn.errors import ConfigError, DataError

log = logging.getLogger(__name__)
IMAGE_SUFFIX = "_rgb"


@dataclass
class TrainRun:
    run_dir: Path
    fit: Any
    eval: Any | None
    checkpoint: str


def selection_eval_config(fit_cfg: Any, eval_cfg: Any) -> Any:
    """The :class:`~robolearn.evaluation.config.EvalConfig` of the in-training rollouts
    (``train.eval_every``, ``train.select_by=eval_success``): no videos, and with
    ``train.select_offset`` / ``train.select_episodes`` their own fixed initial states
    (:func:`~robolearn.evaluation.config.held_out_config` checks them). Without
    ``select_offset`` the rollouts reuse the evaluation's states, so
    ``select_by=eval_success`` selects on the test rollouts (LIBERO's choice): allowed, and
    logged as such."""
    from robolearn.envs.init_states import N_INIT_STATES
    from robolearn.evaluation.config import held_out_config

    offset, episodes = fit_cfg.select_offset, fit_cfg.select_episodes
    quick = held_out_config(eval_cfg, offset, episodes, N_INIT_STATES, "train")
    if offset is None and fit_cfg.select_by == "eval_success":
        log.warning(
            "train.select_by=eval_success with train.select_offset=null: the kept "
            "checkpoint is chosen on the evaluation's own initial states (the test "
            "rollouts); set train.select_offset=%d to hold states out",
            eval_cfg.init_offset + eval_cfg.episodes_per_task,
        )
    return quick


def task_ids_of(cfg: Any) -> list[str]:
    from robolearn.tasks.suites import get_suite

    if cfg.tasks:
        return list(cfg.tasks)
    if not cfg.suite:
        raise ConfigError("give a suite (suite=object) or a task list (tasks=[...])")
    return list(get_suite(cfg.suite).task_ids)


def cameras_for(obs_keys: list[str]) -> tuple[str, ...]:
    return tuple(k[: -len(IMAGE_SUFFIX)] for k in obs_keys if k.endswith(IMAGE_SUFFIX))


def ensure_demos(task_ids: list[str], data: Any, obs_keys: list[str]) -> list[Path]:
    """The demo file of every task; missing ones are collected if ``data.collect_missing``."""
    from robolearn.data import schema
    from robolearn.data.collect import (
        PERTURB_KEYS,
        CollectSettings,
        check_collected,
        collect,
        is_complete,
        task_path,
    )

    perturb = {k: getattr(data, k) for k in PERTURB_KEYS}
    paths = [task_path(data.root, t) for t in task_ids]
    missing = [t for t, p in zip(task_ids, paths) if not is_complete(p)]
    if missing and not data.collect_missing:
        raise DataError(
            f"no demo file for {missing[:3]} under {data.root}; run `robolearn collect` or "
            "set data.collect_missing=true"
        )
    if missing:
        settings = CollectSettings(
            demos_per_task=data.demos_per_task,
            cameras=cameras_for(obs_keys),
            image_size=data.image_size,
            object_state=True,
            seed=data.seed,
            compression=data.compression,
            **perturb,
        )
        log.info("collecting %d demos for each of %d tasks", data.demos_per_task, len(missing))
        reports = collect(missing, data.root, settings, workers=data.collect_workers)
        for r in reports:
            log.info("%s: %d demos from %d attempts", r.task_id, r.demos, r.attempts)
    for path in paths:
        check_collected(path, perturb)
    if data.perturb > 0 and data.action_key == schema.ACTIONS:
        log.warning(
            "data.perturb=%s with data.action_key=actions trains on the noisy executed actions; "
            "data.action_key=expert_actions learns the expert's corrections (DART)",
            data.perturb,
        )
    return paths


def extra_demo_paths(task_ids: list[str], data: Any) -> dict[str, list[Path]]:
    """Each task's files under ``data.extra_roots`` (never collected here: they must exist,
    e.g. takeover demos); DataError naming a missing one, or one of other experts."""
    from robolearn.data.collect import check_expert_version, is_complete, task_path

    out: dict[str, list[Path]] = {t: [] for t in task_ids}
    for root in data.extra_roots:
        for task_id in task_ids:
            path = task_path(root, task_id)
            if not is_complete(path):
                raise DataError(
                    f"data.extra_roots: no complete demo file {path} for {task_id}; collect it "
                    f"(e.g. `robolearn collect tasks=[{task_id}] out_dir={root} "
                    "takeover=<checkpoint>`) or drop that root"
                )
            check_expert_version(path)
            out[task_id].append(path)
    return out


def build_datasets(paths: list[Path], policy_cfg: Any, data: Any) -> tuple[Any, Any]:
    from robolearn.data.dataset import DemoDataset

    common = {
        "obs_keys": list(policy_cfg.obs_keys),
        "seq_len": policy_cfg.seq_len,
        "frame_stack": policy_cfg.frame_stack,
        "pad_low_dim": True,
        "cache": data.cache,
        "cache_budget_mb": data.cache_budget_mb,
        "action_key": data.action_key,
    }
    train = DemoDataset(paths, split=data.train_split, **common)
    normalizer = train.compute_normalizer()
    train.set_normalizer(normalizer)
    valid = None
    if data.valid_split:
        try:
            valid = DemoDataset(paths, split=data.valid_split, **{**common, "cache": "none"})
            valid.set_normalizer(normalizer)
        except DataError as exc:
            log.warning("no validation split (%s)", exc)
    return train, valid


def instructions(task_ids: list[str]) -> list[str]:
    """Every instruction the policy may meet: canonical and paraphrases (held-out too)."""
    from robolearn.tasks.suites import get_task

    out: list[str] = []
    for task_id in task_ids:
        spec = get_task(task_id)
        out += [spec.language, *spec.paraphrases]
    return out


def train_and_evaluate(cfg: Any, run_dir: str | Path) -> TrainRun:
    from omegaconf import OmegaConf

    from robolearn.data.schema import written_stamps
    from robolearn.evaluation.config import EvalConfig
    from robolearn.evaluation.evaluate import evaluate
    from robolearn.logging.config import LoggerConfig
    from robolearn.logging.loggers import make_logger
    from robolearn.policies import build_policy, config_from_dict
    from robolearn.policies.base import PolicySpec
    from robolearn.policies.io import load_policy
    from robolearn.training.config import FitConfig
    from robolearn.training.fit import fit

    run_dir = Path(run_dir)
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    policy_cfg = config_from_dict(container["policy"])
    fit_cfg = FitConfig(**container["train"])
    eval_cfg = EvalConfig(**container["eval"])
    rollouts_in_training = bool(fit_cfg.eval_every) or fit_cfg.select_by == "eval_success"
    quick = selection_eval_config(fit_cfg, eval_cfg) if rollouts_in_training else None
    tasks = task_ids_of(cfg)
    container["task_ids"] = list(tasks)  # recorded with the checkpoints: a resume checks them
    paths = ensure_demos(tasks, cfg.data, list(policy_cfg.obs_keys))
    paths += [p for extra in extra_demo_paths(tasks, cfg.data).values() for p in extra]
    # and when each demo file was written: a resume refuses files rewritten since
    container["demo_files"] = written_stamps(paths)
    train, valid = build_datasets(paths, policy_cfg, cfg.data)
    log.info("%d train windows (%d demos), %s", len(train), train.num_demos,
             f"{len(valid)} valid windows" if valid is not None else "no valid split")  # fmt: skip
    spec = PolicySpec.from_dataset(train)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(fit_cfg.seed)
        policy = build_policy(policy_cfg, spec, train.normalizer)
    if policy.text is not None:
        policy.text.prime(instructions(tasks))
        policy.fit_language_stats(instructions(tasks))
        policy.text.release()
    logger = make_logger(LoggerConfig(**container["logger"]), run_dir, container)

    def in_training_eval(p: Any, step: int) -> dict[str, float]:
        return evaluate(p, tasks, quick, None, None, step).summary()

    evaluate_fn = in_training_eval if rollouts_in_training else None
    try:
        result = fit(policy, train, fit_cfg, run_dir, logger, evaluate_fn, valid, container)
        eval_result = None
        chosen = result.best if cfg.checkpoint == "best" and result.best else result.last
        if cfg.final_eval:
            device = next(policy.parameters()).device
            final = load_policy(chosen, device=device)
            # rollout-time keys follow this config (a resumed run may evaluate differently)
            final.configure_rollout({k: getattr(policy_cfg, k) for k in final.rollout_keys})
            eval_result = evaluate(
                final, tasks, eval_cfg, run_dir / "eval", logger, result.steps, progress=True
            )
            logger.log_table(
                "eval/per_task",
                ["task", "success", "success_at_end", "progress", "mean_steps"],
                [[t, r["success"], r["success_at_end"], r["progress"], r["mean_steps"]]
                 for t, r in eval_result.per_task().items()],
            )  # fmt: skip
    finally:
        logger.finish()
    return TrainRun(run_dir, result, eval_result, chosen)
