"""Experiment loggers: one protocol, three back ends (console, jsonl, wandb), and a fan-out.

``log(metrics, step)`` records scalars; ``log_video(path, key, step)`` a video file already
written to disk (wandb uploads the mp4 as it is: no moviepy); ``log_table`` a small table;
``finish()`` closes. :func:`make_logger` builds them from a :class:`LoggerConfig`. wandb's
``mode`` is ``online``, ``offline`` (files under the run folder, sync later) or ``disabled``;
its run id is kept so a resumed run continues the same wandb run.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any, Protocol

from robolearn.logging.config import LoggerConfig

log = logging.getLogger(__name__)


class Logger(Protocol):
    def log(self, metrics: dict[str, float], step: int) -> None: ...
    def log_video(self, path: str | Path, key: str, step: int) -> None: ...
    def log_table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None: ...
    def finish(self) -> None: ...


class ConsoleLogger:
    """Scalars through ``logging`` (every call; the fit loop decides how often)."""

    def log(self, metrics: dict[str, float], step: int) -> None:
        text = " ".join(f"{k}={_fmt(v)}" for k, v in metrics.items())
        log.info("step %d %s", step, text)

    def log_video(self, path: str | Path, key: str, step: int) -> None:
        log.info("video %s: %s", key, path)

    def log_table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None:
        log.info("table %s: %d rows", key, len(rows))

    def finish(self) -> None:
        pass


class JsonlLogger:
    """Appends one JSON object per call to ``<run>/metrics.jsonl``."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / "metrics.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a")

    def _write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record) + "\n")
        self._fh.flush()

    def log(self, metrics: dict[str, float], step: int) -> None:
        self._write({"step": step, **{k: _num(v) for k, v in metrics.items()}})

    def log_video(self, path: str | Path, key: str, step: int) -> None:
        self._write({"step": step, "video": key, "path": str(path)})

    def log_table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None:
        self._write({"table": key, "columns": columns, "rows": rows})

    def finish(self) -> None:
        self._fh.close()


class WandbLogger:
    def __init__(self, cfg: LoggerConfig, run_dir: str | Path, config: dict, run_id: str | None):
        import wandb

        self.wandb = wandb
        self.run = wandb.init(
            project=cfg.project,
            entity=cfg.entity,
            group=cfg.group,
            name=cfg.name,
            mode=cfg.wandb_mode,
            dir=str(run_dir),
            config=config,
            id=run_id,
            resume="allow" if run_id else None,
        )
        self.run_id = self.run.id if self.run is not None else None

    def log(self, metrics: dict[str, float], step: int) -> None:
        self.run.log(metrics, step=step)

    def log_video(self, path: str | Path, key: str, step: int) -> None:
        self.run.log({key: self.wandb.Video(str(path), format="mp4")}, step=step)

    def log_table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None:
        self.run.log({key: self.wandb.Table(columns=columns, data=rows)})

    def finish(self) -> None:
        self.run.finish()


class MultiLogger:
    """Fans every call out to several loggers."""

    def __init__(self, loggers: list[Any]) -> None:
        self.loggers = loggers

    @property
    def run_id(self) -> str | None:
        return next((lg.run_id for lg in self.loggers if getattr(lg, "run_id", None)), None)

    def log(self, metrics: dict[str, float], step: int) -> None:
        for lg in self.loggers:
            lg.log(metrics, step)

    def log_video(self, path: str | Path, key: str, step: int) -> None:
        for lg in self.loggers:
            lg.log_video(path, key, step)

    def log_table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None:
        for lg in self.loggers:
            lg.log_table(key, columns, rows)

    def finish(self) -> None:
        for lg in self.loggers:
            lg.finish()


def make_logger(
    cfg: LoggerConfig | None,
    run_dir: str | Path,
    config: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> MultiLogger:
    """The configured loggers; wandb is skipped when its mode is ``disabled``."""
    from robolearn.errors import ConfigError

    cfg = cfg or LoggerConfig()
    loggers: list[Any] = []
    for name in cfg.backends:
        if name == "console":
            loggers.append(ConsoleLogger())
        elif name == "jsonl":
            loggers.append(JsonlLogger(run_dir))
        elif name == "wandb":
            if cfg.wandb_mode not in ("online", "offline", "disabled"):
                raise ConfigError(
                    f"logger.wandb_mode must be online, offline or disabled, not {cfg.wandb_mode!r}"
                )
            if cfg.wandb_mode != "disabled":
                loggers.append(WandbLogger(cfg, run_dir, config or {}, run_id))
        else:
            raise ConfigError(f"unknown logger backend {name!r}; use console, jsonl or wandb")
    return MultiLogger(loggers)


def _num(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return None if math.isnan(f) else f


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
