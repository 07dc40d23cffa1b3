"""``bc_rnn``: LIBERO's ResNet-RNN. Per step: a FiLM ResNet token per camera, a low-dim
token and the instruction embedding, concatenated, into a multi-layer LSTM; the head reads
each step's LSTM output. Trained on ``seq_len`` windows from a zero state; at rollout the
hidden state restarts every ``rnn_horizon`` steps, as in training (robomimic's convention).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from robolearn.policies.base import Policy
from robolearn.policies.configs import BCRNNConfig
from robolearn.policies.heads import make_head
from robolearn.policies.registry import POLICIES
from robolearn.policies.tokens import StepEncoder


@POLICIES.register("bc_rnn")
class BCRNN(Policy):
    config_cls = BCRNNConfig
    cfg: BCRNNConfig

    def __init__(self, cfg: BCRNNConfig, spec, normalizer=None, text=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cfg, spec, normalizer, text)
        token = cfg.vision.out_dim
        self.encoder = StepEncoder(
            self.image_keys, self.low_dim_size, cfg.vision, self.lang_dim, token
        )
        in_dim = self.encoder.tokens_per_step * token + self.lang_dim
        self.rnn = nn.LSTM(in_dim, cfg.rnn_hidden, cfg.rnn_layers, batch_first=True)
        self.head = make_head(cfg.head, cfg.rnn_hidden, spec.action_dim)
        self._hidden: tuple[torch.Tensor, torch.Tensor] | None = None
        self._steps = torch.zeros(0, dtype=torch.long)

    def _step_inputs(
        self, obs: Mapping[str, torch.Tensor], lang: torch.Tensor | None
    ) -> torch.Tensor:
        """obs (B, T, ...) -> LSTM inputs (B, T, in_dim)."""
        images = {k: obs[k] for k in self.image_keys}
        low = self.low_dim(obs) if self.low_dim_keys else None
        tokens = self.encoder(images, low, lang).flatten(-2)
        if lang is not None:
            tokens = torch.cat([tokens, lang[:, None].expand(-1, tokens.shape[1], -1)], dim=-1)
        return tokens

    def compute_loss(self, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        obs = batch["obs"]
        history = self.cfg.frame_stack - 1
        obs = {k: obs[k][:, history:] for k in self.cfg.obs_keys}
        b = batch["actions"].shape[0]
        lang = self.embed_language(batch.get("language"), b)
        out, _ = self.rnn(self._step_inputs(obs, lang))
        loss, metrics = self.head.loss(out, batch["actions"], batch.get("action_pad_mask"))
        return loss, {"loss": float(loss.detach()), **metrics}

    def _init_state(self, batch: int) -> None:
        self._hidden = None
        self._steps = torch.zeros(batch, dtype=torch.long)

    def _act(self, x, lang, fresh):  # type: ignore[no-untyped-def]
        inputs = self._step_inputs({k: v[:, None] for k, v in x.items()}, lang)
        b = inputs.shape[0]
        if self._hidden is None:
            zeros = torch.zeros(self.cfg.rnn_layers, b, self.cfg.rnn_hidden, device=inputs.device)
            self._hidden = (zeros, zeros.clone())
        fresh = fresh.cpu() | (self._steps % self.cfg.rnn_horizon == 0)
        self._steps[fresh] = 0
        h, c = self._hidden
        keep = (~fresh).to(inputs.device, h.dtype)[None, :, None]
        out, self._hidden = self.rnn(inputs, (h * keep, c * keep))
        self._steps += 1
        return self.head.act(out[:, 0])
