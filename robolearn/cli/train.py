"""``robolearn train suite=object policy=bc_mlp``: demos -> fit -> evaluate -> videos, table."""

from __future__ import annotations

from typing import Any


def run(cfg: Any) -> int:
    from hydra.core.hydra_config import HydraConfig

    from robolearn.training.pipeline import train_and_evaluate

    run_dir = HydraConfig.get().runtime.output_dir
    result = train_and_evaluate(cfg, run_dir)
    fit = result.fit
    print(f"\nrun folder: {run_dir}")
    print(f"trained {fit.steps} steps (resumed from {fit.resumed_from}); "
          f"data {fit.data_seconds:.0f} s, updates {fit.update_seconds:.0f} s")  # fmt: skip
    print(f"checkpoint evaluated: {result.checkpoint}")
    if result.eval is not None:
        print(f"\n{result.eval.table()}\n")
        for suite, path in result.eval.videos.items():
            print(f"grid video ({suite}): {path}")
        print(f"eval_info.json: {run_dir}/eval/eval_info.json")
    return 0
