"""The resumable state of a lifelong run: one folder, ``<run>/state``, replaced atomically.

``state.safetensors`` holds the current policy weights (``policy.*``), the best weights of the
phase being trained (``best.*``), the optimizer moments (``optim.*``), the learner's tensors
(``learner.*``) and torch's RNG state; ``state.json`` holds the progress (stage, phase,
epochs done, global step, selection candidates), the optimizer's param groups, the learner's
metadata, the result matrix so far and the evaluation cache. Nothing is pickled. The folder is
written under a temporary name and renamed over the old one, so a crash leaves the previous
state whole.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from robolearn.errors import CheckpointError
from robolearn.fileio import replace_dir

FORMAT = "robolearn.lifelong.state"
FORMAT_VERSION = 1
TENSORS, META = "state.safetensors", "state.json"


@dataclass
class Progress:
    stage: int = 0  # the stage being (or next to be) learned
    in_task: bool = False  # begin_task of `stage` has run
    phase: str = "train"  # train | finetune
    epoch: int = -1  # epochs of `phase` done; -1: the phase has not started (no epoch-0 eval)
    global_step: int = 0
    candidates: list[list[float]] = field(default_factory=list)  # [epoch, score] for selection
    best_epoch: int | None = None
    valid: list[list[float]] = field(default_factory=list)  # [epoch, valid loss, valid mse]
    stage_seconds: float = 0.0  # training + evaluation time of the current stage so far
    seconds: float = 0.0  # the whole run's time so far (over resumes)


def _flat_optimizer(optimizer: torch.optim.Optimizer | None) -> tuple[dict, list]:
    if optimizer is None:
        return {}, []
    sd = optimizer.state_dict()
    tensors = {
        f"optim.{pid}.{key}": torch.as_tensor(value).detach().cpu().contiguous()
        for pid, pstate in sd["state"].items()
        for key, value in pstate.items()
    }
    return tensors, [dict(g) for g in sd["param_groups"]]


def save_state(
    run_dir: str | os.PathLike[str],
    progress: Progress,
    policy: Any,
    best: dict[str, torch.Tensor] | None,
    optimizer: torch.optim.Optimizer | None,
    learner_state: tuple[dict[str, torch.Tensor], dict[str, Any]],
    extra: dict[str, Any],
) -> Path:
    """Write ``<run_dir>/state`` atomically; ``extra`` goes into the JSON as is."""
    from safetensors.torch import save_file

    final = Path(run_dir) / "state"
    tmp = final.with_name(".state.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tensors = {f"policy.{k}": v.detach().cpu().clone() for k, v in policy.state_dict().items()}
    tensors |= {f"best.{k}": v.detach().cpu().clone() for k, v in (best or {}).items()}
    optim, groups = _flat_optimizer(optimizer)
    tensors |= optim
    learner_tensors, learner_meta = learner_state
    tensors |= {f"learner.{k}": v.detach().cpu().clone() for k, v in learner_tensors.items()}
    tensors["rng.torch"] = torch.get_rng_state()
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp / TENSORS))
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "progress": asdict(progress),
        "param_groups": groups,
        "has_best": best is not None,
        "learner": learner_meta,
        **extra,
    }
    (tmp / META).write_text(json.dumps(meta, indent=1) + "\n")
    return replace_dir(tmp, final)


@dataclass
class LoadedState:
    progress: Progress
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    def group(self, prefix: str) -> dict[str, torch.Tensor]:
        n = len(prefix) + 1
        return {k[n:]: v for k, v in self.tensors.items() if k.startswith(prefix + ".")}

    def optimizer_state(self) -> dict[str, Any] | None:
        if not self.meta.get("param_groups"):
            return None
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in self.group("optim").items():
            pid, name = key.split(".", 1)
            state.setdefault(int(pid), {})[name] = value
        return {"state": state, "param_groups": self.meta["param_groups"]}


def load_state(run_dir: str | os.PathLike[str]) -> LoadedState | None:
    """The state of ``run_dir`` (None when there is none); CheckpointError when damaged."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(run_dir) / "state"
    if not folder.exists():
        return None
    try:
        meta = json.loads((folder / META).read_text())
        tensors = load_file(str(folder / TENSORS))
    except (OSError, json.JSONDecodeError, SafetensorError) as exc:
        raise CheckpointError(
            f"{folder} is damaged ({exc}); delete it to start the run over, or pass resume=false"
        ) from None
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{folder}/{META} has format {meta.get('format')!r} v{meta.get('format_version')!r}, "
            f"expected {FORMAT!r} v{FORMAT_VERSION}; use another run folder or resume=false"
        )
    return LoadedState(Progress(**meta["progress"]), meta, tensors)
