"""Where robolearn's data folders live, in editable and wheel installs alike.

``envs/`` (simulator assets, suite data, fixed initial states) and ``configs/`` (Hydra YAML)
sit at the top of the repository and are shipped inside the wheel as the data packages
``robolearn.assets`` and ``robolearn.conf`` (see setup.py).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from robolearn.errors import EnvironmentSetupError

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _data_dir(package: str, repo_folder: str) -> Path:
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if Path(location).is_dir():
                return Path(location)
    candidate = _REPO_ROOT / repo_folder
    if candidate.is_dir():
        return candidate
    raise EnvironmentSetupError(
        f"cannot find robolearn's {repo_folder}/ folder (package {package}); "
        "reinstall with `pip install -e .` from the repository root"
    )


@cache
def envs_dir() -> Path:
    """The folder of simulator assets, suite definitions and initial states."""
    return _data_dir("robolearn.assets", "envs")


@cache
def configs_dir() -> Path:
    """The folder of Hydra configuration files."""
    return _data_dir("robolearn.conf", "configs")


def repo_root() -> Path | None:
    """The source checkout this package runs from, if it runs from one (else None)."""
    return _REPO_ROOT if (_REPO_ROOT / ".git").exists() else None
