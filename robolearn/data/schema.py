"""The demo-file schema: names, versions and small helpers shared by writer and readers.

A robolearn demo file is an HDF5 file in robomimic's layout, so robomimic's tools read it::

    data/                               attrs: total (int), env_args (JSON str),
                                               robolearn (JSON str, optional), complete (bool)
    data/demo_<i>/                      attrs: num_samples (int); ours, all optional:
                                               init_state (JSON str), language (str),
                                               seed (int), success (bool)
    data/demo_<i>/obs/<key>             (T, ...)  images uint8 (T, H, W, C), upright
    data/demo_<i>/actions               (T, A)    float32 or float64: what was executed
    data/demo_<i>/expert_actions        (T, A)    optional: the expert's clean labels when the
                                                  collector perturbed execution (DART)
    data/demo_<i>/action_mask           (T,)      optional uint8: 0 where the step is not
                                                  to be learned from (a recovery demo's miss,
                                                  a takeover demo's policy steps); 1 elsewhere
    data/demo_<i>/rewards               (T,)
    data/demo_<i>/dones                 (T,)      uint8 0/1 (read back as bool)
    data/demo_<i>/states                (T, S)    float64 flattened simulator states
    data/demo_<i>/skills/{names, starts, ends}    variable-length utf-8, int64, int64 (exclusive)
    mask/train, mask/valid              demo names as fixed-length bytes (like robomimic)

``env_args`` is ``{"env_name": task id, "env_type": "robolearn", "type": "robolearn",
"env_kwargs": {obs config..., "control_freq": ...}}``; ``type`` duplicates ``env_type``
because robomimic's ``EnvUtils`` reads ``env_meta["type"]``. ``robolearn`` holds
``schema_version``, ``task_spec`` (a TaskSpec as a dict), ``versions`` (mujoco, robosuite,
robolearn), ``image_convention`` ("upright") and ``cameras``.

``complete`` is written last, just before the writer renames its temporary file to the final
name; a robolearn file without it is refused by the reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from typing import Any

import numpy as np

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS: tuple[int, ...] = (1,)

DATA = "data"
MASK = "mask"
OBS = "obs"
ACTIONS = "actions"
EXPERT_ACTIONS = "expert_actions"  # clean expert labels of a perturbed (DART) demo
ACTION_MASK = "action_mask"  # 0 on a recovery demo's deliberate mistakes, 1 elsewhere
REWARDS = "rewards"
DONES = "dones"
STATES = "states"
SKILLS = "skills"
SKILL_NAMES = "names"
SKILL_STARTS = "starts"
SKILL_ENDS = "ends"
DEMO_PREFIX = "demo_"

ATTR_TOTAL = "total"
ATTR_ENV_ARGS = "env_args"
ATTR_ROBOLEARN = "robolearn"
ATTR_COMPLETE = "complete"
ATTR_WRITTEN = "written"  # UTC time the file was finished (ISO 8601, microseconds)
ATTR_NUM_SAMPLES = "num_samples"
ATTR_INIT_STATE = "init_state"
ATTR_LANGUAGE = "language"
ATTR_SEED = "seed"
ATTR_SUCCESS = "success"
ATTR_VIDEO = "video_packed"  # camera streams as H.264 (robolearn.data.pack); unpack to read

ENV_TYPE = "robolearn"
IMAGE_CONVENTION = "upright"
TRAIN = "train"
VALID = "valid"

COMPRESSIONS: tuple[str | None, ...] = (None, "lzf", "gzip")
# Chosen by scripts/bench_data.py (docs/bench_data.md): on images that compress like our
# renders, gzip-4 files are 3.5x smaller than raw (lzf: 2x) and read about as fast as lzf
# ones; uncompressed files read ~3.5x more windows/s when uncached but take 3.5x the disk.
# With DemoDataset(cache="all") the choice does not matter after the cache is built. gzip is
# also readable by any HDF5 build, while lzf needs h5py's filter.
DEFAULT_COMPRESSION: str | None = "gzip"
GZIP_LEVEL = 4

_DEMO_RE = re.compile(r"^demo_(\d+)$")


def demo_name(index: int) -> str:
    """The group name of demo number ``index`` (``demo_<index>``)."""
    if index < 0:
        raise ValueError(f"demo index must be non-negative, got {index}")
    return f"{DEMO_PREFIX}{index}"


def demo_index(name: str) -> int:
    """The number in a ``demo_<i>`` name; ``ValueError`` for any other name."""
    match = _DEMO_RE.match(name)
    if match is None:
        raise ValueError(f"{name!r} is not a demo name of the form demo_<i>")
    return int(match.group(1))


def sort_demo_names(names: Iterable[str]) -> list[str]:
    """Demo names in numeric order (demo_2 before demo_10); other names last, sorted."""
    demos: list[str] = []
    others: list[str] = []
    for name in names:
        (demos if _DEMO_RE.match(name) else others).append(name)
    return sorted(demos, key=demo_index) + sorted(others)


def is_image(array: Any) -> bool:
    """Whether a (T, ...) array or dataset holds uint8 images (T, H, W, C) with C in 1..4."""
    shape = tuple(array.shape)
    return array.dtype == np.uint8 and len(shape) == 4 and 1 <= shape[-1] <= 4


def image_chunks(shape: Sequence[int]) -> tuple[int, ...]:
    """HDF5 chunk shape for a (T, ...) per-frame array: one frame per chunk."""
    return (1, *(int(s) for s in shape[1:]))


def compression_kwargs(compression: str | None) -> dict[str, Any]:
    """``h5py.create_dataset`` keyword arguments for a compression option."""
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}")
    if compression is None:
        return {}
    if compression == "gzip":
        return {"compression": "gzip", "compression_opts": GZIP_LEVEL}
    return {"compression": compression}


def package_versions(names: Sequence[str] = ("mujoco", "robosuite", "robolearn")) -> dict:
    """Installed versions of ``names`` (None where not installed), without importing them."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def make_env_args(
    task_id: str, env_kwargs: Mapping[str, Any], control_freq: float | None = None
) -> dict[str, Any]:
    """``env_args`` enough to rebuild the env: task id, obs config and control frequency."""
    kwargs = dict(env_kwargs)
    if control_freq is not None:
        kwargs["control_freq"] = control_freq
    return {"env_name": task_id, "env_type": ENV_TYPE, "type": ENV_TYPE, "env_kwargs": kwargs}


def make_robolearn_meta(
    task_spec: Mapping[str, Any] | None = None,
    cameras: Sequence[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """The ``data.attrs["robolearn"]`` dict: schema version, task spec, versions, cameras."""
    return {
        "schema_version": SCHEMA_VERSION,
        "task_spec": dict(task_spec) if task_spec is not None else None,
        "versions": package_versions(),
        "image_convention": IMAGE_CONVENTION,
        "cameras": list(cameras),
        **extra,
    }


def written_at(path: Any) -> str | None:
    """When the demo file at ``path`` was finished (``data.attrs["written"]``), or None for a
    file from before the stamp existed, or one that cannot be read."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            value = f[DATA].attrs.get(ATTR_WRITTEN) if DATA in f else None
    except OSError:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return str(value) if value is not None else None


def written_stamps(paths: Iterable[Any]) -> dict[str, str | None]:
    """``{path: written_at(path)}``: what a run records of the demo files it learns from."""
    return {str(p): written_at(p) for p in paths}


def to_json(value: Any) -> str:
    """JSON text of ``value``; numpy scalars and arrays become Python numbers and lists."""
    return json.dumps(value, default=_json_default, sort_keys=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
