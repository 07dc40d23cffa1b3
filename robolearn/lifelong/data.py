"""Demo windows for lifelong runs: one layout and one normaliser for every task of a run.

Tasks of a suite can have different low-dim sizes (more objects, a longer ``object_state``);
a lifelong policy must see one layout from the first task on. :class:`RunData` therefore reads
every task's train split once up front (demos are collected first if missing) for the
zero-padded layout, the :class:`~robolearn.policies.base.PolicySpec` and the normaliser (a
fixed preprocessing shared by every learner), then hands out per-task :class:`Windows`.

:class:`Windows` are a task's demo windows as batches: low-dim data is *materialised* (all
windows collated once into tensors; a batch is then a tensor gather), image data is collated
item by item from the :class:`~robolearn.data.dataset.DemoDataset`. Either way low-dim obs
are zero-padded to the run's layout and normalised, as the policy does at rollout time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from robolearn.errors import DataError

log = logging.getLogger(__name__)
TENSOR_FIELDS = ("actions", "pad_mask", "action_pad_mask", "timestep")
LIST_FIELDS = ("language", "task_id")


def _collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    from torch.utils.data import default_collate

    batch: dict[str, Any] = default_collate(items)
    if "timestep" in batch:
        batch["timestep"] = torch.as_tensor(batch["timestep"])
    return batch


def index_batch(batch: dict[str, Any], idx: np.ndarray) -> dict[str, Any]:
    """Rows ``idx`` of a collated batch (tensors gathered, lists picked)."""
    tidx = torch.from_numpy(np.asarray(idx, dtype=np.int64))
    out: dict[str, Any] = {}
    for key, value in batch.items():
        if isinstance(value, dict):
            out[key] = {k: v.index_select(0, tidx) for k, v in value.items()}
        elif isinstance(value, torch.Tensor):
            out[key] = value.index_select(0, tidx)
        else:
            out[key] = [value[int(i)] for i in idx]
    return out


def concat_batches(batches: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One batch from several with the same fields (tensors concatenated, lists joined)."""
    first = batches[0]
    out: dict[str, Any] = {}
    for key, value in first.items():
        if isinstance(value, dict):
            out[key] = {k: torch.cat([b[key][k] for b in batches]) for k in value}
        elif isinstance(value, torch.Tensor):
            out[key] = torch.cat([b[key] for b in batches])
        else:
            out[key] = [x for b in batches for x in b[key]]
    return out


def batch_nbytes(batch: dict[str, Any]) -> int:
    total = 0
    for value in batch.values():
        if isinstance(value, dict):
            total += sum(v.numel() * v.element_size() for v in value.values())
        elif isinstance(value, torch.Tensor):
            total += value.numel() * value.element_size()
    return total


class Windows:
    """A task's (or several tasks') windows as batches; see the module docstring."""

    def __init__(
        self, dataset: Any, finish: Any, materialize: bool, rows: dict[str, Any] | None = None
    ) -> None:
        self.dataset, self._finish = dataset, finish
        self.rows = rows
        if rows is None and materialize:
            self.rows = self._collate_all()
        self._n = int(self.rows["actions"].shape[0]) if self.rows is not None else len(dataset)

    def _collate_all(self, limit: int | None = None) -> dict[str, Any]:
        n = len(self.dataset) if limit is None else min(limit, len(self.dataset))
        parts = []
        for start in range(0, n, 512):
            items = [self.dataset[i] for i in range(start, min(start + 512, n))]
            parts.append(self._finish(_collate(items)))
        return concat_batches(parts)

    def __len__(self) -> int:
        return self._n

    @property
    def materialized(self) -> bool:
        return self.rows is not None

    def batch(self, idx: Sequence[int] | np.ndarray) -> dict[str, Any]:
        idx = np.asarray(idx, dtype=np.int64)
        if self.rows is not None:
            return index_batch(self.rows, idx)
        return self._finish(_collate([self.dataset[int(i)] for i in idx]))

    def head(self, n: int) -> Windows:
        """The first ``n`` windows (dataset order), materialised: ER's memory."""
        if self.rows is not None:
            rows = index_batch(self.rows, np.arange(min(n, len(self))))
        else:
            rows = self._collate_all(n)
        return Windows(None, self._finish, True, rows)

    @property
    def nbytes(self) -> int:
        return batch_nbytes(self.rows) if self.rows is not None else 0


