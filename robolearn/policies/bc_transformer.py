"""``bc_transformer``: LIBERO's ResNet-T.

Per step, tokens ``[readout, low-dim, camera_1, ...]``: the readout token is the projected
instruction embedding (a learned vector without language), cameras are FiLM ResNet tokens,
all ``token_dim`` wide, plus a sinusoidal encoding of the step's position in the window. A
pre-LayerNorm transformer (``heads`` x ``head_dim`` attention, ``mlp_dim`` MLP) attends
causally over steps (a token sees every token of its own and earlier steps); the head reads
the readout token's output of each step. At rollout the context holds the episode's last
``seq_len`` steps, left-aligned like a training window, and the action comes from the newest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from robolearn.policies.base import History, Policy
from robolearn.policies.configs import BCTransformerConfig
from robolearn.policies.heads import make_head
from robolearn.policies.registry import POLICIES
from robolearn.policies.tokens import StepEncoder


def sinusoid(length: int, dim: int) -> torch.Tensor:
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
    return table


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, head_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.head_dim, self.dropout = heads, head_dim, dropout
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * heads * head_dim)
        self.proj = nn.Linear(heads * head_dim, dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp_dim, dim)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(b, n, 3, self.heads, self.head_dim).unbind(2)
        att = F.scaled_dot_product_attention(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
        )
        x = x + self.drop(self.proj(att.transpose(1, 2).reshape(b, n, -1)))
        return x + self.drop(self.mlp(self.ln2(x)))


@POLICIES.register("bc_transformer")
class BCTransformer(Policy):
    config_cls = BCTransformerConfig
    cfg: BCTransformerConfig

    def __init__(self, cfg: BCTransformerConfig, spec, normalizer=None, text=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cfg, spec, normalizer, text)
        d = cfg.token_dim
        self.encoder = StepEncoder(self.image_keys, self.low_dim_size, cfg.vision, self.lang_dim, d)
        self.readout = nn.Linear(self.lang_dim, d) if cfg.language else None
        self.readout_token = nn.Parameter(torch.zeros(d))
        self.n_tokens = 1 + self.encoder.tokens_per_step
        self.register_buffer("pos", sinusoid(cfg.seq_len, d), persistent=False)
        self.blocks = nn.ModuleList(
            Block(d, cfg.heads, cfg.head_dim, cfg.mlp_dim, cfg.dropout) for _ in range(cfg.layers)
        )
        self.ln = nn.LayerNorm(d)
        self.head = make_head(cfg.head, d, spec.action_dim)
        self.history = History(cfg.seq_len, pad_first=False)

    def _tokens(self, obs: Mapping[str, torch.Tensor], lang: torch.Tensor | None) -> torch.Tensor:
        """obs (B, T, ...) -> step tokens (B, T, n_tokens, d), without position."""
        images = {k: obs[k] for k in self.image_keys}
        low = self.low_dim(obs) if self.low_dim_keys else None
        obs_tokens = self.encoder(images, low, lang)
        b, t = obs_tokens.shape[:2]
        readout = self.readout_token.expand(b, t, 1, -1)
        if self.readout is not None and lang is not None:
            readout = readout + self.readout(lang)[:, None, None, :]
        return torch.cat([readout, obs_tokens], dim=2)

    def _transform(self, tokens: torch.Tensor) -> torch.Tensor:
        """Step tokens (B, T, n, d) -> readout outputs (B, T, d)."""
        b, t, n, d = tokens.shape
        x = (tokens + self.pos[:t, None, :]).reshape(b, t * n, d)
        step = torch.arange(t, device=x.device).repeat_interleave(n)
        mask = step[None, :] <= step[:, None]  # (query, key): keys from the same or earlier steps
        for block in self.blocks:
            x = block(x, mask)
        return self.ln(x).reshape(b, t, n, d)[:, :, 0]

    def compute_loss(self, batch: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        history = self.cfg.frame_stack - 1
        obs = {k: batch["obs"][k][:, history:] for k in self.cfg.obs_keys}
        lang = self.embed_language(batch.get("language"), batch["actions"].shape[0])
        out = self._transform(self._tokens(obs, lang))
        loss, metrics = self.head.loss(out, batch["actions"], batch.get("action_pad_mask"))
        return loss, {"loss": float(loss.detach()), **metrics}

    def _act(self, x, lang, fresh):  # type: ignore[no-untyped-def]
        step = self._tokens({k: v[:, None] for k, v in x.items()}, lang)[:, 0]
        window, count = self.history.push({"tokens": step}, fresh)
        out = self._transform(window["tokens"])
        newest = (count - 1).to(out.device)
        return self.head.act(out[torch.arange(out.shape[0], device=out.device), newest])
