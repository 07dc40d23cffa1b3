"""Vectorised policy evaluation from the tasks' fixed initial states.

:func:`evaluate` runs ``episodes_per_task`` episodes of every task (episode ``e`` starts from
fixed initial state ``init_offset + e``, or from a demo's: :mod:`robolearn.evaluation.inits`)
on ``num_envs`` env slots, in ``workers`` processes (see :mod:`robolearn.evaluation.workers`),
and batches the policy over all slots each step.
A slot that finishes an episode takes the next one at once (same task: the env is reused).
The first ``videos_per_task`` episodes of each task are rendered to
``<out>/videos/<suite>/<task>/eval_episode_<i>.mp4`` with the instruction and the outcome
drawn on them, and the first episode of every task of a suite is tiled into
``<out>/videos/<suite>_grid.mp4``. Results go to ``<out>/eval_info.json``.

Policies that need the simulator itself (the scripted expert wrapped as a policy: it plans
from privileged state) set ``needs_env = True`` and get ``bind(slot, env)`` at every episode
start; they run with in-process slots.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robolearn.evaluation.config import EvalConfig
from robolearn.evaluation.inits import episode_starts
from robolearn.evaluation.result import EpisodeResult, EvalResult
from robolearn.evaluation.video import downscale, episode_frames, grid_frames, write_video
from robolearn.evaluation.workers import EnvFactory, InProcessBackend, ProcessBackend
from robolearn.seeding import derive_seed

log = logging.getLogger(__name__)
SUFFIXES = ("_rgb", "_depth", "_seg")
FPS = 20
STATE_KEYS = (
    "object_state",
    "object_rel_pos",
    "object_rel_rot",
    "object_rel_yaw",
    "fixture_rel_pos",
    "goal_status",
)  # privileged state


def obs_config_for(spec: Any) -> dict[str, Any]:
    """The env observation config that produces a policy spec's observation keys."""
    cameras: list[str] = []
    size = 128
    flags = {"rgb": False, "depth": False, "segmentation": False}
    for key, shape in spec.obs_shapes.items():
        for suffix, flag in zip(SUFFIXES, ("rgb", "depth", "segmentation")):
            if key.endswith(suffix):
                cam = key[: -len(suffix)]
                if cam not in cameras:
                    cameras.append(cam)
                flags[flag] = True
                size = int(shape[0])
    return {
        "cameras": tuple(cameras),
        "image_size": size,
        **flags,
        "rgb": flags["rgb"] or not cameras,
        "proprio": True,
        # the env emits the privileged-state keys together
        "object_state": any(k in spec.obs_shapes for k in STATE_KEYS),
    }


@dataclass
class _Active:
    ep: EpisodeResult
    record: bool
    started: bool = False
    horizon: int = 0
    language: str = ""
    streak: int = 0
    successes: list[bool] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)


def stack_observations(
    observations: list[dict[str, np.ndarray]], language: list[str]
) -> dict[str, Any]:
    """Batch per-slot observations; vectors of different lengths (tasks with different
    object counts) are zero-padded to the longest, as the training data was."""
    batch: dict[str, Any] = {}
    for key in observations[0]:
        arrays = [o[key] for o in observations]
        size = max(a.shape[-1] for a in arrays)
        if arrays[0].ndim == 1 and any(a.shape[-1] != size for a in arrays):
            arrays = [np.pad(a, (0, size - a.shape[-1])) for a in arrays]
        batch[key] = np.stack(arrays)
    batch["language"] = language
    return batch


def _suite(task_id: str) -> str:
    return task_id.split("/", 1)[0]


