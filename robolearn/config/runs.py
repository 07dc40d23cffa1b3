"""Run folders: every run writes its resolved config and the code version it ran."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

import robolearn
from robolearn.fileio import atomic_write_text
from robolearn.paths import repo_root


def git_commit(path: Path | None = None) -> dict[str, Any]:
    """The git commit (and whether the tree is dirty) of the checkout robolearn runs from."""
    root = path or repo_root()
    if root is None:
        return {"commit": None, "dirty": None, "note": "not running from a git checkout"}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None, "note": "git unavailable or no commits"}
    return {"commit": commit, "dirty": bool(status.strip())}


def write_run_metadata(cfg: DictConfig, out_dir: str | Path) -> Path:
    """Write ``config.yaml`` (resolved) and ``run.json`` (git, versions, argv) into ``out_dir``."""
    out = Path(out_dir)
    atomic_write_text(out / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    meta = {
        "robolearn": robolearn.__version__,
        "git": git_commit(),
        "python": platform.python_version(),
        "argv": sys.argv,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    atomic_write_text(out / "run.json", json.dumps(meta, indent=2) + "\n")
    return out
