import json
import subprocess

import yaml

from robolearn.cli.main import Command, _wrap, run_hydra_app
from robolearn.config import git_commit
from robolearn.paths import repo_root


def test_a_run_writes_resolved_config_and_git_commit(tmp_path):
    seen = []
    task = _wrap(
        Command("doctor", "doctor", "", writes_run_dir=True), lambda cfg: seen.append(cfg.size)
    )
    code = run_hydra_app(
        task, "doctor", ["render=false", "size=24", f"hydra.run.dir={tmp_path}"], "t"
    )
    assert code == 0 and seen == [24]
    cfg = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert cfg["size"] == 24 and cfg["render"] is False
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["git"] == git_commit()
    root = repo_root()
    if root is not None and meta["git"]["commit"] is not None:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert meta["git"]["commit"] == head


def test_git_commit_outside_a_checkout_says_so(tmp_path):
    info = git_commit(tmp_path)
    assert info["commit"] is None and info["note"]
