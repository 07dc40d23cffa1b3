"""The rehearsal-free and rehearsal learners: ``seql``, ``er``, ``ewc``, ``multitask``,
``single_task`` (PackNet lives in :mod:`robolearn.lifelong.learners.packnet`)."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from robolearn.lifelong.config import (
    ERConfig,
    EWCConfig,
    MultitaskConfig,
    SeqLConfig,
    SingleTaskConfig,
)
from robolearn.lifelong.data import concat_batches, index_batch
from robolearn.lifelong.learners.base import Learner
from robolearn.lifelong.registry import LEARNERS
from robolearn.seeding import make_rng

log = logging.getLogger(__name__)


@LEARNERS.register("seql")
class SeqL(Learner):
    """Fine-tune on each task in turn (the protocol gives every task a fresh optimizer)."""

    config_cls = SeqLConfig


@LEARNERS.register("multitask")
class Multitask(Learner):
    """Every task's data in one stage: the upper bound."""

    config_cls = MultitaskConfig
    multitask = True


@LEARNERS.register("er")
class ER(Learner):
    """Experience replay with the first ``memory_per_task`` windows of each past task."""

    config_cls = ERConfig
    cfg: ERConfig

    def __init__(self, cfg: ERConfig, ctx: Any) -> None:
        super().__init__(cfg, ctx)
        if cfg.memory_per_task < 1:
            raise ValueError(f"er.memory_per_task must be >= 1, got {cfg.memory_per_task}")
        self.memory_tasks: list[int] = []
        self.memory_sizes: list[int] = []
        self.rows: dict[str, Any] | None = None  # every memory window, collated

    @property
    def memory_size(self) -> int:
        return sum(self.memory_sizes)

    @property
    def memory_nbytes(self) -> int:
        from robolearn.lifelong.data import batch_nbytes

        return batch_nbytes(self.rows) if self.rows is not None else 0

    def loss(self, batch: dict[str, Any], step: int) -> tuple[torch.Tensor, dict[str, float]]:
        if self.rows is None:
            return super().loss(batch, step)
        size = self.cfg.replay_batch_size or self.ctx.batch_size
        rng = make_rng(self.ctx.seed, "er-replay", step)
        replay = index_batch(self.rows, rng.integers(0, self.memory_size, size=size))
        return super().loss(concat_batches([batch, replay]), step)

    def _remember(self, k: int, windows: Any) -> None:
        head = windows.head(self.cfg.memory_per_task)
        self.memory_tasks.append(k)
        self.memory_sizes.append(len(head))
        self.rows = head.rows if self.rows is None else concat_batches([self.rows, head.rows])
        log.info(
            "er: memory holds %d windows of %d tasks (%.1f MB)",
            self.memory_size,
            len(self.memory_tasks),
            self.memory_nbytes / 2**20,
        )

    def end_task(self, k: int, train: Any) -> None:
        self._remember(k, train)

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        return {}, {"memory_tasks": list(self.memory_tasks)}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], data: Any) -> None:
        self.memory_tasks, self.memory_sizes, self.rows = [], [], None
        for k in meta.get("memory_tasks", []):  # the memory is a pure function of the data
            self._remember(int(k), data.train([self.ctx.tasks[int(k)]]))


@LEARNERS.register("ewc")
class EWC(Learner):
    """Online EWC: ``loss + lam / 2 * sum F (theta - theta*)^2``."""

    config_cls = EWCConfig
    cfg: EWCConfig

    def __init__(self, cfg: EWCConfig, ctx: Any) -> None:
        super().__init__(cfg, ctx)
        self.fisher: dict[str, torch.Tensor] = {}
        self.anchor: dict[str, torch.Tensor] = {}

    def penalty(self) -> torch.Tensor:
        total = torch.zeros((), device=self.ctx.device)
        for name, p in self.policy.named_parameters():
            if name in self.fisher:
                total = total + (self.fisher[name] * (p - self.anchor[name]) ** 2).sum()
        return total

    def loss(self, batch: dict[str, Any], step: int) -> tuple[torch.Tensor, dict[str, float]]:
        loss, metrics = super().loss(batch, step)
        if self.fisher:
            penalty = self.penalty()
            loss = loss + 0.5 * self.cfg.lam * penalty
            metrics["ewc_penalty"] = float(penalty.detach())
        return loss, metrics

    def task_fisher(self, k: int, train: Any) -> dict[str, torch.Tensor]:
        """Mean over batches of the squared gradients of the batch-mean loss."""
        bs = min(self.ctx.batch_size, len(train))
        order = make_rng(self.ctx.seed, "ewc-fisher", k).permutation(len(train))
        n = max(1, min(self.cfg.fisher_batches, len(train) // bs))
        params = dict(self.policy.named_parameters())
        fisher = {name: torch.zeros_like(p) for name, p in params.items() if p.requires_grad}
        for b in range(n):
            batch = train.batch(order[b * bs : (b + 1) * bs])
            self.policy.zero_grad(set_to_none=True)
            loss, _ = self.policy.compute_loss(batch)
            loss.backward()
            for name in fisher:
                grad = params[name].grad
                if grad is not None:
                    fisher[name] += grad.detach() ** 2 / n
        self.policy.zero_grad(set_to_none=True)
        return fisher

    def end_task(self, k: int, train: Any) -> None:
        new = self.task_fisher(k, train)
        for name, f in new.items():
            old = self.fisher.get(name)
            self.fisher[name] = f if old is None else self.cfg.gamma * old + f
        self.anchor = {n: p.detach().clone() for n, p in self.policy.named_parameters()}
        total = sum(float(f.sum()) for f in self.fisher.values())
        log.info("ewc: Fisher after task %d sums to %.4g", k, total)

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        tensors = {f"fisher.{n}": f for n, f in self.fisher.items()}
        tensors |= {f"anchor.{n}": a for n, a in self.anchor.items()}
        return tensors, {}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], data: Any) -> None:
        dev = self.ctx.device
        self.fisher = {k[7:]: v.to(dev) for k, v in tensors.items() if k.startswith("fisher.")}
        self.anchor = {k[7:]: v.to(dev) for k, v in tensors.items() if k.startswith("anchor.")}


@LEARNERS.register("single_task")
class SingleTask(Learner):
    """A fresh policy for every task; task ``j`` is evaluated with its own policy."""

    config_cls = SingleTaskConfig

    def __init__(self, cfg: SingleTaskConfig, ctx: Any) -> None:
        super().__init__(cfg, ctx)
        self.done: dict[int, dict[str, torch.Tensor]] = {}
        self._spare: Any = None

    def begin_task(self, k: int, train: Any) -> None:
        if k > 0:
            self.policy = self.ctx.new_policy(k)

    def end_task(self, k: int, train: Any) -> None:
        self.done[k] = {n: v.detach().clone() for n, v in self.policy.state_dict().items()}

    def eval_groups(self, positions: Sequence[int]) -> list[tuple[Hashable, list[int]]]:
        return self.own_view_groups(positions, lambda j: j in self.done)

    @contextmanager
    def view(self, key: Hashable) -> Iterator[Any]:
        if key is None:
            yield self.policy
            return
        if self._spare is None:
            self._spare = self.ctx.new_policy(0)
        assert isinstance(key, int)
        self._spare.load_state_dict(self.done[key])
        yield self._spare

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        tensors = {f"task{j}.{n}": v for j, sd in self.done.items() for n, v in sd.items()}
        return tensors, {"done": sorted(self.done)}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], data: Any) -> None:
        self.done = {}
        for j in meta.get("done", []):
            prefix = f"task{j}."
            self.done[int(j)] = {
                k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)
            }
