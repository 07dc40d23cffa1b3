"""Demonstration collection: scripted experts -> ``demos/<suite>/<task>.hdf5``.

One task per worker process at a time, one rendering env per process. Only successful
episodes are kept; each task's success rate is reported. A complete file is skipped on a
rerun (resumable); an interrupted one (only a temporary file exists) is redone. Files
appear atomically (see :class:`robolearn.data.writer.DemoWriter`).
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robolearn.data.schema import DEFAULT_COMPRESSION
from robolearn.errors import ConfigError, DataError
from robolearn.seeding import derive_seed, make_rng

log = logging.getLogger(__name__)
SUCCESS_HOLD = 10  # steps the goal must hold before an episode counts as solved


@dataclass(frozen=True)
class CollectSettings:
    demos_per_task: int = 50
    cameras: tuple[str, ...] = ("agentview", "wrist")
    image_size: int = 128
    depth: bool = False
    object_state: bool = True
    seed: int = 0
    max_attempts_factor: float = 2.0  # give up on a task after this many x demos attempts
    compression: str | None = DEFAULT_COMPRESSION  # see robolearn.data.schema
    valid_fraction: float = 0.1
    perturb: float = 0.0  # DART: std of the correlated noise on executed actions (0: off)
    perturb_rho: float = 0.9  # its step-to-step correlation
    perturb_scope: str = "all"  # all | transit | reach | drop (configs/collect.yaml)
    miss: float = 0.0  # recovery demos: probability of a deliberate first-attempt grasp miss
    drop_miss: float = 0.0  # ... and of a drop into a snug opening let go beside it (it jams)
    # Takeover demos (DAgger-style): a policy checkpoint drives the first n steps of each
    # episode (n uniform in takeover_steps, inclusive), then the expert takes over from the
    # state it left; the policy's steps are masked (robolearn/experts/takeover.py).
    takeover: str | None = None
    takeover_steps: tuple[int, int] = (10, 120)

    def __post_init__(self) -> None:
        from robolearn.experts.base import Perturbation
        from robolearn.experts.takeover import check_steps

        try:
            Perturbation(
                self.perturb, self.perturb_rho, self.perturb_scope, self.miss, self.drop_miss
            )
        except ValueError as exc:
            raise ConfigError(f"collect settings perturb*/miss/drop_miss: {exc}") from exc
        object.__setattr__(self, "takeover_steps", check_steps(self.takeover_steps))
        if self.takeover is not None:  # a checkpoint folder (CheckpointError naming it)
            from robolearn.policies.io import read_meta

            read_meta(self.takeover)


@dataclass
class TaskReport:
    task_id: str
    path: str
    demos: int = 0
    attempts: int = 0
    mean_length: float = 0.0
    seconds: float = 0.0
    skipped: bool = False
    lengths: list[int] = field(default_factory=list)
    driver_solved: int = 0  # takeover: episodes the policy solved before the expert took over

    @property
    def success_rate(self) -> float:
        return self.demos / self.attempts if self.attempts else float("nan")


def task_path(out_dir: str | Path, task_id: str) -> Path:
    if "/" not in task_id:  # not <suite>/<task>: name the ids it may have meant
        from robolearn.tasks.suites import get_task

        get_task(task_id)
    suite, name = task_id.split("/", 1)
    return Path(out_dir) / suite / f"{name}.hdf5"


def is_complete(path: Path) -> bool:
    """Whether ``path`` is a complete demo file (a truncated or foreign file is not)."""
    from robolearn.data.reader import DemoFile

    if not path.exists():
        return False
    try:
        with DemoFile(path) as f:
            return len(f) > 0
    except DataError as exc:
        log.warning("%s is not a complete demo file (%s); it will be redone", path, exc)
        return False


PERTURB_KEYS = ("perturb", "perturb_rho", "perturb_scope", "miss", "drop_miss")


def perturb_of(collector: Mapping[str, Any]) -> tuple[float, float, str, float, float]:
    """(std, rho, scope, miss, drop_miss) of the DART noise and deliberate misses a collector
    setting describes; without noise rho/scope read ``(0.0, "all")`` whatever they say (files
    without the settings count as clean)."""
    std = float(collector.get("perturb", 0.0) or 0.0)
    miss = float(collector.get("miss", 0.0) or 0.0)
    drop_miss = float(collector.get("drop_miss", 0.0) or 0.0)
    if std <= 0:
        return 0.0, 0.0, "all", miss, drop_miss
    rho, scope = (
        float(collector.get("perturb_rho", 0.9)),
        str(collector.get("perturb_scope", "all")),
    )
    return std, rho, scope, miss, drop_miss


def expert_version_of(meta: Mapping[str, Any] | None) -> int | None:
    """The expert version a demo file's metadata records: collected before the stamp 1, not
    collected by robolearn's experts (imported, hand-made) ``None``."""
    meta = meta or {}
    if "collector" not in meta:
        return None
    return int(meta.get("expert_version", 1))


