"""Installation checks behind ``robolearn doctor``.

Each check returns a :class:`Check` with a one-line fix. Rendering runs in a subprocess so a
broken GL stack (which can segfault inside the driver) is reported instead of crashing.
"""

from __future__ import annotations

import ctypes.util
import importlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APT_GL = "apt-get update && apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri"
PIP_FIX = 'pip install -e ".[dev,skills,cluster]" (or `make test`, which sets up .venv)'
MUJOCO_PIN = 'pip install "mujoco>=3.3,<3.10" (robosuite 1.5.2 breaks on mujoco >= 3.10)'


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("+")[0].split("."):
        digits = "".join(itertools.takewhile(str.isdigit, piece))
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def check_python() -> Check:
    ok = sys.version_info >= (3, 10)
    return Check("python", ok, sys.version.split()[0], "use Python >= 3.10")


def check_package(module: str, dist_name: str | None = None) -> Check:
    try:
        if module == "robosuite":
            from robolearn.sim import import_robosuite

            import_robosuite()
        mod = importlib.import_module(module)
    except Exception as exc:  # any import failure is a finding, not a crash
        return Check(module, False, f"import failed: {type(exc).__name__}: {exc}", PIP_FIX)
    version = getattr(mod, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version(dist_name or module)
    return Check(module, True, str(version))


def check_mujoco_version() -> Check:
    try:
        import mujoco
    except Exception as exc:
        return Check("mujoco pin", False, f"import failed: {exc}", MUJOCO_PIN)
    version = _version_tuple(mujoco.__version__)
    ok = (3, 3) <= version < (3, 10)
    return Check("mujoco pin", ok, f"{mujoco.__version__} (need >=3.3,<3.10)", MUJOCO_PIN)


def check_gl_backend() -> Check:
    backend = os.environ.get("MUJOCO_GL", "")
    if backend in ("", "egl"):
        missing = [lib for lib in ("EGL", "GL") if ctypes.util.find_library(lib) is None]
        detail = f"MUJOCO_GL={backend or '(unset)'}"
        if missing:
            return Check(
                "gl backend", False, f"{detail}; missing lib{'/lib'.join(missing)}", APT_GL
            )
        if not backend:
            return Check(
                "gl backend",
                False,
                f"{detail}; headless rendering needs it",
                "export MUJOCO_GL=egl",
            )
        return Check("gl backend", True, f"{detail}; libEGL found")
    if backend == "osmesa":
        ok = ctypes.util.find_library("OSMesa") is not None
        return Check("gl backend", ok, "MUJOCO_GL=osmesa", "apt-get install -y libosmesa6")
    return Check("gl backend", True, f"MUJOCO_GL={backend}")


def check_numba_cache() -> Check:
    cache = os.environ.get("NUMBA_CACHE_DIR")
    if not cache:
        return Check(
            "numba cache",
            False,
            "NUMBA_CACHE_DIR unset: robosuite recompiles (~6 s) in every process",
            "export NUMBA_CACHE_DIR=$PWD/.cache/numba (the Makefile does this)",
        )
    path = Path(cache)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return Check("numba cache", False, f"{path} not writable: {exc}", f"chmod u+w {path}")
    return Check("numba cache", True, f"{path} writable")


def render_probe(size: int, camera: str, save_frame: str | None) -> dict[str, Any]:
    """Render one offscreen frame of robosuite's Lift scene; runs in the probe subprocess."""
    import time

    import numpy as np

    from robolearn.sim import import_robosuite

    robosuite = import_robosuite()
    start = time.perf_counter()
    env = robosuite.make(
        "Lift",
        robots="Panda",
        has_renderer=False,
        has_offscreen_renderer=True,
        use_camera_obs=True,
        camera_names=camera,
        camera_heights=size,
        camera_widths=size,
        control_freq=20,
        horizon=10,
    )
    obs = env.reset()
    image = np.ascontiguousarray(obs[f"{camera}_image"][::-1])  # robosuite images are bottom-up
    env.close()
    if save_frame:
        import imageio.v3 as iio

        iio.imwrite(save_frame, image)
    return {
        "shape": list(image.shape),
        "std": float(image.std()),
        "mean": float(image.mean()),
        "seconds": round(time.perf_counter() - start, 2),
    }


def check_render(
    size: int, camera: str, timeout_s: float, min_std: float, save: str | None
) -> Check:
    code = (
        "import json, sys; from robolearn.doctor import render_probe; "
        f"print('PROBE' + json.dumps(render_probe({size}, {camera!r}, {save!r})))"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return Check("render", False, f"no frame within {timeout_s:.0f} s", APT_GL)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        fix = APT_GL if "EGL" in proc.stderr or "GL" in tail else PIP_FIX
        return Check("render", False, f"rendering failed (exit {proc.returncode}): {tail}", fix)
    probe = json.loads(lines[-1][len("PROBE") :])
    detail = (
        f"{camera} {probe['shape'][1]}x{probe['shape'][0]} frame, pixel std {probe['std']:.1f}, "
        f"mean {probe['mean']:.1f}, {probe['seconds']} s"
    )
    if save:
        detail += f", saved to {save}"
    if probe["std"] < min_std:
        return Check("render", False, detail + " (constant image)", APT_GL)
    return Check("render", True, detail)


def run_checks(cfg: Any) -> list[Check]:
    """All doctor checks, in order. ``cfg`` is a DoctorConfig (or anything with its fields)."""
    from robolearn.sim import quiet_sim_loggers

    quiet_sim_loggers()
    checks = [check_python()]
    for module, dist in [
        ("torch", None),
        ("torchvision", None),
        ("mujoco", None),
        ("robosuite", None),
        ("gymnasium", None),
        ("open_clip", "open_clip_torch"),
        ("h5py", None),
        ("hydra", "hydra-core"),
    ]:
        checks.append(check_package(module, dist))
    checks += [check_mujoco_version(), check_gl_backend(), check_numba_cache()]
    if cfg.render:
        checks.append(
            check_render(cfg.size, cfg.camera, cfg.timeout_s, cfg.min_pixel_std, cfg.save_frame)
        )
    return checks
