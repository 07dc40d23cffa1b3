"""Summaries of demo files (``robolearn demos info``); no torch, no simulator."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np


def summarize(path: str | Path) -> dict[str, Any]:
    """Counts, lengths, keys and shapes, success, skill statistics and masks of a demo file."""
    from robolearn.data.collect import expert_version_of
    from robolearn.data.importers import open_demo_file

    with open_demo_file(path) as f:
        names = f.demo_names()
        lengths = np.asarray(f.lengths(), dtype=float)
        first = f.episode(names[0])
        skill_counts: Counter[str] = Counter()
        skill_steps: dict[str, list[int]] = defaultdict(list)
        successes, languages = [], set()
        masks = [getattr(f, "action_mask", lambda _: None)(name) for name in names]
        for name in names:
            for skill, start, end in f.skills(name):
                skill_counts[skill] += 1
                skill_steps[skill].append(end - start)
            successes.append(bool(f.success(name)) if hasattr(f, "success") else True)
            languages.add(f.language(name))
        spec = f.task_spec
        return {
            "path": str(path),
            "task_id": (spec or {}).get("task_id") or f.env_args.get("env_name"),
            "demos": len(names),
            "total_steps": int(lengths.sum()),
            "length": {
                "mean": float(lengths.mean()),
                "min": int(lengths.min()),
                "max": int(lengths.max()),
            },
            "obs": {k: [list(v.shape[1:]), str(v.dtype)] for k, v in first.obs.items()},
            "actions": [list(first.actions.shape[1:]), str(first.actions.dtype)],
            "dart": _dart(getattr(f, "meta", None)) if first.expert_actions is not None else None,
            "recovery": _recovery(masks),
            "takeover": _takeover(getattr(f, "meta", None)),
            "expert_version": expert_version_of(getattr(f, "meta", None)),
            "success_rate": float(np.mean(successes)),
            "language": sorted(languages),
            "skills": {
                s: {"count": skill_counts[s], "mean_steps": float(np.mean(skill_steps[s]))}
                for s in skill_counts
            },
            "masks": {m: len(f.mask(m)) for m in ("train", "valid") if _has_mask(f, m)},
        }


def _recovery(masks: list[Any]) -> dict[str, int] | None:
    """How many demos hold a deliberate miss and how many steps are masked (recovery demos)."""
    if all(m is None for m in masks):
        return None
    held = [m for m in masks if m is not None]
    return {
        "demos_with_miss": sum(int(not m.all()) for m in held),
        "masked_steps": sum(int((~m).sum()) for m in held),
    }


def _takeover(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """The policy checkpoint and step range of a takeover file (None for other files)."""
    collector = (meta or {}).get("collector") or {}
    if not collector.get("takeover"):
        return None
    return {"checkpoint": collector["takeover"], "steps": list(collector["takeover_steps"])}


def _dart(meta: dict[str, Any] | None) -> dict[str, Any]:
    """The DART noise a file with ``expert_actions`` was collected with."""
    from robolearn.data.collect import perturb_of

    std, rho, scope, *_ = perturb_of((meta or {}).get("collector") or {})
    return {"perturb": std, "perturb_rho": rho, "perturb_scope": scope}


def _has_mask(f: Any, name: str) -> bool:
    try:
        return f.mask(name) is not None
    except Exception:  # a file without that mask
        return False
