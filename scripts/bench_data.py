"""Benchmark the demo-file layer: compression options, then DemoDataset window throughput.

    .venv/bin/python scripts/bench_data.py [--quick] [--demos 50] [--steps 150] [--seconds 4]
        [--rounds 3] [--out docs/bench_data.json] [--md docs/bench_data.md]

1. A synthetic demo file (seeded; ``--demos`` x ``--steps``, two 128x128 uint8 RGB streams
   that compress like our renders, low-dim keys) written with DemoWriter per compression
   (none / lzf / gzip): size, write time, CPU ms to read an uncached 10-step two-stream
   window, and windows/s through DemoDataset (cache="low_dim", 0 workers).
2. On the default-compression file: 10-step windows/s (batches of 32, shuffled, seeded) for
   DemoDataset with 0 and 2 workers and cache none / low_dim / all, beside a reference:
   robomimic's SequenceDataset if importable, else a plain h5py Dataset reading each window's
   slices directly (SequenceDataset without a cache). Configurations run interleaved for
   ``--rounds`` rounds; numbers are medians.

Files sit in the OS page cache (just written), so reads measure decompression and h5py
overhead, not the disk. Writes JSON and a markdown table (temp file + rename), prints the
table. ``--quick`` is a small smoke run that writes to the temp folder unless --out is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler

from robolearn.data import schema
from robolearn.data.dataset import DemoDataset, pad_edges
from robolearn.data.episode import Episode
from robolearn.data.reader import DemoFile
from robolearn.data.writer import DemoWriter

ROOT = Path(__file__).resolve().parents[1]
IMAGE_KEYS = ("agentview_rgb", "wrist_rgb")
LOW_DIM = {"eef_pos": 3, "eef_quat": 4, "gripper_qpos": 2, "joint_pos": 7, "object_state": 14}
SEQ_LEN = 10
BATCH = 32
TARGETS = {"speedup_over_reference": 2.0, "cached_windows_per_s": 2000.0}


# -- synthetic data ------------------------------------------------------------------------
def synthetic_frames(rng: np.random.Generator, steps: int, size: int) -> dict[str, np.ndarray]:
    """Two streams that compress like MuJoCo renders of our scenes: a bright shaded table with
    faint pixel noise, a tiled floor, moving shaded boxes; the wrist view pans. Calibrated on
    150 real 128x128 agentview+wrist renders of spatial/* (lzf 2.1x, gzip 3.3x; here about
    2.0x and 3.5x)."""
    big = 2 * size
    noise = rng.integers(-1, 2, (big, big, 3)) * (rng.random((big, big, 1)) < 0.6)
    streams = {}
    for j, key in enumerate(IMAGE_KEYS):
        ramp = np.linspace(0, 1, big, dtype=np.float32)[:, None, None]
        base = 200 + 40 * ramp * rng.uniform(0.5, 1.0, 3).astype(np.float32)
        base = np.broadcast_to(base, (big, big, 3)).copy()
        tiles = rng.integers(0, 30, (big // 16, big // 16, 1)).repeat(16, 0).repeat(16, 1)
        base[: size // 2] = 110 + tiles[: size // 2]  # the floor behind the table
        base += noise
        frames = np.empty((steps, size, size, 3), np.float32)
        for t in range(steps):
            oy, ox = (
                (0, 0)
                if j == 0
                else (size / 2 + size / 3 * np.sin(t / 20), size / 2 + size / 3 * np.cos(t / 25))
            )
            frames[t] = base[int(oy) : int(oy) + size, int(ox) : int(ox) + size]
        for _ in range(4):  # moving boxes with a shading ramp
            colour = rng.uniform(0, 255, 3).astype(np.float32)
            start, velocity = rng.uniform(0, size - 26, 2), rng.uniform(-0.4, 0.4, 2)
            box = 14 + int(rng.integers(0, 12))
            shade = np.linspace(0.6, 1.0, box, dtype=np.float32)[:, None, None]
            for t in range(steps):
                y, x = np.clip(start + velocity * t, 0, size - box).astype(int)
                frames[t, y : y + box, x : x + box] = colour * shade
        streams[key] = np.clip(frames, 0, 255).astype(np.uint8)
    return streams


def synthetic_episode(rng: np.random.Generator, steps: int, size: int) -> Episode:
    """One episode: two image streams (see :func:`synthetic_frames`) and low-dim keys."""
    streams = synthetic_frames(rng, steps, size)
    t = np.arange(steps, dtype=np.float64)[:, None]
    low = {
        k: np.sin(t * rng.uniform(0.01, 0.1, d) + rng.uniform(0, 3, d)) for k, d in LOW_DIM.items()
    }
    return Episode(
        obs={**streams, **{k: v.astype(np.float32) for k, v in low.items()}},
        actions=rng.uniform(-1, 1, (steps, 7)).astype(np.float32),
        rewards=np.zeros(steps),
        dones=np.arange(steps) == steps - 1,
        states=rng.normal(size=(steps, 40)),
        skills=[("reach", 0, steps // 2), ("grasp", steps // 2, steps)],
        language="put the bowl on the plate",
        seed=0,
    )


def write_files(folder: Path, demos: int, steps: int, size: int, seed: int) -> dict[str, Any]:
    """One file per compression; sizes and write times."""
    rng = np.random.default_rng(seed)
    episodes = [synthetic_episode(rng, steps, size) for _ in range(demos)]
    args = schema.make_env_args("bench/synthetic-v1", {"cameras": ["agentview", "wrist"]}, 20)
    out = {}
    for compression in schema.COMPRESSIONS:
        path = folder / f"bench_{compression or 'none'}.hdf5"
        start = time.perf_counter()
        with DemoWriter(path, args, {}, compression=compression, overwrite=True) as writer:
            for episode in episodes:
                writer.add(episode)
        out[str(compression)] = {
            "path": str(path),
            "write_s": time.perf_counter() - start,
            "size_mb": path.stat().st_size / 2**20,
        }
    raw = sum(e.obs[k].nbytes for e in episodes for k in IMAGE_KEYS) / 2**20
    return {"files": out, "raw_image_mb": raw}


# -- reference loader ----------------------------------------------------------------------
class PlainH5Windows(Dataset):
    """Reference: robomimic-style windows read straight from h5py, no cache, same output."""

    def __init__(self, path: str, keys: list[str], seq_len: int) -> None:
        self.path, self.keys, self.seq_len, self._file = path, keys, seq_len, None
        with h5py.File(path, "r") as f:
            demos = schema.sort_demo_names(f["data"].keys())
            lengths = [int(f[f"data/{d}"].attrs["num_samples"]) for d in demos]
        self.index = [(d, t, n) for d, n in zip(demos, lengths) for t in range(n)]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict[str, Any]:
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        demo, t, n = self.index[i]
        end = min(n, t + self.seq_len)
        after = t + self.seq_len - end
        obs = {}
        for key in self.keys:
            x = pad_edges(self._file[f"data/{demo}/obs/{key}"][t:end], 0, after)
            obs[key] = torch.from_numpy(
                np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x
            )
        actions = pad_edges(self._file[f"data/{demo}/actions"][t:end], 0, after)
        return {"obs": obs, "actions": torch.from_numpy(actions)}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_file": None}


def reference_dataset(path: str, keys: list[str]) -> tuple[Dataset, str]:
    try:
        import robomimic.utils.obs_utils as obs_utils
        from robomimic.utils.dataset import SequenceDataset
    except ImportError:
        return PlainH5Windows(path, keys, SEQ_LEN), "plain h5py windows (robomimic not installed)"
    images = [k for k in keys if k in IMAGE_KEYS]
    obs_utils.initialize_obs_modality_mapping_from_dict(
        {"rgb": images, "low_dim": [k for k in keys if k not in images]}
    )
    ds = SequenceDataset(
        hdf5_path=path, obs_keys=keys, dataset_keys=("actions",), seq_length=SEQ_LEN,
        frame_stack=1, pad_seq_length=True, pad_frame_stack=True, hdf5_cache_mode="low_dim",
        load_next_obs=False,
    )  # fmt: skip
    return ds, f"robomimic {version('robomimic')} SequenceDataset (cache low_dim)"


# -- measurements --------------------------------------------------------------------------
def windows_per_s(ds: Dataset, workers: int, seconds: float, seed: int) -> float:
    """Steady-state windows/s through a shuffled DataLoader (first 2 batches are warm-up)."""
    sampler = RandomSampler(ds, generator=torch.Generator().manual_seed(seed))
    loader = DataLoader(ds, batch_size=BATCH, sampler=sampler, num_workers=workers)
    count, start, it = 0, 0.0, iter(loader)
    for i, batch in enumerate(it):
        if i == 2:
            start, count = time.perf_counter(), 0
        elif i > 2:
            count += len(batch["actions"])
            if time.perf_counter() - start > seconds:
                break
    rate = count / (time.perf_counter() - start)
    del it
    return rate


def window_cpu_ms(path: str, windows: int, seed: int) -> float:
    """CPU ms (process time: robust to other load) to read random 10-step two-stream image
    windows straight from the file: the decompression + h5py cost of an uncached window."""
    rng = np.random.default_rng(seed)
    with DemoFile(path) as f:
        lengths = f.lengths()
        picks = [int(d) for d in rng.integers(0, len(f), windows)]
        starts = [int(rng.integers(0, lengths[d])) for d in picks]
        start = time.process_time()
        for d, t in zip(picks, starts):
            for key in IMAGE_KEYS:
                f.read(d, f"obs/{key}", t, t + SEQ_LEN)
        return (time.process_time() - start) / windows * 1000


def measure_compression(args: argparse.Namespace, written: dict[str, Any]) -> dict[str, Any]:
    """Size, write time, CPU per uncached window and windows/s per compression."""
    keys = [*IMAGE_KEYS, *LOW_DIM]
    files = written["files"]
    datasets = {
        name: DemoDataset([info["path"]], keys, seq_len=SEQ_LEN, cache="low_dim", language=False)
        for name, info in files.items()
    }
    runs: dict[str, list[list[float]]] = {name: [[], []] for name in files}
    for r in range(args.rounds):  # interleaved, like the loaders
        for name, ds in datasets.items():
            runs[name][0].append(windows_per_s(ds, 0, args.seconds, args.seed + r))
            ds.files[0].close()  # HDF5 shares chunk caches between handles of one file
            runs[name][1].append(window_cpu_ms(files[name]["path"], 200 if args.quick else 1000, r))
    return {
        name: {
            **info,
            "ratio": written["raw_image_mb"] / info["size_mb"],
            "windows_per_s": statistics.median(runs[name][0]),
            "window_cpu_ms": statistics.median(runs[name][1]),
            "rounds": runs[name][0],
        }
        for name, info in files.items()
    }


def measure_loaders(args: argparse.Namespace, path: str) -> tuple[list[dict[str, Any]], str]:
    """Windows/s of the reference and of DemoDataset per cache mode, 0 and 2 workers."""
    keys = [*IMAGE_KEYS, *LOW_DIM]
    reference, reference_name = reference_dataset(path, keys)
    datasets: dict[str, Dataset] = {"reference": reference}
    build_s = {}
    for cache in ("none", "low_dim", "all"):
        start = time.perf_counter()
        datasets[cache] = DemoDataset(
            [path], keys, seq_len=SEQ_LEN, cache=cache, cache_budget_mb=8192
        )
        build_s[cache] = time.perf_counter() - start
    configs = {f"{name}|{w}": (ds, w) for w in (0, 2) for name, ds in datasets.items()}
    rates: dict[str, list[float]] = {name: [] for name in configs}
    for r in range(args.rounds):
        for name, (ds, workers) in configs.items():
            rates[name].append(windows_per_s(ds, workers, args.seconds, args.seed + r))
    loaders = []
    for name, values in rates.items():
        cache, workers = name.split("|")
        ds = configs[name][0]
        loaders.append({
            "loader": reference_name if cache == "reference" else f"DemoDataset cache={cache}",
            "workers": int(workers),
            "windows_per_s": statistics.median(values),
            "rounds": values,
            "vs_reference": statistics.median(values) / statistics.median(rates[f"reference|{workers}"]),
            "cached_mb": ds.cached_bytes / 2**20 if isinstance(ds, DemoDataset) else None,
            "build_s": build_s.get(cache),
        })  # fmt: skip
    return loaders, reference_name


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    torch.manual_seed(args.seed)
    # DataLoader workers use 1 thread; 2 OpenMP threads on 2 shared cores make the main
    # process's collate (torch.stack) ~15x slower on this kind of machine
    torch.set_num_threads(args.threads)
    written = write_files(folder, args.demos, args.steps, args.image_size, args.seed)
    compression = measure_compression(args, written)
    path = written["files"][str(schema.DEFAULT_COMPRESSION)]["path"]
    loaders, reference_name = measure_loaders(args, path)
    ours = [x for x in loaders if x["loader"].startswith("DemoDataset")]
    cached = [x for x in ours if "cache=none" not in x["loader"]]
    best = max(cached, key=lambda x: x["windows_per_s"])
    targets = {
        "speedup_over_reference": {
            "target": TARGETS["speedup_over_reference"],
            "value": best["vs_reference"],
            "config": f"{best['loader']}, {best['workers']} workers",
        },
        "cached_windows_per_s": {
            "target": TARGETS["cached_windows_per_s"],
            "value": best["windows_per_s"],
        },
    }
    for t in targets.values():
        t["pass"] = t["value"] >= t["target"]
    return {
        "reference": reference_name,
        "default_compression": str(schema.DEFAULT_COMPRESSION),
        "raw_image_mb": written["raw_image_mb"],
        "compression": compression,
        "loaders": loaders,
        "targets": targets,
    }


# -- report --------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **{p: version(p) for p in ("numpy", "h5py", "torch")},
        "hdf5": h5py.version.hdf5_version,
    }


def markdown(report: dict[str, Any]) -> str:
    s = report["settings"]
    lines = [
        "# Demo data benchmark (scripts/bench_data.py)",
        "",
        f"{report['machine']['date']}, {report['machine']['cpu_count']} CPUs (shared), "
        f"{report['machine']['platform']}. Synthetic file: {s['demos']} demos x {s['steps']} "
        f"steps, two {s['image_size']}x{s['image_size']} uint8 streams "
        f"({report['raw_image_mb']:.0f} MB raw) + 5 low-dim keys; {SEQ_LEN}-step windows, "
        f"batches of {BATCH}, shuffled; medians of {s['rounds']} rounds of {s['seconds']} s; "
        f"main-process torch threads {s['threads']}. Files are in the OS page cache.",
        "",
        "| compression | file MB | ratio | write s | CPU ms per uncached window "
        "| windows/s (low_dim cache, 0 workers) |",
        "|---|---|---|---|---|---|",
    ]
    for name, c in report["compression"].items():
        mark = " (default)" if name == report["default_compression"] else ""
        lines.append(
            f"| {name}{mark} | {c['size_mb']:.0f} | {c['ratio']:.1f}x | {c['write_s']:.1f} | "
            f"{c['window_cpu_ms']:.2f} | {c['windows_per_s']:.0f} |"
        )
    lines += [
        "",
        f"Reference loader: {report['reference']}.",
        "",
        "| loader | workers | windows/s | vs reference | cached MB | build s |",
        "|---|---|---|---|---|---|",
    ]
    for x in report["loaders"]:
        cached = "" if x["cached_mb"] is None else f"{x['cached_mb']:.0f}"
        build = "" if x["build_s"] is None else f"{x['build_s']:.1f}"
        lines.append(
            f"| {x['loader']} | {x['workers']} | {x['windows_per_s']:.0f} | "
            f"{x['vs_reference']:.2f}x | {cached} | {build} |"
        )
    lines += ["", "| target | wanted | measured | pass |", "|---|---|---|---|"]
    for name, t in report["targets"].items():
        where = f" ({t['config']})" if "config" in t else ""
        lines.append(f"| {name} | >= {t['target']:g} | {t['value']:.1f}{where} | {t['pass']} |")
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as f:
        f.write(text)
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 6 demos x 40 steps, 1 round"
    )
    parser.add_argument("--demos", type=int, default=50)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the main process")
    parser.add_argument("--workdir", type=Path, default=None, help="where the files go (temp)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--md", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.demos, args.steps, args.seconds, args.rounds = 6, 40, 0.5, 1
    tmp = Path(tempfile.gettempdir())
    args.out = args.out or (
        tmp / "bench_data_quick.json" if args.quick else ROOT / "docs" / "bench_data.json"
    )
    args.md = args.md or args.out.with_suffix(".md")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = {
        k: getattr(args, k)
        for k in ("demos", "steps", "image_size", "seconds", "rounds", "seed", "quick", "threads")
    }
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        results = run(args, Path(folder))
    report = {"machine": machine_info(), "settings": settings, **results}
    write_atomic(args.out, json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    write_atomic(args.md, text)
    print(text)


if __name__ == "__main__":
    main()
