"""Seeding helpers: every random choice in robolearn takes an explicit seed or Generator.

Seeds are derived hierarchically with :class:`numpy.random.SeedSequence`, so a run seed
fans out into independent, reproducible streams per task and per episode::

    rng = make_rng(run_seed, "task", "spatial/bowl-left-of-plate-v1", "episode", 3)

String keys are hashed with a stable hash (not Python's salted ``hash``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import numpy as np

SeedKey = int | str


def _key_to_int(key: SeedKey) -> int:
    if isinstance(key, bool):
        raise TypeError("seed keys must be int or str, not bool")
    if isinstance(key, int | np.integer):
        if key < 0:
            raise ValueError(f"seed keys must be non-negative, got {key}")
        return int(key)
    if isinstance(key, str):
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little")
    raise TypeError(f"seed keys must be int or str, got {type(key).__name__}")


def seed_sequence(seed: int, *keys: SeedKey) -> np.random.SeedSequence:
    """A SeedSequence for ``seed`` specialised by a path of keys (ints or strings)."""
    return np.random.SeedSequence(
        entropy=_key_to_int(seed), spawn_key=[_key_to_int(k) for k in keys]
    )


def make_rng(seed: int, *keys: SeedKey) -> np.random.Generator:
    """An independent Generator for ``seed`` and a path of keys."""
    return np.random.default_rng(seed_sequence(seed, *keys))


def derive_seed(seed: int, *keys: SeedKey) -> int:
    """A 32-bit integer seed for ``seed`` and a path of keys (for APIs that want an int)."""
    return int(seed_sequence(seed, *keys).generate_state(1, dtype=np.uint32)[0])


def spawn_seeds(seed: int, n: int, *keys: SeedKey) -> list[int]:
    """``n`` independent 32-bit seeds, e.g. one per episode."""
    return [derive_seed(seed, *keys, i) for i in range(n)]


def seed_everything(seed: int, *, deterministic_torch: bool = False) -> None:
    """Seed Python's, NumPy's legacy and torch's global generators for third-party code.

    robolearn's own code never reads global random state; this only tames libraries that do.
    """
    random.seed(seed)
    np.random.seed(derive_seed(seed, "numpy-global"))
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return
    torch.manual_seed(seed)
    if deterministic_torch:
        torch.use_deterministic_algorithms(True, warn_only=True)


def choice(rng: np.random.Generator, items: Sequence[str]) -> str:
    """Pick one string from ``items`` (typed helper; ``rng.choice`` returns numpy scalars)."""
    if not items:
        raise ValueError("cannot choose from an empty sequence")
    return items[int(rng.integers(len(items)))]
