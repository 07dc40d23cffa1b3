"""The evaluation config (pure dataclass; a Hydra structured config under ``eval:``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EvalConfig:
    episodes_per_task: int = 20  # from fixed initial states init_offset, init_offset + 1, ...
    init_offset: int = 0
    # start instead from the initial states of demos init_offset, ... of mask init_split of
    # <init_demos>/<suite>/<task>.hdf5 (robolearn/evaluation/inits.py)
    init_demos: str | None = None
    init_split: str = "train"
    max_steps: int | None = None  # per episode (default: the task's horizon)
    success_hold: int = 10  # an episode ends once success has held this many steps
    num_envs: int = 10  # parallel env slots (the policy acts on all of them in one batch)
    workers: int = 2  # worker processes hosting the slots (0: all in this process)
    worker_timeout_s: float = 300.0  # a worker silent this long is restarted
    videos_per_task: int = 1  # record the first k episodes of every task
    video_size: int = 256
    video_camera: str = "agentview"
    grid_video: bool = True  # one grid video per suite of every task's first episode
    grid_tile: int = 160  # tile height in the grid video
    seed: int = 0


def held_out_config(
    eval_cfg: EvalConfig,
    offset: int | None,
    episodes: int | None,
    n_states: int,
    owner: str = "train",
) -> EvalConfig:
    """The config of model-selection rollouts: ``eval_cfg`` without videos, ``episodes`` per
    task (None: the evaluation's) from fixed initial states ``offset``, ``offset + 1``, ...
    (None: the evaluation's own states, i.e. selection on the test rollouts). ``n_states``:
    the fixed initial states per task (``robolearn.envs.init_states.N_INIT_STATES``).

    Held-out states must not overlap the evaluation's and must exist; a
    :class:`~robolearn.errors.ConfigError` names ``<owner>.select_offset`` /
    ``<owner>.select_episodes``, both ranges and the fix."""
    from dataclasses import asdict

    from robolearn.errors import ConfigError

    if episodes is not None and episodes < 1:
        raise ConfigError(f"{owner}.select_episodes={episodes}: give at least 1 (or null: eval's)")
    episodes = episodes if episodes is not None else eval_cfg.episodes_per_task
    fields = {**asdict(eval_cfg), "videos_per_task": 0, "grid_video": False,
              "episodes_per_task": episodes}  # fmt: skip
    if offset is None:
        return EvalConfig(**fields)
    if eval_cfg.init_demos is not None:
        raise ConfigError(
            f"{owner}.select_offset picks fixed initial states, but eval.init_demos starts the "
            "evaluation from demos' states; unset one of them"
        )
    last = offset + episodes - 1
    test = (eval_cfg.init_offset, eval_cfg.init_offset + eval_cfg.episodes_per_task - 1)
    if offset < 0 or last >= n_states:
        raise ConfigError(
            f"{owner}.select_offset={offset} with {episodes} episodes per task asks for fixed "
            f"states {offset}..{last}; each task has states 0..{n_states - 1}"
        )
    if offset <= test[1] and test[0] <= last:
        raise ConfigError(
            f"{owner}.select_offset={offset}: the selection rollouts' states {offset}..{last} "
            f"overlap the evaluation's {test[0]}..{test[1]} (eval.init_offset, "
            f"eval.episodes_per_task); start them at {test[1] + 1} or later"
        )
    return EvalConfig(**{**fields, "init_offset": offset})
