"""Frozen CLIP text tower (open_clip) with a per-instruction embedding cache.

``pretrained`` picks the weights: ``None`` builds the architecture with a seeded random
initialisation (the offline default: no download, deterministic across processes and
machines because the model is always built on the CPU under a fixed torch seed), ``"openai"``
(or any open_clip tag) loads the published weights through open_clip, and a path loads a
local checkpoint file (what to use on a machine without internet). Random-init embeddings
still tell instructions apart, which is all a task-conditioned policy needs, but they carry no
language prior: paraphrase generalisation needs real weights.

Embeddings are L2-normalised float32 vectors, computed once per distinct string and cached;
:meth:`TextEncoder.release` frees the model once every needed instruction is cached.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from robolearn.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextEncoderConfig:
    model: str = "ViT-B-32"
    pretrained: str | None = None  # None (seeded random init) | "openai" | a local file
    seed: int = 0  # torch seed of the random initialisation (pretrained=None)


class TextEncoder:
    """``encode(["put the bowl on the plate", ...]) -> (N, dim)`` float32, cached."""

    def __init__(self, cfg: TextEncoderConfig | None = None) -> None:
        self.cfg = cfg or TextEncoderConfig()
        self._model: torch.nn.Module | None = None
        self._tokenizer = None
        self.cache: dict[str, np.ndarray] = {}

    def _build(self) -> None:
        import open_clip

        cfg = self.cfg
        if cfg.model not in open_clip.list_models():
            raise ConfigError(
                f"unknown open_clip model {cfg.model!r}; see open_clip.list_models() "
                "(e.g. 'ViT-B-32', 'RN50')"
            )
        pretrained = cfg.pretrained
        if pretrained is not None and not Path(pretrained).exists():
            tags = open_clip.list_pretrained_tags_by_model(cfg.model)
            if pretrained not in tags:
                raise ConfigError(
                    f"text encoder pretrained={pretrained!r} is neither a file nor a tag of "
                    f"{cfg.model} ({tags}); use null for random init"
                )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            model = open_clip.create_model(cfg.model, pretrained=pretrained, device="cpu")
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        self._model = model
        self._tokenizer = open_clip.get_tokenizer(cfg.model)
        log.info("text encoder %s (pretrained=%s) built", cfg.model, pretrained)

    @torch.no_grad()
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` (N, dim), from the cache where possible."""
        missing = sorted({t for t in texts if t not in self.cache})
        if missing:
            if self._model is None:
                self._build()
            assert self._model is not None and self._tokenizer is not None
            out = self._model.encode_text(self._tokenizer(missing))  # type: ignore[operator]
            out = torch.nn.functional.normalize(out.float(), dim=-1).numpy()
            for text, vec in zip(missing, out):
                self.cache[text] = vec.astype(np.float32)
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim))

    def prime(self, texts: Iterable[str]) -> None:
        """Cache every string of ``texts`` now."""
        self.encode(list(dict.fromkeys(texts)))

    @property
    def dim(self) -> int:
        if self.cache:
            return int(next(iter(self.cache.values())).shape[0])
        if self._model is None:
            self._build()
        return int(self._model.text_projection.shape[1])  # type: ignore[union-attr]

    def release(self) -> None:
        """Free the model; cached embeddings stay (a new string rebuilds it)."""
        self._model, self._tokenizer = None, None

    # -- the cache travels with checkpoints ---------------------------------------------------
    def cache_arrays(self) -> tuple[list[str], np.ndarray]:
        texts = sorted(self.cache)
        return texts, np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 0))

    def load_cache(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        for text, vec in zip(texts, vectors):
            self.cache[text] = np.asarray(vec, dtype=np.float32)
