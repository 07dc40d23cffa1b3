import json
import os
import signal
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from robolearn.data import schema
from robolearn.data.reader import DemoFile
from robolearn.data.writer import DemoWriter, split_demos
from robolearn.errors import DataError

from . import make_episode, write_file

TASK = "spatial/bowl-left-of-plate-v1"


def test_round_trip_of_every_field(tmp_path):
    lengths = [5, 1, 3, 4, 2, 6, 2, 3, 4, 5, 7, 2]  # 12 demos: demo_10 sorts after demo_9
    path = write_file(tmp_path / "demos.hdf5", lengths, valid_fraction=0.25, split_seed=3)
    with DemoFile(path) as f:
        assert len(f) == 12
        assert f.demo_names() == [f"demo_{i}" for i in range(12)]
        assert f.lengths() == lengths
        assert f.obs_keys() == ["agentview_rgb", "eef_pos"]
        assert f.total == sum(lengths)
        assert f.task_spec == {"task_id": TASK, "language": "pick the bowl"}
        assert f.task_id == TASK
        assert f.env_args["env_name"] == TASK
        assert f.env_args["env_kwargs"] == {
            "cameras": ["agentview"],
            "image_size": 4,
            "control_freq": 20,
        }
        assert f.meta["schema_version"] == schema.SCHEMA_VERSION
        assert f.meta["image_convention"] == "upright" and f.meta["cameras"] == ["agentview"]
        for i, length in enumerate(lengths):
            want = make_episode(length, base=100.0 * i)
            got = f.episode(i)
            assert got.obs.keys() == want.obs.keys()
            for key in want.obs:
                np.testing.assert_array_equal(got.obs[key], want.obs[key])
                assert got.obs[key].dtype == want.obs[key].dtype
            for key in ("actions", "rewards", "dones", "states"):
                np.testing.assert_array_equal(getattr(got, key), getattr(want, key))
                assert getattr(got, key).dtype == getattr(want, key).dtype
            assert got.skills == want.skills == f.skills(f"demo_{i}")
            assert got.language == want.language == f.language(i)
            assert got.init_state == want.init_state
            assert got.seed == want.seed and got.success == want.success
        train, valid = f.mask("train"), f.mask("valid")
        assert len(valid) == 3 and sorted(train + valid, key=schema.demo_index) == f.demo_names()
        assert f.mask_names() == ["train", "valid"]
    assert (train, valid) == tuple(split_demos(f.demo_names(), 0.25, 3))


def test_file_is_robomimic_shaped(tmp_path):
    path = write_file(tmp_path / "demos.hdf5", [4, 3], compression="gzip")
    with h5py.File(path, "r") as f:
        assert list(f["data"].keys()) == ["demo_0", "demo_1"]  # only demos under data
        assert f["data"].attrs["total"] == 7 and f["data"].attrs["complete"]
        assert json.loads(f["data"].attrs["env_args"])["env_name"] == TASK
        assert f["data/demo_0"].attrs["num_samples"] == 4
        image = f["data/demo_0/obs/agentview_rgb"]
        assert image.chunks == (1, 4, 6, 3) and image.compression == "gzip"
        assert f["data/demo_0/obs/eef_pos"].compression is None
        assert f["mask/train"].dtype.kind == "S"
        assert f["data/demo_0/skills/names"][0] == b"reach"


def test_split_keeps_a_train_demo_and_is_seeded():
    names = [f"demo_{i}" for i in range(10)]
    assert split_demos(names, 0.2, 0) == split_demos(names, 0.2, 0)
    assert split_demos(names, 0.2, 0) != split_demos(names, 0.2, 1)
    assert split_demos(["demo_0"], 0.5, 0) == (["demo_0"], [])
    assert len(split_demos(names[:2], 0.9, 0)[0]) == 1


