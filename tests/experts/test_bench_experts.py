"""scripts/bench_experts.py --merge: rerunning one suite (or task) updates the report in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import load_script


def task(successes: int, seconds: float = 10.0) -> dict[str, Any]:
    return {
        "episodes": 4, "successes": successes, "success_rate": successes / 4, "mean_steps": 100.0,
        "mean_steps_success": 100.0, "horizon": 300, "failed_episodes": list(range(4 - successes)),
        "seconds": seconds,
    }  # fmt: skip


def report(date: str, suites: dict[str, dict[str, Any]], **over: Any) -> dict[str, Any]:
    bench = load_script("bench_experts")
    out = {
        "date": date, "episodes": 4, "init_states": False, "expert_seed": 1000, "target": 0.95,
        "machine": {}, "versions": {"mujoco": "3.9.0", "robosuite": "1.5.2", "numpy": "1.26.4"},
        "seconds": 0.0,
        "suites": {
            name: {"summary": bench.summarize(tasks), "date": date, "tasks": tasks}
            for name, tasks in suites.items()
        },
    }  # fmt: skip
    out.update(over)
    return out


def test_merge_replaces_the_rerun_suite_and_keeps_the_others() -> None:
    bench = load_script("bench_experts")
    old = report("2026-11-01", {"a": {"a/t1": task(4), "a/t2": task(2)}, "b": {"b/t1": task(1)}})
    del old["suites"]["b"]["date"]  # reports written before --merge carry no per-suite date
    new = report("2026-11-30", {"a": {"a/t1": task(3), "a/t2": task(4)}})
    merged = bench.merge(old, new, Path("x.json"))
    assert list(merged["suites"]) == ["a", "b"]
    assert merged["suites"]["a"]["summary"]["mean_success"] == pytest.approx(7 / 8)
    assert merged["suites"]["a"]["date"] == "2026-11-30"
    assert merged["suites"]["b"] == {**old["suites"]["b"], "date": "2026-11-01"}
    assert merged["below_target"] == ["a/t1", "b/t1"]
    assert merged["seconds"] == 30.0  # the tasks' own times, old and new
    md = bench.markdown(merged)
    assert "2026-11-01 to 2026-11-30" in md
    assert "| b | 1 | 25.0% |" in md and md.count("2026-11-01 |") == 1


def test_merge_of_some_tasks_keeps_the_suites_other_tasks() -> None:
    bench = load_script("bench_experts")
    old = report("2026-11-01", {"a": {"a/t1": task(4), "a/t2": task(0)}})
    new = report("2026-11-30", {"a": {"a/t2": task(4, seconds=5.0)}})
    merged = bench.merge(old, new, Path("x.json"))
    assert list(merged["suites"]["a"]["tasks"]) == ["a/t1", "a/t2"]
    assert merged["suites"]["a"]["summary"]["mean_success"] == 1.0
    assert merged["below_target"] == []
    assert merged["seconds"] == 15.0


def test_merge_refuses_a_report_measured_with_other_episodes() -> None:
    bench = load_script("bench_experts")
    old = report("2026-11-01", {"a": {"a/t1": task(4)}}, episodes=20)
    new = report("2026-11-30", {"a": {"a/t1": task(4)}})
    with pytest.raises(bench.MergeError, match=r"old\.json: episodes=20 there but 4"):
        bench.merge(old, new, Path("old.json"))


def test_merge_drops_tasks_the_suite_no_longer_has() -> None:
    """A task's version changed: its old rows go, the rest of the suite (and others) stay."""
    bench = load_script("bench_experts")
    old = report(
        "2026-11-01", {"a": {"a/t1-v1": task(2), "a/t2-v1": task(4)}, "b": {"b/t-v1": task(4)}}
    )
    new = report("2026-11-30", {"a": {"a/t1-v2": task(4)}})
    current = {"a": ["a/t1-v2", "a/t2-v1"]}
    merged = bench.merge(old, new, Path("x.json"), current)
    assert list(merged["suites"]["a"]["tasks"]) == ["a/t2-v1", "a/t1-v2"]
    assert list(merged["suites"]["b"]["tasks"]) == ["b/t-v1"]  # not remeasured: as it was
    assert merged["below_target"] == []