class RunData:
    """Demo files, layout, spec and normaliser of a run's tasks; per-task :class:`Windows`."""

    def __init__(self, tasks: Sequence[str], data_cfg: Any, policy_cfg: Any) -> None:
        from robolearn.data.dataset import DemoDataset
        from robolearn.data.schema import written_stamps
        from robolearn.policies.base import PolicySpec
        from robolearn.training.pipeline import ensure_demos, extra_demo_paths

        self.tasks = list(tasks)
        self.cfg, self.policy_cfg = data_cfg, policy_cfg
        self.obs_keys = list(policy_cfg.obs_keys)
        extra = extra_demo_paths(self.tasks, data_cfg)
        self.paths: dict[str, list[Path]] = {
            t: [p, *extra[t]]
            for t, p in zip(self.tasks, ensure_demos(self.tasks, data_cfg, self.obs_keys))
        }
        files = [p for t in self.tasks for p in self.paths[t]]
        # when each file was written: a resume refuses files written again since
        self.demo_files = written_stamps(files)
        full = DemoDataset(files, split=data_cfg.train_split, **self._common())
        self.normalizer = full.compute_normalizer()
        full.set_normalizer(self.normalizer)
        self.spec = PolicySpec.from_dataset(full)
        self.sizes = dict(full.low_dim_sizes)
        self.image_keys = set(full.image_keys)
        log.info(
            "run data: %d tasks, %d train windows, low-dim sizes %s",
            len(self.tasks),
            len(full),
            self.sizes,
        )

    def _common(self) -> dict[str, Any]:
        return {
            "obs_keys": self.obs_keys,
            "seq_len": self.policy_cfg.seq_len,
            "frame_stack": self.policy_cfg.frame_stack,
            "pad_low_dim": True,
            "cache": self.cfg.cache,
            "cache_budget_mb": self.cfg.cache_budget_mb,
            "action_key": self.cfg.action_key,
        }

    def finish(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Zero-pad low-dim obs to the run's layout and normalise them and the actions."""
        obs = {}
        for key, value in batch["obs"].items():
            if key in self.image_keys or key not in self.sizes:
                obs[key] = value
                continue
            x = value.numpy().astype(np.float32, copy=False)
            if x.shape[-1] < self.sizes[key]:
                pad = np.zeros((*x.shape[:-1], self.sizes[key] - x.shape[-1]), np.float32)
                x = np.concatenate([x, pad], axis=-1)
            obs[key] = torch.from_numpy(
                self.normalizer.normalize(f"obs/{key}", x).astype(np.float32, copy=False)
            )
        actions = self.normalizer.normalize("actions", batch["actions"].numpy())
        return {**batch, "obs": obs, "actions": torch.from_numpy(actions.astype(np.float32))}

    def windows(self, tasks: Sequence[str], split: str | None) -> Windows:
        """The windows of ``tasks`` in ``split`` (DataError when the split has none)."""
        from robolearn.data.dataset import DemoDataset

        files = [p for t in tasks for p in self.paths[t]]
        dataset = DemoDataset(files, split=split, **self._common())
        return Windows(dataset, self.finish, materialize=not self.image_keys)

    def train(self, tasks: Sequence[str]) -> Windows:
        return self.windows(tasks, self.cfg.train_split)

    def valid(self, tasks: Sequence[str]) -> Windows | None:
        if not self.cfg.valid_split:
            return None
        try:
            return self.windows(tasks, self.cfg.valid_split)
        except DataError as exc:
            raise DataError(
                f"{exc}; protocol.select_by=valid_mse/valid_loss needs the held-out split "
                f"data.valid_split={self.cfg.valid_split!r} in every demo file (or choose "
                "protocol.select_by=last)"
            ) from exc


class AttrDict(dict):  # type: ignore[type-arg]
    """A dict with attribute access (ensure_demos and DemoDataset read ``data.root`` etc.)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
