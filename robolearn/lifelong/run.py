"""``robolearn lifelong`` as a library call, and the check that lets a rerun skip a finished run.

Usage::

    from robolearn.config import compose
    results = run_lifelong(compose("lifelong", ["lifelong=er", "ordering.seed=1"]), "runs/er-1")
    results.metrics()["auc"]
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from robolearn.lifelong.metrics import ResultMatrix
from robolearn.lifelong.ordering import make_ordering

log = logging.getLogger(__name__)


def finished_run(cfg: dict[str, Any], run_dir: str | Path) -> ResultMatrix | None:
    """The results of ``run_dir`` when it holds this config's run, finished (a rerun of a sweep
    skips it without loading any data); CheckpointError when that run learned from demo files
    written again since (its results are not those of the files there now)."""
    from robolearn.data.schema import written_stamps
    from robolearn.tasks.suites import get_suite
    from robolearn.training.checkpoint import check_same_demos

    path = Path(run_dir) / "results.json"
    if not cfg.get("resume", True) or not path.is_file():
        return None
    try:
        done = ResultMatrix.load(path)
        saved = json.loads(path.read_text())
    except (OSError, ValueError, KeyError):
        return None
    order = cfg["ordering"]
    tasks = make_ordering(
        get_suite(cfg["suite"]).task_ids, order["seed"], order["tasks"], order["limit"]
    )
    if not (
        done.complete and done.tasks == tasks and saved.get("learner") == cfg["lifelong"]["name"]
    ):
        return None
    recorded = saved.get("demo_files") or {}  # the same paths as they are now: rewritten?
    check_same_demos(run_dir, recorded, written_stamps(recorded))
    return done


def run_lifelong(
    cfg: Any,
    run_dir: str | Path,
    evaluate_fn: Any = None,
    max_epochs: int | None = None,
    overrides: list[str] | None = None,
) -> ResultMatrix:
    """``robolearn lifelong`` as a library call: the composed config (``configs/lifelong.yaml``)
    and a run folder -> the result matrix (also in ``<run_dir>/results.json``)."""
    from omegaconf import DictConfig, OmegaConf

    from robolearn.logging.config import LoggerConfig
    from robolearn.logging.loggers import make_logger

    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    assert isinstance(container, dict)
    container = {str(k): v for k, v in container.items()}
    if overrides is not None:
        container["overrides"] = list(overrides)
    done = finished_run(container, run_dir)
    if done is not None:
        log.info("%s holds the finished run; nothing to do (resume=false starts over)", run_dir)
        return done
    logger = make_logger(LoggerConfig(**container["logger"]), run_dir, container)
    try:
        from robolearn.lifelong.protocol import LifelongRun

        run = LifelongRun(container, run_dir, evaluate_fn, logger)
        return run.run(max_epochs)
    finally:
        logger.finish()
