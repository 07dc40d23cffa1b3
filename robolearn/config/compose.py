"""Composing configs outside a command line (tests, notebooks, library calls)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from robolearn.config.schema import SCHEMAS
from robolearn.errors import ConfigError
from robolearn.paths import configs_dir

_registered = False


def register_schemas() -> None:
    """Store every schema in Hydra's ConfigStore (idempotent)."""
    global _registered
    if _registered:
        return
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for name, (group, node) in SCHEMAS.items():
        store.store(name=name, node=node, group=group)
    _registered = True


def compose(
    config_name: str, overrides: Sequence[str] = (), config_dir: str | Path | None = None
) -> DictConfig:
    """Compose ``<config_dir>/<config_name>.yaml`` with overrides; read-only, schema-checked.

    ``config_dir`` defaults to robolearn's own ``configs/``.

    Raises ConfigError naming the bad key or value when composition fails.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    register_schemas()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(config_dir or configs_dir()), version_base="1.3"):
            cfg = hydra_compose(config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(
            f"config {config_name!r} with overrides {list(overrides)}: {exc}"
        ) from exc
    OmegaConf.set_readonly(cfg, True)
    return cfg


def to_dict(cfg: DictConfig) -> dict[str, Any]:
    """A plain, resolved dict of ``cfg`` (for JSON, logging and checkpoints)."""
    out = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    if not isinstance(out, dict):
        raise ConfigError(f"expected a mapping config, got {type(out).__name__}")
    return {str(k): v for k, v in out.items()}
