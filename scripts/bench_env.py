"""Benchmark RobolearnEnv step and reset speed against raw robosuite and the MuJoCo floor.

    MUJOCO_GL=egl .venv/bin/python scripts/bench_env.py [--quick] [--steps 200] [--seed 0]
        [--repeats 3] [--out docs/bench_env.json] [--md docs/bench_env.md] [--tasks ID ...]
        [--robot-detail auto|full|lite]

Everything is measured in one run, interleaved: each round runs every configuration once,
so drift of a noisy machine hits all of them alike; the reported numbers are medians over
rounds. Configurations, each in a fresh subprocess (one rendering env per process: closing
one EGL-rendering robosuite env freezes or blanks another's images), run one at a time:

- RobolearnEnv for the first task of each eval suite (proprio + object_state) with no
  camera, agentview, and agentview + wrist at 128x128 RGB (``robot_detail`` from
  ``--robot-detail``, default ``auto`` = lite), plus agentview + wrist with the full-detail
  robot for comparison: steps/s and seconds per ``env.reset(seed=i)``;
- robosuite ``Lift`` (Panda, default OSC_POSE composite controller, 20 Hz, object obs) with
  no camera and with robosuite's default rendering of the same cameras: steps/s;
- the physics floor of every no-camera env: raw ``mujoco.mj_step`` x substeps per control
  step, replayed from the states and torques of a real rollout so contacts match.

Actions are seeded random OSC deltas (uniform +-0.3) with a random gripper sign. Writes the
JSON report (machine, settings, every measurement, targets with pass/fail) and a markdown
table, both via a temp file + rename, and prints the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL_SUITES = ("spatial", "object", "goal", "long")
CAMERA_SETS: dict[str, tuple[str, ...]] = {
    "none": (),
    "agentview": ("agentview",),
    "agentview+wrist": ("agentview", "wrist"),
}
FULL_ROBOT = "agentview+wrist/full-robot"  # extra RobolearnEnv config: robot_detail="full"
IMAGE_SIZE = 128
ACTION_SCALE = 0.3
LIFT = "robosuite/Lift"
RESULT_TAG = "BENCH_RESULT "
WORKER_TIMEOUT_S = 900
TARGETS = {"step_over_floor": 2.0, "image_speedup": 3.0, "reset_with_cameras_s": 0.1}
ISSUE_ROBOSUITE_OVER_FLOOR = (3.8, 7.0)


# -- measurements (run inside a worker process) ---------------------------------------------
def make_actions(seed: int, repeat: int, n: int) -> np.ndarray:
    """``n`` 7-D actions: arm deltas uniform in +-ACTION_SCALE, gripper a random sign."""
    rng = np.random.default_rng([seed, repeat])
    arm = rng.uniform(-ACTION_SCALE, ACTION_SCALE, (n, 6))
    gripper = rng.choice([-1.0, 1.0], size=(n, 1))
    return np.concatenate([arm, gripper], axis=1)


def time_steps(
    step: Callable[[np.ndarray], Any], actions: np.ndarray, warmup: int
) -> tuple[float, Any, Any]:
    """Steps/s over ``actions[warmup:]``, plus the step outputs just before and at the end."""
    before = None
    for action in actions[:warmup]:
        before = step(action)
    start = time.perf_counter()
    for action in actions[warmup:]:
        after = step(action)
    return (len(actions) - warmup) / (time.perf_counter() - start), before, after


def record_rollout(
    step: Callable[[np.ndarray], Any], model: Any, data: Any, actions: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(integration state before, actuator ctrl after) of every control step of a rollout."""
    import mujoco

    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    rollout = []
    for action in actions:
        state = np.empty(mujoco.mj_stateSize(model, spec))
        mujoco.mj_getState(model, data, state, spec)
        step(action)
        rollout.append((state, data.ctrl.copy()))
    return rollout


def physics_floor(
    model: Any, data: Any, rollout: list[tuple[np.ndarray, np.ndarray]], n_substeps: int
) -> float:
    """Control steps/s of bare ``mj_step`` x ``n_substeps`` from each recorded state + ctrl."""
    import mujoco

    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    total = 0.0
    for state, ctrl in rollout:
        mujoco.mj_setState(model, data, state, spec)
        data.ctrl[:] = ctrl
        start = time.perf_counter()
        for _ in range(n_substeps):
            mujoco.mj_step(model, data)
        total += time.perf_counter() - start
    return len(rollout) / total


