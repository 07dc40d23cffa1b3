"""Per-step observation encoding shared by the image policies.

:class:`StepEncoder` turns one step of observations (camera images, low-dim keys) and the
instruction embedding into per-step tokens: one per camera (a FiLM ResNet each, conditioned
on the language), one for the low-dim keys. Inputs may carry any leading dims (B, T, ...).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from robolearn.encoders.vision import FiLMResNet, VisionConfig
from robolearn.errors import ConfigError
from robolearn.policies.configs import VisionSchema


class StepEncoder(nn.Module):
    def __init__(
        self,
        image_keys: list[str],
        low_dim_size: int,
        vision: VisionSchema,
        lang_dim: int,
        token_dim: int,
    ) -> None:
        super().__init__()
        if not image_keys:
            raise ConfigError("image policies need at least one image obs key (e.g. agentview_rgb)")
        vcfg = VisionConfig(**{k: getattr(vision, k) for k in VisionConfig.__dataclass_fields__})
        self.image_keys = list(image_keys)
        self.cameras = nn.ModuleDict({k: FiLMResNet(vcfg, lang_dim) for k in image_keys})
        self.cam_proj = (
            nn.Identity() if vcfg.out_dim == token_dim else nn.Linear(vcfg.out_dim, token_dim)
        )
        self.low_proj = nn.Linear(low_dim_size, token_dim) if low_dim_size else None
        self.tokens_per_step = len(image_keys) + (1 if low_dim_size else 0)

    def forward(
        self,
        images: Mapping[str, torch.Tensor],
        low: torch.Tensor | None,
        lang: torch.Tensor | None,
    ) -> torch.Tensor:
        """images[k] (*lead, C, H, W); low (*lead, D); lang (B, L) -> (*lead, n_tokens, token)."""
        first = images[self.image_keys[0]]
        lead = first.shape[:-3]
        cond = None
        if lang is not None:
            # broadcast the per-sample embedding over the extra leading dims (time)
            cond = lang.reshape(lang.shape[0], *([1] * (len(lead) - 1)), -1).expand(*lead, -1)
            cond = cond.reshape(-1, lang.shape[-1])
        tokens = []
        for key in self.image_keys:
            img = images[key]
            feats = self.cameras[key](img.reshape(-1, *img.shape[-3:]), cond)
            tokens.append(self.cam_proj(feats).reshape(*lead, -1))
        if self.low_proj is not None and low is not None:
            tokens.append(self.low_proj(low))
        return torch.stack(tokens, dim=-2)
