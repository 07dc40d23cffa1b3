"""scripts/bench_lifelong.py's report names how each task's kept checkpoint was chosen."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load_script() -> Any:
    path = ROOT / "scripts" / "bench_lifelong.py"
    spec = importlib.util.spec_from_file_location("bench_lifelong", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_selection_sentence_follows_select_by() -> None:
    note = load_script().selection_note
    assert note("valid_mse") == (
        "the kept checkpoint is chosen by `valid_mse` on held-out demos, never on the test rollouts"
    )
    assert "last epoch" in note("last") and "held-out" not in note("last")
    assert "on the test rollouts, as LIBERO does" in note("success")