def check_collected(path: Path, wanted: Mapping[str, Any]) -> None:
    """Refuse a complete demo file collected with other DART noise or deliberate misses than
    ``wanted`` asks (keys :data:`PERTURB_KEYS`), or by another version of the experts (files
    not from the collector are not checked for that), naming both settings."""
    from robolearn.data.reader import DemoFile

    with DemoFile(path) as f:
        meta = f.meta or {}
    found = perturb_of(meta.get("collector") or {})
    want = perturb_of(wanted)
    numbers = [found[0], found[1], found[3], found[4]], [want[0], want[1], want[3], want[4]]
    if not np.allclose(*numbers, rtol=0, atol=1e-9) or found[2] != want[2]:

        def show(p: tuple[float, float, str, float, float]) -> str:
            noise = f"perturb={p[0]}" + (f" (rho {p[1]}, scope {p[2]})" if p[0] else "")
            noise += f", miss={p[3]}" if p[3] else ""
            return noise + (f", drop_miss={p[4]}" if p[4] else "")

        raise DataError(
            f"demo file {path} was collected with {show(found)}, this run asks for "
            f"{show(want)}; keep one folder per setting (e.g. demos/lowdim_dart0.1, "
            "demos/lowdim_miss0.5) or change the perturb/miss/drop_miss settings"
        )
    check_expert_version(path, meta)


def check_expert_version(path: Path, meta: Mapping[str, Any] | None = None) -> None:
    """Refuse a demo file collected by another version of the experts (files not from the
    collector are not checked); ``meta`` is the file's metadata when already read."""
    from robolearn.data.reader import DemoFile
    from robolearn.experts.version import EXPERT_VERSION

    if meta is None:
        with DemoFile(path) as f:
            meta = f.meta or {}
    version = expert_version_of(meta)
    if version is not None and version != EXPERT_VERSION:
        raise DataError(
            f"demo file {path} was collected by expert version {version}, this robolearn's "
            f"experts are version {EXPERT_VERSION} (robolearn/experts/base.py says what "
            "changed); collect into a fresh folder (data.root=... / out=...) or move the old "
            "files away, so that one folder holds one expert's demos"
        )


def skills_from_phases(phases: Sequence[str]) -> list[tuple[str, int, int]]:
    """Contiguous runs of phase labels -> (name, start, end-exclusive)."""
    out: list[tuple[str, int, int]] = []
    start = 0
    for t in range(1, len(phases) + 1):
        if t == len(phases) or phases[t] != phases[start]:
            out.append((phases[start], start, t))
            start = t
    return out


def record_episode(env: Any, expert: Any, seed: int, max_steps: int) -> tuple[Any, bool]:
    """Run the expert from ``reset(seed=seed)``; returns (Episode, solved).

    robomimic convention: ``obs[t]`` and ``states[t]`` are before ``actions[t]``;
    ``rewards[t]`` follows it; ``dones`` is 1 at the last step only. ``actions`` are what
    was executed; a perturbed expert's clean labels go to ``expert_actions``, and with
    deliberate misses or a takeover's policy steps which steps to learn from goes to
    ``action_mask``.
    """
    from robolearn.data.episode import Episode

    perturb = getattr(expert, "perturb", None)
    # deliberate misses and a takeover's policy steps are stored as steps not to learn from
    masked = bool(getattr(expert, "masks_steps", False))
    obs, info = env.reset(seed=seed)
    expert.reset()
    base = env.unwrapped
    frames: dict[str, list[np.ndarray]] = {k: [] for k in obs}
    actions, labels, rewards, states, phases, learn = [], [], [], [], [], []
    held = 0
    for _ in range(max_steps):
        for key, value in obs.items():
            frames[key].append(value)
        states.append(base.get_state())
        action = np.asarray(expert.act(obs), dtype=np.float32)
        phases.append(expert.phase)
        obs, reward, terminated, truncated, info = env.step(action)
        actions.append(action)
        labels.append(np.asarray(getattr(expert, "label", action), dtype=np.float32))
        learn.append(bool(getattr(expert, "learn", True)))
        rewards.append(reward)
        held = held + 1 if info["is_success"] else 0
        if held >= SUCCESS_HOLD or truncated or (expert.done and held == 0):
            break
    solved = bool(info["is_success"])
    dones = np.zeros(len(actions), dtype=np.int64)
    dones[-1] = 1
    init = base.init_state
    episode = Episode(
        obs={k: np.stack(v) for k, v in frames.items()},
        actions=np.stack(actions),
        rewards=np.asarray(rewards, dtype=np.float64),
        dones=dones,
        states=np.stack(states),
        skills=skills_from_phases(phases),
        language=base.task.language,
        init_state=init.to_dict() if init is not None else None,
        seed=seed,
        success=solved,
        expert_actions=np.stack(labels) if perturb is not None and perturb.std > 0 else None,
        action_mask=np.asarray(learn) if masked else None,
    )
    return episode, solved


def env_args(task_id: str, settings: CollectSettings) -> dict[str, Any]:
    """robomimic's ``env_args``: enough to rebuild the env (``make_env(name, **kwargs)``)."""
    from robolearn.data.schema import make_env_args

    obs = {
        "cameras": list(settings.cameras),
        "image_size": settings.image_size,
        "depth": settings.depth,
        "object_state": settings.object_state,
    }
    return make_env_args(task_id, {"obs": obs})


