"""Read demo files (no torch): validation, demo listing, episodes, slices and metadata."""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from robolearn.data import schema
from robolearn.data.episode import Episode
from robolearn.errors import DataError

TOP_LEVEL_KEYS = (schema.ACTIONS, schema.REWARDS, schema.DONES, schema.STATES)


def as_str(value: Any) -> str:
    """An HDF5 attribute or string element as ``str`` (h5py gives bytes or str)."""
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8")
    return str(value)


class DemoFile:
    """A demo file opened read-only and validated.

    Opening checks that the file exists, is HDF5, is not truncated, has a ``data`` group and,
    for robolearn files (those with ``data.attrs["robolearn"]``), a supported
    ``schema_version`` and the ``complete`` flag. A file without robolearn metadata is read as
    a plain robomimic file. Every failure is a :class:`DataError` naming the file and key.

    Keys given to :meth:`read` are paths inside a demo: ``"obs/<key>"``, ``"actions"``,
    ``"rewards"``, ``"dones"`` or ``"states"``. The object can be pickled (the HDF5 handle is
    dropped and reopened on first use, also after a fork).

    Memory is bounded: HDF5 keeps a cache of decompressed chunks per open chunked dataset
    (8 MiB by default in HDF5 2.x, which over thousands of image datasets exhausts RAM). Here
    each holds ``chunk_cache_mb`` and at most ``max_open_chunked`` chunked datasets stay open
    (least recently used closed first), so the chunk caches take at most their product.
    """

    layout = "robolearn"

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_cache_mb: float = 1.0,
        max_open_chunked: int = 64,
    ) -> None:
        self.path = Path(path)
        self.chunk_cache_bytes = int(chunk_cache_mb * 2**20)
        self.max_open_chunked = max(1, max_open_chunked)
        self._h5: h5py.File | None = None
        self._pid = -1
        self._datasets: dict[tuple[str, str], h5py.Dataset] = {}  # contiguous: no chunk cache
        self._chunked: OrderedDict[tuple[str, str], h5py.Dataset] = OrderedDict()
        if not self.path.is_file():
            raise DataError(f"demo file {self.path} does not exist; check the path or make it")
        if not h5py.is_hdf5(self.path):
            raise DataError(
                f"demo file {self.path} is not an HDF5 file (corrupt or not a demo file); "
                "delete it and regenerate it"
            )
        try:
            with self._errors(schema.DATA):
                data = self.h5[schema.DATA]
                attrs = dict(data.attrs)
                self._demo_names = schema.sort_demo_names(data.keys())
                self._demo_set = frozenset(self._demo_names)
            self.meta = self._parse_json(attrs, schema.ATTR_ROBOLEARN)
            self.env_args: dict[str, Any] = self._parse_json(attrs, schema.ATTR_ENV_ARGS) or {}
            self.total = int(attrs.get(schema.ATTR_TOTAL, -1))
            self._complete = bool(attrs.get(schema.ATTR_COMPLETE, False))
            self._file_attrs = attrs
            self._validate()
        except BaseException:
            self.close()
            raise

    # -- opening and validation --------------------------------------------------------------
    @property
    def h5(self) -> h5py.File:
        """The open HDF5 file, (re)opened lazily in this process."""
        if self._h5 is None or self._pid != os.getpid():
            self._datasets, self._chunked = {}, OrderedDict()
            try:
                self._h5 = h5py.File(self.path, "r", rdcc_nbytes=self.chunk_cache_bytes)
            except OSError as exc:
                raise DataError(
                    f"demo file {self.path} cannot be opened ({exc}); it is truncated or "
                    "corrupt: delete it and regenerate it"
                ) from None
            self._pid = os.getpid()
        return self._h5

    def _validate(self) -> None:
        if schema.ATTR_VIDEO in self._file_attrs:
            raise DataError(
                f"demo file {self.path} is video-packed; unpack it before reading: "
                f"robolearn demos unpack {self.path} <dest>"
            )
        if self.meta is None:
            return  # a plain robomimic file
        version = self.meta.get("schema_version")
        if version not in schema.SUPPORTED_SCHEMA_VERSIONS:
            raise DataError(
                f"demo file {self.path} has data.attrs['robolearn'] schema_version {version!r}; "
                f"this robolearn reads {schema.SUPPORTED_SCHEMA_VERSIONS}: upgrade robolearn or "
                "regenerate the file"
            )
        if not self._complete:
            raise DataError(
                f"demo file {self.path} lacks data.attrs['complete']: its writer did not "
                "finish (crashed or killed); delete it and regenerate it"
            )

    def _parse_json(self, attrs: dict[str, Any], key: str) -> dict[str, Any] | None:
        if key not in attrs:
            return None
        try:
            value = json.loads(as_str(attrs[key]))
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"demo file {self.path} key data.attrs[{key!r}] is not valid JSON ({exc}); "
                "regenerate the file"
            ) from None
        if not isinstance(value, dict):
            raise DataError(f"demo file {self.path} key data.attrs[{key!r}] is not a JSON object")
        return value

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        """Turn h5py's KeyError/OSError/... into a DataError naming the file and key."""
        try:
            yield
        except DataError:
            raise
        except KeyError:
            raise DataError(
                f"demo file {self.path} has no key {key!r}; check the key name or regenerate "
                "the file"
            ) from None
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            raise DataError(
                f"demo file {self.path} key {key!r} cannot be read ({exc}); the file is "
                "truncated or corrupt: delete it and regenerate it"
            ) from None

    def close(self) -> None:
        """Close the HDF5 handle (it is reopened if the object is used again)."""
        self._datasets, self._chunked = {}, OrderedDict()
        if self._h5 is not None and self._pid == os.getpid():
            self._h5.close()
        self._h5 = None

    def __enter__(self) -> DemoFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_h5"], state["_pid"], state["_datasets"] = None, -1, {}
        state["_chunked"] = OrderedDict()
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, demos={len(self)})"

    # -- hooks for importers (identity here) -------------------------------------------------
    def _source_obs_key(self, key: str) -> str:
        """The obs key in the file for our obs key ``key``."""
        return key

    def _postprocess(self, key: str, array: np.ndarray) -> np.ndarray:
        """Transform a slice read from ``key`` (importers flip images here)."""
        return array

    # -- demos -------------------------------------------------------------------------------
    def demo_names(self) -> list[str]:
        """Demo names in numeric order: demo_0, demo_1, ..., demo_10."""
        return list(self._demo_names)

    def __len__(self) -> int:
        return len(self._demo_names)

    def demo(self, name_or_index: str | int) -> str:
        """The demo name for a name or position; :class:`DataError` if there is none."""
        if isinstance(name_or_index, int | np.integer):
            if not -len(self) <= int(name_or_index) < len(self):
                raise DataError(
                    f"demo file {self.path} has {len(self)} demos; index {name_or_index} is "
                    "out of range"
                )
            return self._demo_names[int(name_or_index)]
        if name_or_index not in self._demo_set:
            raise DataError(
                f"demo file {self.path} has no key 'data/{name_or_index}'; it holds "
                f"{self._demo_names[:5]}{'...' if len(self) > 5 else ''}"
            )
        return name_or_index

    def _group(self, name: str) -> h5py.Group:
        with self._errors(f"data/{name}"):
            return self.h5[schema.DATA][name]

    def length(self, name: str | int) -> int:
        """Steps in a demo; :class:`DataError` for an empty demo."""
        name = self.demo(name)
        group = self._group(name)
        with self._errors(f"data/{name}/{schema.ACTIONS}"):
            if schema.ATTR_NUM_SAMPLES in group.attrs:
                length = int(group.attrs[schema.ATTR_NUM_SAMPLES])
            else:
                length = int(group[schema.ACTIONS].shape[0])
        if length <= 0:
            raise DataError(
                f"demo file {self.path} key 'data/{name}' is an empty demo (0 steps); "
                "delete the demo or regenerate the file"
            )
        return length

    def lengths(self) -> list[int]:
        """Steps per demo, in the order of :meth:`demo_names`."""
        return [self.length(name) for name in self._demo_names]

    def obs_keys(self) -> list[str]:
        """Observation keys of the first demo, sorted."""
        if not self._demo_names:
            raise DataError(f"demo file {self.path} has no demos under 'data'; regenerate it")
        name = self._demo_names[0]
        with self._errors(f"data/{name}/{schema.OBS}"):
            keys = list(self.h5[schema.DATA][name][schema.OBS].keys())
        return sorted(keys)

    # -- arrays ------------------------------------------------------------------------------
    def _file_key(self, key: str) -> str:
        if key.startswith(f"{schema.OBS}/"):
            return f"{schema.OBS}/{self._source_obs_key(key[len(schema.OBS) + 1 :])}"
        return key

    def dataset(self, name: str, key: str) -> h5py.Dataset:
        """The h5py dataset behind ``key`` of demo ``name`` (kept open per process)."""
        if self._pid == os.getpid():
            handle = self._datasets.get((name, key))
            if handle is not None:
                return handle
            handle = self._chunked.get((name, key))
            if handle is not None:
                self._chunked.move_to_end((name, key))
                return handle
        file_key = self._file_key(key)
        with self._errors(f"data/{name}/{file_key}"):
            handle = self.h5[schema.DATA][name][file_key]
        if not isinstance(handle, h5py.Dataset):
            raise DataError(f"demo file {self.path} key 'data/{name}/{file_key}' is a group")
        if handle.chunks is None:
            self._datasets[(name, key)] = handle
        else:
            self._chunked[(name, key)] = handle
            if len(self._chunked) > self.max_open_chunked:
                self._chunked.popitem(last=False)  # closes it and frees its chunk cache
        return handle

    def read(
        self, name: str | int, key: str, start: int | None = None, stop: int | None = None
    ) -> np.ndarray:
        """Rows ``[start, stop)`` of ``key`` in a demo, as a numpy array (images upright)."""
        name = self.demo(name)
        handle = self.dataset(name, key)
        with self._errors(f"data/{name}/{self._file_key(key)}"):
            array = handle[slice(start, stop)]
        return self._postprocess(key, array)

    def is_image(self, key: str) -> bool:
        """Whether obs ``key`` (without the ``obs/`` prefix) holds uint8 (T, H, W, C) images."""
        return schema.is_image(self.dataset(self.demo(0), f"{schema.OBS}/{key}"))

    def episode(self, name_or_index: str | int) -> Episode:
        """A whole demo as an :class:`Episode`."""
        name, labels = self.demo(name_or_index), schema.EXPERT_ACTIONS
        length = self.length(name)
        obs = {key: self.read(name, f"{schema.OBS}/{key}") for key in self.obs_keys()}
        arrays = {}
        for key in TOP_LEVEL_KEYS:
            if key in self._group(name):
                arrays[key] = self.read(name, key)
            elif key == schema.ACTIONS:
                raise DataError(f"demo file {self.path} has no key 'data/{name}/actions'")
            else:  # optional in robomimic-style files
                arrays[key] = np.zeros((length, 0) if key == schema.STATES else (length,))
        return Episode(
            obs=obs,
            actions=arrays[schema.ACTIONS],
            rewards=arrays[schema.REWARDS],
            dones=arrays[schema.DONES].astype(bool),
            states=arrays[schema.STATES],
            skills=self.skills(name),
            language=self.language(name),
            init_state=self.init_state(name),
            seed=self.seed(name),
            success=self.success(name),
            expert_actions=self.read(name, labels) if labels in self._group(name) else None,
            action_mask=self.action_mask(name),
        )

    def action_mask(self, name: str | int) -> np.ndarray | None:
        """(T,) bool, False on a recovery demo's deliberate mistakes; None when the demo has
        no ``action_mask`` (every action is one to learn from)."""
        name = self.demo(name)
        if schema.ACTION_MASK not in self._group(name):
            return None
        return self.read(name, schema.ACTION_MASK).astype(bool)

    # -- per-demo metadata -------------------------------------------------------------------
    def _attr(self, name: str, key: str) -> Any:
        group = self._group(self.demo(name))
        with self._errors(f"data/{name}.attrs[{key!r}]"):
            return group.attrs.get(key)

    def skills(self, name: str | int) -> list[tuple[str, int, int]]:
        """The demo's (name, start, end) skill labels (``end`` exclusive); [] if none."""
        name = self.demo(name)
        group = self._group(name)
        if schema.SKILLS not in group:
            return []
        with self._errors(f"data/{name}/{schema.SKILLS}"):
            skills = group[schema.SKILLS]
            names = [as_str(n) for n in skills[schema.SKILL_NAMES][()]]
            starts = skills[schema.SKILL_STARTS][()].tolist()
            ends = skills[schema.SKILL_ENDS][()].tolist()
        return [(n, int(s), int(e)) for n, s, e in zip(names, starts, ends, strict=True)]

    def language(self, name: str | int) -> str:
        """The demo's instruction: its ``language`` attr, else the task spec's, else ""."""
        value = self._attr(self.demo(name), schema.ATTR_LANGUAGE)
        if value is not None and as_str(value):
            return as_str(value)
        spec = self.task_spec
        return str(spec.get("language", "")) if spec else ""

    def init_state(self, name: str | int) -> dict[str, Any] | None:
        """The demo's initial-state description (JSON attr), or None."""
        value = self._attr(self.demo(name), schema.ATTR_INIT_STATE)
        if value is None:
            return None
        if isinstance(value, np.ndarray):  # LIBERO stores the flat MuJoCo state
            return {"flat_state": value.tolist()}
        try:
            parsed = json.loads(as_str(value))
        except ValueError:
            raise DataError(
                f"demo file {self.path} key data/{name}.attrs['init_state'] is not JSON"
            ) from None
        return parsed if isinstance(parsed, dict) else {"value": parsed}

    def seed(self, name: str | int) -> int | None:
        """The seed the demo was collected with, or None."""
        value = self._attr(self.demo(name), schema.ATTR_SEED)
        return None if value is None else int(value)

    def success(self, name: str | int) -> bool:
        """Whether the demo succeeded (True where the file does not say)."""
        value = self._attr(self.demo(name), schema.ATTR_SUCCESS)
        return True if value is None else bool(value)

    # -- file metadata -----------------------------------------------------------------------
    @property
    def task_spec(self) -> dict[str, Any] | None:
        """The TaskSpec dict stored in ``data.attrs["robolearn"]``, or None."""
        spec = (self.meta or {}).get("task_spec")
        return spec if isinstance(spec, dict) else None

    @property
    def task_id(self) -> str:
        """The task id: the task spec's, else ``env_args["env_name"]``, else the file stem."""
        spec = self.task_spec
        if spec and spec.get("task_id"):
            return str(spec["task_id"])
        return str(self.env_args.get("env_name") or self.path.stem)

    def mask_names(self) -> list[str]:
        """Names of the filter keys under ``mask/``."""
        if schema.MASK not in self.h5:
            return []
        return sorted(self.h5[schema.MASK].keys())

    def mask(self, name: str) -> list[str]:
        """Demo names listed in ``mask/<name>`` (e.g. "train", "valid")."""
        with self._errors(f"{schema.MASK}/{name}"):
            raw = self.h5[schema.MASK][name][()]
        names = [as_str(n) for n in np.atleast_1d(raw)]
        unknown = [n for n in names if n not in self._demo_names]
        if unknown:
            raise DataError(
                f"demo file {self.path} key 'mask/{name}' lists demos not in 'data': {unknown[:5]}"
            )
        return schema.sort_demo_names(names)
