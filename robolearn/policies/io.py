"""Saving and loading policies: safetensors weights + JSON, never a pickle.

A policy folder holds ``model.safetensors`` (the state dict, plus the cached instruction
embeddings as ``_text_cache``) and ``policy.json`` (format and version, the policy config,
the :class:`~robolearn.policies.base.PolicySpec`, the normaliser, the cached instructions and
the package versions it was trained with). Both are written to temporary names and renamed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from robolearn.data.normalizer import Normalizer
from robolearn.errors import CheckpointError, ConfigError
from robolearn.fileio import atomic_write_bytes, atomic_write_text

FORMAT = "robolearn.policy"
FORMAT_VERSION = 1
WEIGHTS, META = "model.safetensors", "policy.json"
TEXT_CACHE = "_text_cache"


def policy_state(policy: Any) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, metadata) describing ``policy`` completely."""
    from robolearn.versions import versions

    tensors = {k: v.detach().cpu().contiguous() for k, v in policy.state_dict().items()}
    texts: list[str] = []
    if policy.text is not None and policy.text.cache:
        texts, vectors = policy.text.cache_arrays()
        tensors[TEXT_CACHE] = torch.from_numpy(vectors)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": asdict(policy.cfg),
        "spec": policy.spec.to_dict(),
        "normalizer": policy.normalizer.to_dict() if policy.normalizer is not None else None,
        "text_cache": texts,
        "versions": versions(),
    }
    return tensors, meta


def save_policy(policy: Any, folder: str | os.PathLike[str]) -> Path:
    """Write ``policy`` into ``folder`` (created); returns the folder."""
    from safetensors.torch import save

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tensors, meta = policy_state(policy)
    atomic_write_bytes(out / WEIGHTS, save(tensors))
    write_json(out / META, meta)
    return out


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def read_meta(folder: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(folder) / META
    if not path.is_file():
        raise CheckpointError(f"{folder} is not a policy checkpoint: {META} is missing")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); damaged checkpoint") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has format_version {meta.get('format_version')!r}; this robolearn reads "
            f"{FORMAT_VERSION}: re-train, or use the robolearn version that wrote it"
        )
    return meta


def load_policy(folder: str | os.PathLike[str], device: str | torch.device = "cpu") -> Any:
    """Rebuild the policy saved in ``folder`` on ``device`` (eval mode)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from robolearn.policies import config_from_dict
    from robolearn.policies.base import PolicySpec

    meta = read_meta(folder)
    weights = Path(folder) / WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{folder}: {WEIGHTS} is missing")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{weights} cannot be read ({exc}); damaged checkpoint") from None
    try:
        cfg = config_from_dict(meta["config"])
        spec = PolicySpec.from_dict(meta["spec"])
    except (ConfigError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{folder}/{META}: bad policy config or spec ({exc})") from exc
    norm = Normalizer.from_dict(meta["normalizer"]) if meta.get("normalizer") else None
    policy = _build_with_cache(cfg, spec, norm, meta.get("text_cache", []), tensors)
    tensors.pop(TEXT_CACHE, None)
    expected = policy.state_dict()
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    wrong = [k for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"{weights} does not match policy {cfg.name!r} of {META}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}, wrong shape {wrong[:5]}"
        )
    policy.load_state_dict(tensors)
    return policy.to(device).eval()


def _build_with_cache(cfg, spec, norm, texts, tensors):  # type: ignore[no-untyped-def]
    from robolearn.encoders.text import TextEncoder, TextEncoderConfig
    from robolearn.policies import build_policy

    text = None
    if cfg.language:
        text = TextEncoder(TextEncoderConfig(**asdict(cfg.text)))
        if texts and TEXT_CACHE in tensors:
            text.load_cache(texts, tensors[TEXT_CACHE].numpy())
    return build_policy(cfg, spec, norm, text)
