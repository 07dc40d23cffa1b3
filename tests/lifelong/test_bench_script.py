"""scripts/bench_lifelong.py's report names how each task's kept checkpoint was chosen."""

from __future__ import annotations

from tests import load_script


def test_the_selection_sentence_follows_select_by() -> None:
    note = load_script("bench_lifelong").selection_note
    assert note("valid_mse") == (
        "the kept checkpoint is chosen by `valid_mse` on held-out demos, never on the test rollouts"
    )
    assert "last epoch" in note("last") and "held-out" not in note("last")
    assert "on the test rollouts, as LIBERO does" in note("success")
