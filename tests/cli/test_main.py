"""The `robolearn` console script: dispatch, Hydra overrides, multirun, errors."""

import os
import subprocess
import sys

import pytest

from robolearn.cli.main import COMMANDS, main

EXE = [sys.executable, "-m", "robolearn.cli.main"]


def run(args, cwd=None, **env):
    return subprocess.run(
        EXE + args, capture_output=True, text=True, cwd=cwd, env={**os.environ, **env}, timeout=600
    )


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_unknown_command_suggests_a_close_one(capsys):
    assert main(["docter"]) == 2
    assert "Did you mean: doctor" in capsys.readouterr().err


def test_doctor_without_render_passes(tmp_path):
    proc = run(["doctor", "render=false"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok  ] robosuite" in proc.stdout and "All checks passed" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # doctor writes no run folder or log


def test_doctor_fails_with_a_fix_when_numba_cache_is_unset(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    proc = subprocess.run(
        [*EXE, "doctor", "render=false"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert proc.returncode == 1
    assert "[FAIL] numba cache" in proc.stdout and "export NUMBA_CACHE_DIR" in proc.stdout


def test_bad_override_fails_naming_the_key(tmp_path):
    proc = run(["doctor", "rendr=false"], cwd=tmp_path)
    assert proc.returncode != 0
    assert "rendr" in proc.stderr + proc.stdout


def test_multirun_runs_each_job(tmp_path):
    proc = run(["doctor", "-m", "render=false", "size=32,48"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("All checks passed") == 2


@pytest.mark.sim
def test_doctor_renders_a_non_constant_frame(tmp_path):
    import imageio.v3 as iio
    import numpy as np

    frame = tmp_path / "frame.png"
    proc = run(["doctor", "size=48", f"save_frame={frame}"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok  ] render" in proc.stdout
    image = iio.imread(frame)
    assert image.shape == (48, 48, 3) and image.dtype == np.uint8
    assert image.std() > 2.0
    # Upright: the table (bright, lower half) sits below the background wall.
    assert image[:16].mean() != pytest.approx(image[-16:].mean(), abs=1.0)
