"""Optimiser pieces: AdamW groups, a warmup + cosine learning rate, EMA weights, and a
seeded batch order that is a pure function of the step (so resuming needs no sampler state).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from robolearn.seeding import derive_seed

FUSED_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW; biases, norms and embeddings get no weight decay."""
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "embed" in name or "token" in name else decay).append(p)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    # The fused kernel: one pass over all tensors, about 3x faster than the default (foreach)
    # on CPU for bc_mlp (0.6 vs 2.0 ms per step); CPU and CUDA float tensors only.
    params = [*decay, *no_decay]
    fused = bool(params) and all(
        p.device.type in ("cpu", "cuda") and p.dtype in FUSED_DTYPES for p in params
    )
    return torch.optim.AdamW(groups, lr=lr, fused=fused or None)


IMPL_KEYS = ("fused", "foreach", "capturable", "differentiable")


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """``optimizer.load_state_dict(state)``, keeping this optimizer's implementation choices
    (fused kernel, foreach, ...): the saved groups carry the ones of the process that saved
    them, which may have run elsewhere or before the fused kernel was chosen."""
    groups = [
        {**saved, **{k: now[k] for k in IMPL_KEYS if k in now}}
        for saved, now in zip(state["param_groups"], optimizer.param_groups, strict=False)
    ]
    optimizer.load_state_dict({**state, "param_groups": groups})


def lr_at(step: int, base: float, total: int, warmup: int, min_ratio: float) -> float:
    """Linear warmup for ``warmup`` steps, then cosine from ``base`` to ``base * min_ratio``."""
    if warmup > 0 and step < warmup:
        return base * (step + 1) / warmup
    span = max(total - warmup, 1)
    progress = min(max(step - warmup, 0) / span, 1.0)
    return base * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


class EMA:
    """Exponential moving average of a model's floating-point parameters.

    Buffers are not averaged: they hold statistics fixed once (an instruction embedding's mean
    and std, fitted on the first batch, after the average began) or running ones, and an
    average started from their initial values would lag behind for ~1/(1 - decay) steps;
    :meth:`copy_to` takes them from the model as they are (diffusers' EMAModel does the same).
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = {
            k: v.detach().clone() for k, v in model.named_parameters() if v.is_floating_point()
        }

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for key, value in model.named_parameters():
            if key in self.shadow:
                self.shadow[key].lerp_(value.detach(), 1.0 - self.decay)

    def copy_to(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """Load the averaged weights into ``model``; returns the weights it replaced."""
        current = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict({**current, **self.shadow})
        return current


class StepBatches(torch.utils.data.Sampler[list[int]]):
    """Batches of dataset indices for steps ``start, start + 1, ...`` (endless).

    Epoch ``e`` is a permutation seeded by ``(seed, e)``; step ``s`` takes batch ``s mod B``
    of epoch ``s // B`` (``B`` full batches per epoch; the remainder is dropped). Any step's
    batch is a pure function of ``(n, batch_size, seed, s)``.
    """

    def __init__(self, n: int, batch_size: int, seed: int, start: int = 0) -> None:
        if n <= 0:
            raise ValueError("StepBatches needs a non-empty dataset")
        self.n, self.seed, self.start = n, seed, start
        self.batch_size = min(batch_size, n)
        self.per_epoch = n // self.batch_size
        self._epoch, self._order = -1, np.zeros(0, dtype=np.int64)

    def batch(self, step: int) -> list[int]:
        epoch, k = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            rng = np.random.default_rng(derive_seed(self.seed, "epoch", epoch))
            self._epoch, self._order = epoch, rng.permutation(self.n)
        batch: list[int] = self._order[k * self.batch_size : (k + 1) * self.batch_size].tolist()
        return batch

    def __iter__(self) -> Iterator[list[int]]:
        step = self.start
        while True:
            yield self.batch(step)
            step += 1

    def __len__(self) -> int:  # endless; DataLoader only needs it for len(loader)
        return 2**62
