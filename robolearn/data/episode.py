"""One demonstration in memory: the unit the writer stores and the reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robolearn.errors import DataError


@dataclass
class Episode:
    """A demonstration of ``T`` steps.

    Attributes:
        obs: observation key -> array (T, ...); images uint8 (T, H, W, C), upright.
        actions: (T, A) float array.
        rewards: (T,) array.
        dones: (T,) array of 0/1 or bool (read back as bool).
        states: (T, S) flattened simulator states (stored as float64).
        skills: (name, start, end) phase labels, ``end`` exclusive, ``0 <= start < end <= T``.
        language: the instruction the demo follows.
        init_state: JSON-serialisable description of the initial state (or None).
        seed: the seed the episode was collected with (or None).
        success: whether the episode reached the goal.
    """

    obs: dict[str, np.ndarray]
    actions: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray
    states: np.ndarray
    skills: list[tuple[str, int, int]] = field(default_factory=list)
    language: str = ""
    init_state: dict[str, Any] | None = None
    seed: int | None = None
    success: bool = True
    expert_actions: np.ndarray | None = None  # clean labels when execution was perturbed
    action_mask: np.ndarray | None = None  # (T,) bool: False on steps not to learn from

    def __len__(self) -> int:
        return int(np.shape(self.actions)[0]) if np.ndim(self.actions) else 0

    def validate(self) -> None:
        """Check shapes and lengths agree; raise :class:`DataError` naming the bad key."""
        actions = np.asarray(self.actions)
        if actions.ndim != 2:
            raise DataError(
                f"episode key 'actions' must be (T, A), got shape {actions.shape}; "
                "reshape single-dimensional actions to (T, 1)"
            )
        length = actions.shape[0]
        if length == 0:
            raise DataError("episode is empty (key 'actions' has 0 steps); do not store it")
        if not np.issubdtype(actions.dtype, np.floating):
            raise DataError(f"episode key 'actions' must be float, got {actions.dtype}")
        if not np.all(np.isfinite(actions)):
            raise DataError("episode key 'actions' holds NaN or inf; fix the expert/policy")
        if self.expert_actions is not None:
            labels = np.asarray(self.expert_actions)
            if labels.shape != actions.shape or not np.all(np.isfinite(labels)):
                raise DataError(
                    f"episode key 'expert_actions' must be finite and shaped like 'actions' "
                    f"{actions.shape}, got {labels.shape}"
                )
        if self.action_mask is not None:
            mask = np.asarray(self.action_mask)
            if mask.shape != (length,) or not np.all((mask == 0) | (mask == 1)):
                raise DataError(
                    f"episode key 'action_mask' must be ({length},) of 0/1 (one per action), "
                    f"got shape {mask.shape} with values {np.unique(mask)[:5].tolist()}"
                )
        self._check("rewards", np.asarray(self.rewards), length, ndim=1)
        self._check("dones", np.asarray(self.dones), length, ndim=1)
        self._check("states", np.asarray(self.states), length, ndim=2)
        if not isinstance(self.obs, dict):
            raise DataError(f"episode key 'obs' must be a dict, got {type(self.obs).__name__}")
        for key, value in self.obs.items():
            if not key or "/" in key:
                raise DataError(f"episode obs key {key!r} must be non-empty and contain no '/'")
            self._check(f"obs/{key}", np.asarray(value), length, ndim=None)
        for i, skill in enumerate(self.skills):
            if len(skill) != 3:
                raise DataError(f"episode key 'skills[{i}]' must be (name, start, end)")
            name, start, end = skill
            if not isinstance(name, str) or not name:
                raise DataError(f"episode key 'skills[{i}]' needs a non-empty str name")
            if not 0 <= int(start) < int(end) <= length:
                raise DataError(
                    f"episode key 'skills[{i}]' ({name!r}, {start}, {end}) is outside "
                    f"[0, {length}) or empty; ends are exclusive"
                )

    @staticmethod
    def _check(key: str, array: np.ndarray, length: int, ndim: int | None) -> None:
        if array.ndim == 0:
            raise DataError(f"episode key {key!r} must have a time axis, got a scalar")
        if ndim is not None and array.ndim != ndim:
            raise DataError(
                f"episode key {key!r} must have {ndim} dimension(s), got shape {array.shape}"
            )
        if array.shape[0] != length:
            raise DataError(
                f"episode key {key!r} has {array.shape[0]} steps but 'actions' has {length}; "
                "every per-step array must have the same length"
            )
