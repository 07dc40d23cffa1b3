"""A torch Dataset of fixed-length windows over one or many demo files.

Windows follow robomimic's ``SequenceDataset`` convention. Every demo of length ``T`` gives
one window per start step ``t`` (``t`` from 0, or from ``frame_stack - 1`` when
``pad_frame_stack=False``, up to ``T - 1``, or ``T - seq_len`` when ``pad_seq=False``). The
window covers steps ``[t - (frame_stack - 1), t + seq_len)``:

- ``obs[key]``: ``(frame_stack - 1 + seq_len, ...)``: ``frame_stack - 1`` past frames, then
  the ``seq_len`` steps from ``t``;
- ``actions``: ``(seq_len, A)``, the actions of steps ``[t, t + seq_len)``. (robomimic also
  prepends ``frame_stack - 1`` past actions; identical when ``frame_stack == 1``.)
- ``pad_mask``: ``(frame_stack - 1 + seq_len,)`` bool, True where the obs frame is real;
  ``action_pad_mask``: ``(seq_len,)`` bool, the same for actions (``pad_mask[frame_stack-1:]``),
  also False on a recovery demo's deliberate mistakes (its ``action_mask``), which get no loss.

Recovery demos (collected with ``miss > 0``) mark the steps of a deliberate miss in
``action_mask``; no window starts on one (their actions are no label), later windows keep
the states after it (the expert's lift, release and retry).

Steps before 0 or after ``T - 1`` repeat the first or last real frame (robomimic's
``pad_same``). Images (uint8 ``(T, H, W, C)`` in the file) come out as uint8 **CHW** tensors
``(L, C, H, W)``, upright; low-dimensional obs and actions as float32, normalised if a
:class:`~robolearn.data.normalizer.Normalizer` holds their key (``"obs/<key>"``;
``"actions"`` for the actions, whichever ``action_key`` they are read from). Each item also
carries ``language`` (the demo's instruction, if ``language=True``), ``task_id`` and
``timestep`` (``t``). An item depends only on its index.

HDF5 files are opened lazily in each process (DataLoader workers included) and never pickled.
``cache="low_dim"`` keeps non-image arrays in RAM; ``cache="all"`` adds image arrays until
``cache_budget_mb`` is reached, the rest is read from disk. The cache is built before workers
fork, so they share it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from robolearn.data import schema
from robolearn.data.batching import Batch, FlatCache, fast_path_keys, gather_batch
from robolearn.data.importers import open_demo_file
from robolearn.data.normalizer import Normalizer
from robolearn.data.reader import DemoFile
from robolearn.errors import DataError

log = logging.getLogger(__name__)

CACHE_MODES = ("none", "low_dim", "all")


def pad_edges(array: np.ndarray, before: int, after: int) -> np.ndarray:
    """A new array: ``array`` with its first row repeated ``before`` times, last ``after``."""
    if before == 0 and after == 0:
        return array.copy()
    parts = [np.repeat(array[:1], before, axis=0), array, np.repeat(array[-1:], after, axis=0)]
    return np.concatenate(parts, axis=0)


def window_count(length: int, seq_len: int, frame_stack: int, pad_seq: bool, pad_fs: bool) -> int:
    """How many windows a demo of ``length`` steps gives (robomimic's rule)."""
    offset = 0 if pad_fs else frame_stack - 1
    return max(length - offset - (0 if pad_seq else seq_len - 1), 0)


class DemoDataset(Dataset):
    """Windows of observations and actions from demo files; see the module docstring.

    Args:
        files: demo files (robolearn, robomimic or LIBERO; paths or opened readers).
        obs_keys: observation keys to return (names as the reader gives them).
        seq_len: steps per window.
        frame_stack: observation history; obs windows have ``frame_stack - 1`` extra frames.
        pad_seq: keep windows that run past the end (padded with the last frame).
        pad_frame_stack: keep windows whose history starts before step 0 (padded).
        action_key: the demo-relative key of the actions (``expert_actions``: the clean labels
            of demos collected with DART noise); the normaliser names them ``actions`` either way.
        normalizer: normalises low-dimensional obs and actions whose keys it holds.
        cache: "none", "low_dim" or "all".
        cache_budget_mb: RAM the cache may use.
        language: include each sample's instruction as ``language``.
        split: a mask name (e.g. "train") selecting demos in every file; None for all.
        pad_low_dim: zero-pad each low-dim obs key to its largest size over the files, so
            tasks with fewer objects (a shorter ``object_state``) share one layout.
    """

    def __init__(
        self,
        files: Sequence[str | os.PathLike[str] | DemoFile],
        obs_keys: Sequence[str],
        seq_len: int = 10,
        frame_stack: int = 1,
        pad_seq: bool = True,
        pad_frame_stack: bool = True,
        action_key: str = schema.ACTIONS,
        normalizer: Normalizer | None = None,
        cache: str = "none",
        cache_budget_mb: float = 4096.0,
        language: bool = True,
        split: str | None = None,
        pad_low_dim: bool = False,
    ) -> None:
        if seq_len < 1 or frame_stack < 1:
            raise ValueError(f"seq_len and frame_stack must be >= 1, got {seq_len}, {frame_stack}")
        if cache not in CACHE_MODES:
            raise ValueError(f"cache must be one of {CACHE_MODES}, got {cache!r}")
        if not files:
            raise DataError("DemoDataset got no files; pass at least one demo file")
        self.obs_keys = list(obs_keys)
        self.seq_len, self.frame_stack = seq_len, frame_stack
        self.pad_seq, self.pad_frame_stack = pad_seq, pad_frame_stack
        self.action_key = action_key
        self.normalizer = normalizer
        self.cache_mode = cache
        self.cache_budget_bytes = int(cache_budget_mb * 2**20)
        self.language = language
        self.split = split
        self.pad_low_dim = pad_low_dim
        self.low_dim_sizes: dict[str, int] = {}  # obs key -> last-dim size (max over files)
        self._files = [f if isinstance(f, DemoFile) else open_demo_file(f) for f in files]
        self.image_keys: frozenset[str] = frozenset()
        self.frame_keys: frozenset[str] = frozenset()  # per-frame arrays (ndim >= 3): never low-dim
        # per demo: file index, name, length, language, task id
        self._demos: list[tuple[int, str, int, str, str]] = []
        self._learn: dict[int, np.ndarray] = {}  # demo -> action_mask (recovery demos only)
        self._check_and_list_demos()
        counts = np.array(
            [
                window_count(d[2], seq_len, frame_stack, pad_seq, pad_frame_stack)
                for d in self._demos
            ],
            dtype=np.int64,
        )
        offset = 0 if pad_frame_stack else frame_stack - 1
        self._demo_of = np.repeat(np.arange(len(self._demos), dtype=np.int64), counts)
        starts = np.arange(len(self._demo_of), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        self._start = starts + offset
        if self._learn:  # no window starts on a deliberate mistake (its action is no label)
            keep = np.ones(len(self._start), dtype=bool)
            ends = np.cumsum(counts)  # demo d's windows are rows [ends[d] - counts[d], ends[d])
            for d, learn in self._learn.items():
                rows = slice(int(ends[d] - counts[d]), int(ends[d]))
                keep[rows] = learn[self._start[rows]]
            self._demo_of, self._start = self._demo_of[keep], self._start[keep]
        if len(self._demo_of) == 0:
            raise DataError(
                f"no windows of seq_len={seq_len}, frame_stack={frame_stack} fit the demos of "
                f"{[str(f.path) for f in self._files]} (split={split!r}); pad or shorten the "
                "windows, or choose another split"
            )
        self._cache: dict[tuple[int, str], np.ndarray] = {}
        self._flat: FlatCache | bool | None = None  # built on the first batch, per process
        self.cached_bytes = 0
        self._build_cache()
        for demo_file in self._files:
            demo_file.close()  # workers reopen lazily; no handle crosses a fork or a pickle

    # -- setup -------------------------------------------------------------------------------
    def _check_and_list_demos(self) -> None:
        image_keys: set[str] | None = None
        frame_keys: set[str] = set()
        for i, demo_file in enumerate(self._files):
            available = demo_file.obs_keys()
            missing = [k for k in self.obs_keys if k not in available]
            if missing:
                raise DataError(
                    f"demo file {demo_file.path} has no obs key(s) {missing}; it has "
                    f"{available}. Drop them from the policy's obs_keys, or re-collect the file "
                    "(files from before a key existed: delete it and rerun; the same seed gives "
                    "the same demos)"
                )
            names = demo_file.mask(self.split) if self.split else demo_file.demo_names()
            if not names:
                continue
            try:
                demo_file.dataset(names[0], self.action_key)  # DataError naming file and key
            except DataError as exc:
                if self.action_key != schema.EXPERT_ACTIONS:
                    raise
                raise DataError(
                    f"{exc}; 'expert_actions' exist only in demos collected with DART noise "
                    "(collect perturb>0, or train data.perturb>0 with a fresh data.root)"
                ) from exc
            images = {k for k in self.obs_keys if demo_file.is_image(k)}
            if image_keys is not None and images != image_keys:
                raise DataError(
                    f"demo file {demo_file.path} has image keys {sorted(images)}, other files "
                    f"{sorted(image_keys)}; use files with the same observation layout"
                )
            image_keys = images
            for key in self.obs_keys:
                handle = demo_file.dataset(names[0], f"{schema.OBS}/{key}")
                if handle.ndim >= 3:
                    frame_keys.add(key)
                elif handle.ndim == 2:
                    size = self.low_dim_sizes.get(key, handle.shape[-1])
                    if size != handle.shape[-1] and not self.pad_low_dim:
                        raise DataError(
                            f"obs key {key!r} has {handle.shape[-1]} dims in {demo_file.path} "
                            f"but {size} in another file; pass pad_low_dim=True to zero-pad"
                        )
                    self.low_dim_sizes[key] = max(size, handle.shape[-1])
            task_id = demo_file.task_id
            for name in names:
                lang = demo_file.language(name) if self.language else ""
                learn = demo_file.action_mask(name)
                if learn is not None and learn.shape != (demo_file.length(name),):
                    raise DataError(
                        f"demo file {demo_file.path}: data/{name}/action_mask has shape "
                        f"{learn.shape}, the demo {demo_file.length(name)} steps; re-collect it"
                    )
                if learn is not None and not learn.all():
                    self._learn[len(self._demos)] = learn
                self._demos.append((i, name, demo_file.length(name), lang, task_id))
        self.image_keys = frozenset(image_keys or ())
        self.frame_keys = frozenset(frame_keys | self.image_keys)

    def _cache_keys(self) -> list[str]:
        low_dim = [f"{schema.OBS}/{k}" for k in self.obs_keys if k not in self.frame_keys]
        keys = [*low_dim, self.action_key]
        if self.cache_mode == "all":
            keys += [f"{schema.OBS}/{k}" for k in self.obs_keys if k in self.frame_keys]
        return keys

    def _build_cache(self) -> None:
        if self.cache_mode == "none":
            return
        skipped = 0
        for key in self._cache_keys():  # low-dim keys first: they are small and hit every item
            for d, (fi, name, _, _, _) in enumerate(self._demos):
                handle = self._files[fi].dataset(name, key)
                itemsize = handle.dtype.itemsize if self._is_frame(key) else 4  # low-dim: float32
                nbytes = int(np.prod(handle.shape)) * itemsize
                if self.cached_bytes + nbytes > self.cache_budget_bytes:
                    skipped += 1
                    continue
                array = self._load(fi, name, key, 0, None)
                self._cache[(d, key)] = array
                self.cached_bytes += array.nbytes
        if skipped:
            log.warning(
                "DemoDataset cache budget %.0f MB reached: %d arrays are read from disk",
                self.cache_budget_bytes / 2**20,
                skipped,
            )
        log.info("DemoDataset cached %.1f MB (%s)", self.cached_bytes / 2**20, self.cache_mode)

    def cache_info(self) -> dict[str, Any]:
        """Cache mode, budget, bytes and arrays cached."""
        return {
            "mode": self.cache_mode,
            "budget_bytes": self.cache_budget_bytes,
            "cached_bytes": self.cached_bytes,
            "cached_arrays": len(self._cache),
        }

    # -- reading -----------------------------------------------------------------------------
    def _is_frame(self, key: str) -> bool:
        return key.startswith(f"{schema.OBS}/") and key[len(schema.OBS) + 1 :] in self.frame_keys

    def _load(self, fi: int, name: str, key: str, start: int, stop: int | None) -> np.ndarray:
        """Rows of ``key`` from disk: images as CHW uint8, low-dim as float32."""
        array = self._files[fi].read(name, key, start, stop)
        if key.startswith(f"{schema.OBS}/") and key[len(schema.OBS) + 1 :] in self.image_keys:
            return np.ascontiguousarray(array.transpose(0, 3, 1, 2))
        if self._is_frame(key):
            return array
        array = array.astype(np.float32, copy=False)
        obs_key = key[len(schema.OBS) + 1 :] if key.startswith(f"{schema.OBS}/") else None
        size = self.low_dim_sizes.get(obs_key) if self.pad_low_dim and obs_key else None
        if size is not None and array.ndim == 2 and array.shape[-1] < size:
            pad = np.zeros((array.shape[0], size - array.shape[-1]), dtype=np.float32)
            array = np.concatenate([array, pad], axis=-1)
        return array

    def _window(self, d: int, key: str, start: int, stop: int, before: int, after: int) -> Any:
        cached = self._cache.get((d, key))
        if cached is not None:
            array = pad_edges(cached[start:stop], before, after)  # a copy: the cache stays intact
        else:
            fi, name = self._demos[d][0], self._demos[d][1]
            array = self._load(fi, name, key, start, stop)
            if before or after:
                array = pad_edges(array, before, after)
        norm_key = self.norm_key(key)
        if self.normalizer is not None and norm_key in self.normalizer and not self._is_frame(key):
            array = self.normalizer.normalize(norm_key, array).astype(np.float32, copy=False)
        return torch.from_numpy(array)

    def norm_key(self, key: str) -> str:
        """The normaliser's name for a file key: the actions are always ``"actions"`` (the
        name a policy unnormalises), whichever ``action_key`` they are read from."""
        return schema.ACTIONS if key == self.action_key else key

    def __len__(self) -> int:
        return len(self._demo_of)

    def index_info(self, index: int) -> tuple[str, str, int]:
        """(file path, demo name, start step ``t``) of window ``index``."""
        d = int(self._demo_of[index])
        return str(self._files[self._demos[d][0]].path), self._demos[d][1], int(self._start[index])

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = len(self)
        i = int(index) + (n if int(index) < 0 else 0)
        if not 0 <= i < n:
            raise IndexError(f"window {index} out of range for {n} windows")
        d, t = int(self._demo_of[i]), int(self._start[i])
        length, lang, task_id = self._demos[d][2], self._demos[d][3], self._demos[d][4]
        history = self.frame_stack - 1
        begin, end = max(0, t - history), min(length, t + self.seq_len)
        before, after = history - (t - begin), t + self.seq_len - end
        obs = {
            k: self._window(d, f"{schema.OBS}/{k}", begin, end, before, after)
            for k in self.obs_keys
        }
        actions = self._window(d, self.action_key, t, end, 0, after)
        pad_mask = torch.zeros(history + self.seq_len, dtype=torch.bool)
        pad_mask[before : history + self.seq_len - after] = True
        action_mask = pad_mask[history:].clone()
        learn = self._learn.get(d)
        if learn is not None:  # no loss on a deliberate mistake's actions
            action_mask[: end - t] &= torch.from_numpy(learn[t:end])
        item: dict[str, Any] = {
            "obs": obs,
            "actions": actions,
            "pad_mask": pad_mask,
            "action_pad_mask": action_mask,
            "task_id": task_id,
            "timestep": t,
        }
        if self.language:
            item["language"] = lang
        return item

    def __getitems__(self, indices: list[int]) -> Sequence[dict[str, Any]]:
        """A batch of windows; gathered at once when every key is cached low-dim data
        (see :mod:`robolearn.data.batching`), else item by item."""
        if self._flat is None:
            keys = fast_path_keys(self)
            self._flat = FlatCache(self, keys) if keys else False
        if self._flat is False:
            return [self[i] for i in indices]
        return Batch(gather_batch(self, self._flat, indices))

    # -- normalisation and pickling ----------------------------------------------------------
    def compute_normalizer(self, mode: str = "mean_std", floor: float = 1e-6) -> Normalizer:
        """Statistics of the low-dimensional obs keys and the actions over this dataset's
        demos, streamed demo by demo (the cache is used where it holds a raw array)."""
        keys = [f"{schema.OBS}/{k}" for k in self.obs_keys if k not in self.frame_keys]
        keys.append(self.action_key)

        def batches() -> Any:
            for d, (fi, name, _, _, _) in enumerate(self._demos):
                yield {
                    self.norm_key(k): self._cache[(d, k)]
                    if (d, k) in self._cache
                    else self._load(fi, name, k, 0, None)
                    for k in keys
                }

        try:
            return Normalizer.from_batches(batches(), mode=mode, floor=floor)
        finally:
            for demo_file in self._files:
                demo_file.close()

    def set_normalizer(self, normalizer: Normalizer | None) -> None:
        """Use ``normalizer`` for later items (None turns normalisation off)."""
        self.normalizer = normalizer

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without HDF5 handles (DemoFile drops them; workers reopen lazily)."""
        state = self.__dict__.copy()
        state["_flat"] = None  # rebuilt lazily where it is used
        for demo_file in self._files:
            demo_file.close()
        return state

    @property
    def files(self) -> list[DemoFile]:
        """The readers behind the dataset."""
        return list(self._files)

    @property
    def num_demos(self) -> int:
        """Demos contributing windows (after the split)."""
        return len(self._demos)
