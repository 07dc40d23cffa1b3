"""Read robomimic and LIBERO HDF5 files as they are, through the :class:`DemoFile` API.

:func:`open_demo_file` detects the layout of a file and returns a reader with the same API as
:class:`~robolearn.data.reader.DemoFile`:

- robolearn files (``data.attrs["robolearn"]``): :class:`DemoFile` itself;
- LIBERO files (``data.attrs["problem_info"]`` or ``"bddl_file_content"``):
  :class:`LiberoDemoFile`; the instruction comes from ``problem_info["language_instruction"]``;
- any other file with a ``data`` group: :class:`RobomimicDemoFile`.

Both foreign layouts store camera images upside down (robosuite's OpenGL convention); their
readers flip image keys (``*_image``, ``*_rgb``, ``*_depth``) so they come out upright, unless
the file says otherwise (LIBERO's ``macros_image_convention == "opencv"``) or
``flip_images=False`` is passed. With ``rename=True`` (default) well-known observation keys
get robolearn's names (``agentview_rgb``, ``wrist_rgb``, ``eef_pos``, ``eef_quat``,
``gripper_qpos``, ``joint_pos``); other keys keep their names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from robolearn.data import schema
from robolearn.data.reader import DemoFile, as_str
from robolearn.errors import DataError

# our key -> key in the file
ROBOMIMIC_KEYS: dict[str, str] = {
    "agentview_rgb": "agentview_image",
    "wrist_rgb": "robot0_eye_in_hand_image",
    "eef_pos": "robot0_eef_pos",
    "eef_quat": "robot0_eef_quat",
    "gripper_qpos": "robot0_gripper_qpos",
    "joint_pos": "robot0_joint_pos",
}
LIBERO_KEYS: dict[str, str] = {
    "agentview_rgb": "agentview_rgb",
    "wrist_rgb": "eye_in_hand_rgb",
    "eef_pos": "ee_pos",
    "gripper_qpos": "gripper_states",
    "joint_pos": "joint_states",
}
IMAGE_SUFFIXES = ("_image", "_rgb", "_depth")


class ImportedDemoFile(DemoFile):
    """A foreign demo file: renames obs keys and flips upside-down images on read.

    Args:
        path: the HDF5 file.
        key_map: our obs key -> the file's obs key; None uses the layout's defaults,
            ``{}`` keeps the file's names.
        flip_images: flip image keys vertically; None decides from the layout.
        **kwargs: chunk-cache limits passed to :class:`DemoFile`.
    """

    layout = "robomimic"
    default_keys: Mapping[str, str] = ROBOMIMIC_KEYS

    def __init__(
        self,
        path: str | os.PathLike[str],
        key_map: Mapping[str, str] | None = None,
        flip_images: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(path, **kwargs)
        mapping = dict(self.default_keys if key_map is None else key_map)
        self._to_source = mapping
        self._from_source = {source: ours for ours, source in mapping.items()}
        self.flip_images = self._default_flip() if flip_images is None else flip_images

    def _default_flip(self) -> bool:
        return True

    def obs_keys(self) -> list[str]:
        """Observation keys under our names where mapped, sorted."""
        return sorted(self._from_source.get(key, key) for key in super().obs_keys())

    def _source_obs_key(self, key: str) -> str:
        return self._to_source.get(key, key)

    def _postprocess(self, key: str, array: np.ndarray) -> np.ndarray:
        if not (self.flip_images and key.startswith(f"{schema.OBS}/") and array.ndim >= 3):
            return array
        if not self._source_obs_key(key[len(schema.OBS) + 1 :]).endswith(IMAGE_SUFFIXES):
            return array
        return np.ascontiguousarray(array[:, ::-1])  # (T, H, W[, C]): flip rows

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, demos={len(self)}, layout={self.layout})"


class RobomimicDemoFile(ImportedDemoFile):
    """A robomimic dataset (robosuite image convention: stored upside down)."""

    layout = "robomimic"
    default_keys = ROBOMIMIC_KEYS


class LiberoDemoFile(ImportedDemoFile):
    """A LIBERO dataset: language from ``problem_info``, images flipped unless "opencv"."""

    layout = "libero"
    default_keys = LIBERO_KEYS

    def __init__(
        self,
        path: str | os.PathLike[str],
        key_map: Mapping[str, str] | None = None,
        flip_images: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(path, key_map=key_map, flip_images=flip_images, **kwargs)
        self.problem_info = self._parse_json(self._file_attrs, "problem_info") or {}

    def _default_flip(self) -> bool:
        convention = self._file_attrs.get("macros_image_convention")
        return convention is None or as_str(convention).lower() != "opencv"

    def language(self, name: str | int) -> str:
        """``problem_info["language_instruction"]`` (the same for every demo of a file)."""
        instruction = self.problem_info.get("language_instruction")
        if isinstance(instruction, list):  # some LIBERO files store a token list
            instruction = " ".join(str(t) for t in instruction)
        return str(instruction) if instruction else super().language(name)

    @property
    def task_id(self) -> str:
        """The file stem without LIBERO's ``_demo`` suffix."""
        stem = self.path.stem
        return stem[: -len("_demo")] if stem.endswith("_demo") else stem


def detect_layout(path: str | os.PathLike[str]) -> str:
    """``"robolearn"``, ``"libero"`` or ``"robomimic"`` for a demo file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"demo file {path} does not exist; check the path")
    if not h5py.is_hdf5(path):
        raise DataError(f"demo file {path} is not an HDF5 file (corrupt?); regenerate it")
    try:
        with h5py.File(path, "r") as f:
            if schema.DATA not in f:
                raise DataError(f"demo file {path} has no key 'data'; it is not a demo file")
            attrs: dict[str, Any] = dict(f[schema.DATA].attrs)
    except OSError as exc:
        raise DataError(
            f"demo file {path} cannot be opened ({exc}); truncated or corrupt"
        ) from None
    if schema.ATTR_ROBOLEARN in attrs:
        return "robolearn"
    if "problem_info" in attrs or "bddl_file_content" in attrs:
        return "libero"
    return "robomimic"


def open_demo_file(
    path: str | os.PathLike[str],
    key_map: Mapping[str, str] | None = None,
    flip_images: bool | None = None,
    **kwargs: Any,
) -> DemoFile:
    """Open any supported demo file with the reader API (see module docstring); ``kwargs``
    (``chunk_cache_mb``, ``max_open_chunked``) go to :class:`DemoFile`."""
    layout = detect_layout(path)
    if layout == "robolearn":
        return DemoFile(path, **kwargs)
    cls = LiberoDemoFile if layout == "libero" else RobomimicDemoFile
    return cls(path, key_map=key_map, flip_images=flip_images, **kwargs)
