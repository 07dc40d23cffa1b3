"""Video-packed demo files: camera streams as H.264, to ship image demos compactly.

A demo folder of 128 px two-camera demos holds about 100 KB of raw pixels per step (37 KB
with gzip). :func:`pack` rewrites each demo file with every camera stream (``uint8``
``(T, H, W, 3)`` datasets under ``obs``) encoded as one H.264 mp4 per camera, the demos back
to back (libx264, ``yuv444p``, constant quality ``crf``): about 0.55 KB per step at ``crf=23``, which
lets a 10-task, 50-demo suite travel to a training machine (LeRobot stores its camera
streams as video for the same reason). Everything else (low-dim obs, actions, states,
skills, masks, attributes) is copied losslessly, except datasets named in ``drop``.

The encoding is lossy: :func:`pack` decodes every stream back and reports the mean and
largest absolute pixel error, so the cost is measured, not assumed. :func:`unpack` decodes
the streams into ordinary demo files (one frame per chunk, uncompressed by default: the
fastest to read), which every reader takes as usual; the demo reader refuses a packed file
with a message that names this command. Packed streams live in the packed file itself
(``video/obs.<key>``: the mp4's bytes, with each demo's dataset path and length), so one task
stays one file, written to a temporary name and renamed when complete.

Decoding uses imageio-ffmpeg, or OpenCV (``cv2``) where imageio-ffmpeg is missing: a GPU
box's image often has one of the two.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from fnmatch import fnmatch
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from robolearn.data import schema
from robolearn.data.writer import temp_path_for
from robolearn.errors import DataError

VIDEO = "video"  # the top-level group of a packed file: one mp4 per camera key
CODEC = "libx264"
PIX_FMT = "yuv444p"  # full-resolution colour: half the error of yuv420p at the same size
DEFAULT_CRF = 23
FPS = 20


@dataclass
class PackReport:
    """One file's packing or unpacking."""

    source: str
    dest: str
    streams: int  # per-demo camera datasets packed or restored
    frames: int
    bytes_in: int
    bytes_out: int
    seconds: float
    mean_abs_error: float | None = None  # pack: decoded vs original pixels (0-255)
    max_abs_error: int | None = None
    skipped: bool = False  # the destination existed (written atomically, so complete)


def is_stream(path: str, ds: h5py.Dataset) -> bool:
    """Whether a dataset is a camera stream that packing encodes: RGB uint8 under ``obs``."""
    parts = path.split("/")
    return len(parts) >= 2 and parts[-2] == schema.OBS and schema.is_image(ds) and ds.shape[-1] == 3


def encode(frames: np.ndarray, crf: int = DEFAULT_CRF) -> bytes:
    """H.264 mp4 bytes of ``(T, H, W, 3)`` uint8 frames (libx264, yuv444p, constant quality)."""
    import imageio.v2 as imageio

    with tempfile.TemporaryDirectory(prefix="robolearn-pack-") as tmp:
        path = Path(tmp) / "stream.mp4"
        writer = imageio.get_writer(
            path, fps=FPS, codec=CODEC, pixelformat=PIX_FMT, macro_block_size=1,
            ffmpeg_log_level="error", output_params=["-crf", str(crf), "-preset", "medium"],
        )  # fmt: skip
        with writer:
            for frame in frames:
                writer.append_data(np.ascontiguousarray(frame))
        return path.read_bytes()


def decode(data: bytes, where: str) -> np.ndarray:
    """The ``(T, H, W, 3)`` uint8 frames of mp4 bytes (imageio-ffmpeg, else OpenCV)."""
    with tempfile.TemporaryDirectory(prefix="robolearn-unpack-") as tmp:
        path = Path(tmp) / "stream.mp4"
        path.write_bytes(data)
        try:
            import imageio_ffmpeg  # noqa: F401  (the plugin imageio needs for mp4)
        except ImportError:
            return _decode_cv2(path, where)
        import imageio.v2 as imageio

        with imageio.get_reader(path, format="ffmpeg") as reader:
            frames = [np.asarray(f) for f in reader]
    return np.stack(frames) if frames else np.zeros((0, 0, 0, 3), np.uint8)


