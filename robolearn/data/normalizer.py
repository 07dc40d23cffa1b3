"""Per-key normalisation of low-dimensional data (pure numpy; saved as JSON, never pickled).

Statistics (count, mean, std, min, max per dimension) are computed once, streaming over
demos (Chan et al.'s parallel mean/variance update), so a large file is never loaded whole.
Both modes are affine, ``y = (x - offset) / scale``:

- ``"mean_std"``: offset = mean, scale = max(std, floor);
- ``"min_max"``: offset = (min + max) / 2, scale = max((max - min) / 2, floor), mapping
  [min, max] to [-1, 1] (a constant dimension maps to 0).

So :meth:`Normalizer.unnormalize` inverts :meth:`Normalizer.normalize` exactly up to float
rounding. Keys are demo-relative paths such as ``"actions"`` or ``"obs/eef_pos"``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robolearn.data.reader import DemoFile
from robolearn.errors import DataError
from robolearn.fileio import atomic_write_text

MODES = ("mean_std", "min_max")
FORMAT = "robolearn.normalizer"
FORMAT_VERSION = 1


@dataclass
class KeyStats:
    """Per-dimension statistics of one key over ``count`` samples (float64 arrays)."""

    count: int
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (shape kept by nested lists)."""
        return {
            "count": self.count,
            **{k: getattr(self, k).tolist() for k in ("mean", "std", "min", "max")},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyStats:
        """Inverse of :meth:`to_dict`."""
        arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("mean", "std", "min", "max")}
        return cls(count=int(data["count"]), **arrays)


class _Accumulator:
    """Streaming count/mean/M2/min/max over batches of shape (N, ...)."""

    def __init__(self) -> None:
        self.count = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None
        self.min: np.ndarray | None = None
        self.max: np.ndarray | None = None

    def update(self, key: str, batch: np.ndarray) -> None:
        x = np.asarray(batch, dtype=np.float64)
        if x.ndim == 0 or x.shape[0] == 0:
            return
        if not np.all(np.isfinite(x)):
            raise DataError(f"normalizer key {key!r} has NaN or inf values; clean the data")
        n = x.shape[0]
        mean = x.mean(axis=0)
        m2 = ((x - mean) ** 2).sum(axis=0)
        if self.mean is None or self.m2 is None or self.min is None or self.max is None:
            self.count, self.mean, self.m2 = n, mean, m2
            self.min, self.max = x.min(axis=0), x.max(axis=0)
            return
        if mean.shape != self.mean.shape:
            raise DataError(
                f"normalizer key {key!r} changes shape: {self.mean.shape} then {mean.shape}"
            )
        total = self.count + n
        delta = mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + m2 + delta**2 * (self.count * n / total)
        self.count = total
        self.min = np.minimum(self.min, x.min(axis=0))
        self.max = np.maximum(self.max, x.max(axis=0))

    def stats(self, key: str) -> KeyStats:
        if self.mean is None or self.m2 is None or self.min is None or self.max is None:
            raise DataError(f"normalizer key {key!r} saw no data; check the key and the files")
        std = np.sqrt(self.m2 / self.count)
        return KeyStats(self.count, self.mean, std, self.min, self.max)


