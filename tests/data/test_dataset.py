import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from robolearn.data.dataset import DemoDataset, window_count
from robolearn.errors import DataError

from . import write_file

KEYS = ["eef_pos", "agentview_rgb"]


@pytest.fixture
def two_files(tmp_path):
    a = write_file(
        tmp_path / "a.hdf5",
        [5, 1, 7],
        task_id="spatial/a-v1",
        language="task a",
        valid_fraction=0.34,
    )
    b = write_file(tmp_path / "b.hdf5", [4], task_id="goal/b-v1", language="task b")
    return a, b


def _expected(t, length, seq_len, frame_stack):
    steps = np.arange(t - (frame_stack - 1), t + seq_len)
    return np.clip(steps, 0, length - 1), (steps >= 0) & (steps < length)


def test_hand_computed_window_with_frame_stack(two_files):
    ds = DemoDataset([two_files[0]], KEYS, seq_len=3, frame_stack=2)
    assert ds.index_info(0)[1:] == ("demo_0", 0)
    item = ds[0]  # demo_0 (T=5), t=0: obs steps -1..2 -> 0, 0, 1, 2
    np.testing.assert_array_equal(item["obs"]["eef_pos"][:, 0], [0, 0, 1, 2])
    np.testing.assert_array_equal(item["pad_mask"], [False, True, True, True])
    np.testing.assert_array_equal(item["actions"][:, 0], [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(item["action_pad_mask"], [True, True, True])
    item = ds[4]  # demo_0, t=4: obs steps 3..6 -> 3, 4, 4, 4; actions 4, 4, 4
    np.testing.assert_array_equal(item["obs"]["eef_pos"][:, 1], [3, 4, 4, 4])
    np.testing.assert_array_equal(item["pad_mask"], [True, True, False, False])
    np.testing.assert_array_equal(item["actions"][:, 0], [4.5, 4.5, 4.5])
    np.testing.assert_array_equal(item["action_pad_mask"], [True, False, False])
    item = ds[5]  # demo_1 (T=1, base 100): everything repeats the only step
    np.testing.assert_array_equal(item["obs"]["eef_pos"][:, 0], [100] * 4)
    np.testing.assert_array_equal(item["pad_mask"], [False, True, False, False])
    assert item["timestep"] == 0 and item["language"] == "task a"
    assert item["task_id"] == "spatial/a-v1"


@pytest.mark.parametrize("pad_seq", [True, False])
@pytest.mark.parametrize("pad_fs", [True, False])
@pytest.mark.parametrize(("seq_len", "frame_stack"), [(1, 1), (3, 1), (2, 3), (10, 2)])
def test_every_window_matches_the_formula(two_files, pad_seq, pad_fs, seq_len, frame_stack):
    lengths = [5, 1, 7, 4]
    expected_len = sum(window_count(n, seq_len, frame_stack, pad_seq, pad_fs) for n in lengths)
    if expected_len == 0:
        with pytest.raises(DataError, match="no windows"):
            DemoDataset(
                two_files,
                KEYS,
                seq_len=seq_len,
                frame_stack=frame_stack,
                pad_seq=pad_seq,
                pad_frame_stack=pad_fs,
            )
        return
    ds = DemoDataset(
        two_files,
        KEYS,
        seq_len=seq_len,
        frame_stack=frame_stack,
        pad_seq=pad_seq,
        pad_frame_stack=pad_fs,
    )
    assert len(ds) == expected_len
    seen = set()
    for i in range(len(ds)):
        path, demo, t = ds.index_info(i)
        seen.add((path, demo, t))
        item = ds[i]
        length = {"a.hdf5": [5, 1, 7], "b.hdf5": [4]}[path.rsplit("/", 1)[1]][int(demo[5:])]
        base = 100 * int(demo[5:])
        steps, real = _expected(t, length, seq_len, frame_stack)
        np.testing.assert_array_equal(item["obs"]["eef_pos"][:, 2].numpy(), steps + base)
        np.testing.assert_array_equal(item["pad_mask"].numpy(), real)
        if not pad_fs:
            assert real[: frame_stack - 1].all()
        if not pad_seq:
            assert real[frame_stack - 1 :].all()
        image = item["obs"]["agentview_rgb"]
        assert image.dtype == torch.uint8 and image.shape == (len(steps), 3, 4, 6)  # CHW
        np.testing.assert_array_equal(image[:, 1, 2, 3].numpy(), (steps + base) % 256)
        np.testing.assert_array_equal(image[:, :, 0, 0].numpy(), [[255, 0, 0]] * len(steps))
        a_steps = np.clip(np.arange(t, t + seq_len), 0, length - 1)
        np.testing.assert_array_equal(item["actions"][:, 0].numpy(), a_steps + base + 0.5)
        assert item["actions"].dtype == torch.float32
        np.testing.assert_array_equal(item["action_pad_mask"].numpy(), real[frame_stack - 1 :])
    assert len(seen) == len(ds)


def test_multi_task_split_and_language(two_files):
    ds = DemoDataset(two_files, ["eef_pos"], seq_len=2, language=True)
    assert len(ds) == 5 + 1 + 7 + 4 and ds.num_demos == 4
    assert ds[len(ds) - 1]["language"] == "task b" and ds[len(ds) - 1]["task_id"] == "goal/b-v1"
    no_lang = DemoDataset(two_files, ["eef_pos"], language=False)
    assert "language" not in no_lang[0]
    valid = DemoDataset([two_files[0]], ["eef_pos"], split="valid")
    train = DemoDataset([two_files[0]], ["eef_pos"], split="train")
    f = valid.files[0]
    assert {valid.index_info(i)[1] for i in range(len(valid))} == set(f.mask("valid"))
    assert {train.index_info(i)[1] for i in range(len(train))} == set(f.mask("train"))
    assert len(train) + len(valid) == 13 and len(f.mask("valid")) == 1
    with pytest.raises(DataError, match=r"a\.hdf5.*'wrist_rgb'"):
        DemoDataset([two_files[0]], ["wrist_rgb"])


def _assert_items_equal(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], dict):
            _assert_items_equal(a[key], b[key])
        elif isinstance(a[key], torch.Tensor):
            assert a[key].dtype == b[key].dtype
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
        else:
            assert a[key] == b[key]


@pytest.mark.parametrize(("cache", "budget_mb"), [("low_dim", 100), ("all", 100), ("all", 0.0004)])
def test_cache_gives_the_same_items_within_budget(two_files, cache, budget_mb):
    plain = DemoDataset(two_files, KEYS, seq_len=3, frame_stack=2)
    cached = DemoDataset(
        two_files, KEYS, seq_len=3, frame_stack=2, cache=cache, cache_budget_mb=budget_mb
    )
    assert plain.cache_info()["cached_bytes"] == 0
    info = cached.cache_info()
    assert 0 < info["cached_bytes"] == cached.cached_bytes <= budget_mb * 2**20
    if cache == "low_dim":
        assert info["cached_arrays"] == 4 * 2
    elif budget_mb == 100:
        assert info["cached_arrays"] == 4 * 3
    else:
        assert 4 * 2 <= info["cached_arrays"] < 4 * 3  # budget hit: some images from disk
    for i in range(len(plain)):
        _assert_items_equal(plain[i], cached[i])
    item = cached[0]
    item["obs"]["eef_pos"] += 1000  # callers may modify items: the cache is not affected
    item["obs"]["agentview_rgb"][:] = 0
    _assert_items_equal(plain[0], cached[0])


def test_normalizer_is_applied_to_low_dim_and_actions(two_files):
    ds = DemoDataset(two_files, KEYS, seq_len=2)
    norm = ds.compute_normalizer(mode="min_max")
    assert norm.keys() == ["actions", "obs/eef_pos"]
    raw = ds[3]
    ds.set_normalizer(norm)
    item = ds[3]
    np.testing.assert_allclose(
        item["actions"].numpy(), norm.normalize("actions", raw["actions"].numpy())
    )
    np.testing.assert_allclose(
        item["obs"]["eef_pos"].numpy(), norm.normalize("obs/eef_pos", raw["obs"]["eef_pos"].numpy())
    )
    assert item["obs"]["eef_pos"].dtype == torch.float32
    torch.testing.assert_close(item["obs"]["agentview_rgb"], raw["obs"]["agentview_rgb"])
    everything = torch.cat([ds[i]["actions"] for i in range(len(ds))])
    assert everything.min() >= -1 - 1e-6 and everything.max() <= 1 + 1e-6


def test_items_depend_only_on_index_and_pickle_drops_handles(two_files):
    ds = DemoDataset(two_files, KEYS, seq_len=4, frame_stack=2)
    first = ds[6]
    for i in (0, 11, 3):
        ds[i]
    _assert_items_equal(first, ds[6])
    assert ds.files[0]._h5 is not None  # a handle is open now ...
    clone = pickle.loads(pickle.dumps(ds))  # ... and pickling must not try to carry it
    assert all(f._h5 is None for f in clone.files)
    _assert_items_equal(first, clone[6])


@pytest.mark.parametrize("cache", ["none", "all"])
def test_dataloader_with_two_workers(two_files, cache):
    ds = DemoDataset(two_files, KEYS, seq_len=3, frame_stack=2, cache=cache)
    ds[0]  # an open handle in the parent must not leak into the workers
    loader = DataLoader(ds, batch_size=4, num_workers=2, shuffle=False)
    batches = list(loader)
    assert sum(len(b["task_id"]) for b in batches) == len(ds)
    obs = torch.cat([b["obs"]["eef_pos"] for b in batches])
    images = torch.cat([b["obs"]["agentview_rgb"] for b in batches])
    assert images.shape == (len(ds), 4, 3, 4, 6)
    for i in range(len(ds)):
        torch.testing.assert_close(obs[i], ds[i]["obs"]["eef_pos"])
        torch.testing.assert_close(images[i], ds[i]["obs"]["agentview_rgb"])
    languages = [lang for b in batches for lang in b["language"]]
    assert languages.count("task b") == 4


@pytest.mark.parametrize(("seq_len", "frame_stack"), [(1, 1), (3, 2), (6, 3)])
def test_batched_gather_equals_collated_items(two_files, seq_len, frame_stack):
    from torch.utils.data import default_collate

    from robolearn.data.batching import Batch, collate

    ds = DemoDataset(list(two_files), ["eef_pos"], seq_len, frame_stack, cache="low_dim")
    ds.set_normalizer(ds.compute_normalizer())
    indices = [*range(len(ds) - 1, -1, -1), -1]
    batch = ds.__getitems__(indices)
    assert isinstance(batch, Batch)  # the fast path was taken
    expected = default_collate([ds[i] for i in indices])
    fast = collate(batch)
    for got in (fast, default_collate(list(batch))):  # also fine for a plain DataLoader
        assert got.keys() == expected.keys()
        torch.testing.assert_close(
            got["obs"]["eef_pos"], expected["obs"]["eef_pos"], rtol=0, atol=0
        )
        for key in ("actions", "pad_mask", "action_pad_mask", "timestep"):
            assert torch.equal(got[key], expected[key]), key
        assert got["language"] == expected["language"] and got["task_id"] == expected["task_id"]
    with pytest.raises(IndexError):
        ds.__getitems__([len(ds)])


def test_batches_with_uncached_or_image_keys_go_item_by_item(two_files):
    ds = DemoDataset(list(two_files), KEYS, seq_len=2, cache="low_dim")
    batch = ds.__getitems__([0, 1])
    assert type(batch) is list and len(batch) == 2  # not a Batch: item by item
    loader = DataLoader(ds, batch_size=4)
    assert next(iter(loader))["obs"]["agentview_rgb"].shape[:2] == (4, 2)


def _dart_file(path, lengths):
    """A demo file whose episodes also carry clean labels: expert_actions = 2 * actions + 1."""
    from robolearn.data.schema import make_env_args, make_robolearn_meta
    from robolearn.data.writer import DemoWriter

    from . import make_episode

    env_args = make_env_args("object/a-v1", {"cameras": ["agentview"], "image_size": 4}, 20)
    meta = make_robolearn_meta({"task_id": "object/a-v1", "language": "a"}, cameras=["agentview"])
    with DemoWriter(path, env_args, meta) as writer:
        for i, length in enumerate(lengths):
            ep = make_episode(length, base=100.0 * i)
            ep.expert_actions = 2.0 * ep.actions + 1.0
            writer.add(ep)
    return path


def test_expert_action_labels_are_read_and_normalised_as_actions(tmp_path):
    from torch.utils.data import default_collate

    from robolearn.data.batching import Batch
    from robolearn.data.reader import DemoFile

    path = _dart_file(tmp_path / "dart.hdf5", [6, 3])
    with DemoFile(path) as f:
        ep = f.episode(1)
        np.testing.assert_array_equal(ep.expert_actions, 2.0 * ep.actions + 1.0)
    executed = DemoDataset([path], ["eef_pos"], seq_len=2)
    labels = DemoDataset([path], ["eef_pos"], seq_len=2, action_key="expert_actions")
    for i in range(len(labels)):
        torch.testing.assert_close(labels[i]["actions"], 2.0 * executed[i]["actions"] + 1.0)
    norm = labels.compute_normalizer()
    assert norm.keys() == ["actions", "obs/eef_pos"]  # the name policies unnormalise
    with DemoFile(path) as f:
        all_labels = np.concatenate([f.episode(i).expert_actions for i in range(len(f))])
    np.testing.assert_allclose(norm.stats["actions"].mean, all_labels.mean(0), rtol=1e-5)
    labels.set_normalizer(norm)
    raw = DemoDataset([path], ["eef_pos"], seq_len=2, action_key="expert_actions")[4]
    np.testing.assert_allclose(
        labels[4]["actions"].numpy(), norm.normalize("actions", raw["actions"].numpy()), rtol=1e-6
    )
    cached = DemoDataset(
        [path], ["eef_pos"], seq_len=2, action_key="expert_actions", cache="low_dim"
    )
    cached.set_normalizer(norm)
    batch = cached.__getitems__(list(range(len(cached))))
    assert isinstance(batch, Batch)  # the fast path reads the labels too
    expected = default_collate([labels[i] for i in range(len(labels))])
    assert torch.equal(default_collate(list(batch))["actions"], expected["actions"])


def test_a_file_without_an_asked_obs_key_is_a_clear_error(two_files):
    # e.g. a file collected before fixture_rel_pos existed: name the file, key and the way out
    with pytest.raises(
        DataError, match=r"a\.hdf5 has no obs key\(s\) \['fixture_rel_pos'\].*re-collect"
    ):
        DemoDataset([two_files[0]], ["eef_pos", "fixture_rel_pos"])


def test_expert_actions_from_a_file_without_them_is_a_clear_error(two_files):
    with pytest.raises(DataError, match=r"expert_actions.*DART"):
        DemoDataset([two_files[0]], ["eef_pos"], action_key="expert_actions")


def test_episode_labels_must_match_the_actions():
    from . import make_episode

    ep = make_episode(4)
    ep.expert_actions = ep.actions[:3]
    with pytest.raises(DataError, match="expert_actions"):
        ep.validate()
    ep.expert_actions = np.full_like(ep.actions, np.nan)
    with pytest.raises(DataError, match="expert_actions"):
        ep.validate()


def _recovery_file(path, lengths, masked):
    """A demo file whose episode i masks the steps ``masked[i]`` (a deliberate miss)."""
    from robolearn.data.schema import make_env_args, make_robolearn_meta
    from robolearn.data.writer import DemoWriter

    from . import make_episode

    env_args = make_env_args("object/a-v1", {"cameras": ["agentview"], "image_size": 4}, 20)
    meta = make_robolearn_meta({"task_id": "object/a-v1", "language": "a"}, cameras=["agentview"])
    with DemoWriter(path, env_args, meta) as writer:
        for i, length in enumerate(lengths):
            ep = make_episode(length, base=100.0 * i)
            ep.action_mask = np.ones(length, dtype=bool)
            ep.action_mask[list(masked[i])] = False
            writer.add(ep)
    return path


@pytest.mark.parametrize("cache", ["none", "low_dim"])
def test_deliberate_mistakes_start_no_window_and_get_no_loss(tmp_path, cache):
    from torch.utils.data import default_collate

    from robolearn.data.batching import Batch
    from robolearn.data.reader import DemoFile

    # demo 0 (8 steps) masks steps 2-4; demo 1 (5 steps) masks nothing
    path = _recovery_file(tmp_path / "miss.hdf5", [8, 5], [range(2, 5), ()])
    with DemoFile(path) as f:
        assert f.action_mask(0).tolist() == [1, 1, 0, 0, 0, 1, 1, 1]
        assert f.episode(0).action_mask.tolist() == [1, 1, 0, 0, 0, 1, 1, 1]
        assert f.action_mask(1).all()
    ds = DemoDataset([path], ["eef_pos"], seq_len=3, cache=cache)
    starts = [(ds.index_info(i)[1], ds.index_info(i)[2]) for i in range(len(ds))]
    demo0 = [t for name, t in starts if name == "demo_0"]
    assert demo0 == [0, 1, 5, 6, 7]  # no window starts on steps 2, 3, 4
    assert len(ds) == 5 + 5
    by_start = {t: ds[i] for i, (name, t) in enumerate(starts) if name == "demo_0"}
    assert by_start[0]["action_pad_mask"].tolist() == [True, True, False]  # step 2 masked
    assert by_start[1]["action_pad_mask"].tolist() == [True, False, False]
    assert by_start[6]["action_pad_mask"].tolist() == [True, True, False]  # end padding
    assert by_start[0]["actions"][:, 0].tolist() == [0.5, 1.5, 2.5]  # values untouched
    items = [ds[i] for i in range(len(ds))]
    batch = ds.__getitems__(list(range(len(ds))))
    assert isinstance(batch, Batch) == (cache == "low_dim")
    got = default_collate(list(batch)) if cache == "none" else batch.collated
    expected = default_collate(items)
    for key in ("actions", "action_pad_mask", "pad_mask", "timestep"):
        assert torch.equal(got[key], expected[key]), key


def test_episode_action_mask_must_be_one_flag_per_action():
    from . import make_episode

    ep = make_episode(4)
    ep.action_mask = np.ones(3, dtype=bool)
    with pytest.raises(DataError, match=r"action_mask.*\(4,\)"):
        ep.validate()
    ep.action_mask = np.array([0, 1, 2, 1])
    with pytest.raises(DataError, match="action_mask"):
        ep.validate()


def test_an_action_mask_of_the_wrong_length_is_a_clear_error(tmp_path):
    import h5py

    path = _recovery_file(tmp_path / "bad.hdf5", [6], [range(1, 3)])
    with h5py.File(path, "r+") as f:  # damaged: one flag short
        del f["data/demo_0/action_mask"]
        f["data/demo_0/action_mask"] = np.ones(5, dtype=np.uint8)
    with pytest.raises(DataError, match=r"bad\.hdf5: data/demo_0/action_mask has shape \(5,\)"):
        DemoDataset([path], ["eef_pos"], seq_len=2)
