"""`robolearn lifelong -m ... hydra/launcher=joblib` with real rollouts on two real tasks, then
`robolearn report` over the sweep; and the env pool that keeps simulators between evals."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from robolearn.cli.main import main
from robolearn.lifelong.evaluator import EnvPool
from tests.lifelong import TASKS


@pytest.fixture(scope="module")
def real_demos(tmp_path_factory):
    from robolearn.data.collect import CollectSettings, collect

    root = tmp_path_factory.mktemp("real") / "demos"
    collect(TASKS, root, CollectSettings(demos_per_task=2, cameras=(), seed=0), workers=1)
    return root


@pytest.mark.sim
@pytest.mark.slow
def test_joblib_multirun_with_real_rollouts_then_report(real_demos, tmp_path, capsys):
    sweep = tmp_path / "sweep"
    args = [
        "lifelong",
        "-m",
        "lifelong=seql,packnet",
        "ordering.seed=null",
        "ordering.limit=2",
        f"data.root={real_demos}",
        "data.collect_missing=false",
        "data.valid_split=null",
        "protocol.select_by=last",
        "protocol.eval_every=1",
        "train.epochs=2",
        "train.batch_size=32",
        "policy.hidden=[32]",
        "policy.head.hidden=[32]",
        "policy.text.model=ViT-S-32-alt",
        "eval.episodes_per_task=1",
        "eval.max_steps=8",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        f"hydra.sweep.dir={sweep}",
    ]
    env = {**os.environ, "ROBOLEARN_LOG": "WARNING"}
    proc = subprocess.run(
        [sys.executable, "-m", "robolearn.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    results = sorted(sweep.rglob("results.json"))
    assert [p.parent.parent.name for p in results] == ["packnet", "seql"]
    for path in results:
        data = json.loads(path.read_text())
        assert data["complete"] and data["tasks"] == TASKS
        r = np.array([[np.nan if v is None else v for v in row] for row in data["R"]])
        assert np.isfinite(r[np.tril_indices(2)]).all() and np.isnan(r[0, 1])
        assert [e for e, _ in data["curves"][1]] == [0.0, 1.0, 2.0]
        assert (path.parent / "config.yaml").is_file() and (path.parent / "state").is_dir()
    assert main(["report", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "| object | seql | 1 (1) |" in out and "| object | packnet | 1 (1) |" in out
    assert "common to every aggregated run: `data.valid_split=null" in out
    assert (sweep / "report" / "heatmaps.png").is_file()


class FakeEnv:
    def __init__(self, task_id):
        self.task_id, self.closed = task_id, False

    def reset(self):
        return self.task_id

    def close(self):
        self.closed = True


def test_env_pool_lends_takes_back_and_evicts_the_oldest():
    built = []

    def factory(task_id, obs):
        built.append(FakeEnv(task_id))
        return built[-1]

    pool = EnvPool(capacity=2, factory=factory)
    a = pool("t/a-v1", {"x": 1})
    assert a.reset() == "t/a-v1"  # attribute access goes to the env
    a.close()
    again = pool("t/a-v1", {"x": 1})
    assert len(built) == 1 and again.reset() == "t/a-v1"  # reused, not rebuilt
    other_obs = pool("t/a-v1", {"x": 2})
    assert len(built) == 2  # another observation config is another env
    b, c = pool("t/b-v1", {}), pool("t/c-v1", {})
    for env in (again, other_obs, b, c):
        env.close()
    assert sum(len(v) for v in pool.idle.values()) == 2
    assert [e.closed for e in built] == [True, True, False, False]  # the two oldest evicted
    pool.close()
    assert all(e.closed for e in built)
