"""Policies: the :class:`~robolearn.policies.base.Policy` protocol and registered models.

``bc_mlp`` (low-dim MLP with action chunks), ``bc_rnn`` (FiLM ResNet + LSTM) and
``bc_transformer`` (LIBERO's ResNet-T); heads ``gmm``, ``gaussian``, ``deterministic``, ``diffusion``.
Build one with :func:`build_policy`, save/load with :mod:`robolearn.policies.io`.
Importing this package does not import torch; the policy modules do.
"""

from __future__ import annotations

from robolearn.policies.configs import CONFIGS, PolicyConfig, config_from_dict
from robolearn.policies.registry import POLICIES, policy_class, policy_names

__all__ = [
    "CONFIGS",
    "POLICIES",
    "PolicyConfig",
    "build_policy",
    "config_from_dict",
    "policy_class",
    "policy_names",
]


def build_policy(cfg, spec, normalizer=None, text=None):  # type: ignore[no-untyped-def]
    """Instantiate the registered policy ``cfg.name`` for ``spec`` (a PolicySpec)."""
    return policy_class(cfg.name)(cfg, spec, normalizer, text)
