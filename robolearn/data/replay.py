"""Replay a recorded demo in the simulator: a video from its states, and action drift."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class ReplayReport:
    demo: str
    steps: int
    video: str | None
    max_eef_drift: float  # metres, action replay vs recorded states
    max_object_drift: float  # metres
    replay_success: bool  # the goal holds at the end of the action replay


def replay_demo(
    path: str | Path,
    demo: int | str = 0,
    video: str | Path | None = None,
    camera: str = "agentview",
    size: int = 256,
) -> ReplayReport:
    """Render ``demo`` from its recorded states (to ``video``), then replay its actions from
    its first state and measure how far the end effector and objects drift."""
    from robolearn.data.importers import open_demo_file
    from robolearn.envs import make_env
    from robolearn.evaluation.video import write_video

    with open_demo_file(path) as f:
        name = f.demo_names()[demo] if isinstance(demo, int) else demo
        episode = f.episode(name)
        task_id = f.env_args["env_name"]
    env = make_env(
        task_id,
        obs={"cameras": (), "object_state": True, "render_size": size, "render_camera": camera},
        time_limit=False,
    )
    base: Any = env.unwrapped
    try:
        # Reset to the demo's own start: besides MuJoCo's state, the controller keeps some
        # (the nullspace posture it was reset to, the gripper's ramped command).
        if episode.init_state is not None:
            env.reset(options={"init_state": episode.init_state})
        else:
            env.reset(seed=episode.seed if episode.seed is not None else 0)
        frames = []
        recorded_eef, recorded_obj = [], []
        for state in episode.states:
            base.set_state(state)
            frames.append(base.render())
            obs = base._observe()
            recorded_eef.append(obs["eef_pos"])
            recorded_obj.append(obs["object_state"])
        if video is not None:
            write_video(video, frames, fps=int(base.metadata["render_fps"]))
        base.set_state(episode.states[0])
        eef_drift, obj_drift = 0.0, 0.0
        info: dict[str, Any] = {"is_success": False}
        for t, action in enumerate(episode.actions):
            if t > 0:
                obs = base._observe()
                eef_drift = max(eef_drift, float(np.linalg.norm(obs["eef_pos"] - recorded_eef[t])))
                diff = _positions(obs["object_state"], base) - _positions(recorded_obj[t], base)
                obj_drift = max(obj_drift, float(np.abs(diff).max(initial=0.0)))
            _, _, _, _, info = base.step(action)
        return ReplayReport(
            name,
            len(episode.actions),
            str(video) if video else None,
            eef_drift,
            obj_drift,
            bool(info["is_success"]),
        )
    finally:
        env.close()


def _positions(object_state: np.ndarray, base: Any) -> np.ndarray:
    n = len(base.task.objects)
    return object_state[: 7 * n].reshape(n, 7)[:, :3]