def image_check(
    before: dict[str, np.ndarray], after: dict[str, np.ndarray], keys: list[str]
) -> dict[str, Any]:
    """Pixel std of the last frame and mean change over the timed steps, per camera."""
    return {
        key: {
            "std": round(float(after[key].std()), 2),
            "change": round(float(np.abs(after[key].astype(np.int16) - before[key]).mean()), 2),
        }
        for key in keys
    }


def run_robolearn(cfg: dict[str, Any]) -> dict[str, Any]:
    from robolearn.envs.env import RobolearnEnv

    seed, cameras = cfg["seed"], tuple(cfg["cameras"])
    obs = {
        "cameras": cameras,
        "image_size": IMAGE_SIZE,
        "rgb": True,
        "proprio": True,
        "object_state": True,
        "robot_detail": cfg.get("robot_detail", "auto"),
    }
    start = time.perf_counter()
    env = RobolearnEnv(cfg["env"], obs=obs)
    out: dict[str, Any] = {
        "build_s": time.perf_counter() - start,
        "n_substeps": env.scene.n_substeps,
    }

    env.reset(seed=seed)  # untimed warm-up
    resets = []
    for i in range(cfg["resets"]):
        start = time.perf_counter()
        env.reset(seed=seed + i)
        resets.append(time.perf_counter() - start)
    out["reset_s"] = statistics.median(resets)

    actions = make_actions(seed, cfg["repeat"], cfg["warmup"] + cfg["steps"])
    env.reset(seed=seed + cfg["repeat"])
    out["steps_per_s"], before, after = time_steps(env.step, actions, cfg["warmup"])
    out["images"] = image_check(before[0], after[0], [f"{cam}_rgb" for cam in cameras])

    if cfg["floor"]:
        env.reset(seed=seed + cfg["repeat"])
        for action in actions[: cfg["warmup"]]:
            env.step(action)
        model, data = env.scene.sim.model._model, env.scene.sim.data._data
        rollout = record_rollout(env.step, model, data, actions[cfg["warmup"] :])
        out["floor_steps_per_s"] = physics_floor(model, data, rollout, env.scene.n_substeps)
    env.close()
    return out


def run_lift(cfg: dict[str, Any]) -> dict[str, Any]:
    from robolearn.envs.observations import CAMERAS
    from robolearn.sim.backend import import_robosuite

    suite = import_robosuite()
    cameras = [CAMERAS[cam] for cam in cfg["cameras"]]
    kwargs: dict[str, Any] = {"use_camera_obs": False, "has_offscreen_renderer": False}
    if cameras:
        kwargs = {
            "use_camera_obs": True,
            "has_offscreen_renderer": True,
            "camera_names": cameras,
            "camera_heights": IMAGE_SIZE,
            "camera_widths": IMAGE_SIZE,
        }
    start = time.perf_counter()
    env = suite.make(
        "Lift",
        robots="Panda",
        control_freq=20,
        use_object_obs=True,
        has_renderer=False,
        seed=cfg["seed"],
        **kwargs,
    )
    n_substeps = int(env.control_timestep / env.model_timestep)
    out: dict[str, Any] = {"build_s": time.perf_counter() - start, "n_substeps": n_substeps}

    actions = make_actions(cfg["seed"], cfg["repeat"], cfg["warmup"] + cfg["steps"])
    env.reset()
    out["steps_per_s"], before, after = time_steps(env.step, actions, cfg["warmup"])
    out["images"] = image_check(before[0], after[0], [f"{cam}_image" for cam in cameras])

    if cfg["floor"]:
        env.reset()  # a hard reset: a new sim, so fetch model and data afterwards
        for action in actions[: cfg["warmup"]]:
            env.step(action)
        model, data = env.sim.model._model, env.sim.data._data
        rollout = record_rollout(env.step, model, data, actions[cfg["warmup"] :])
        out["floor_steps_per_s"] = physics_floor(model, data, rollout, n_substeps)
    env.close()
    return out


def worker(cfg: dict[str, Any]) -> dict[str, Any]:
    return run_lift(cfg) if cfg["env"] == LIFT else run_robolearn(cfg)


