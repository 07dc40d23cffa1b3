"""`robolearn collect` and `robolearn demos` end to end on tiny data (marker `sim`)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from robolearn.cli.main import main
from robolearn.data.collect import CollectSettings, collect, skills_from_phases, task_path
from robolearn.tasks.suites import get_suite

pytestmark = pytest.mark.sim
TASK = get_suite("object").tasks[0].task_id
SMALL = CollectSettings(demos_per_task=2, cameras=("agentview",), image_size=32, seed=0)


def test_skills_from_phases():
    assert skills_from_phases(["reach", "reach", "grasp", "lift", "lift"]) == [
        ("reach", 0, 2),
        ("grasp", 2, 3),
        ("lift", 3, 5),
    ]


def test_a_task_id_without_its_suite_names_the_ids_it_may_mean(tmp_path):
    from robolearn.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="did you mean object/cube-in-basket-v2"):
        collect(["cube-in-basket-v2"], tmp_path, SMALL, workers=1, show_progress=False)
    assert (
        task_path(tmp_path, "object/cube-in-basket-v2")
        == tmp_path / "object" / "cube-in-basket-v2.hdf5"
    )


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos")
    reports = collect([TASK], out, SMALL, workers=1, show_progress=False)
    return out, reports


def test_collect_writes_successful_demos_with_every_field(collected):
    from robolearn.data.reader import DemoFile

    out, (report,) = collected
    assert report.demos == 2 and report.attempts >= 2 and not report.skipped
    with DemoFile(task_path(out, TASK)) as f:
        assert len(f) == 2
        ep = f.episode(0)
        n = len(ep)
        assert ep.obs["agentview_rgb"].shape == (n, 32, 32, 3)
        assert (
            np.abs(ep.obs["agentview_rgb"][-1].astype(int) - ep.obs["agentview_rgb"][0]).mean() > 1
        )
        assert ep.actions.shape == (n, 7) and ep.states.shape[0] == n
        assert ep.dones[-1] == 1 and ep.dones[:-1].sum() == 0
        names = [s for s, _, _ in ep.skills]
        assert names[0] == "reach" and "grasp" in names
        assert ep.skills[-1][2] == n
        assert ep.language == get_suite("object").tasks[0].language
        assert f.task_spec["task_id"] == TASK
        assert f.env_args["env_name"] == TASK


def test_collect_is_resumable(collected):
    out, _ = collected
    path = task_path(out, TASK)
    before = path.stat().st_mtime_ns
    (report,) = collect([TASK], out, SMALL, workers=1, show_progress=False)
    assert report.skipped and path.stat().st_mtime_ns == before
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a damaged file is redone
    (report,) = collect([TASK], out, SMALL, workers=1, show_progress=False)
    assert not report.skipped and report.demos == 2


def test_demos_info_and_replay(collected, tmp_path, capsys):
    import imageio.v3 as iio

    from robolearn.data.reader import DemoFile

    out, _ = collected
    path = task_path(out, TASK)
    assert main(["demos", "info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "demos 2" in text and "agentview_rgb" in text and "reach" in text
    video = tmp_path / "replay.mp4"
    assert (
        main(["demos", "replay", str(path), "--demo", "1", "--video", str(video), "--size", "64"])
        == 0
    )
    text = capsys.readouterr().out
    with DemoFile(path) as f:
        steps = len(f.episode(1))
    frames = iio.imread(video)
    assert frames.shape[0] == steps and frames.shape[1:3] == (64, 64)
    drift_mm = float(text.split("end effector ")[1].split(" mm")[0])
    assert drift_mm < 1.0  # replaying actions from the first state reproduces the demo
    assert "goal at end of replay: yes" in text


def test_collect_cli_with_two_worker_processes(tmp_path):
    tasks = [get_suite("spatial").tasks[0].task_id, get_suite("object").tasks[1].task_id]
    cmd = [
        sys.executable,
        "-m",
        "robolearn.cli.main",
        "collect",
        "suite=null",
        f"tasks=[{','.join(tasks)}]",
        "demos_per_task=1",
        "cameras=[]",
        "workers=2",
        f"out_dir={tmp_path / 'demos'}",
        "progress=false",
        f"hydra.run.dir={tmp_path / 'run'}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for task in tasks:
        assert task_path(tmp_path / "demos", task).is_file()
        assert task in proc.stdout
    assert (tmp_path / "run" / "config.yaml").is_file()


def test_dart_collection_stores_clean_labels_and_training_checks_the_setting(tmp_path, capsys):
    from types import SimpleNamespace

    from robolearn.data.reader import DemoFile
    from robolearn.errors import DataError
    from robolearn.training.pipeline import ensure_demos

    settings = CollectSettings(demos_per_task=1, cameras=(), seed=0, perturb=0.1)
    (report,) = collect([TASK], tmp_path, settings, workers=1, show_progress=False)
    assert report.demos == 1
    with DemoFile(task_path(tmp_path, TASK)) as f:
        assert f.meta["collector"]["perturb"] == 0.1
        ep = f.episode(0)
    assert ep.expert_actions is not None and ep.expert_actions.shape == ep.actions.shape
    noise = ep.actions[:, :3] - ep.expert_actions[:, :3]
    assert 0.02 < noise.std() < 0.2
    np.testing.assert_array_equal(ep.actions[:, 3:], ep.expert_actions[:, 3:])

    assert main(["demos", "info", str(task_path(tmp_path, TASK))]) == 0
    assert "expert_actions: clean labels (DART perturb=0.1, rho 0.9, scope all)" in (
        capsys.readouterr().out
    )
    data = SimpleNamespace(
        root=str(tmp_path),
        collect_missing=False,
        perturb=0.1,
        perturb_rho=0.9,
        perturb_scope="all",
        miss=0.0,
        drop_miss=0.0,
        action_key="expert_actions",
    )
    assert ensure_demos([TASK], data, ["eef_pos"]) == [task_path(tmp_path, TASK)]
    data.drop_miss = 0.5  # nor for a run that asks for drop recovery demos
    with pytest.raises(DataError, match=r"this run asks for perturb=0\.1 .*drop_miss=0\.5"):
        ensure_demos([TASK], data, ["eef_pos"])
    data.drop_miss = 0.0
    data.perturb = 0.0  # reusing DART demos for a plain run (or the reverse) is refused
    with pytest.raises(DataError, match=r"perturb=0\.1 \(rho 0\.9, scope all\).*perturb=0\.0"):
        ensure_demos([TASK], data, ["eef_pos"])
    data.perturb, data.perturb_scope = 0.1, "transit"
    with pytest.raises(DataError, match=r"scope all.*scope transit"):
        ensure_demos([TASK], data, ["eef_pos"])
    data.perturb_scope, data.perturb_rho = "all", 0.5
    with pytest.raises(DataError, match=r"rho 0\.9.*rho 0\.5"):
        ensure_demos([TASK], data, ["eef_pos"])
    # the collector does not silently keep a file of another setting either
    with pytest.raises(DataError, match=r"perturb=0\.1.*perturb=0\.0"):
        collect([TASK], tmp_path, SMALL, workers=1, show_progress=False)

    # training reads the clean labels when asked (normalised under the name "actions")
    from robolearn.config import compose, to_dict
    from robolearn.policies import config_from_dict
    from robolearn.training.pipeline import build_datasets

    def datasets(action_key):
        cfg = compose(
            "train",
            [f"data.root={tmp_path}", "data.valid_split=null", f"data.action_key={action_key}"],
        )
        policy_cfg = config_from_dict(to_dict(cfg)["policy"])
        return build_datasets([task_path(tmp_path, TASK)], policy_cfg, cfg.data)[0], policy_cfg

    train, policy_cfg = datasets("expert_actions")
    labels = ep.expert_actions[: policy_cfg.seq_len]
    expected = train.normalizer.normalize("actions", labels)
    np.testing.assert_allclose(train[0]["actions"].numpy(), expected, rtol=1e-5, atol=1e-6)
    plain, _ = datasets("actions")
    assert not np.allclose(plain[0]["actions"].numpy(), train[0]["actions"].numpy())


def test_files_from_before_dart_count_as_clean(tmp_path):
    from robolearn.data.collect import check_collected
    from robolearn.errors import DataError
    from tests.data import write_file

    path = write_file(tmp_path / "old.hdf5", [3])  # robolearn meta without a collector entry
    check_collected(path, {"perturb": 0.0, "perturb_rho": 0.9, "perturb_scope": "all"})
    with pytest.raises(DataError, match=r"perturb=0\.0, this run asks for perturb=0\.2"):
        check_collected(path, {"perturb": 0.2, "perturb_rho": 0.9, "perturb_scope": "all"})
    # nor do they hold deliberate drop misses (recovery demos of snug drops)
    with pytest.raises(
        DataError, match=r"perturb=0\.0, this run asks for perturb=0\.0, drop_miss=0\.5;"
    ):
        check_collected(path, {"perturb": 0.0, "drop_miss": 0.5})


def test_recovery_collection_stores_the_action_mask_and_checks_the_setting(tmp_path, capsys):
    from robolearn.data.collect import check_collected
    from robolearn.data.reader import DemoFile
    from robolearn.errors import DataError

    settings = CollectSettings(demos_per_task=2, cameras=(), seed=0, miss=1.0)
    (report,) = collect([TASK], tmp_path, settings, workers=1, show_progress=False)
    assert report.demos == 2
    path = task_path(tmp_path, TASK)
    with DemoFile(path) as f:
        assert f.meta["collector"]["miss"] == 1.0
        episodes = [f.episode(i) for i in range(len(f))]
    for ep in episodes:
        assert ep.expert_actions is None  # no noise: the executed actions are the labels
        assert ep.action_mask is not None and ep.action_mask.shape == (len(ep),)
        assert 0 < (~ep.action_mask).sum() < len(ep)  # each pick's first attempt was a miss
    assert main(["demos", "info", str(path)]) == 0
    out = capsys.readouterr().out
    masked = sum(int((~ep.action_mask).sum()) for ep in episodes)
    assert f"action_mask: 2 demos with a deliberate miss, {masked} steps" in out
    keys = {"perturb": 0.0, "perturb_rho": 0.9, "perturb_scope": "all"}
    check_collected(path, {**keys, "miss": 1.0})
    with pytest.raises(DataError, match=r"miss=1\.0, this run asks for perturb=0\.0;"):
        check_collected(path, {**keys, "miss": 0.0})  # plain training does not reuse them


def test_demos_of_another_expert_version_are_refused(tmp_path, capsys):
    import h5py

    from robolearn.data.collect import check_collected, expert_version_of
    from robolearn.data.reader import DemoFile
    from robolearn.errors import DataError
    from robolearn.experts.base import EXPERT_VERSION
    from tests.data import write_file

    keys = {"perturb": 0.0, "perturb_rho": 0.9, "perturb_scope": "all", "miss": 0.0}
    settings = CollectSettings(demos_per_task=1, cameras=(), seed=0)
    collect([TASK], tmp_path, settings, workers=1, show_progress=False)
    path = task_path(tmp_path, TASK)
    with DemoFile(path) as f:
        assert expert_version_of(f.meta) == EXPERT_VERSION
    check_collected(path, keys)
    assert main(["demos", "info", str(path)]) == 0
    assert f"success 100%, experts version {EXPERT_VERSION}" in capsys.readouterr().out
    with h5py.File(path, "r+") as h:  # as written before the stamp
        meta = json.loads(h["data"].attrs["robolearn"])
        del meta["expert_version"]
        h["data"].attrs["robolearn"] = json.dumps(meta)
    with pytest.raises(DataError, match=rf"{path.name} was collected by expert version 1, .* "
                       rf"version {EXPERT_VERSION}"):  # fmt: skip
        check_collected(path, keys)
    before = path.read_bytes()
    with pytest.raises(DataError, match="expert version 1"):  # a rerun does not mix versions
        collect([TASK], tmp_path, settings, workers=1, show_progress=False)
    assert path.read_bytes() == before  # nor overwrites the old demos
    imported = write_file(tmp_path / "imported.hdf5", [3])
    check_collected(imported, keys)  # not the experts' demos: no version to compare


def test_takeover_collection_masks_the_policy_steps_and_training_adds_the_folder(tmp_path, capsys):
    from types import SimpleNamespace

    import torch

    from robolearn.data.dataset import DemoDataset
    from robolearn.data.reader import DemoFile
    from robolearn.errors import CheckpointError, DataError
    from robolearn.experts.takeover import DRIVER_PHASE
    from robolearn.policies import CONFIGS, build_policy
    from robolearn.policies.base import PolicySpec
    from robolearn.policies.io import save_policy
    from robolearn.training.pipeline import extra_demo_paths

    plain = CollectSettings(demos_per_task=1, cameras=(), seed=0)
    collect([TASK], tmp_path / "plain", plain, workers=1, show_progress=False)
    plain_path = task_path(tmp_path / "plain", TASK)
    # an untrained policy on this task's observations drives first (it moves, it solves nothing)
    cfg = CONFIGS["bc_mlp"]()
    cfg.language, cfg.hidden = False, [32]
    ds = DemoDataset([plain_path], cfg.obs_keys, seq_len=cfg.seq_len, frame_stack=1)
    ds.set_normalizer(ds.compute_normalizer())
    torch.manual_seed(0)
    checkpoint = save_policy(
        build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer), tmp_path / "ckpt"
    )
    settings = CollectSettings(
        demos_per_task=2, cameras=(), seed=0, takeover=str(checkpoint), takeover_steps=(5, 15),
        max_attempts_factor=4,
    )  # fmt: skip
    (report,) = collect([TASK], tmp_path / "takeover", settings, workers=1, show_progress=False)
    assert report.demos == 2 and report.driver_solved == 0
    path = task_path(tmp_path / "takeover", TASK)
    with DemoFile(path) as f, DemoFile(plain_path) as g:
        assert f.meta["collector"]["takeover"] == str(checkpoint)
        assert f.meta["collector"]["takeover_steps"] == [5, 15]
        episodes = [f.episode(i) for i in range(len(f))]
        plain_init = g.episode(0).init_state
    for ep in episodes:
        mask = ep.action_mask
        assert mask is not None and mask.shape == (len(ep),)
        n = int((~mask).sum())
        assert 5 <= n <= 15 and not mask[:n].any() and mask[n:].all()  # a masked prefix
        assert ep.skills[0] == (DRIVER_PHASE, 0, n) and ep.skills[1][0] == "reach"
        assert ep.success
    assert episodes[0].init_state != plain_init  # other scenes than the plain demos' seed
    assert main(["demos", "info", str(path)]) == 0
    assert "action_mask: takeover demos, the policy" in capsys.readouterr().out
    # training learns from root's files plus every extra root's
    data = SimpleNamespace(extra_roots=[str(tmp_path / "takeover")])
    extra = extra_demo_paths([TASK], data)
    assert extra == {TASK: [path]}
    both = DemoDataset([plain_path, *extra[TASK]], cfg.obs_keys, seq_len=cfg.seq_len)
    assert both.num_demos == 3
    with pytest.raises(DataError, match=r"data\.extra_roots: no complete demo file .*nowhere"):
        extra_demo_paths([TASK], SimpleNamespace(extra_roots=[str(tmp_path / "nowhere")]))
    with pytest.raises(CheckpointError, match="is not a policy checkpoint"):
        CollectSettings(takeover=str(tmp_path / "takeover"))