def _decode_cv2(path: Path, where: str) -> np.ndarray:
    try:
        import cv2
    except ImportError:
        raise DataError(
            f"decoding {where} needs imageio-ffmpeg or opencv-python; install one of them"
        ) from None
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame[..., ::-1])  # BGR -> RGB
    cap.release()
    return np.ascontiguousarray(np.stack(frames)) if frames else np.zeros((0, 0, 0, 3), np.uint8)


def _walk(group: h5py.Group, prefix: str = "") -> Iterator[tuple[str, h5py.Group | h5py.Dataset]]:
    """Every (path, object) below ``group``, parents before children, in name order."""
    for name in group:
        obj = group[name]
        path = f"{prefix}{name}"
        yield path, obj
        if isinstance(obj, h5py.Group):
            yield from _walk(obj, path + "/")


def _copy_attrs(src: h5py.Group | h5py.Dataset | h5py.File, dst: Any) -> None:
    for key, value in src.attrs.items():
        dst.attrs[key] = value


def packed_info(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The packing record of a demo file (codec, crf, streams), or None if it is not packed."""
    with h5py.File(path, "r") as f:
        raw = f[schema.DATA].attrs.get(schema.ATTR_VIDEO) if schema.DATA in f else None
    if raw is None:
        return None
    return json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))


def pack_file(src: Path, dst: Path, crf: int = DEFAULT_CRF, drop: Sequence[str] = ()) -> PackReport:
    """Write ``dst``: ``src`` with every camera stream as H.264 (see the module docstring).

    Each camera key becomes one video of all demos back to back (``video/<obs>.<key>``, with
    the demos' paths and lengths as attributes): one encoder run per key, not per demo. Other
    datasets are copied losslessly (gzip + shuffle); those whose path below the demo matches a
    ``drop`` pattern (fnmatch: ``states``, ``obs/object_*``) are left out.
    """
    start = time.perf_counter()
    if not h5py.is_hdf5(src):
        raise DataError(f"{src} is not an HDF5 demo file; pack takes demo files or folders")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(dst)
    frames = 0
    err_sum, err_n, err_max = 0.0, 0, 0
    try:
        with h5py.File(src, "r") as fin, h5py.File(tmp, "w") as fout:
            if schema.DATA not in fin:
                raise DataError(f"{src} has no 'data' group; it is not a demo file")
            if schema.ATTR_VIDEO in fin[schema.DATA].attrs or VIDEO in fin:
                raise DataError(f"{src} is already video-packed")
            _copy_attrs(fin, fout)
            streams: dict[str, list[str]] = {}  # obs.<key> -> the datasets, in demo order
            for path, obj in _walk(fin):
                if isinstance(obj, h5py.Group):
                    _copy_attrs(obj, fout.create_group(path))
                elif _dropped(path, drop):
                    continue
                elif path.startswith(f"{schema.DATA}/") and is_stream(path, obj):
                    streams.setdefault(path.split("/", 2)[2].replace("/", "."), []).append(path)
                elif obj.ndim and obj.size:
                    out = fout.create_dataset(
                        path, data=obj[()], compression="gzip", compression_opts=9, shuffle=True
                    )
                    _copy_attrs(obj, out)
                else:
                    fin.copy(obj, fout, name=path)
            for name, paths in streams.items():
                shapes = {fin[p].shape[1:] for p in paths}
                if len(shapes) > 1:
                    raise DataError(f"{src}: {name} has frames of several sizes {sorted(shapes)}")
                lengths = [fin[p].shape[0] for p in paths]
                pixels = np.concatenate([fin[p][()] for p in paths])  # read (and inflated) once
                data = encode(pixels, crf)
                back = decode(data, f"{src}:{VIDEO}/{name}")
                if back.shape != pixels.shape:
                    raise DataError(
                        f"encoding {src}:{name} decoded {back.shape[0]} frames of "
                        f"{sum(lengths)}; the ffmpeg build is broken: reinstall imageio-ffmpeg"
                    )
                for a, b in zip(_split(back, lengths), _split(pixels, lengths)):  # per demo
                    diff = np.abs(a.astype(np.int16) - b)
                    err_sum += float(diff.sum(dtype=np.float64))
                    err_n += diff.size
                    err_max = max(err_max, int(diff.max(initial=0)))
                ds = fout.create_dataset(f"{VIDEO}/{name}", data=np.frombuffer(data, np.uint8))
                ds.attrs["paths"] = json.dumps(paths)
                ds.attrs["lengths"] = json.dumps(lengths)
                frames += sum(lengths)
            record = {"codec": CODEC, "pix_fmt": PIX_FMT, "crf": crf, "dropped": list(drop),
                      "keys": sorted({n.rsplit(".", 1)[-1] for n in streams})}  # fmt: skip
            fout[schema.DATA].attrs[schema.ATTR_VIDEO] = json.dumps(record)
            count = sum(len(p) for p in streams.values())
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return PackReport(
        str(src), str(dst), count, frames, src.stat().st_size, dst.stat().st_size,
        round(time.perf_counter() - start, 2), round(err_sum / max(err_n, 1), 3), err_max,
    )  # fmt: skip


def _split(frames: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    """The demos of a back-to-back stream: consecutive slices of ``lengths`` frames."""
    return np.split(frames, np.cumsum(lengths)[:-1])


def _dropped(path: str, drop: Sequence[str]) -> bool:
    parts = path.split("/", 2)  # data/<demo>/<rest>
    return len(parts) == 3 and parts[0] == schema.DATA and any(fnmatch(parts[2], p) for p in drop)


def unpack_file(src: Path, dst: Path, compression: str | None = None) -> PackReport:
    """Write ``dst``: the packed ``src`` with its streams decoded into one-frame chunks."""
    start = time.perf_counter()
    kwargs = schema.compression_kwargs(compression)
    if not h5py.is_hdf5(src):
        raise DataError(f"{src} is not an HDF5 demo file; unpack takes packed demo files")
    if packed_info(src) is None:
        raise DataError(f"{src} is not video-packed (no data.attrs[{schema.ATTR_VIDEO!r}])")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(dst)
    count = frames = 0
    try:
        with h5py.File(src, "r") as fin, h5py.File(tmp, "w") as fout:
            _copy_attrs(fin, fout)
            for path, obj in _walk(fin):
                if path == VIDEO or path.startswith(f"{VIDEO}/"):
                    continue
                if isinstance(obj, h5py.Group):
                    _copy_attrs(obj, fout.require_group(path))
                else:
                    fin.copy(obj, fout, name=path)
            for name, ds in fin.get(VIDEO, {}).items():
                paths, lengths = json.loads(ds.attrs["paths"]), json.loads(ds.attrs["lengths"])
                pixels = decode(ds[()].tobytes(), f"{src}:{VIDEO}/{name}")
                if len(pixels) != sum(lengths):
                    raise DataError(
                        f"{src}:{VIDEO}/{name} decodes to {len(pixels)} frames, expected "
                        f"{sum(lengths)}; the file is damaged: pack it again from the original"
                    )
                for p, part in zip(paths, _split(pixels, lengths)):
                    fout.create_dataset(
                        p, data=part, chunks=schema.image_chunks(part.shape), **kwargs
                    )
                count += len(paths)
                frames += len(pixels)
            del fout[schema.DATA].attrs[schema.ATTR_VIDEO]
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return PackReport(
        str(src), str(dst), count, frames, src.stat().st_size, dst.stat().st_size,
        round(time.perf_counter() - start, 2),
    )  # fmt: skip


def _pairs(src: Path, dst: Path) -> list[tuple[Path, Path]]:
    if src.is_file():
        return [(src, dst / src.name if dst.is_dir() else dst)]
    if not src.is_dir():
        raise DataError(f"{src} does not exist; give a demo file or a folder of them")
    files = sorted(p for p in src.rglob("*.hdf5") if not p.name.startswith("."))
    if not files:
        raise DataError(f"{src} holds no demo files (*.hdf5)")
    return [(p, dst / p.relative_to(src)) for p in files]


def _run(job: tuple[str, Path, Path, Any]) -> PackReport:
    kind, src, dst, arg = job
    return pack_file(src, dst, *arg) if kind == "pack" else unpack_file(src, dst, arg)


def _run_all(kind: str, src: Path, dst: Path, arg: Any, workers: int) -> list[PackReport]:
    pairs = _pairs(Path(src), Path(dst))
    reports: list[PackReport] = []
    jobs = []
    for s, d in pairs:
        if d.exists():
            size = d.stat().st_size
            reports.append(
                PackReport(str(s), str(d), 0, 0, s.stat().st_size, size, 0.0, skipped=True)
            )
        else:
            jobs.append((kind, s, d, arg))
    if workers <= 1 or len(jobs) <= 1:
        reports += [_run(job) for job in jobs]
    else:
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=get_context("spawn")) as pool:
            reports += list(pool.map(_run, jobs))
    return reports


def pack(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    crf: int = DEFAULT_CRF,
    workers: int = 1,
    drop: Sequence[str] = (),
) -> list[PackReport]:
    """Pack a demo file or every ``*.hdf5`` under a folder into ``dst`` (same relative paths).

    ``drop``: fnmatch patterns of per-demo datasets to leave out (``states``, ``obs/object_*``),
    for a training box that reads only some keys. Destinations that exist are kept (they were
    written atomically, so they are complete).
    """
    if not 0 <= crf <= 51:
        raise DataError(f"crf must be in [0, 51] (libx264 constant quality), got {crf}")
    if any(fnmatch(name, p) for p in drop for name in (schema.ACTIONS, schema.OBS)):
        raise DataError(f"drop {list(drop)} would leave out the actions or every observation")
    return _run_all("pack", Path(src), Path(dst), (crf, tuple(drop)), workers)


def unpack(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    compression: str | None = None,
    workers: int = 1,
) -> list[PackReport]:
    """Unpack a packed demo file or folder into ordinary demo files under ``dst``."""
    if compression not in schema.COMPRESSIONS:
        raise DataError(f"compression must be one of {schema.COMPRESSIONS}, got {compression!r}")
    return _run_all("unpack", Path(src), Path(dst), compression, workers)


def summary(reports: list[PackReport]) -> dict[str, Any]:
    """Totals over files: frames, bytes in/out, ratio, pixel error (pack), seconds."""
    done = [r for r in reports if not r.skipped]
    errs = [(r.mean_abs_error, r.frames) for r in done if r.mean_abs_error is not None]
    n = sum(f for _, f in errs)
    return {
        "files": len(reports),
        "skipped": len(reports) - len(done),
        "streams": sum(r.streams for r in done),
        "frames": sum(r.frames for r in done),
        "bytes_in": sum(r.bytes_in for r in done),
        "bytes_out": sum(r.bytes_out for r in done),
        "ratio": round(sum(r.bytes_in for r in done) / max(sum(r.bytes_out for r in done), 1), 2),
        "mean_abs_error": round(sum(e * f for e, f in errs) / n, 3) if n else None,
        "max_abs_error": max((r.max_abs_error or 0 for r in done), default=None) if errs else None,
        "seconds": round(sum(r.seconds for r in done), 1),
        "files_detail": [asdict(r) for r in reports],
    }
