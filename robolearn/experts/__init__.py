"""Scripted experts (oracles) that solve every task from privileged simulator state.

``make_expert(env, rng)`` gives an :class:`~robolearn.experts.base.Expert`; call
``expert.reset()`` after each ``env.reset``, then ``expert.act(obs)`` for the next 7-D
OSC_POSE delta action; ``expert.phase`` labels the step (one of :data:`PHASES`) and
``expert.done`` tells when the plan is finished. :func:`run_episode` runs a whole episode.
Skills are registered by name in :data:`SKILLS`.
"""

from __future__ import annotations

from robolearn.experts.base import Expert, Perturbation, make_expert, run_episode
from robolearn.experts.skills import PHASES, SKILLS

__all__ = ["PHASES", "SKILLS", "Expert", "Perturbation", "make_expert", "run_episode"]
