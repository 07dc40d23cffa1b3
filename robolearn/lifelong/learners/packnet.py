"""PackNet (Mallya & Lazebnik 2018), as LIBERO runs it.

Every weight tensor (``ndim >= 2``: linear and embedding weights) carries an *owner* map: the
task that owns each entry, or ``FREE``. Task ``k`` trains only the free entries; the entries
of earlier tasks are frozen. After training, ``prune`` of the entries task ``k`` trained are
released by magnitude (per tensor) and zeroed (with ``allocation="equal"``: all but
``1 / (K - k)`` of them, ``K`` tasks in the ordering, so each task keeps an equal share of
every tensor), the rest become task ``k``'s, and a short
fine-tune phase trains only those. 1-D parameters (biases, norm scales) are trained on the
first task and frozen afterwards. Evaluating task ``j`` uses only the entries owned by tasks
``<= j`` (the task id selects the weights), so earlier tasks' outputs never change: frozen
values are written back after every optimizer step (AdamW's weight decay would move them).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from robolearn.errors import ConfigError
from robolearn.lifelong.config import PackNetConfig
from robolearn.lifelong.learners.base import Learner
from robolearn.lifelong.registry import LEARNERS

log = logging.getLogger(__name__)
FREE = -1


@LEARNERS.register("packnet")
class PackNet(Learner):
    config_cls = PackNetConfig
    cfg: PackNetConfig

    def __init__(self, cfg: PackNetConfig, ctx: Any) -> None:
        super().__init__(cfg, ctx)
        if not 0.0 <= cfg.prune < 1.0:
            raise ConfigError(f"packnet.prune must be in [0, 1), got {cfg.prune}")
        if cfg.allocation not in ("prune", "equal"):
            raise ConfigError(
                f"packnet.allocation must be 'prune' (keep 1 - prune of the free weights per "
                f"task) or 'equal' (every task an equal share), got {cfg.allocation!r}"
            )
        if cfg.finetune_epochs < 0:
            raise ConfigError(f"packnet.finetune_epochs must be >= 0, got {cfg.finetune_epochs}")
        self.finetune_epochs = cfg.finetune_epochs
        self.owner = {
            name: torch.full(p.shape, FREE, dtype=torch.int16, device=p.device)
            for name, p in self.policy.named_parameters()
            if p.ndim >= 2
        }
        self.finished = -1  # the last task whose weights are packed
        self._mask: dict[str, torch.Tensor] = {}
        self._frozen: dict[str, torch.Tensor] = {}

    # -- training -------------------------------------------------------------------------
    def begin_phase(self, k: int, phase: str) -> None:
        """Which entries this phase trains; snapshot the rest (restored after each step).

        The masks are kept as 0/1 floats and the snapshot as ``frozen * (1 - mask)``: the
        per-step work is then a multiply and an add, exact for finite values (x * 1 + 0 = x,
        x * 0 + f = f) and about 30x faster on one CPU thread than boolean ``masked_fill_`` /
        ``torch.where`` (1.2 ms against 36-82 us for a 512 x 512 tensor)."""
        self._mask, self._frozen = {}, {}
        with torch.no_grad():
            for name, p in self.policy.named_parameters():
                if name in self.owner:
                    mask = self.owner[name] == (FREE if phase == "train" else k)
                else:
                    mask = torch.full(p.shape, k == 0, dtype=torch.bool, device=p.device)
                self._mask[name] = mask.to(p.dtype)
                self._frozen[name] = p.detach().clone().masked_fill_(mask, 0.0)

    def before_step(self) -> None:
        for name, p in self.policy.named_parameters():
            if p.grad is not None:
                p.grad.mul_(self._mask[name])

    @torch.no_grad()
    def after_step(self) -> None:
        for name, p in self.policy.named_parameters():
            p.mul_(self._mask[name]).add_(self._frozen[name])

    def keep_fraction(self, k: int) -> float:
        """The fraction of the free entries task ``k`` keeps after training."""
        if self.cfg.allocation == "equal":
            return 1.0 / max(1, len(self.ctx.tasks) - k)
        return 1.0 - self.cfg.prune

    @torch.no_grad()
    def before_finetune(self, k: int) -> None:
        """Keep the largest ``keep_fraction(k)`` of the entries task ``k`` trained; zero the
        rest."""
        kept = total = 0
        keep = self.keep_fraction(k)
        params = dict(self.policy.named_parameters())
        for name, owner in self.owner.items():
            p = params[name]
            free = (owner == FREE).flatten()
            idx = torch.nonzero(free).flatten()
            n_keep = round(len(idx) * keep)
            flat_owner, flat_p = owner.view(-1), p.view(-1)
            if n_keep > 0:
                order = torch.argsort(flat_p[idx].abs(), descending=True, stable=True)
                flat_owner[idx[order[:n_keep]]] = k
            flat_p[free & (flat_owner == FREE)] = 0.0
            kept, total = kept + n_keep, total + len(idx)
        log.info("packnet: task %d keeps %d of %d free weights", k, kept, total)

    def end_task(self, k: int, train: Any) -> None:
        self.finished = k
        self._mask, self._frozen = {}, {}

    def free_fraction(self) -> float:
        free = sum(int((o == FREE).sum()) for o in self.owner.values())
        return free / max(1, sum(o.numel() for o in self.owner.values()))

    # -- evaluation with the task id ------------------------------------------------------
    def eval_groups(self, positions: Sequence[int]) -> list[tuple[Hashable, list[int]]]:
        return self.own_view_groups(positions, lambda j: j <= self.finished)

    @contextmanager
    def view(self, key: Hashable) -> Iterator[Any]:
        """Task ``key``'s network: only entries owned by tasks ``<= key`` (None: as is)."""
        if key is None:
            yield self.policy
            return
        assert isinstance(key, int)
        params = dict(self.policy.named_parameters())
        saved = {name: params[name].detach().clone() for name in self.owner}
        try:
            with torch.no_grad():
                for name, owner in self.owner.items():
                    params[name].masked_fill_((owner < 0) | (owner > key), 0.0)
            yield self.policy
        finally:
            with torch.no_grad():
                for name, value in saved.items():
                    params[name].copy_(value)

    # -- persistence ----------------------------------------------------------------------
    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        return {f"owner.{n}": o for n, o in self.owner.items()}, {"finished": self.finished}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], data: Any) -> None:
        for name in self.owner:
            self.owner[name] = tensors[f"owner.{name}"].to(self.owner[name].device)
        self.finished = int(meta.get("finished", -1))
