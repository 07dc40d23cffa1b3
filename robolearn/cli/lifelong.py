"""``robolearn lifelong lifelong=er ordering.seed=1``: learn a suite's tasks in order, write
the result matrix and FWT / NBT / AUC (sweeps: ``-m lifelong=seql,er ordering.seed=0,1,2``)."""

from __future__ import annotations

from typing import Any


def run(cfg: Any) -> int:
    from hydra.core.hydra_config import HydraConfig

    from robolearn.lifelong.run import run_lifelong

    hydra_cfg = HydraConfig.get()
    run_dir = hydra_cfg.runtime.output_dir
    results = run_lifelong(cfg, run_dir, overrides=list(hydra_cfg.overrides.task))
    print(f"\nrun folder: {run_dir}")
    print("ordering: " + ", ".join(results.tasks))
    print("R[k, j] (rows: after learning the k-th task; columns: tasks in order):")
    for row in results.R:
        print("  " + " ".join("  -  " if v != v else f"{v:5.2f}" for v in row))
    if results.complete:
        m = results.metrics()
        parts = [
            f"{k.upper() if k != 'final_success' else 'final success'} {m[k]:.3f}"
            for k in ("fwt", "nbt", "auc", "final_success")
            if m[k] is not None
        ]
        print("; ".join(parts))
    print(f"results: {run_dir}/results.json")
    return 0
