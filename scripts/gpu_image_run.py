"""The full-size image run on a GPU box that has no simulator: train there, evaluate here.

    # here (simulator, CPU): collect image demos and pack them to ship
    robolearn collect suite=object image_size=128 out_dir=demos/image128
    robolearn demos pack demos/image128 .pack/image128 --workers 2
    # there (GPU, no robosuite needed): unpack, calibrate, train, copy the policy to --out
    python scripts/gpu_image_run.py --pack .pack/image128 --out $OUT --budget-s 330
    # here again: roll the policy out from the fixed initial states
    robolearn eval checkpoint=<out>/best suite=object

Training is ``robolearn train policy=bc_transformer ... final_eval=false`` (LIBERO's ResNet-T
at full size: 128 px agentview + wrist, FiLM ResNet tokens, 4-layer temporal transformer,
GMM head). ``--budget-s`` sizes the run: a short calibration run measures steps per second
on this machine, and the real run gets ``train.steps`` = the steps that fit the budget
(rounded down to 250), so the run is still a plain, reproducible config. ``--out`` receives
``best/`` and ``last/`` policies (weights + policy.json, no optimizer state) and
``gpu_run.json`` (machine, timings, steps, losses, the overrides).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def train(overrides: list[str], run_dir: Path) -> tuple[object, float]:
    from robolearn.config import compose
    from robolearn.training.pipeline import train_and_evaluate

    start = time.perf_counter()
    result = train_and_evaluate(compose("train", overrides), run_dir)
    return result, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pack", required=True, help="a packed demo folder (demos pack)")
    parser.add_argument("--out", required=True, help="where the policy and gpu_run.json go")
    parser.add_argument("--work", default="/tmp/robolearn-gpu", help="unpacked demos, run dirs")
    parser.add_argument("--budget-s", type=float, default=330.0, help="seconds of training")
    parser.add_argument("--calib-steps", type=int, default=60)
    parser.add_argument("--steps", type=int, default=None, help="skip calibration: this many")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("overrides", nargs="*", help="more train overrides (suite=..., ...)")
    args = parser.parse_args()

    import torch

    from robolearn.data import pack
    from robolearn.logging import setup_logging

    setup_logging()  # the console logger's training lines

    t0 = time.perf_counter()
    work, out = Path(args.work), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    demos = work / "demos"
    unpacked = pack.summary(pack.unpack(args.pack, demos, workers=args.workers))
    unpack_s = time.perf_counter() - t0
    print(f"unpacked {unpacked['frames']} frames in {unpack_s:.0f} s", flush=True)
    base = [
        "policy=bc_transformer", f"data.root={demos}", "data.collect_missing=false",
        "data.cache=all", "data.cache_budget_mb=60000", "final_eval=false",
        "train.batch_size=32", "train.lr=1e-4", "train.warmup_steps=500",
        "train.log_every=250", "train.ckpt_every=1000", "train.progress=false",
        "logger.backends=[console,jsonl]", *args.overrides,
    ]  # fmt: skip
    info: dict = {
        "machine": platform.node(), "python": platform.python_version(),
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "unpack": {k: v for k, v in unpacked.items() if k != "files_detail"},
        "unpack_s": round(unpack_s, 1),
    }  # fmt: skip
    steps = args.steps
    if steps is None:
        calib, secs = train([*base, f"train.steps={args.calib_steps}", "train.warmup_steps=10"],
                            work / "calib")  # fmt: skip
        fit = calib.fit  # type: ignore[attr-defined]
        rate = fit.steps / max(fit.update_seconds + fit.data_seconds, 1e-9)
        steps = max(250, int(rate * args.budget_s) // 250 * 250)
        info["calibration"] = {"steps": fit.steps, "steps_per_s": round(rate, 2),
                               "wall_s": round(secs, 1)}  # fmt: skip
        print(f"calibration: {rate:.1f} steps/s -> train.steps={steps}", flush=True)
    overrides = [*base, f"train.steps={steps}"]
    result, secs = train(overrides, work / "run")
    fit = result.fit  # type: ignore[attr-defined]
    info.update(
        overrides=overrides, steps=fit.steps, train_wall_s=round(secs, 1),
        update_s=round(fit.update_seconds, 1), data_s=round(fit.data_seconds, 1),
        steps_per_s=round(fit.steps / max(fit.update_seconds + fit.data_seconds, 1e-9), 2),
        final_metrics=fit.final_metrics, best_step=fit.best_step, best_score=fit.best_score,
        total_s=round(time.perf_counter() - t0, 1),
    )  # fmt: skip
    for name, src in (("best", fit.best), ("last", fit.last)):
        if src:
            (out / name).mkdir(exist_ok=True)
            for f in ("model.safetensors", "policy.json"):  # no optimizer state: 8 files back
                shutil.copy2(Path(src) / f, out / name / f)
    shutil.copy2(work / "run" / "metrics.jsonl", out / "metrics.jsonl")
    (out / "gpu_run.json").write_text(json.dumps(info, indent=2, default=str))
    print(json.dumps(info, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
