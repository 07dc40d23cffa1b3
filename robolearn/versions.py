"""Versions of the packages whose behaviour results depend on (stored with data/checkpoints)."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("robolearn", "mujoco", "robosuite", "numpy", "torch", "gymnasium", "h5py")


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out
