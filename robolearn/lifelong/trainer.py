"""One training phase of one task: epochs of seeded batches through the learner's loss.

The optimizer (AdamW, :func:`robolearn.training.optim.make_optimizer`) and the warmup/cosine
schedule (:func:`~robolearn.training.optim.lr_at`) are fresh for every phase, as LIBERO does
for every task. The batch of step ``s`` is
:class:`~robolearn.training.optim.StepBatches` ``(seed).batch(s)``: a pure function of the
step, so a resumed phase sees exactly the batches it would have seen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from robolearn.training.optim import StepBatches, lr_at, make_optimizer


def to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    if device.type == "cpu":
        return batch
    from robolearn.training.fit import to_device as move

    return move(batch, device)


class PhaseTrainer:
    def __init__(
        self, learner: Any, train: Any, cfg: Any, epochs: int, seed: int, device: torch.device
    ) -> None:
        self.learner, self.train, self.cfg, self.device = learner, train, cfg, device
        self.batches = StepBatches(len(train), cfg.batch_size, seed)
        self.steps_per_epoch = self.batches.per_epoch
        self.total = max(1, epochs * self.steps_per_epoch)
        self.optimizer = make_optimizer(learner.policy, cfg.lr, cfg.weight_decay)

    def epoch(self, epoch: int, global_step: int) -> dict[str, float]:
        """Train epoch ``epoch`` (1-based); mean training metrics of its steps."""
        cfg, policy = self.cfg, self.learner.policy
        policy.train()
        sums: dict[str, float] = {}
        first = (epoch - 1) * self.steps_per_epoch
        for i in range(self.steps_per_epoch):
            step = first + i
            lr = lr_at(step, cfg.lr, self.total, cfg.warmup_steps, cfg.min_lr_ratio)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            batch = to_device(self.train.batch(self.batches.batch(step)), self.device)
            loss, metrics = self.learner.loss(batch, global_step + i)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"loss is {value} at step {step}; lower train.lr")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.learner.before_step()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.grad_clip)
            self.optimizer.step()
            self.learner.after_step()
            metrics = {"loss": value, **metrics, "lr": lr}
            for k, v in metrics.items():
                sums[k] = sums.get(k, 0.0) + float(v)
        return {k: v / max(1, self.steps_per_epoch) for k, v in sums.items()}


@torch.no_grad()
def validation_metrics(policy: Any, valid: Any, cfg: Any, device: torch.device) -> dict[str, float]:
    """Mean loss (``loss``) and the policy's metrics (e.g. ``mse``, the action error) over the
    first ``cfg.valid_batches`` batches of ``valid`` (fixed order), weighted by batch size."""
    was = policy.training
    policy.eval()
    sums: dict[str, float] = {}
    count = 0
    n = len(valid)
    with torch.random.fork_rng(devices=[]):
        for b in range(min(cfg.valid_batches, math.ceil(n / cfg.batch_size))):
            idx = np.arange(b * cfg.batch_size, min(n, (b + 1) * cfg.batch_size))
            loss, metrics = policy.compute_loss(to_device(valid.batch(idx), device))
            for key, value in {"loss": float(loss), **metrics}.items():
                sums[key] = sums.get(key, 0.0) + float(value) * len(idx)
            count += len(idx)
    policy.train(was)
    return {k: v / max(count, 1) for k, v in sums.items()}
