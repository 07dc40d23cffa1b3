"""Demonstration data: the HDF5 demo-file schema, writer, reader, normaliser and importers.

Importing this package does not import torch; the torch Dataset lives in
:mod:`robolearn.data.dataset` (``from robolearn.data.dataset import DemoDataset``) and is
also reachable lazily as ``robolearn.data.DemoDataset``.
"""

from __future__ import annotations

from typing import Any

from robolearn.data.episode import Episode
from robolearn.data.importers import (
    LiberoDemoFile,
    RobomimicDemoFile,
    detect_layout,
    open_demo_file,
)
from robolearn.data.normalizer import KeyStats, Normalizer
from robolearn.data.reader import DemoFile
from robolearn.data.schema import (
    DEFAULT_COMPRESSION,
    SCHEMA_VERSION,
    make_env_args,
    make_robolearn_meta,
)
from robolearn.data.writer import DemoWriter

__all__ = [
    "DEFAULT_COMPRESSION",
    "SCHEMA_VERSION",
    "DemoDataset",
    "DemoFile",
    "DemoWriter",
    "Episode",
    "KeyStats",
    "LiberoDemoFile",
    "Normalizer",
    "RobomimicDemoFile",
    "detect_layout",
    "make_env_args",
    "make_robolearn_meta",
    "open_demo_file",
]


def __getattr__(name: str) -> Any:
    if name == "DemoDataset":  # imports torch: only on request
        from robolearn.data.dataset import DemoDataset

        return DemoDataset
    raise AttributeError(f"module 'robolearn.data' has no attribute {name!r}")
