"""Experiment-logger config (pure dataclass; a Hydra structured config under ``logger:``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoggerConfig:
    backends: list[str] = field(default_factory=lambda: ["console", "jsonl", "wandb"])
    wandb_mode: str = "disabled"  # online | offline (files in the run folder) | disabled
    project: str = "robolearn"
    entity: str | None = None
    group: str | None = None
    name: str | None = None