class _Run:
    def __init__(self, policy, tasks, cfg: EvalConfig, out_dir, factory, obs):  # type: ignore[no-untyped-def]
        self.policy, self.cfg, self.tasks = policy, cfg, list(dict.fromkeys(tasks))
        self.out = Path(out_dir) if out_dir is not None else None
        self.result = EvalResult()
        self.grid: dict[str, list[list[np.ndarray]]] = {}
        needs_env = getattr(policy, "needs_env", False)
        obs_cfg = dict(obs if obs is not None else obs_config_for(policy.spec))
        obs_cfg.update(render_size=cfg.video_size, render_camera=cfg.video_camera)
        self.starts = episode_starts(self.tasks, cfg)
        self.jobs = deque(
            EpisodeResult(t, e, label)
            for t in self.tasks
            for e, (label, _) in enumerate(self.starts[t])
        )
        self.slots = max(1, min(cfg.num_envs, len(self.jobs)))
        if cfg.workers > 0 and not needs_env:
            self.backend: Any = ProcessBackend(
                self.slots, cfg.workers, obs_cfg, factory, cfg.worker_timeout_s
            )
        else:
            self.backend = InProcessBackend(self.slots, obs_cfg, factory)
        self.needs_env = needs_env
        self.active: list[_Active | None] = [None] * self.slots
        self.obs: list[dict[str, np.ndarray] | None] = [None] * self.slots

    def _command(self, s: int, actions: np.ndarray | None) -> tuple | None:
        act = self.active[s]
        if act is None and self.jobs:
            ep = self.jobs.popleft()
            record = ep.episode < self.cfg.videos_per_task and self.out is not None
            self.active[s] = _Active(ep, record)
            seed = derive_seed(self.cfg.seed, ep.task_id, ep.episode)
            init = self.starts[ep.task_id][ep.episode][1]
            return ("start", ep.task_id, init, seed, record)
        if act is None:
            return None
        assert actions is not None
        return ("step", actions[s])

    def _finish(self, s: int) -> None:
        act = self.active[s]
        assert act is not None
        ep = act.ep
        ep.success_at_end = bool(act.successes[-1]) if act.successes and ep.error is None else False
        if act.record and act.frames and self.out is not None:
            frames = episode_frames(act.frames, act.language, [False, *act.successes])
            path = self.out / "videos" / ep.task_id / f"eval_episode_{ep.episode}.mp4"
            ep.video = str(write_video(path, frames, FPS))
            if ep.episode == 0 and self.cfg.grid_video:
                tiles = [downscale(f, self.cfg.grid_tile) for f in frames]
                self.grid.setdefault(_suite(ep.task_id), []).append(tiles)
        self.result.episodes.append(ep)
        self.active[s], self.obs[s] = None, None

    def _absorb(self, s: int, res: Any) -> None:
        act = self.active[s]
        assert act is not None
        if res.error is not None:
            act.ep.error = res.error.splitlines()[0]
            log.warning("%s episode %d failed: %s", act.ep.task_id, act.ep.episode, act.ep.error)
            self._finish(s)
            return
        if not act.started:
            act.started, act.language = True, res.language
            act.horizon = self.cfg.max_steps or res.horizon
            self.policy.reset([s])
            if self.needs_env:
                self.policy.bind(s, self.backend.host.envs[s])
        else:
            act.ep.steps += 1
            act.successes.append(res.success)
            act.streak = act.streak + 1 if res.success else 0
            act.ep.success_once = act.ep.success_once or res.success
            act.ep.note_goals(res.goals or (res.success,))
        if res.frame is not None:
            act.frames.append(res.frame)
        self.obs[s] = res.obs
        if act.streak >= self.cfg.success_hold or act.ep.steps >= act.horizon:
            self._finish(s)

    def _actions(self) -> np.ndarray | None:
        live = [s for s in range(self.slots) if self.active[s] is not None]
        if not live:
            return None
        filler = self.obs[live[0]]
        observations = [o if o is not None else filler for o in self.obs]
        language = [a.language if a is not None else "" for a in self.active]
        language = [lang or self.active[live[0]].language for lang in language]  # type: ignore[union-attr]
        return np.asarray(self.policy.act(stack_observations(observations, language)))  # type: ignore[arg-type]

    def run(self, progress: bool) -> EvalResult:
        start = time.perf_counter()
        total = len(self.jobs)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="eval", dynamic_ncols=True, mininterval=2.0)
        self.policy.reset()
        actions: np.ndarray | None = None
        try:
            while self.jobs or any(a is not None for a in self.active):
                commands = [self._command(s, actions) for s in range(self.slots)]
                done_before = len(self.result.episodes)
                for s, res in enumerate(self.backend.run(commands)):
                    if commands[s] is not None and res is not None:
                        self._absorb(s, res)
                finished = len(self.result.episodes) - done_before
                if bar is not None and finished:
                    solved = sum(e.success_once for e in self.result.episodes)
                    bar.set_postfix(solved=solved, refresh=False)
                    bar.update(finished)
                actions = self._actions()
        finally:
            self.backend.close()
            if bar is not None:
                bar.close()
        self._write_grids()
        self.result.seconds = time.perf_counter() - start
        self.result.worker_restarts = self.backend.restarts
        rank = {t: i for i, t in enumerate(self.tasks)}
        self.result.episodes.sort(key=lambda e: (rank[e.task_id], e.episode))
        if self.out is not None:
            self.result.save(self.out / "eval_info.json")
        return self.result

    def _write_grids(self) -> None:
        if self.out is None:
            return
        for suite, episodes in self.grid.items():
            path = self.out / "videos" / f"{suite}_grid.mp4"
            self.result.videos[suite] = str(write_video(path, grid_frames(episodes), FPS))


def evaluate(
    policy: Any,
    tasks: Sequence[str],
    cfg: EvalConfig | None = None,
    out_dir: str | Path | None = None,
    logger: Any = None,
    step: int = 0,
    env_factory: EnvFactory | None = None,
    obs: dict[str, Any] | None = None,
    progress: bool = False,
) -> EvalResult:
    """Roll ``policy`` out on ``tasks``; see the module docstring. Videos and
    ``eval_info.json`` are written only with an ``out_dir``; ``logger`` gets the summary
    scalars and the videos (the suite grids and each task's first episode)."""
    cfg = cfg or EvalConfig()
    result = _Run(policy, list(tasks), cfg, out_dir, env_factory, obs).run(progress)
    if logger is not None:
        logger.log({f"eval/{k}": v for k, v in result.summary().items()}, step)
        for suite, path in result.videos.items():
            logger.log_video(path, f"eval/video/{suite}", step)
        for task, row in result.per_task().items():
            if row["videos"]:
                logger.log_video(row["videos"][0], f"eval/video/{task}", step)
    return result