class Normalizer:
    """Affine per-key normalisation; see the module docstring.

    Args:
        stats: key -> :class:`KeyStats`.
        mode: "mean_std" or "min_max".
        floor: smallest scale used (keeps constant dimensions from dividing by zero).
    """

    def __init__(
        self, stats: Mapping[str, KeyStats], mode: str = "mean_std", floor: float = 1e-6
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"normalizer mode must be one of {MODES}, got {mode!r}")
        if floor <= 0:
            raise ValueError(f"floor must be positive, got {floor}")
        self.stats = dict(stats)
        self.mode = mode
        self.floor = float(floor)
        self._affine: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for key, s in self.stats.items():
            if mode == "mean_std":
                offset, scale = s.mean, np.maximum(s.std, self.floor)
            else:
                offset, scale = (s.min + s.max) / 2, np.maximum((s.max - s.min) / 2, self.floor)
            self._affine[key] = (offset, scale)
        self._cast: dict[tuple[str, np.dtype], tuple[np.ndarray, np.ndarray]] = {}

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_batches(
        cls,
        batches: Iterable[Mapping[str, np.ndarray]],
        mode: str = "mean_std",
        floor: float = 1e-6,
    ) -> Normalizer:
        """Statistics from an iterable of ``{key: (N, ...) array}`` batches, streamed."""
        accumulators: dict[str, _Accumulator] = {}
        for batch in batches:
            for key, value in batch.items():
                accumulators.setdefault(key, _Accumulator()).update(key, value)
        if not accumulators:
            raise DataError("normalizer got no data; pass at least one non-empty batch")
        return cls({k: a.stats(k) for k, a in accumulators.items()}, mode=mode, floor=floor)

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], mode: str = "mean_std", floor: float = 1e-6
    ) -> Normalizer:
        """Statistics over axis 0 of each array."""
        return cls.from_batches([arrays], mode=mode, floor=floor)

    @classmethod
    def from_files(
        cls,
        files: Sequence[DemoFile | str | os.PathLike[str]],
        keys: Sequence[str],
        mode: str = "mean_std",
        floor: float = 1e-6,
        demos: Sequence[Sequence[str]] | None = None,
    ) -> Normalizer:
        """Statistics of ``keys`` over every demo of ``files`` (or ``demos[i]`` of file i)."""
        opened = [f if isinstance(f, DemoFile) else _open(f) for f in files]

        def batches() -> Iterable[dict[str, np.ndarray]]:
            for i, demo_file in enumerate(opened):
                names = demos[i] if demos is not None else demo_file.demo_names()
                for name in names:
                    yield {key: demo_file.read(name, key) for key in keys}

        try:
            return cls.from_batches(batches(), mode=mode, floor=floor)
        finally:
            for given, demo_file in zip(files, opened):
                if not isinstance(given, DemoFile):
                    demo_file.close()

    # -- use ---------------------------------------------------------------------------------
    def keys(self) -> list[str]:
        """Keys with statistics."""
        return sorted(self.stats)

    def __contains__(self, key: object) -> bool:
        return key in self.stats

    def offset(self, key: str) -> np.ndarray:
        """The offset subtracted from ``key`` (float64)."""
        return self._get(key)[0]

    def scale(self, key: str) -> np.ndarray:
        """The scale ``key`` is divided by (float64, at least ``floor``)."""
        return self._get(key)[1]

    def _get(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        if key not in self._affine:
            raise DataError(f"normalizer has no statistics for key {key!r}; it has {self.keys()}")
        return self._affine[key]

    def _typed(self, key: str, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cast.get((key, dtype))
        if cached is None:
            offset, scale = self._get(key)
            cached = (offset.astype(dtype), scale.astype(dtype))
            self._cast[(key, dtype)] = cached
        return cached

    @staticmethod
    def _float(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)

    def normalize(self, key: str, x: np.ndarray) -> np.ndarray:
        """``(x - offset) / scale`` in x's float dtype (integers become float32)."""
        x = self._float(x)
        offset, scale = self._typed(key, x.dtype)
        result: np.ndarray = (x - offset) / scale
        return result

    def unnormalize(self, key: str, y: np.ndarray) -> np.ndarray:
        """``y * scale + offset``: the inverse of :meth:`normalize`."""
        y = self._float(y)
        offset, scale = self._typed(key, y.dtype)
        result: np.ndarray = y * scale + offset
        return result

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "mode": self.mode,
            "floor": self.floor,
            "stats": {k: s.to_dict() for k, s in sorted(self.stats.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Normalizer:
        """Inverse of :meth:`to_dict`; :class:`DataError` for anything else."""
        if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
            raise DataError(
                f"not a robolearn normalizer v{FORMAT_VERSION} (format={data.get('format')!r}, "
                f"version={data.get('version')!r}); recompute it from the demo files"
            )
        try:
            stats = {k: KeyStats.from_dict(v) for k, v in data["stats"].items()}
            return cls(stats, mode=data["mode"], floor=data["floor"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"normalizer dict is malformed ({exc}); recompute it") from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write JSON to ``path`` via a temporary file and rename."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Normalizer:
        """Read a file written by :meth:`save` (plain JSON; nothing is unpickled)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"normalizer file {path} does not exist; check the path") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"normalizer file {path} is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise DataError(f"normalizer file {path} does not hold a JSON object")
        try:
            return cls.from_dict(data)
        except DataError as exc:
            raise DataError(f"normalizer file {path}: {exc}") from None

    def __repr__(self) -> str:
        return f"Normalizer(mode={self.mode!r}, keys={self.keys()})"


def _open(path: str | os.PathLike[str]) -> DemoFile:
    from robolearn.data.importers import open_demo_file

    return open_demo_file(path)
