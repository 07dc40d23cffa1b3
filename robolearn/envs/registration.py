"""Registration with gymnasium, env factories and vector envs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import gymnasium as gym

from robolearn.envs.observations import ObsConfig
from robolearn.tasks.spec import TaskSpec

NAMESPACE = "robolearn"


def gym_id(task_id: str) -> str:
    """gymnasium id of a task: ``spatial/x-v1`` -> ``robolearn-spatial/x-v1``.

    gymnasium ids allow a single ``/`` and no ``@``, so the suite goes into the namespace
    and perturbation axes are joined with ``:`` (``robolearn-spatial:layout/x-v1``).
    """
    suite, name = task_id.split("/", 1)
    return f"{NAMESPACE}-{suite.replace('@', ':')}/{name}"


def task_id_from_gym(env_id: str) -> str:
    namespace, name = env_id.split("/", 1)
    return f"{namespace.removeprefix(NAMESPACE + '-').replace(':', '@')}/{name}"


def _entry_point(task_id: str, **kwargs: Any) -> gym.Env:
    from robolearn.envs.env import RobolearnEnv

    return RobolearnEnv(task_id, **kwargs)


def register_envs() -> list[str]:
    """Register every task of the base suites (idempotent); returns the gymnasium ids."""
    from robolearn.tasks.suites import BASE_SUITES, get_suite

    ids = []
    for suite in BASE_SUITES:
        for task in get_suite(suite).tasks:
            env_id = gym_id(task.task_id)
            if env_id not in gym.registry:
                gym.register(
                    id=env_id,
                    entry_point=_entry_point,
                    kwargs={"task_id": task.task_id},
                    max_episode_steps=task.horizon,
                    disable_env_checker=True,
                )
            ids.append(env_id)
    return ids


def make_env(
    task: str | TaskSpec,
    obs: ObsConfig | dict[str, Any] | None = None,
    time_limit: bool = True,
    **kwargs: Any,
) -> gym.Env:
    """One task's env, wrapped in a TimeLimit of the task's horizon unless asked not to."""
    from robolearn.envs.env import RobolearnEnv

    env: gym.Env = RobolearnEnv(task, obs=obs, **kwargs)
    if time_limit:
        env = gym.wrappers.TimeLimit(env, max_episode_steps=env.unwrapped.task.horizon)
    return env


class SuiteEnvs:
    """The tasks of a suite and a factory per task; envs are built one at a time on demand."""

    def __init__(self, name: str, obs: ObsConfig | dict[str, Any] | None = None) -> None:
        from robolearn.tasks.suites import get_suite

        self.suite = get_suite(name)
        self.obs = ObsConfig.from_any(obs)

    @property
    def tasks(self) -> tuple[TaskSpec, ...]:
        return self.suite.tasks

    def make(self, index_or_id: int | str, **kwargs: Any) -> gym.Env:
        task = (
            self.tasks[index_or_id]
            if isinstance(index_or_id, int)
            else next(t for t in self.tasks if t.task_id == index_or_id)
        )
        return make_env(task, obs=self.obs, **kwargs)

    def __iter__(self) -> Iterator[TaskSpec]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


def make_suite(name: str, obs: ObsConfig | dict[str, Any] | None = None) -> SuiteEnvs:
    """A suite (``"spatial"``, ``"goal@color"``...) as lazily built envs."""
    return SuiteEnvs(name, obs)


def _factory(task: str | TaskSpec, obs: ObsConfig, kwargs: dict[str, Any]) -> Callable[[], gym.Env]:
    def build() -> gym.Env:
        return make_env(task, obs=obs, **kwargs)

    return build


def make_vector_env(
    tasks: Sequence[str | TaskSpec],
    obs: ObsConfig | dict[str, Any] | None = None,
    asynchronous: bool = True,
    context: str | None = None,
    **kwargs: Any,
) -> gym.vector.VectorEnv:
    """A vector env with one task per sub-env (repeat a task to run it in parallel).

    Asynchronous envs run one rendering env per worker process. With cameras the start
    method is ``forkserver`` (``fork`` deadlocks inside EGL); without, ``fork`` is fine.
    """
    cfg = ObsConfig.from_any(obs)
    fns = [_factory(t, cfg, kwargs) for t in tasks]
    if not asynchronous:
        return gym.vector.SyncVectorEnv(fns)
    if context is None:
        context = "forkserver" if cfg.cameras else "fork"
    return gym.vector.AsyncVectorEnv(fns, context=context, shared_memory=False)