def collect_task(
    task_id: str,
    out_dir: str | Path,
    settings: CollectSettings,
    progress: Callable[[int, int], None] | None = None,
) -> TaskReport:
    """Collect ``settings.demos_per_task`` successful demos of one task into its file."""
    from robolearn.data.writer import DemoWriter
    from robolearn.envs import make_env
    from robolearn.experts import Perturbation, make_expert
    from robolearn.experts.takeover import Takeover
    from robolearn.experts.version import EXPERT_VERSION
    from robolearn.versions import versions

    path = task_path(out_dir, task_id)
    report = TaskReport(task_id, str(path))
    if is_complete(path):
        check_collected(path, asdict(settings))  # a kept file must match what was asked for
        report.skipped = True
        return report
    start = time.perf_counter()
    args = env_args(task_id, settings)
    env = make_env(task_id, obs=args["env_kwargs"]["obs"])
    task = env.unwrapped.task
    meta = {
        "task_spec": json.loads(task.to_json()),
        "versions": versions(),
        "image_convention": "upright",
        "collector": asdict(settings),
        "expert_version": EXPERT_VERSION,
    }
    perturb = Perturbation(
        settings.perturb,
        settings.perturb_rho,
        settings.perturb_scope,
        settings.miss,
        settings.drop_miss,
    )
    max_attempts = max(1, int(np.ceil(settings.demos_per_task * settings.max_attempts_factor)))
    driver = None
    if settings.takeover:
        # the one place collection reaches up to policies (lazily): a takeover needs the
        # learner it collects corrections for
        from robolearn.evaluation.driver import PolicyDriver

        driver = PolicyDriver(settings.takeover, task.language)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with DemoWriter(
            path,
            args,
            meta,
            compression=settings.compression,
            valid_fraction=settings.valid_fraction,
            split_seed=settings.seed,
            overwrite=True,  # not complete (checked above): a damaged file is redone
        ) as writer:
            while report.demos < settings.demos_per_task and report.attempts < max_attempts:
                seed = derive_seed(settings.seed, task_id, report.attempts)
                rng = make_rng(settings.seed, task_id, report.attempts, "expert")
                expert: Any = make_expert(env, rng, perturb)
                if driver is not None:
                    # other scenes than the plain demos of the same seed
                    seed = derive_seed(settings.seed, task_id, report.attempts, "takeover")
                    switch_rng = make_rng(settings.seed, task_id, report.attempts, "switch")
                    expert = Takeover(expert, driver, switch_rng, settings.takeover_steps)
                episode, solved = record_episode(env, expert, seed, task.horizon)
                report.attempts += 1
                if solved and driver is not None and not expert.took_over:
                    solved = False  # the policy solved it alone: no expert step to learn from
                    report.driver_solved += 1
                if solved:
                    writer.add(episode)
                    report.demos += 1
                    report.lengths.append(len(episode))
                if progress is not None:
                    progress(report.demos, report.attempts)
            if report.demos == 0:
                raise DataError(f"{task_id}: the expert solved none of {report.attempts} attempts")
    finally:
        env.close()
    report.seconds = time.perf_counter() - start
    report.mean_length = float(np.mean(report.lengths)) if report.lengths else 0.0
    return report


def _worker(args: tuple[str, str, CollectSettings, Any]) -> TaskReport:
    task_id, out_dir, settings, queue = args

    def progress(demos: int, attempts: int) -> None:
        queue.put((task_id, demos, attempts))

    return collect_task(task_id, out_dir, settings, progress)


def collect(
    task_ids: Sequence[str],
    out_dir: str | Path,
    settings: CollectSettings,
    workers: int = 1,
    show_progress: bool = True,
) -> list[TaskReport]:
    """Collect every task; ``workers`` processes (forkserver) each run one task at a time."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(task_id: str, demos: int, attempts: int) -> None:
        if not show_progress:
            return
        if task_id not in bars:
            bars[task_id] = tqdm(total=settings.demos_per_task, desc=task_id, leave=True)
        bar = bars[task_id]
        bar.n = demos
        bar.set_postfix(success=f"{demos}/{attempts}")
        bar.refresh()

    if workers <= 1:
        reports = [
            collect_task(t, out_dir, settings, lambda d, a, t=t: update(t, d, a)) for t in task_ids
        ]
    else:
        ctx = mp.get_context("forkserver")
        with ctx.Manager() as manager:
            queue = manager.Queue()
            with ctx.Pool(workers, maxtasksperchild=1) as pool:
                jobs = [(t, str(out_dir), settings, queue) for t in task_ids]
                pending = pool.map_async(_worker, jobs, chunksize=1)
                while not pending.ready():
                    pending.wait(0.2)
                    while not queue.empty():
                        update(*queue.get())
                reports = pending.get()
            while not queue.empty():
                update(*queue.get())
    for bar in bars.values():
        bar.close()
    return reports
