import json

import numpy as np
import pytest

from robolearn.data.normalizer import Normalizer
from robolearn.data.reader import DemoFile
from robolearn.errors import DataError

from . import make_episode, write_file


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal([1.0, -3.0, 10.0], [0.5, 2.0, 1e-9], size=(500, 3))
    x[:, 2] = 10.0  # a constant dimension
    return x


def test_stats_match_numpy_and_streaming_matches_one_shot():
    x = _data()
    whole = Normalizer.from_arrays({"a": x})
    chunks = Normalizer.from_batches({"a": x[i : i + 37]} for i in range(0, len(x), 37))
    for norm in (whole, chunks):
        s = norm.stats["a"]
        assert s.count == 500
        np.testing.assert_allclose(s.mean, x.mean(0), rtol=1e-12)
        np.testing.assert_allclose(s.std, x.std(0), rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(s.min, x.min(0))
        np.testing.assert_array_equal(s.max, x.max(0))


@pytest.mark.parametrize("mode", ["mean_std", "min_max"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_and_floors(mode, dtype):
    x = _data().astype(dtype)
    norm = Normalizer.from_arrays({"a": x}, mode=mode)
    y = norm.normalize("a", x)
    assert y.dtype == dtype and np.all(np.isfinite(y))
    np.testing.assert_allclose(
        norm.unnormalize("a", y), x, rtol=1e-5 if dtype == np.float32 else 1e-12
    )
    assert np.all(y[:, 2] == 0)  # constant dimension: floor, no division by zero
    if mode == "min_max":
        np.testing.assert_allclose(y[:, :2].min(0), -1, atol=1e-6)
        np.testing.assert_allclose(y[:, :2].max(0), 1, atol=1e-6)
    else:
        np.testing.assert_allclose(y[:, :2].mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(y[:, :2].std(0), 1, atol=1e-5)


def test_save_load_json_round_trip(tmp_path):
    norm = Normalizer.from_arrays(
        {"actions": _data(1), "obs/eef_pos": _data(2)[:, :2]}, mode="min_max"
    )
    path = norm.save(tmp_path / "norm.json")
    data = json.loads(path.read_text())  # plain JSON, nothing pickled
    assert data["mode"] == "min_max" and set(data["stats"]) == {"actions", "obs/eef_pos"}
    loaded = Normalizer.load(path)
    x = _data(3)
    np.testing.assert_array_equal(loaded.normalize("actions", x), norm.normalize("actions", x))
    assert loaded.to_dict() == norm.to_dict()
    assert Normalizer.from_dict(norm.to_dict()).keys() == ["actions", "obs/eef_pos"]


def test_bad_inputs_raise_data_error(tmp_path):
    with pytest.raises(DataError, match="NaN"):
        Normalizer.from_arrays({"a": np.array([[np.nan]])})
    with pytest.raises(DataError, match="'missing'"):
        Normalizer.from_arrays({"a": _data()}).normalize("missing", np.zeros(3))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match=r"bad\.json"):
        Normalizer.load(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something", "version": 1}))
    with pytest.raises(DataError, match=r"other\.json"):
        Normalizer.load(other)
    with pytest.raises(ValueError, match="mode"):
        Normalizer({}, mode="zscore")


def test_from_files_streams_over_demos(tmp_path):
    path = write_file(tmp_path / "a.hdf5", [4, 6, 3])
    norm = Normalizer.from_files([path], ["actions", "obs/eef_pos"])
    actions = np.concatenate(
        [make_episode(n, base=100.0 * i).actions for i, n in enumerate([4, 6, 3])]
    )
    np.testing.assert_allclose(norm.stats["actions"].mean, actions.mean(0), rtol=1e-6)
    np.testing.assert_allclose(norm.stats["actions"].std, actions.std(0), rtol=1e-6)
    assert norm.stats["obs/eef_pos"].count == 13
    with DemoFile(path) as f:  # an opened file and a demo subset
        sub = Normalizer.from_files([f], ["actions"], demos=[["demo_1"]])
    assert sub.stats["actions"].count == 6 and sub.stats["actions"].min[0] == 100.5
