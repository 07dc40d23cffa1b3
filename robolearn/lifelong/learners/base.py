"""The learner interface: what a lifelong-learning algorithm may change in the protocol.

The protocol (:mod:`robolearn.lifelong.protocol`) owns the loop over tasks, epochs, batches,
evaluations, model selection and checkpoints. A :class:`Learner` owns the policy (or
policies) and hooks into that loop:

- ``begin_task(k, train)``: before task ``k`` (position in the ordering) is learned;
- ``begin_phase(k, phase)``: before a phase's epochs, once its weights are in place;
- ``loss(batch, step)``: the training loss of one step (ER adds replay, EWC a penalty);
- ``before_step()`` / ``after_step()``: around ``optimizer.step()`` (PackNet freezes weights);
- ``finetune_epochs`` and ``before_finetune(k)``: an optional second phase per task (PackNet
  prunes, then fine-tunes);
- ``end_task(k, train)``: after the task's kept checkpoint is restored (ER stores memory,
  EWC computes the Fisher);
- ``eval_groups(positions)`` and ``view(key)``: which weights evaluate which task (PackNet
  selects a task's weights by its id; single_task keeps one policy per task);
- ``state()`` / ``load_state()``: everything a resumed run needs besides the policy weights.

``multitask = True`` makes the protocol learn every task in one stage. The plain base class
is sequential fine-tuning (``seql``). Later learners (a LoRA skill library, retrieval) plug in
by subclassing and registering in :data:`robolearn.lifelong.registry.LEARNERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from robolearn.lifelong.config import LearnerConfig


@dataclass
class LearnerContext:
    """What the protocol hands a learner."""

    tasks: list[str]  # the ordering
    new_policy: Callable[[int], Any]  # seed key -> a fresh policy (same spec, normaliser, text)
    batch_size: int
    seed: int
    device: torch.device


class Learner:
    """Sequential fine-tuning; the base of every learner. See the module docstring."""

    config_cls: ClassVar[type[LearnerConfig]] = LearnerConfig
    multitask: ClassVar[bool] = False

    def __init__(self, cfg: LearnerConfig, ctx: LearnerContext) -> None:
        self.cfg, self.ctx = cfg, ctx
        self.policy = ctx.new_policy(0)
        self.finetune_epochs = 0

    @property
    def name(self) -> str:
        return self.cfg.name

    # -- training hooks -------------------------------------------------------------------
    def begin_task(self, k: int, train: Any) -> None:
        """Before learning task ``k``."""

    def loss(self, batch: dict[str, Any], step: int) -> tuple[torch.Tensor, dict[str, float]]:
        loss, metrics = self.policy.compute_loss(batch)
        return loss, dict(metrics)

    def begin_phase(self, k: int, phase: str) -> None:
        """Before the epochs of ``phase`` ("train" or "finetune") of task ``k``, with the
        phase's starting weights (or, on a resume, the checkpoint's) in the policy."""

    def before_step(self) -> None:
        """After ``backward()``, before ``optimizer.step()``."""

    def after_step(self) -> None:
        """After ``optimizer.step()``."""

    def before_finetune(self, k: int) -> None:
        """Between the training and the fine-tuning phase of task ``k``."""

    def end_task(self, k: int, train: Any) -> None:
        """After task ``k``'s kept checkpoint is restored, before the post-task evaluation."""

    # -- evaluation -----------------------------------------------------------------------
    def eval_groups(self, positions: Sequence[int]) -> list[tuple[Hashable, list[int]]]:
        """Group task positions by the weights that evaluate them: ``[(view key, [k...])]``."""
        return [(None, list(positions))]

    @staticmethod
    def own_view_groups(
        positions: Sequence[int], has_own: Callable[[int], bool]
    ) -> list[tuple[Hashable, list[int]]]:
        """:meth:`eval_groups` of a learner that keeps per-task weights: each task with its
        own (``has_own``) is its own group, keyed by its position; the rest share the current
        policy (key None)."""
        own: list[tuple[Hashable, list[int]]] = [(j, [j]) for j in positions if has_own(j)]
        rest = [j for j in positions if not has_own(j)]
        return own + ([(None, rest)] if rest else [])

    @contextmanager
    def view(self, key: Hashable) -> Iterator[Any]:
        """The policy to evaluate a group with (``key`` from :meth:`eval_groups`)."""
        yield self.policy

    # -- persistence ----------------------------------------------------------------------
    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """(tensors, JSON-able metadata) beyond the current policy's weights."""
        return {}, {}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], data: Any) -> None:
        """Restore :meth:`state`; ``data`` (a RunData) lets a learner rebuild derived state."""
