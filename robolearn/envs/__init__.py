"""Gymnasium environments over the task suites.

``make_env("spatial/bowl-left-of-plate-to-plate-v1", obs={...})`` builds one task's env
(any perturbed id works too). :func:`register_envs` registers every task of the base suites
with gymnasium as ``robolearn-<suite>/<task>-v1`` (gymnasium ids allow one ``/``), e.g.
``gymnasium.make("robolearn-spatial/bowl-left-of-plate-to-plate-v1")``; importing this
package registers them. ``make_suite("goal")`` builds the suite's envs lazily, and
``make_vector_env`` runs several in worker processes.
"""

from __future__ import annotations

from robolearn.envs.registration import (
    gym_id,
    make_env,
    make_suite,
    make_vector_env,
    register_envs,
)

register_envs()

__all__ = ["gym_id", "make_env", "make_suite", "make_vector_env", "register_envs"]
