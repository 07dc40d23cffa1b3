"""Several trained policies acting as one (a deep ensemble at rollout time).

:class:`PolicyEnsemble` asks every member for its action each step and combines them: the
mean (or the per-dimension median) of the continuous dimensions, and for a binary gripper
(the last dimension, ``cfg.binary_gripper``) a majority vote, a tie going to the first
member. Each member keeps its own rollout state (action chunks, history), so members trained
with different chunk or frame-stack settings combine too; members of one recipe replan on the
same steps. Members must read the same observations: the same observation keys and shapes and
action size (their :class:`~robolearn.policies.base.PolicySpec`), else a ConfigError names the
member that differs. It offers what evaluation needs (``spec``, ``act``, ``reset``,
``configure_rollout``); it is not trained.

    robolearn eval checkpoint=<run A> 'ensemble=[<run B>,<run C>]' suite=goal
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from robolearn.errors import ConfigError

REDUCTIONS = ("mean", "median")


def check_reduce(reduce: str) -> None:
    """Raise ConfigError unless ``reduce`` is one of :data:`REDUCTIONS`."""
    if reduce not in REDUCTIONS:
        raise ConfigError(f"ensemble_reduce={reduce!r}: choose one of {list(REDUCTIONS)}")


class PolicyEnsemble:
    """Combine the actions of ``members`` (trained policies); see the module docstring."""

    def __init__(self, members: Sequence[Any], reduce: str = "mean", names: Sequence[str] = ()):
        members = list(members)
        if not members:
            raise ConfigError("a policy ensemble needs at least one member")
        check_reduce(reduce)
        names = list(names) or [f"member {i}" for i in range(len(members))]
        if len(names) != len(members):
            raise ConfigError(f"ensemble: {len(names)} names for {len(members)} members")
        first = members[0].spec.to_dict()
        binary = bool(getattr(members[0].cfg, "binary_gripper", False))
        for name, member in zip(names[1:], members[1:], strict=True):
            other = member.spec.to_dict()
            if other != first:
                diff = sorted(k for k in set(first) | set(other) if first.get(k) != other.get(k))
                raise ConfigError(
                    f"ensemble member {name} reads other observations or acts differently than "
                    f"{names[0]} (spec fields {diff} differ): combine policies trained on the "
                    "same data keys"
                )
            if bool(getattr(member.cfg, "binary_gripper", False)) != binary:
                raise ConfigError(
                    f"ensemble member {name} has binary_gripper="
                    f"{not binary} and {names[0]} {binary}: an averaged gripper command would "
                    "make a weak grasp; combine policies with the same gripper setting"
                )
        self.members, self.reduce, self.names = members, reduce, names
        self.spec = members[0].spec
        self.binary_gripper = binary

    def __len__(self) -> int:
        return len(self.members)

    def act(self, obs: Mapping[str, Any]) -> np.ndarray:
        """(B, A) combined actions of every member for a batch of raw observations."""
        actions = np.stack([np.asarray(m.act(obs), dtype=np.float32) for m in self.members])
        out = np.median(actions, axis=0) if self.reduce == "median" else actions.mean(axis=0)
        if self.binary_gripper:  # majority vote of the +-1 commands; a tie: the first member's
            votes = np.sign(actions[..., -1]).sum(axis=0)
            out[..., -1] = np.where(votes == 0, actions[0, ..., -1], np.sign(votes))
        return out.astype(np.float32)

    def reset(self, slots: Sequence[int] | np.ndarray | None = None) -> None:
        for member in self.members:
            member.reset(slots)

    def configure_rollout(self, settings: Mapping[str, Any]) -> None:
        """Set rollout-time keys on every member (each checks them; see Policy). All or
        nothing: when a member refuses, the members already set get their old values back and
        the ConfigError names the member."""
        done: list[tuple[Any, dict[str, Any]]] = []
        for name, member in zip(self.names, self.members, strict=True):
            old = {k: getattr(member.cfg, k) for k in settings if k in member.rollout_keys}
            try:
                member.configure_rollout(settings)
            except ConfigError as exc:
                for earlier, values in done:
                    earlier.configure_rollout(values)
                raise ConfigError(f"ensemble member {name}: {exc}") from None
            done.append((member, old))


def load_ensemble(
    folders: Sequence[Any], device: Any = "cpu", reduce: str = "mean"
) -> PolicyEnsemble:
    """Load each checkpoint folder with :func:`~robolearn.policies.io.load_policy`."""
    from robolearn.policies.io import load_policy

    return PolicyEnsemble(
        [load_policy(f, device) for f in folders], reduce, [str(f) for f in folders]
    )
