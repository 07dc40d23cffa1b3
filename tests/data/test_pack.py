"""Video-packed demo files: pack -> (smaller, refused by the reader) -> unpack -> the same demos."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from robolearn.cli.demos import main as demos_main
from robolearn.data import pack
from robolearn.data.reader import DemoFile
from robolearn.data.schema import make_env_args, make_robolearn_meta
from robolearn.data.writer import DemoWriter
from robolearn.errors import DataError

from . import make_episode

TASK = "object/cube-in-basket-v2"
H, W = 32, 48


def scene(length: int, offset: int) -> np.ndarray:
    """Frames of a smooth background with a coloured square moving one pixel per step."""
    y, x = np.mgrid[0:H, 0:W]
    frames = np.empty((length, H, W, 3), np.uint8)
    for t in range(length):
        frame = np.stack([x * 4, y * 6, np.full_like(x, 90 + offset)], axis=-1)
        c = (t + offset) % (W - 8)
        frame[10:18, c : c + 8] = [240, 30, 30]
        frames[t] = frame.astype(np.uint8)
    return frames


def write_demos(path, lengths):
    env_args = make_env_args(TASK, {"cameras": ["agentview", "wrist"], "image_size": H}, 20)
    meta = make_robolearn_meta({"task_id": TASK, "language": "put the cube in the basket"},
                               cameras=["agentview", "wrist"])  # fmt: skip
    with DemoWriter(path, env_args, meta, compression="gzip", valid_fraction=0.5) as writer:
        for i, length in enumerate(lengths):
            episode = make_episode(length, base=100.0 * i)
            episode.obs["agentview_rgb"] = scene(length, 3 * i)
            episode.obs["wrist_rgb"] = scene(length, 3 * i + 40)[:, ::-1]
            writer.add(episode)
    return path


@pytest.fixture
def demos(tmp_path):
    root = tmp_path / "demos" / "object"
    root.mkdir(parents=True)
    write_demos(root / "cube-in-basket-v2.hdf5", [30, 12, 21])
    write_demos(root / "block-in-basket-v2.hdf5", [9])
    return tmp_path / "demos"


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, obj: (
                out.setdefault(name, obj[()]) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return out


def test_pack_unpack_round_trip(demos, tmp_path):
    src = demos / "object" / "cube-in-basket-v2.hdf5"
    reports = pack.pack(demos, tmp_path / "packed")
    assert sorted(r.streams for r in reports) == [2, 6] and not any(r.skipped for r in reports)
    packed = tmp_path / "packed" / "object" / "cube-in-basket-v2.hdf5"
    by_src = {r.source: r for r in reports}
    rep = by_src[str(src)]
    assert rep.frames == 2 * (30 + 12 + 21) and rep.bytes_out < rep.bytes_in
    assert 0 < rep.mean_abs_error < 4 and rep.max_abs_error is not None
    info = pack.packed_info(packed)
    assert info == {"codec": "libx264", "pix_fmt": "yuv444p", "crf": 23, "dropped": [],
                    "keys": ["agentview_rgb", "wrist_rgb"]}  # fmt: skip
    with pytest.raises(DataError, match=r"video-packed.*robolearn demos unpack"):
        DemoFile(packed)
    with h5py.File(packed, "r") as f:  # no raw pixels left, only the mp4 bytes
        assert "agentview_rgb" not in f["data/demo_0/obs"]
        assert f["video/obs.agentview_rgb"].dtype == np.uint8

    out = tmp_path / "unpacked"
    ureps = pack.unpack(tmp_path / "packed", out)
    assert sorted(r.streams for r in ureps) == [2, 6]
    restored = out / "object" / "cube-in-basket-v2.hdf5"
    before, after = datasets(src), datasets(restored)
    assert sorted(before) == sorted(after)
    for name, value in before.items():
        if name.endswith("_rgb"):  # lossy, but close and the same shape
            assert after[name].shape == value.shape and after[name].dtype == np.uint8
            diff = np.abs(after[name].astype(int) - value.astype(int))
            assert diff.mean() < 4, name
            # the moving square is still where it was
            assert (after[name][..., 0] > 200).sum() == pytest.approx(
                (value[..., 0] > 200).sum(), rel=0.2
            )
        else:
            np.testing.assert_array_equal(after[name], value, err_msg=name)
    with h5py.File(src, "r") as a, h5py.File(restored, "r") as b:
        assert dict(a["data"].attrs) == dict(b["data"].attrs)
        assert dict(a["data/demo_1"].attrs) == dict(b["data/demo_1"].attrs)
        ds = b["data/demo_0/obs/agentview_rgb"]
        assert ds.chunks == (1, H, W, 3) and ds.compression is None
    with DemoFile(restored) as f:  # an ordinary demo file again
        assert f.lengths() == [30, 12, 21] and f.mask("valid") and f.task_id == TASK
        assert f.episode(2).obs["wrist_rgb"].shape == (21, H, W, 3)


def test_existing_outputs_are_kept_and_bad_input_is_named(demos, tmp_path):
    first = pack.pack(demos, tmp_path / "packed", crf=30)
    again = pack.pack(demos, tmp_path / "packed")
    assert all(r.skipped for r in again) and len(again) == len(first) == 2
    packed = tmp_path / "packed" / "object" / "block-in-basket-v2.hdf5"
    with pytest.raises(DataError, match="already video-packed"):
        pack.pack(packed, tmp_path / "twice.hdf5")
    with pytest.raises(DataError, match="not video-packed"):
        pack.unpack(demos / "object" / "block-in-basket-v2.hdf5", tmp_path / "x.hdf5")
    junk = tmp_path / "junk.hdf5"
    junk.write_text("not hdf5")
    with pytest.raises(DataError, match=r"junk\.hdf5 is not an HDF5"):
        pack.pack(junk, tmp_path / "y.hdf5")
    with pytest.raises(DataError, match="crf must be in"):
        pack.pack(demos, tmp_path / "z", crf=60)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no demo files"):
        pack.pack(tmp_path / "empty", tmp_path / "z")
    with pytest.raises(DataError, match="does not exist"):
        pack.unpack(tmp_path / "nowhere", tmp_path / "z")
    assert not list((tmp_path / "packed").rglob(".*tmp*"))  # no temporary files left


def test_a_failed_pack_leaves_no_file(demos, tmp_path, monkeypatch):
    def broken(frames, crf=23):
        raise RuntimeError("encoder died")

    monkeypatch.setattr(pack, "encode", broken)
    dst = tmp_path / "p.hdf5"
    with pytest.raises(RuntimeError, match="encoder died"):
        pack.pack(demos / "object" / "block-in-basket-v2.hdf5", dst)
    assert list(tmp_path.glob("*p.hdf5*")) == []


def test_decoding_without_a_decoder_names_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_decoders(name, *args, **kwargs):
        if name in ("imageio_ffmpeg", "cv2"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    data = pack.encode(scene(3, 0))
    monkeypatch.setattr(builtins, "__import__", no_decoders)
    with pytest.raises(DataError, match="needs imageio-ffmpeg or opencv-python"):
        pack.decode(data, "f.hdf5:data/demo_0/video/obs.agentview_rgb")


def test_cli_pack_and_unpack(demos, tmp_path, capsys):
    assert demos_main(["pack", str(demos), str(tmp_path / "p"), "--crf", "20"]) == 0
    out = capsys.readouterr().out
    assert "pack: 2 files (0 kept), 144 frames" in out and "pixel error mean" in out
    assert (
        demos_main(
            [
                "unpack",
                str(tmp_path / "p"),
                str(tmp_path / "u"),
                "--compression",
                "lzf",
                "--workers",
                "2",
            ]
        )
        == 0
    )
    assert "unpack: 2 files (0 kept), 144 frames" in capsys.readouterr().out
    with h5py.File(tmp_path / "u" / "object" / "block-in-basket-v2.hdf5", "r") as f:
        assert f["data/demo_0/obs/wrist_rgb"].compression == "lzf"
    assert demos_main(["info", str(tmp_path / "p" / "object" / "block-in-basket-v2.hdf5")]) == 2
    assert "is video-packed" in capsys.readouterr().out


def test_drop_leaves_out_what_a_training_box_does_not_read(demos, tmp_path):
    pack.pack(demos, tmp_path / "p", drop=["states", "obs/wrist_*"])
    packed = tmp_path / "p" / "object" / "cube-in-basket-v2.hdf5"
    assert pack.packed_info(packed)["dropped"] == ["states", "obs/wrist_*"]
    assert pack.packed_info(packed)["keys"] == ["agentview_rgb"]
    pack.unpack(tmp_path / "p", tmp_path / "u")
    with DemoFile(tmp_path / "u" / "object" / "cube-in-basket-v2.hdf5") as f:
        assert f.obs_keys() == ["agentview_rgb", "eef_pos"]
        assert "states" not in f.h5["data/demo_0"] and f.lengths() == [30, 12, 21]
        np.testing.assert_array_equal(
            f.read("demo_1", "obs/eef_pos"), make_episode(12, 100.0).obs["eef_pos"]
        )
    with pytest.raises(DataError, match="would leave out the actions"):
        pack.pack(demos, tmp_path / "q", drop=["act*"])
