"""The learner registry. Learner modules register themselves on import; :func:`learner_class`
and :func:`learner_names` import them first (torch is imported only then)."""

from __future__ import annotations

import importlib
from typing import Any

from robolearn.registry import Registry

LEARNERS: Registry[Any] = Registry("learner")
MODULES = ("robolearn.lifelong.learners.sequential", "robolearn.lifelong.learners.packnet")


def _load_all() -> None:
    for module in MODULES:
        importlib.import_module(module)


def learner_class(name: str) -> Any:
    """The registered learner class ``name`` (with a "did you mean" error)."""
    _load_all()
    return LEARNERS.get(name)


def learner_names() -> list[str]:
    _load_all()
    return LEARNERS.names()


def build_learner(cfg: Any, ctx: Any) -> Any:
    """The learner ``cfg.name`` built from its config dataclass (or a mapping of it)."""
    from dataclasses import is_dataclass

    from robolearn.errors import ConfigError
    from robolearn.lifelong.config import LEARNER_CONFIGS

    cls = learner_class(cfg["name"] if isinstance(cfg, dict) else cfg.name)
    if isinstance(cfg, dict):
        try:
            cfg = LEARNER_CONFIGS.get(cfg["name"], cls.config_cls)(**cfg)
        except TypeError as exc:
            raise ConfigError(f"lifelong={cfg['name']}: {exc}") from None
    elif not is_dataclass(cfg):
        raise ConfigError(f"learner config must be a dataclass or a mapping, got {cfg!r}")
    return cls(cfg, ctx)
