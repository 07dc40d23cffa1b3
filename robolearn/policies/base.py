"""The Policy protocol and what every policy shares.

A policy is an ``nn.Module`` built from ``(cfg, spec, normalizer)``:

- ``compute_loss(batch) -> (loss, metrics)`` on a :class:`~robolearn.data.dataset.DemoDataset`
  batch (obs windows ``(B, frame_stack - 1 + seq_len, ...)``, normalised low-dim obs and
  actions, uint8 CHW images, ``action_pad_mask``, ``language``);
- ``act(obs) -> actions (B, A)``, batched over parallel envs, no grad: ``obs`` holds raw env
  observations (``(B, ...)`` arrays, images HWC uint8) and ``language`` (B strings); the
  policy normalises, keeps each env slot's history, and returns unnormalised actions;
- ``reset(slots=None)`` forgets the history of the given env slots (all by default); call it
  when a slot starts a new episode.

:class:`PolicySpec` records the observation shapes and action size the policy was built for;
low-dim observations shorter than the spec (a task with fewer objects) are zero-padded, as
the dataset pads them in training.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from robolearn.data.normalizer import Normalizer
from robolearn.encoders.text import TextEncoder, TextEncoderConfig
from robolearn.errors import ConfigError
from robolearn.policies.configs import PolicyConfig

TEXT_DIM_KEY = "text_dim"


@dataclass
class PolicySpec:
    """What a policy was built for: per-step obs shapes (images HWC), image keys, action size."""

    obs_shapes: dict[str, tuple[int, ...]]
    image_keys: tuple[str, ...]
    action_dim: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "obs_shapes": {k: list(v) for k, v in self.obs_shapes.items()},
            "image_keys": list(self.image_keys),
            "action_dim": self.action_dim,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicySpec:
        return cls(
            {k: tuple(v) for k, v in data["obs_shapes"].items()},
            tuple(data["image_keys"]),
            int(data["action_dim"]),
        )

    @classmethod
    def from_dataset(cls, dataset: Any) -> PolicySpec:
        """The spec of a :class:`~robolearn.data.dataset.DemoDataset`'s items."""
        item = dataset[0]
        shapes: dict[str, tuple[int, ...]] = {}
        for key, value in item["obs"].items():
            shape = tuple(value.shape[1:])
            if key in dataset.image_keys:  # items are CHW; specs describe env obs (HWC)
                shape = (shape[1], shape[2], shape[0])
            shapes[key] = shape
        return cls(shapes, tuple(sorted(dataset.image_keys)), int(item["actions"].shape[-1]))

    @property
    def low_dim_keys(self) -> list[str]:
        return [k for k in self.obs_shapes if k not in self.image_keys]

    @property
    def low_dim_size(self) -> int:
        return int(sum(int(np.prod(self.obs_shapes[k])) for k in self.low_dim_keys))


def fit_last_dim(x: np.ndarray, size: int, key: str) -> np.ndarray:
    """Zero-pad the last dim of ``x`` to ``size`` (a task with fewer objects); never crop."""
    have = x.shape[-1]
    if have == size:
        return x
    if have > size:
        raise ConfigError(
            f"observation {key!r} has {have} dims but the policy was built for {size}; "
            "train on data that covers this task's layout"
        )
    pad = np.zeros((*x.shape[:-1], size - have), dtype=x.dtype)
    return np.concatenate([x, pad], axis=-1)