def test_exception_inside_writer_leaves_no_file(tmp_path):
    path = tmp_path / "demos.hdf5"
    with (
        pytest.raises(RuntimeError, match="boom"),
        DemoWriter(path, schema.make_env_args(TASK, {}), {}) as writer,
    ):
        writer.add(make_episode(3))
        assert writer.temp_path.exists() and not path.exists()
        raise RuntimeError("boom")
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_writer_refuses_empty_episode_empty_file_and_existing_path(tmp_path):
    path = tmp_path / "demos.hdf5"
    with DemoWriter(path, schema.make_env_args(TASK, {}), {}) as writer:
        bad = make_episode(3)
        bad.actions = np.zeros((0, 2), np.float32)
        with pytest.raises(DataError, match="empty"):
            writer.add(bad)
        writer.add(make_episode(2))  # a refused episode does not spoil the writer
    with DemoFile(path) as f:
        assert f.lengths() == [2]
    other = tmp_path / "none.hdf5"
    with (
        pytest.raises(DataError, match="no episodes"),
        DemoWriter(other, {"env_name": "x", "env_type": "y", "env_kwargs": {}}, {}),
    ):
        pass
    assert list(tmp_path.iterdir()) == [path]
    with pytest.raises(DataError, match="already exists"):
        DemoWriter(path, schema.make_env_args(TASK, {}), {})
    write_file(path, [3, 3], overwrite=True)
    with DemoFile(path) as f:
        assert f.lengths() == [3, 3]
    with pytest.raises(DataError, match="env_name"):
        DemoWriter(tmp_path / "x.hdf5", {"env_kwargs": {}}, {})


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from robolearn.data.writer import DemoWriter
    from robolearn.data.schema import make_env_args
    sys.path.insert(0, {tests!r})
    from data import make_episode
    with DemoWriter({path!r}, make_env_args("t/x-v1", {{}}), {{}}) as w:
        for i in range(100000):
            w.add(make_episode(20, base=i))
            if i == 3:
                print("started", flush=True)
            time.sleep(0.002)
    """
)


def test_killed_writer_leaves_no_complete_file(tmp_path):
    path = tmp_path / "demos.hdf5"
    tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = KILL_SCRIPT.format(path=str(path), tests=tests_dir)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not path.exists()
    leftovers = list(tmp_path.glob(".demos.hdf5.tmp-*"))
    assert len(leftovers) == 1
    with pytest.raises(DataError, match=r"tmp-\d+"):
        DemoFile(leftovers[0])


def test_truncated_file_raises_data_error_naming_it(tmp_path):
    path = write_file(tmp_path / "demos.hdf5", [30, 30, 30], compression=None)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"demos\.hdf5"), DemoFile(path) as f:
        for name in f.demo_names():
            f.episode(name)


def test_random_bytes_missing_file_and_foreign_hdf5(tmp_path):
    junk = tmp_path / "junk.hdf5"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(DataError, match=r"junk\.hdf5.*not an HDF5"):
        DemoFile(junk)
    with pytest.raises(DataError, match=r"missing\.hdf5.*does not exist"):
        DemoFile(tmp_path / "missing.hdf5")
    other = tmp_path / "other.hdf5"
    with h5py.File(other, "w") as f:
        f.create_group("stuff")
    with pytest.raises(DataError, match=r"other\.hdf5.*'data'"):
        DemoFile(other)


def _edit(path, fn):
    with h5py.File(path, "r+") as f:
        fn(f)


def test_schema_version_complete_flag_missing_key_and_empty_demo(tmp_path):
    path = write_file(tmp_path / "v2.hdf5", [3])
    meta = {**schema.make_robolearn_meta(), "schema_version": 99}
    _edit(path, lambda f: f["data"].attrs.__setitem__("robolearn", json.dumps(meta)))
    with pytest.raises(DataError, match=r"v2\.hdf5.*schema_version 99"):
        DemoFile(path)

    path = write_file(tmp_path / "half.hdf5", [3])
    _edit(path, lambda f: f["data"].attrs.__delitem__("complete"))
    with pytest.raises(DataError, match=r"half\.hdf5.*complete"):
        DemoFile(path)

    path = write_file(tmp_path / "nokey.hdf5", [3, 2])
    _edit(path, lambda f: f.__delitem__("data/demo_1/actions"))
    with DemoFile(path) as f:
        f.episode(0)
        with pytest.raises(DataError, match=r"nokey\.hdf5.*data/demo_1/actions"):
            f.episode(1)
        with pytest.raises(DataError, match=r"nokey\.hdf5.*data/demo_7"):
            f.episode("demo_7")
        with pytest.raises(DataError, match=r"nokey\.hdf5.*mask/test"):
            f.mask("test")

    path = write_file(tmp_path / "empty.hdf5", [3, 2])
    _edit(path, lambda f: f["data/demo_1"].attrs.__setitem__("num_samples", 0))
    with DemoFile(path) as f, pytest.raises(DataError, match=r"empty\.hdf5.*data/demo_1.*empty"):
        f.episode(1)


def test_plain_robomimic_file_without_our_attrs_is_readable(tmp_path):
    path = write_file(tmp_path / "demos.hdf5", [3])
    _edit(path, lambda f: [f["data"].attrs.__delitem__(k) for k in ("robolearn", "complete")])
    with DemoFile(path) as f:
        assert f.meta is None and f.task_spec is None
        assert f.task_id == TASK and len(f.episode(0)) == 3


def test_reader_pickles_without_handle_and_reads_slices(tmp_path):
    import pickle

    path = write_file(tmp_path / "demos.hdf5", [6])
    with DemoFile(path) as f:
        np.testing.assert_array_equal(f.read(0, "obs/eef_pos", 2, 4)[:, 0], [2.0, 3.0])
        clone = pickle.loads(pickle.dumps(f))
        assert f.is_image("agentview_rgb") and not f.is_image("eef_pos")
    np.testing.assert_array_equal(clone.read("demo_0", "actions", 5)[:, 0], [5.5])
    clone.close()


def test_reader_bounds_chunk_caches(tmp_path):
    path = write_file(tmp_path / "demos.hdf5", [4, 4, 4, 4])
    with DemoFile(path, chunk_cache_mb=0.5, max_open_chunked=2) as f:
        assert f.h5.id.get_access_plist().get_cache()[2] == 2**19
        for name in f.demo_names():
            f.read(name, "obs/agentview_rgb", 0, 2)
            f.read(name, "obs/eef_pos")
        assert list(f._chunked) == [
            ("demo_2", "obs/agentview_rgb"),
            ("demo_3", "obs/agentview_rgb"),
        ]
        assert len(f._datasets) == 4  # contiguous low-dim datasets hold no chunk cache
        np.testing.assert_array_equal(f.read(0, "obs/agentview_rgb", 1, 2)[0, 1, 1], [1, 1, 1])
