"""The policy registry. Policy modules register themselves on import; :func:`policy_class`
and :func:`policy_names` import them all first (torch is imported only then)."""

from __future__ import annotations

import importlib
from typing import Any

from robolearn.registry import Registry

POLICIES: Registry[Any] = Registry("policy")
MODULES = ("bc_mlp", "bc_rnn", "bc_transformer")


def _load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"robolearn.policies.{module}")


def policy_class(name: str) -> Any:
    """The registered policy class ``name`` (with a "did you mean" error)."""
    _load_all()
    return POLICIES.get(name)


def policy_names() -> list[str]:
    _load_all()
    return POLICIES.names()
