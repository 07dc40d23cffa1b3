"""Packaging: light import, data folders found, and shipped inside a non-editable wheel."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from robolearn.paths import configs_dir, envs_dir

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["torch", "robosuite", "mujoco", "open_clip", "peft", "wandb", "hydra", "numpy"]


def test_import_robolearn_imports_nothing_heavy():
    code = (
        "import sys, json, robolearn; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_data_folders_are_found():
    assert (envs_dir() / "README.md").is_file()
    assert (configs_dir() / "doctor.yaml").is_file()


@pytest.mark.slow
def test_wheel_ships_envs_and_configs_and_finds_them(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("robolearn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "robolearn/assets/README.md" in names
    assert "robolearn/conf/doctor.yaml" in names
    assert "robolearn/py.typed" in names
    # Install it into a bare folder and look the folders up from outside the checkout,
    # with site disabled so the editable install cannot answer instead.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "from robolearn.paths import envs_dir, configs_dir; print(envs_dir()); print(configs_dir())"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out == [str(target / "robolearn" / "assets"), str(target / "robolearn" / "conf")]
