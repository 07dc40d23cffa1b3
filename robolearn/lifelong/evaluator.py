"""Rollout evaluation inside a lifelong run: task-id views, reuse of identical weights, and an
env pool that keeps simulators between evaluations.

:class:`TaskEvaluator` evaluates task positions with the weights the learner assigns them
(:meth:`~robolearn.lifelong.learners.base.Learner.eval_groups`). Evaluation is deterministic
(fixed initial states, seeded envs, the policy's deterministic action), so with
``reuse=True`` a task evaluated before with bit-identical weights gets the earlier result
instead of a second rollout (PackNet's and single_task's finished tasks, a kept checkpoint
that an in-training evaluation already saw). :class:`EnvPool` lends envs to the in-process
evaluation backend and takes them back when it closes them (a reset restores an env
exactly, so reuse does not change any result).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import torch

log = logging.getLogger(__name__)
EvaluateFn = Callable[
    ..., Any
]  # evaluate(policy, task_ids, eval_cfg, env_factory=...) -> EvalResult


def fingerprint(policy: Any) -> str:
    """A hash of every tensor in ``policy.state_dict()`` (names, shapes, dtypes and bytes)."""
    h = hashlib.blake2b(digest_size=16)
    for name, value in sorted(policy.state_dict().items()):
        t = value.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


class _Lent:
    """An env on loan from an :class:`EnvPool`; ``close()`` returns it."""

    def __init__(self, env: Any, pool: EnvPool, key: tuple[str, str]) -> None:
        self._env, self._pool, self._key = env, pool, key

    def close(self) -> None:
        if self._env is not None:
            self._pool.give_back(self._key, self._env)
            self._env = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


class EnvPool:
    """An env factory for the in-process backend that keeps up to ``capacity`` idle envs."""

    def __init__(self, capacity: int = 12, factory: Callable[..., Any] | None = None) -> None:
        self.capacity, self.factory = capacity, factory
        self.idle: OrderedDict[tuple[str, str], list[Any]] = OrderedDict()
        self.built = 0

    def __call__(self, task_id: str, obs: dict[str, Any]) -> Any:
        key = (task_id, repr(sorted(obs.items())))
        envs = self.idle.get(key)
        if envs:
            env = envs.pop()
            self.idle.move_to_end(key)
        else:
            from robolearn.evaluation.workers import default_env_factory

            env = (self.factory or default_env_factory)(task_id, obs)
            self.built += 1
        return _Lent(env, self, key)

    def give_back(self, key: tuple[str, str], env: Any) -> None:
        self.idle.setdefault(key, []).append(env)
        self.idle.move_to_end(key)
        while sum(len(v) for v in self.idle.values()) > self.capacity:
            oldest = next(iter(self.idle))
            self.idle[oldest].pop(0).close()
            if not self.idle[oldest]:
                del self.idle[oldest]

    def close(self) -> None:
        for envs in self.idle.values():
            for env in envs:
                env.close()
        self.idle.clear()


class TaskEvaluator:
    """``evaluator(learner, positions) -> {position: success}``; see the module docstring."""

    def __init__(
        self,
        tasks: Sequence[str],
        eval_cfg: Any,
        reuse: bool = True,
        pool: bool = True,
        evaluate_fn: EvaluateFn | None = None,
    ) -> None:
        self.tasks, self.cfg, self.reuse = list(tasks), eval_cfg, reuse
        self.evaluate_fn = evaluate_fn
        self.pool = (
            EnvPool(max(12, 2 * eval_cfg.num_envs)) if pool and eval_cfg.workers == 0 else None
        )
        self._owns_pool = True
        self.cache: dict[str, float] = {}
        self.seconds = 0.0
        self.rollouts = 0  # task evaluations actually run
        self.reused = 0

    def _evaluate(self, policy: Any, task_ids: list[str]) -> dict[str, float]:
        kwargs: dict[str, Any] = {}
        if self.pool is not None:
            kwargs["env_factory"] = self.pool
        if self.evaluate_fn is None:
            from robolearn.evaluation.evaluate import evaluate

            result = evaluate(policy, task_ids, self.cfg, **kwargs)
        else:
            result = self.evaluate_fn(policy, task_ids, self.cfg, **kwargs)
        return {t: float(r["success"]) for t, r in result.per_task().items()}

    def __call__(self, learner: Any, positions: Sequence[int]) -> dict[int, float]:
        out: dict[int, float] = {}
        start = time.perf_counter()
        for key, group in learner.eval_groups(list(positions)):
            with learner.view(key) as policy:
                deterministic = not getattr(getattr(policy.cfg, "head", None), "sample", False)
                fp = fingerprint(policy) if self.reuse and deterministic else None
                todo = []
                for j in group:
                    hit = self.cache.get(f"{fp}:{self.tasks[j]}") if fp else None
                    if hit is None:
                        todo.append(j)
                    else:
                        out[j] = hit
                        self.reused += 1
                if todo:
                    with torch.random.fork_rng(devices=[]):
                        success = self._evaluate(policy, [self.tasks[j] for j in todo])
                    for j in todo:
                        out[j] = success[self.tasks[j]]
                        if fp:
                            self.cache[f"{fp}:{self.tasks[j]}"] = out[j]
                    self.rollouts += len(todo)
        self.seconds += time.perf_counter() - start
        return out

    def sibling(self, eval_cfg: Any) -> TaskEvaluator:
        """An evaluator with another config (e.g. held-out initial states) that borrows this
        one's env pool (a reset sets the state, so pooled envs serve both) and keeps its own
        cache; closing it leaves the pool to its owner."""
        other = TaskEvaluator(self.tasks, eval_cfg, self.reuse, False, self.evaluate_fn)
        other.pool, other._owns_pool = self.pool, False
        return other

    def counts(self) -> dict[str, Any]:
        """Task evaluations run and reused, and their seconds (for ``results.json``)."""
        return {"rollouts": self.rollouts, "reused": self.reused, "seconds": self.seconds}

    def counts_list(self) -> list[Any]:
        """:meth:`counts` as the run state stores them."""
        return [self.rollouts, self.reused, self.seconds]

    def restore(self, cache: dict[str, float] | None, counts: list[Any] | None) -> None:
        """Take back a saved :attr:`cache` and :meth:`counts_list` (a resumed run)."""
        self.cache.update(cache or {})
        self.rollouts, self.reused, self.seconds = counts or [0, 0, 0.0]

    def close(self) -> None:
        if self.pool is not None and self._owns_pool:
            self.pool.close()
