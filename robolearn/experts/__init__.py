"""Scripted experts (oracles) that solve every task from privileged simulator state.

``make_expert(env, rng)`` gives an :class:`~robolearn.experts.base.Expert`; call
``expert.reset()`` after each ``env.reset``, then ``expert.act(obs)`` for the next 7-D
OSC_POSE delta action; ``expert.phase`` labels the step (one of :data:`PHASES`) and
``expert.done`` tells when the plan is finished. :func:`run_episode` runs a whole episode.
Skills are registered by name in :data:`SKILLS`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from robolearn.experts.base import Expert, Perturbation, make_expert, run_episode
    from robolearn.experts.skills import PHASES, SKILLS

# Imported on first use, so that robolearn.experts.version (what a training box without
# MuJoCo needs) does not pull in the simulator.
_LAZY = {"Expert": "base", "Perturbation": "base", "make_expert": "base", "run_episode": "base",
         "PHASES": "skills", "SKILLS": "skills"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"robolearn.experts.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'robolearn.experts' has no attribute {name!r}")


__all__ = ["PHASES", "SKILLS", "Expert", "Perturbation", "make_expert", "run_episode"]
