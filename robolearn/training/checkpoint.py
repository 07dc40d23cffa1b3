"""Training checkpoints: a policy folder plus the state an exact resume needs.

``<run>/checkpoints/<name>/`` holds the policy (``model.safetensors``, ``policy.json``; see
:mod:`robolearn.policies.io`; with EMA these are the averaged weights, the ones to deploy,
and the raw training weights sit in the training state) and ``train_state.safetensors`` (optimizer moments, EMA weights,
torch RNG states) with ``train_state.json`` (step, optimizer param groups, best score, the
train config, the wandb run id). Nothing is pickled. A checkpoint is written into a temporary
folder and renamed over the old one, so a crash leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from robolearn.errors import CheckpointError
from robolearn.fileio import replace_dir
from robolearn.policies.io import load_policy, read_meta, save_policy, write_json
from robolearn.training.optim import load_optimizer_state

STATE_TENSORS, STATE_JSON = "train_state.safetensors", "train_state.json"
TRAIN_FORMAT_VERSION = 1


@dataclass
class TrainState:
    step: int = 0
    best_score: float | None = None
    best_step: int | None = None
    run_id: str | None = None  # the experiment logger's run id (wandb), for exact resume
    extra: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(
    folder: str | os.PathLike[str],
    policy: Any,
    optimizer: torch.optim.Optimizer | None,
    state: TrainState,
    ema: Any = None,
    config: dict[str, Any] | None = None,
) -> Path:
    """Write policy + training state into ``folder`` atomically (replacing an old one)."""
    from safetensors.torch import save_file

    final = Path(folder)
    tmp = final.with_name(f".{final.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tensors: dict[str, torch.Tensor] = {"rng.torch": torch.get_rng_state()}
    if ema is not None:  # the policy folder holds the weights to deploy: the EMA's
        raw = ema.copy_to(policy)
        try:
            save_policy(policy, tmp)
        finally:
            policy.load_state_dict(raw)
        tensors |= {f"raw.{k}": v.detach().cpu().contiguous() for k, v in raw.items()}
    else:
        save_policy(policy, tmp)
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    groups: list[dict[str, Any]] = []
    if optimizer is not None:
        sd = optimizer.state_dict()
        for pid, pstate in sd["state"].items():
            for key, value in pstate.items():
                tensors[f"optim.{pid}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
        groups = [{k: v for k, v in g.items()} for g in sd["param_groups"]]
    if ema is not None:
        for key, value in ema.shadow.items():
            tensors[f"ema.{key}"] = value.detach().cpu().contiguous()
    save_file(tensors, str(tmp / STATE_TENSORS))
    write_json(
        tmp / STATE_JSON,
        {
            "format_version": TRAIN_FORMAT_VERSION,
            "step": state.step,
            "best_score": state.best_score,
            "best_step": state.best_step,
            "run_id": state.run_id,
            "extra": state.extra,
            "param_groups": groups,
            "ema_decay": getattr(ema, "decay", None),
            "config": config or {},
        },
    )
    return replace_dir(tmp, final)


def load_train_state(
    folder: str | os.PathLike[str],
    policy: Any,
    optimizer: torch.optim.Optimizer | None,
    ema: Any = None,
    task_ids: list[str] | None = None,
    demo_files: Mapping[str, str | None] | None = None,
) -> TrainState:
    """Restore weights, optimizer, EMA and RNG from ``folder`` into the given objects.

    With ``task_ids`` (the run's resolved tasks) a checkpoint whose run config records other
    ones (under ``task_ids``: a task's version changed, say) is refused; with ``demo_files``
    (demo path -> when it was written) so is one whose record has a file of the same path
    written at another time (the demos were collected again: resuming would mix two datasets).
    Checkpoints without a record (older ones, or fits called without it), and files without a
    stamp, are not checked."""
    from safetensors.torch import load_file

    folder = Path(folder)
    read_meta(folder)  # typed errors for a foreign or damaged folder
    path = folder / STATE_JSON
    if not path.is_file() or not (folder / STATE_TENSORS).is_file():
        raise CheckpointError(f"{folder} has no training state ({STATE_JSON}); cannot resume")
    meta = json.loads(path.read_text())
    if meta.get("format_version") != TRAIN_FORMAT_VERSION:
        raise CheckpointError(f"{path}: training-state format {meta.get('format_version')!r}")
    _check_same_tasks(folder, meta.get("config", {}).get("task_ids"), task_ids)
    check_same_demos(folder, meta.get("config", {}).get("demo_files"), demo_files)
    loaded = load_policy(folder, device=policy.device)
    changed = _config_changes(loaded, policy)
    if changed:
        raise CheckpointError(
            f"{folder} was trained with another policy config ({'; '.join(changed)}); resuming "
            "needs the same one: start over with train.resume=false or another run folder"
        )
    policy.load_state_dict(loaded.state_dict())
    if policy.text is not None and loaded.text is not None:
        policy.text.cache.update(loaded.text.cache)
    tensors = load_file(str(folder / STATE_TENSORS))
    raw = {k[4:]: v for k, v in tensors.items() if k.startswith("raw.")}
    if raw:  # the training weights behind an EMA checkpoint
        policy.load_state_dict(raw)
    if optimizer is not None:
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, pid, name = key.split(".", 2)
                state.setdefault(int(pid), {})[name] = value
        load_optimizer_state(optimizer, {"state": state, "param_groups": meta["param_groups"]})
    if ema is not None:
        for key in ema.shadow:
            ema.shadow[key].copy_(tensors[f"ema.{key}"])
    torch.set_rng_state(tensors["rng.torch"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    return TrainState(
        meta["step"], meta["best_score"], meta["best_step"], meta["run_id"], meta["extra"]
    )


def _check_same_tasks(folder: Path, saved: list[str] | None, tasks: list[str] | None) -> None:
    if saved is None or tasks is None or list(saved) == list(tasks):
        return
    gone = sorted(set(saved) - set(tasks)) or list(saved)
    new = sorted(set(tasks) - set(saved)) or list(tasks)
    raise CheckpointError(
        f"{folder} was trained on other tasks ({', '.join(gone[:3])}{' ...' if len(gone) > 3 else ''}"
        f" where this run has {', '.join(new[:3])}{' ...' if len(new) > 3 else ''}); resuming "
        "would continue the old run: start over with train.resume=false or another run folder"
    )


def check_same_demos(
    folder: str | os.PathLike[str],
    saved: Mapping[str, Any] | None,
    current: Mapping[str, Any] | None,
) -> None:
    """Raise CheckpointError when a demo path in both records (path -> when the file was
    written) was written at another time: the run at ``folder`` learned from other files."""
    if not saved or not current:
        return
    changed = [
        f"{path} (written {saved[path]}, now {current[path]})"
        for path in current
        if path in saved and saved[path] and current[path] and saved[path] != current[path]
    ]
    if changed:
        raise CheckpointError(
            f"{folder} was trained on demo files written again since: {'; '.join(changed[:3])}"
            f"{' ...' if len(changed) > 3 else ''}; resuming would mix two datasets: start over "
            "with train.resume=false or another run folder"
        )


def _config_changes(saved: Any, current: Any) -> list[str]:
    """``key: saved -> current`` for the policy config keys that differ, rollout-time keys
    (which do not shape the weights) excepted."""
    from dataclasses import asdict

    skip = set(current.rollout_keys)
    return [f"{k}: {x!r} -> {y!r}" for k, x, y in _diff(asdict(saved.cfg), asdict(current.cfg))
            if k.split(".", 1)[0] not in skip]  # fmt: skip


def _diff(a: Mapping[str, Any], b: Mapping[str, Any], prefix: str = "") -> list[tuple]:
    """(dotted key, a's value, b's value) for every leaf where two nested dicts differ."""
    out: list[tuple] = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, Mapping) and isinstance(y, Mapping):
            out += _diff(x, y, f"{prefix}{key}.")
        elif x != y:
            out.append((f"{prefix}{key}", x, y))
    return out
