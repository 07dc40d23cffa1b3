"""Write demo files atomically: a temporary file in the same folder, renamed when complete."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from robolearn.data import schema
from robolearn.data.episode import Episode
from robolearn.errors import DataError

log = logging.getLogger(__name__)


def temp_path_for(path: Path, pid: int | None = None) -> Path:
    """The temporary name a writer of ``path`` uses: ``.<name>.tmp-<pid>`` beside it."""
    return path.with_name(f".{path.name}.tmp-{os.getpid() if pid is None else pid}")


def split_demos(names: list[str], valid_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Seeded (train, valid) split of demo names; train always keeps at least one demo."""
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    n = len(names)
    n_valid = min(round(valid_fraction * n), max(n - 1, 0))
    order = np.random.default_rng(seed).permutation(n)
    valid_idx = set(order[:n_valid].tolist())
    train = [name for i, name in enumerate(names) if i not in valid_idx]
    valid = [name for i, name in enumerate(names) if i in valid_idx]
    return train, valid


class DemoWriter:
    """Append episodes to a new demo file; the final path appears only when it is complete.

    Use as a context manager::

        with DemoWriter(path, env_args, robolearn_meta) as writer:
            for episode in episodes:
                writer.add(episode)

    Episodes go to ``.<name>.tmp-<pid>`` in the destination folder. On a clean exit the
    writer stores ``total``, the train/valid masks and ``complete = True``, flushes, fsyncs and
    ``os.replace``-s the file to ``path``. On an exception the temporary file is deleted and
    ``path`` is left untouched. A process killed mid-write leaves only the temporary file,
    which the reader refuses (it lacks ``complete``).

    Args:
        path: final file path.
        env_args: ``{"env_name", "env_type", "env_kwargs"}`` (see :func:`schema.make_env_args`).
        robolearn_meta: our metadata (see :func:`schema.make_robolearn_meta`); the schema
            version, versions and image convention are filled in where missing.
        compression: None, "lzf" or "gzip" for image (and other per-frame >= 3-D) arrays.
        valid_fraction: fraction of demos in ``mask/valid``.
        split_seed: seed of the train/valid split.
        overwrite: replace an existing file at ``path`` (otherwise :class:`DataError`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        env_args: Mapping[str, Any],
        robolearn_meta: Mapping[str, Any],
        compression: str | None = schema.DEFAULT_COMPRESSION,
        valid_fraction: float = 0.1,
        split_seed: int = 0,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        missing = [k for k in ("env_name", "env_type", "env_kwargs") if k not in env_args]
        if missing:
            raise DataError(
                f"env_args for {self.path} lacks {missing}; build it with schema.make_env_args"
            )
        if not 0.0 <= valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
        self.compression_kwargs = schema.compression_kwargs(compression)
        self.compression = compression
        self.valid_fraction = valid_fraction
        self.split_seed = split_seed
        if self.path.exists() and not overwrite:
            raise DataError(f"{self.path} already exists; pass overwrite=True or delete it")
        if not self.path.parent.is_dir():
            raise DataError(f"folder {self.path.parent} of {self.path} does not exist; create it")
        self.temp_path = temp_path_for(self.path)
        meta = {**schema.make_robolearn_meta(), **dict(robolearn_meta)}
        meta["schema_version"] = schema.SCHEMA_VERSION
        self._names: list[str] = []
        self._total = 0
        try:
            self._file: h5py.File | None = h5py.File(self.temp_path, "w")
        except OSError as exc:
            raise DataError(f"cannot create {self.temp_path} for {self.path} ({exc})") from None
        try:
            data = self._file.create_group(schema.DATA)
            data.attrs[schema.ATTR_ENV_ARGS] = schema.to_json(dict(env_args))
            data.attrs[schema.ATTR_ROBOLEARN] = schema.to_json(meta)
            data.attrs[schema.ATTR_TOTAL] = 0
        except BaseException:
            self.abort()
            raise

    # -- context manager ---------------------------------------------------------------------
    def __enter__(self) -> DemoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __len__(self) -> int:
        return len(self._names)

    # -- writing -----------------------------------------------------------------------------
    def add(self, episode: Episode) -> str:
        """Validate ``episode`` and append it as the next ``demo_<i>``; return its name."""
        if self._file is None:
            raise DataError(f"writer of {self.path} is closed; open a new DemoWriter")
        episode.validate()
        name = schema.demo_name(len(self._names))
        try:
            self._write_demo(self._file[schema.DATA].create_group(name), episode)
        except BaseException:
            self.abort()
            raise
        self._names.append(name)
        self._total += len(episode)
        return name

    def _write_demo(self, group: h5py.Group, ep: Episode) -> None:
        length = len(ep)
        group.attrs[schema.ATTR_NUM_SAMPLES] = length
        group.attrs[schema.ATTR_LANGUAGE] = ep.language
        group.attrs[schema.ATTR_SUCCESS] = bool(ep.success)
        if ep.seed is not None:
            group.attrs[schema.ATTR_SEED] = int(ep.seed)
        if ep.init_state is not None:
            group.attrs[schema.ATTR_INIT_STATE] = schema.to_json(ep.init_state)
        obs = group.create_group(schema.OBS)
        for key in sorted(ep.obs):
            self._write_array(obs, key, np.asarray(ep.obs[key]))
        group.create_dataset(schema.ACTIONS, data=np.asarray(ep.actions))
        if ep.expert_actions is not None:
            group.create_dataset(schema.EXPERT_ACTIONS, data=np.asarray(ep.expert_actions))
        if ep.action_mask is not None:
            group.create_dataset(schema.ACTION_MASK, data=np.asarray(ep.action_mask, np.uint8))
        group.create_dataset(schema.REWARDS, data=np.asarray(ep.rewards))
        group.create_dataset(schema.DONES, data=np.asarray(ep.dones).astype(np.uint8))
        group.create_dataset(schema.STATES, data=np.asarray(ep.states, dtype=np.float64))
        skills = group.create_group(schema.SKILLS)
        names = [s[0] for s in ep.skills]
        skills.create_dataset(
            schema.SKILL_NAMES, data=np.array(names, dtype=object), dtype=h5py.string_dtype("utf-8")
        )
        skills.create_dataset(
            schema.SKILL_STARTS, data=np.array([s[1] for s in ep.skills], np.int64)
        )
        skills.create_dataset(schema.SKILL_ENDS, data=np.array([s[2] for s in ep.skills], np.int64))

    def _write_array(self, group: h5py.Group, key: str, array: np.ndarray) -> None:
        if array.ndim >= 3:  # images, depth, segmentation: one frame per chunk
            group.create_dataset(
                key, data=array, chunks=schema.image_chunks(array.shape), **self.compression_kwargs
            )
        else:
            group.create_dataset(key, data=array)

    # -- finishing ---------------------------------------------------------------------------
    def close(self) -> Path:
        """Write totals and masks, mark complete, and rename to the final path."""
        if self._file is None:
            return self.path
        if not self._names:
            self.abort()
            raise DataError(f"no episodes were added to {self.path}; nothing was written")
        try:
            train, valid = split_demos(self._names, self.valid_fraction, self.split_seed)
            data = self._file[schema.DATA]
            data.attrs[schema.ATTR_TOTAL] = self._total
            mask = self._file.create_group(schema.MASK)
            mask.create_dataset(schema.TRAIN, data=np.array(train, dtype="S"))
            mask.create_dataset(schema.VALID, data=np.array(valid, dtype="S"))
            data.attrs[schema.ATTR_COMPLETE] = True
            data.attrs[schema.ATTR_WRITTEN] = datetime.now(UTC).isoformat(timespec="microseconds")
            self._file.flush()
            self._file.close()
            self._file = None
            _fsync_file(self.temp_path)
            os.replace(self.temp_path, self.path)
            _fsync_dir(self.path.parent)
        except BaseException:
            self.abort()
            raise
        log.info("wrote %d demos (%d steps) to %s", len(self._names), self._total, self.path)
        return self.path

    def abort(self) -> None:
        """Close and delete the temporary file; the final path is not touched."""
        if self._file is not None:
            try:
                self._file.close()
            except Exception:  # a broken handle must not hide the original error
                log.warning("could not close %s cleanly", self.temp_path)
            self._file = None
        self.temp_path.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
