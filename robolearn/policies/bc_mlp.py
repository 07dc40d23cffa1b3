"""``bc_mlp``: low-dimensional behaviour cloning with an MLP.

Input: the low-dim observation keys of the current step and ``frame_stack - 1`` past steps,
concatenated with the projected instruction embedding; with ``fourier=K`` each normalised
input x also enters as sin(2^k x) and cos(2^k x), k < K (Fourier features: an MLP fits
fine detail of its inputs, such as millimetres of a relative position, far more easily).
Output: ``seq_len`` actions (an action chunk, one head call per chunk step through a shared
trunk). The rollout executes the first action of the newest chunk, or the first ``execute``
actions of a chunk open loop before predicting the next (diffusion policy's action horizon),
or, with ``temporal_ensemble=m`` (ACT), the weighted mean of every chunk's prediction for the
current step, weights ``exp(m * age)`` (older predictions count more, as in ACT).
With ``near_field=[s, ...]`` the input also holds ``tanh(d / s)`` of every object's and
fixture point's offset ``d`` from the end effector (``object_rel_pos``, ``fixture_rel_pos``,
in metres, before normalisation) and of every object's offset from each other object and each
fixture point (robosuite's ``cubeA_to_cubeB``): millimetres near a grasp or over a target
resolve into large input changes, where a normalised offset moves by a few hundredths.
A joint head (``head.kind=diffusion``) samples the whole chunk at once from the trunk's output
(the per-step embeddings then add only a constant), instead of one head call per chunk step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from robolearn.errors import ConfigError
from robolearn.policies.base import History, Policy
from robolearn.policies.configs import BCMLPConfig
from robolearn.policies.heads import make_head, mlp
from robolearn.policies.registry import POLICIES


@POLICIES.register("bc_mlp")
class BCMLP(Policy):
    config_cls = BCMLPConfig
    cfg: BCMLPConfig
    rollout_keys = ("execute", "temporal_ensemble")

    def __init__(self, cfg: BCMLPConfig, spec, normalizer=None, text=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cfg, spec, normalizer, text)
        if self.image_keys:
            raise ConfigError(f"bc_mlp reads low-dim obs only; drop image keys {self.image_keys}")
        self._check_rollout()
        near_dim = self._setup_near_field()
        in_dim = (self.low_dim_size * (1 + 2 * cfg.fourier) + near_dim) * cfg.frame_stack
        in_dim += self.lang_dim
        self.register_buffer(
            "freqs", 2.0 ** torch.arange(cfg.fourier, dtype=torch.float32), persistent=False
        )
        self.trunk = mlp([in_dim, *cfg.hidden], cfg.dropout, last_act=True)
        self.step_embed = torch.nn.Embedding(cfg.seq_len, cfg.hidden[-1])
        self.head = make_head(cfg.head, cfg.hidden[-1], spec.action_dim, chunk=cfg.seq_len)
        self.history = History(cfg.frame_stack, pad_first=True)
        self._chunks: torch.Tensor | None = None  # (B, age, chunk step, A) past predictions
        self._valid: torch.Tensor | None = None  # (B, age)
        self._plan: torch.Tensor | None = None  # (B, seq_len, A) the chunk being executed
        self._plan_step = torch.zeros(0, dtype=torch.long)

    def _check_rollout(self) -> None:
        cfg = self.cfg
        if not 1 <= cfg.execute <= cfg.seq_len:
            raise ConfigError(
                f"bc_mlp execute={cfg.execute} must lie in 1..seq_len={cfg.seq_len} (actions "
                f"of a chunk run open loop); set policy.execute={cfg.seq_len} or lower"
            )
        if cfg.execute > 1 and cfg.temporal_ensemble is not None:
            raise ConfigError("bc_mlp: choose execute > 1 or temporal_ensemble, not both")
        if not 0 <= cfg.fourier <= 16:
            raise ConfigError(f"bc_mlp fourier={cfg.fourier} must lie in 0..16 (octaves; 0: off)")

    def _setup_near_field(self) -> int:
        """Index buffers of the near-field features (see the module docstring); their width."""
        scales = list(self.cfg.near_field)
        if not scales:
            return 0
        if any(not s > 0 for s in scales):
            raise ConfigError(f"bc_mlp near_field={scales}: every scale (m) must be positive")
        if "object_rel_pos" not in self.low_dim_keys:
            raise ConfigError(
                f"bc_mlp near_field needs 'object_rel_pos' in policy.obs_keys "
                f"(it has {self.cfg.obs_keys}); add it or set policy.near_field=[]"
            )
        where: dict[str, tuple[int, int]] = {}  # key -> (start, size) in the low-dim vector
        at = 0
        for key in self.low_dim_keys:
            where[key] = (at, int(np.prod(self.spec.obs_shapes[key])))
            at += where[key][1]
        idx: list[int] = []
        offset: list[np.ndarray] = []
        scale: list[np.ndarray] = []
        for key in ("object_rel_pos", "fixture_rel_pos"):  # objects' rows first
            if key not in where:
                continue
            start, size = where[key]
            if size % 3:
                raise ConfigError(f"bc_mlp near_field: {key!r} has {size} dims, not xyz rows")
            idx.extend(range(start, start + size))
            norm_key = f"obs/{key}"
            if self.normalizer is not None and norm_key in self.normalizer:
                offset.append(self.normalizer.offset(norm_key) * np.ones(size))
                scale.append(self.normalizer.scale(norm_key) * np.ones(size))
            else:
                offset.append(np.zeros(size))
                scale.append(np.ones(size))
        objects, points = where["object_rel_pos"][1] // 3, len(idx) // 3
        pairs = [(i, j) for i in range(objects) for j in range(i + 1, points)]

        def buf(name: str, values: Any, dtype: torch.dtype) -> None:
            self.register_buffer(name, torch.as_tensor(values, dtype=dtype), persistent=False)

        buf("near_idx", idx, torch.long)
        buf("near_offset", np.concatenate(offset), torch.float32)
        buf("near_scale", np.concatenate(scale), torch.float32)
        buf("near_i", [i for i, _ in pairs], torch.long)
        buf("near_j", [j for _, j in pairs], torch.long)
        buf("near_scales", scales, torch.float32)
        return (points + len(pairs)) * 3 * len(scales)

    def near_field(self, frames: torch.Tensor) -> torch.Tensor:
        """(..., D) normalised inputs -> (..., near_dim): tanh(offset / s) per scale s."""
        raw = frames[..., self.near_idx] * self.near_scale + self.near_offset
        points = raw.unflatten(-1, (-1, 3))  # (..., P, 3) offsets from the end effector
        pairs = points[..., self.near_j, :] - points[..., self.near_i, :]
        d = torch.cat([points, pairs], dim=-2)  # (..., Q, 3)
        scales = self.near_scales.reshape(-1, 1, 1)
        return torch.tanh(d[..., None, :, :] / scales).flatten(-3)

    def _features(self, frames: torch.Tensor, lang: torch.Tensor | None) -> torch.Tensor:
        """(B, frame_stack, D) frames -> (B, seq_len, H) per chunk step."""
        near = self.near_field(frames) if self.cfg.near_field else None
        if self.cfg.fourier:  # sin/cos of each input at octave frequencies 1, 2, 4, ...
            angles = (frames[..., None, :] * self.freqs[:, None]).flatten(-2)  # octave-major
            frames = torch.cat([frames, torch.sin(angles), torch.cos(angles)], dim=-1)
        if near is not None:
            frames = torch.cat([frames, near], dim=-1)
        x = frames.flatten(1)
        if lang is not None:
            x = torch.cat([x, lang], dim=-1)
        h = self.trunk(x)
        return h[:, None, :] + self.step_embed.weight[None]

    def compute_loss(self, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        obs = batch["obs"]
        frames = self.low_dim({k: obs[k] for k in self.low_dim_keys})
        frames = frames[:, : self.cfg.frame_stack]  # history + the window's first step
        if self.training and self.cfg.obs_noise > 0:
            frames = frames + self.cfg.obs_noise * torch.randn_like(frames)
        lang = self.embed_language(batch.get("language"), frames.shape[0])
        features = self._features(frames, lang)
        loss, metrics = self.head.loss(features, batch["actions"], batch.get("action_pad_mask"))
        return loss, {"loss": float(loss.detach()), **metrics}

    def _init_state(self, batch: int) -> None:
        self._chunks, self._valid, self._plan = None, None, None
        self._plan_step = torch.zeros(batch, dtype=torch.long)

    def _act(self, x, lang, fresh):  # type: ignore[no-untyped-def]
        window, _ = self.history.push({"low": self.low_dim(x)}, fresh)
        features = self._features(window["low"], lang)
        if self.cfg.execute > 1:
            return self._act_open_loop(features, fresh)
        m = self.cfg.temporal_ensemble
        if m is None:  # a joint head samples the whole chunk; its first action is executed
            return (
                self.head.act(features)[:, 0] if self.head.joint else self.head.act(features[:, 0])
            )
        chunk = self.head.act(features)  # (B, k, A)
        b, k, _ = chunk.shape
        if self._chunks is None or self._valid is None:
            self._chunks = chunk.new_zeros(b, k, *chunk.shape[1:])
            self._valid = torch.zeros(b, k, dtype=torch.bool, device=chunk.device)
        self._valid[fresh] = False
        self._chunks = torch.cat([chunk[:, None], self._chunks[:, :-1]], dim=1)
        self._valid = torch.cat([torch.ones_like(self._valid[:, :1]), self._valid[:, :-1]], 1)
        ages = torch.arange(k, device=chunk.device)
        now = self._chunks[:, ages, ages]  # each chunk's prediction for the current step
        weights = torch.exp(m * ages.float())[None] * self._valid
        return (now * weights[..., None]).sum(1) / weights.sum(1, keepdim=True)

    def _planned(self, batch: int | None) -> torch.Tensor | None:
        # Mid-chunk every step's action is already known; with a history (frame_stack > 1)
        # each frame must still be pushed, so only frame_stack == 1 skips the forward pass.
        if self.cfg.execute <= 1 or self.cfg.frame_stack > 1 or self._plan is None:
            return None
        if batch != self._slots or bool(self._chunk_used_up().any()):
            return None
        return self._next_planned()

    def _chunk_used_up(self) -> torch.Tensor:
        """(B,) bool: the slots whose planned chunk has no action left to execute."""
        return self._plan_step % self.cfg.execute == 0

    def _next_planned(self) -> torch.Tensor:
        """Each slot's next action of its planned chunk; advances the slots' plan step."""
        assert self._plan is not None
        idx = self._plan_step.to(self._plan.device)
        action = self._plan[torch.arange(len(idx), device=self._plan.device), idx]
        self._plan_step += 1
        return action

    def _act_open_loop(self, features: torch.Tensor, fresh: torch.Tensor) -> torch.Tensor:
        """Execute ``execute`` actions of each predicted chunk before predicting anew (per
        slot: a slot replans when its chunk is used up or its episode starts)."""
        # _init_state sized _plan_step to the batch; a new batch starts all fresh
        replan = fresh.cpu() | self._chunk_used_up()
        if bool(replan.any()):
            chunk = self.head.act(features)  # (B, seq_len, A)
            keep = replan.to(chunk.device)[:, None, None]
            self._plan = chunk if self._plan is None else torch.where(keep, chunk, self._plan)
            self._plan_step[replan] = 0
        return self._next_planned()