# -- orchestration ----------------------------------------------------------------------
def spawn(cfg: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration in a fresh interpreter and return its result."""
    env = dict(os.environ)
    env.setdefault("MUJOCO_GL", "egl")
    env.setdefault("PYOPENGL_PLATFORM", "egl")
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(cfg)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=WORKER_TIMEOUT_S, check=False
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    raise RuntimeError(f"worker {cfg} failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")


def default_tasks() -> list[str]:
    from robolearn.tasks.suites import get_suite

    return [get_suite(name).task_ids[0] for name in EVAL_SUITES]


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": cpu_model(),
        "python": platform.python_version(),
        "mujoco": version("mujoco"),
        "robosuite": version("robosuite"),
        "numpy": version("numpy"),
        "mujoco_gl": os.environ.get("MUJOCO_GL", "egl"),
        "git_commit": commit or None,
        "loadavg_start": list(os.getloadavg()),
    }


def median_of(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def summarize(raw: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    envs: dict[str, Any] = {}
    for name, by_cams in raw.items():
        entry: dict[str, Any] = {
            "n_substeps": by_cams["none"][0]["n_substeps"],
            "steps_per_s": {c: median_of(rs, "steps_per_s") for c, rs in by_cams.items()},
            "build_s": {c: median_of(rs, "build_s") for c, rs in by_cams.items()},
            "floor_steps_per_s": median_of(by_cams["none"], "floor_steps_per_s"),
        }
        entry["step_over_floor"] = entry["floor_steps_per_s"] / entry["steps_per_s"]["none"]
        if name != LIFT:
            entry["reset_s"] = {c: median_of(rs, "reset_s") for c, rs in by_cams.items()}
        entry["rounds"] = by_cams
        envs[name] = entry
    return envs


def check(name: str, value: float, op: str, target: float) -> dict[str, Any]:
    passed = value <= target if op == "<=" else value >= target
    return {"name": name, "value": value, "op": op, "target": target, "pass": passed}


def evaluate(envs: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lift = envs[LIFT]
    ratios: dict[str, Any] = {
        "robosuite_step_over_floor": lift["step_over_floor"],
        "robosuite_step_over_floor_issue_range": list(ISSUE_ROBOSUITE_OVER_FLOOR),
        "step_over_floor": {},
        "image_speedup": {},
        "reset_with_cameras_s": {},
    }
    targets = []
    for task, entry in envs.items():
        if task == LIFT:
            continue
        over = entry["step_over_floor"]
        speedup = {
            c: entry["steps_per_s"][c] / lift["steps_per_s"][c] for c in CAMERA_SETS if c != "none"
        }
        reset = max(entry["reset_s"][c] for c in CAMERA_SETS if c != "none")
        ratios["step_over_floor"][task] = over
        ratios["image_speedup"][task] = speedup
        ratios["reset_with_cameras_s"][task] = reset
        targets += [
            check(f"{task}: step / physics floor", over, "<=", TARGETS["step_over_floor"]),
            *(
                check(f"{task}: {cams} steps/s vs robosuite", value, ">=", TARGETS["image_speedup"])
                for cams, value in speedup.items()
            ),
            check(f"{task}: reset with cameras (s)", reset, "<=", TARGETS["reset_with_cameras_s"]),
        ]
    return ratios, targets


def markdown(report: dict[str, Any]) -> str:
    envs, m, s = report["envs"], report["machine"], report["settings"]
    lines = [
        f"Control steps/s (20 Hz, {envs[LIFT]['n_substeps']} physics substeps each), median of "
        f"{s['repeats']} interleaved rounds of {s['steps']} steps; obs = proprio + object state "
        f"(+ {IMAGE_SIZE}x{IMAGE_SIZE} RGB). {m['cpu_count']} CPUs ({m['processor']}), "
        f"MuJoCo {m['mujoco']}, robosuite {m['robosuite']}, MUJOCO_GL={m['mujoco_gl']}, "
        f"{m['date'][:10]}.",
        "",
        f"Robot drawn with robot_detail={s.get('robot_detail', 'auto')!r}; the last image "
        "column draws the full-detail robot (robosuite rows: robosuite's own rendering).",
        "",
        "| env | no render | physics floor | step / floor | agentview | agentview + wrist "
        "| agentview + wrist, full robot | reset | reset, 2 cams |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, e in envs.items():
        sps, reset = e["steps_per_s"], e.get("reset_s")
        resets = f"{reset['none']:.3f} s | {reset['agentview+wrist']:.3f} s" if reset else "- | -"
        full = f"{sps[FULL_ROBOT]:.1f}" if FULL_ROBOT in sps else "-"
        lines.append(
            f"| {name} | {sps['none']:.0f} | {e['floor_steps_per_s']:.0f} "
            f"| {e['step_over_floor']:.2f}x | {sps['agentview']:.1f} "
            f"| {sps['agentview+wrist']:.1f} | {full} | {resets} |"
        )
    lines += ["", "| target | value | goal | pass |", "|---|---:|---:|:---:|"]
    for t in report["targets"]:
        verdict = "yes" if t["pass"] else "**no**"
        lines.append(f"| {t['name']} | {t['value']:.3g} | {t['op']} {t['target']:g} | {verdict} |")
    low, high = ISSUE_ROBOSUITE_OVER_FLOOR
    lines += [
        "",
        f"Raw robosuite Lift step / physics floor: "
        f"{report['ratios']['robosuite_step_over_floor']:.2f}x (the issue reports {low}-{high}x).",
    ]
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as f:
        f.write(text)
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 task, 20 steps, 1 round")
    parser.add_argument("--steps", type=int, default=200, help="timed control steps per config")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps before timing")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (median taken)")
    parser.add_argument("--resets", type=int, default=10, help="timed resets per config and round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", nargs="+", help="task ids (default: first of each eval suite)")
    parser.add_argument(
        "--out", type=Path, help="JSON report (default: docs/bench_env.json; --quick: a temp file)"
    )
    parser.add_argument("--md", type=Path, help="markdown table (default: --out with .md)")
    parser.add_argument(
        "--robot-detail",
        default="auto",
        choices=("auto", "full", "lite"),
        help="ObsConfig.robot_detail of the RobolearnEnv camera configs (default: auto = lite)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one config as JSON
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.warmup, args.repeats, args.resets = 20, 3, 1, 2
    if args.out is None:
        quick_out = Path(tempfile.gettempdir()) / "bench_env_quick.json"
        args.out = quick_out if args.quick else ROOT / "docs" / "bench_env.json"
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        print(RESULT_TAG + json.dumps(worker(json.loads(args.worker))), flush=True)
        return
    tasks = args.tasks or default_tasks()[: 1 if args.quick else None]
    settings = {
        key: getattr(args, key) for key in ("steps", "warmup", "repeats", "resets", "seed", "quick")
    }
    settings |= {"image_size": IMAGE_SIZE, "action_scale": ACTION_SCALE, "tasks": tasks}
    settings["robot_detail"] = args.robot_detail
    machine = machine_info()
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for repeat in range(args.repeats):
        for name in [*tasks, LIFT]:
            configs = [
                (label, cameras, args.robot_detail) for label, cameras in CAMERA_SETS.items()
            ]
            if name != LIFT:
                configs.append((FULL_ROBOT, CAMERA_SETS["agentview+wrist"], "full"))
            for label, cameras, detail in configs:
                cfg = {
                    "env": name,
                    "cameras": cameras,
                    "robot_detail": detail,
                    "repeat": repeat,
                    "seed": args.seed,
                    "steps": args.steps,
                    "warmup": args.warmup,
                    "resets": args.resets,
                    "floor": not cameras,
                }
                result = spawn(cfg)
                raw.setdefault(name, {}).setdefault(label, []).append(result)
                floor = (
                    f", floor {result['floor_steps_per_s']:.0f}/s"
                    if "floor_steps_per_s" in result
                    else ""
                )
                print(
                    f"round {repeat + 1}/{args.repeats} {name} [{label}]: "
                    f"{result['steps_per_s']:.1f} steps/s{floor}",
                    flush=True,
                )
    machine["loadavg_end"] = list(os.getloadavg())
    envs = summarize(raw)
    ratios, targets = evaluate(envs)
    report = {
        "machine": machine,
        "settings": settings,
        "targets_spec": TARGETS,
        "ratios": ratios,
        "targets": targets,
        "all_targets_pass": all(t["pass"] for t in targets),
        "envs": envs,
    }
    write_atomic(args.out, json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    write_atomic(args.md or args.out.with_suffix(".md"), table)
    print("\n" + table)


if __name__ == "__main__":
    main()