class Policy(nn.Module):
    """Base class; subclasses implement ``features``-level ``compute_loss`` and ``_act``."""

    config_cls: ClassVar[type[PolicyConfig]] = PolicyConfig
    # config keys that only change how actions are produced at rollout, not the weights: they
    # may differ between training and evaluation (see configure_rollout)
    rollout_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        cfg: PolicyConfig,
        spec: PolicySpec,
        normalizer: Normalizer | None = None,
        text: TextEncoder | None = None,
    ) -> None:
        super().__init__()
        missing = [k for k in cfg.obs_keys if k not in spec.obs_shapes]
        if missing:
            raise ConfigError(
                f"policy {cfg.name!r} reads obs keys {missing} that the data lacks; "
                f"the data has {sorted(spec.obs_shapes)}"
            )
        if cfg.lang_whiten and not (cfg.language and cfg.lang_standardize):
            raise ConfigError(
                f"policy {cfg.name!r}: lang_whiten=true whitens the instruction embeddings "
                "in place of standardising them; it needs language=true and "
                "lang_standardize=true"
            )
        self.cfg, self.spec, self.normalizer = cfg, spec, normalizer
        self.text: TextEncoder | None = None
        self.lang_proj: nn.Module | None = None
        if cfg.language:
            self.text = text or TextEncoder(TextEncoderConfig(**asdict(cfg.text)))
            self.lang_proj = nn.Linear(self.text.dim, cfg.lang_dim)
            if cfg.lang_standardize:  # fixed statistics, saved with the weights
                self.register_buffer("lang_mean", torch.zeros(self.text.dim))
                self.register_buffer("lang_std", torch.ones(self.text.dim))
                self.register_buffer("lang_fitted", torch.zeros((), dtype=torch.bool))
                if cfg.lang_whiten:
                    self.register_buffer("lang_white", torch.eye(self.text.dim))
        self.image_keys = [k for k in cfg.obs_keys if k in spec.image_keys]
        self.low_dim_keys = [k for k in cfg.obs_keys if k not in spec.image_keys]
        self.low_dim_size = int(sum(int(np.prod(spec.obs_shapes[k])) for k in self.low_dim_keys))
        self._slots = 0
        self._fresh = torch.ones(0, dtype=torch.bool)

    # -- shared pieces -----------------------------------------------------------------------
    @property
    def lang_dim(self) -> int:
        return self.cfg.lang_dim if self.cfg.language else 0

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def embed_language(self, texts: Sequence[str] | None, batch: int) -> torch.Tensor | None:
        """Projected text embeddings (batch, lang_dim), or None without language."""
        if self.text is None or self.lang_proj is None:
            return None
        if texts is None or len(texts) != batch:
            raise ConfigError(f"policy {self.cfg.name!r} needs one instruction per sample")
        vectors = torch.from_numpy(self.text.encode(list(texts))).to(self.device)
        if self.cfg.lang_standardize:
            if not bool(self.lang_fitted):
                self.fit_language_stats(list(self.text.cache))
            if self.cfg.lang_whiten:
                vectors = (vectors - self.lang_mean) @ self.lang_white
            else:
                vectors = (vectors - self.lang_mean) / self.lang_std
        return self.lang_proj(vectors)

    def fit_language_stats(self, texts: Sequence[str]) -> None:
        """Fix the per-dimension mean/std of the embeddings of ``texts`` (the instructions the
        policy trains on), used when ``cfg.lang_standardize``, and with ``cfg.lang_whiten`` the
        whitening map of their span; saved with the weights."""
        if self.text is None or not self.cfg.lang_standardize:
            return
        unique = sorted(set(texts))
        if len(unique) < 2:  # one instruction: nothing to tell apart; centre only
            vectors = torch.from_numpy(self.text.encode(unique))
            mean, std = vectors.mean(0), torch.ones(vectors.shape[1])
        else:
            vectors = torch.from_numpy(self.text.encode(unique)).double()
            mean, std = vectors.mean(0), vectors.std(0).clamp_min(1e-3 * float(vectors.std()))
        device = self.lang_mean.device
        self.lang_mean.copy_(mean.float().to(device))
        self.lang_std.copy_(std.float().to(device))
        if self.cfg.lang_whiten and len(unique) >= 2:  # one instruction: centre only
            _, sv, vt = torch.linalg.svd(vectors - mean, full_matrices=False)
            keep = sv > 1e-6 * sv[0]
            basis = vt[keep]  # (k, dim): the span of the instructions
            scale = math.sqrt(len(unique) - 1) / sv[keep]  # unit variance along each direction
            self.lang_white.copy_((basis.T @ torch.diag(scale) @ basis).float().to(device))
        self.lang_fitted.fill_(True)

    def low_dim(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Concatenate the low-dim keys' last dims: (..., low_dim_size)."""
        parts = [obs[k].float().flatten(start_dim=obs[k].dim() - len(self.spec.obs_shapes[k]))
                 for k in self.low_dim_keys]  # fmt: skip
        return torch.cat(parts, dim=-1) if parts else torch.zeros(0)

    def prepare(self, raw: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """Raw env observations (B, ...) -> normalised tensors; images (B, C, H, W) uint8."""
        out: dict[str, torch.Tensor] = {}
        for key in self.cfg.obs_keys:
            if key not in raw:
                raise ConfigError(f"observation lacks {key!r} (policy {self.cfg.name!r})")
            x = np.asarray(raw[key])
            if key in self.spec.image_keys:
                out[key] = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
                continue
            x = fit_last_dim(x.astype(np.float32), self.spec.obs_shapes[key][-1], key)
            norm_key = f"obs/{key}"
            if self.normalizer is not None and norm_key in self.normalizer:
                x = self.normalizer.normalize(norm_key, x).astype(np.float32)
            out[key] = torch.from_numpy(x)
        return {k: v.to(self.device) for k, v in out.items()}

    def unnormalize_action(self, action: torch.Tensor) -> np.ndarray:
        a = action.detach().float().cpu().numpy()
        if self.normalizer is not None and "actions" in self.normalizer:
            a = self.normalizer.unnormalize("actions", a)
        if self.cfg.binary_gripper:  # a half-closed command makes a weak grasp
            a[..., -1] = np.where(a[..., -1] >= 0.0, 1.0, -1.0)
        return np.clip(a, -1.0, 1.0).astype(np.float32)

    # -- the protocol ------------------------------------------------------------------------
    def compute_loss(self, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        raise NotImplementedError

    @torch.no_grad()
    def act(self, obs: Mapping[str, Any]) -> np.ndarray:
        """Actions (B, A) for a batch of raw observations; see the module docstring."""
        if self._slots and not bool(self._fresh.any()) and all(k in obs for k in self.cfg.obs_keys):
            planned = self._planned(len(obs[self.cfg.obs_keys[0]]) if self.cfg.obs_keys else None)
            if planned is not None:  # mid-chunk: the next planned actions, no forward pass
                return self.unnormalize_action(planned)
        x = self.prepare(obs)
        batch = next(iter(x.values())).shape[0] if x else len(obs.get("language", []))
        if batch != self._slots:
            self._slots = batch
            self._fresh = torch.ones(batch, dtype=torch.bool)
            self._init_state(batch)
            head = getattr(self, "head", None)
            if head is not None and hasattr(head, "reset_noise"):  # sampling restarts too
                head.reset_noise()
        lang = self.embed_language(obs.get("language"), batch)
        was_training = self.training
        if was_training:
            self.eval()
        try:
            action = self._act(x, lang, self._fresh.to(self.device))
        finally:
            if was_training:
                self.train()
        self._fresh = torch.zeros(batch, dtype=torch.bool)
        return self.unnormalize_action(action)

    def reset(self, slots: Sequence[int] | np.ndarray | None = None) -> None:
        """Start new episodes in ``slots`` (all when None)."""
        if slots is None:
            self._slots = 0
            return
        for s in np.atleast_1d(np.asarray(slots, dtype=np.int64)):
            if 0 <= s < self._slots:
                self._fresh[int(s)] = True

    def configure_rollout(self, settings: Mapping[str, Any]) -> None:
        """Set rollout-time config keys (``rollout_keys``) on a trained policy, e.g. how many
        actions of a chunk to execute; any other key raises ConfigError naming the allowed ones.
        Rollout state restarts."""
        unknown = sorted(set(settings) - set(self.rollout_keys))
        if unknown:
            raise ConfigError(
                f"policy {self.cfg.name!r} cannot change {unknown} at rollout; rollout-time "
                f"keys: {list(self.rollout_keys) or 'none'}"
            )
        old = {k: getattr(self.cfg, k) for k in settings}
        for key, value in settings.items():
            setattr(self.cfg, key, value)
        try:
            self._check_rollout()
        except ConfigError:
            for key, value in old.items():
                setattr(self.cfg, key, value)
            raise
        self.reset()

    def _check_rollout(self) -> None:
        """Raise ConfigError when the rollout-time keys are inconsistent with the config."""

    def _planned(self, batch: int | None) -> torch.Tensor | None:
        """The next actions (B, A), normalised, when every slot is inside a chunk it already
        planned and no observation is needed to continue it (else None: act runs ``_act``).
        Policies that never execute chunks open loop keep this default."""
        return None

    def _init_state(self, batch: int) -> None:
        """Allocate per-slot rollout state for ``batch`` env slots."""

    def _act(
        self, x: dict[str, torch.Tensor], lang: torch.Tensor | None, fresh: torch.Tensor
    ) -> torch.Tensor:
        """Normalised actions (B, A); ``fresh`` marks slots whose episode just started."""
        raise NotImplementedError


class History:
    """Per-slot ring of the last ``size`` steps of tensors, left-aligned.

    ``push`` returns ``(B, size, ...)`` windows and the number of real steps per slot. With
    ``pad_first=True`` missing history repeats the first frame (the dataset's padding of a
    frame stack); otherwise windows hold the real steps first and stale data after them.
    """

    def __init__(self, size: int, pad_first: bool) -> None:
        self.size, self.pad_first = size, pad_first
        self.buf: dict[str, torch.Tensor] = {}
        self.count = torch.zeros(0, dtype=torch.long)

    def push(
        self, x: Mapping[str, torch.Tensor], fresh: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        batch = next(iter(x.values())).shape[0]
        if not self.buf or self.count.shape[0] != batch:
            self.buf = {k: v[:, None].repeat_interleave(self.size, 1) for k, v in x.items()}
            self.count = torch.zeros(batch, dtype=torch.long)
        fresh = fresh.cpu()
        self.count[fresh] = 0
        for key, value in x.items():
            buf = self.buf[key]
            f = fresh.to(buf.device)
            if self.pad_first:
                buf[f] = value[f][:, None].expand_as(buf[f]).clone()
                buf[~f] = torch.cat([buf[~f][:, 1:], value[~f][:, None]], dim=1)
            else:
                full = (self.count >= self.size).to(buf.device)
                shift = full & ~f
                buf[shift] = torch.cat([buf[shift][:, 1:], value[shift][:, None]], dim=1)
                idx = torch.nonzero(~shift).flatten()
                pos = self.count[~shift.cpu()].clamp(max=self.size - 1).to(buf.device)
                buf[idx, pos] = value[idx]
        self.count = (self.count + 1).clamp(max=self.size)
        return self.buf, self.count.clone()
