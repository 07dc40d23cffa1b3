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


def test_the_reproduce_command_names_its_files_and_quotes_its_overrides() -> None:
    import argparse
    import shlex

    script = load_script("bench_lifelong")
    args = argparse.Namespace(
        suite="object", learners="er", orderings="0,1", jobs=2, sweep="multirun/x",
        out="docs/x.json", md=script.DEFAULT_MD, overrides=["policy.obs_keys=[a,b]", "seed=1"],
    )  # fmt: skip
    command = script.reproduce_command(args)
    assert shlex.split(command) == [
        ".venv/bin/python", "scripts/bench_lifelong.py", "--suite", "object", "--learners", "er",
        "--orderings", "0,1", "--jobs", "2", "--sweep", "multirun/x", "--out", "docs/x.json",
        "policy.obs_keys=[a,b]", "seed=1",
    ]  # fmt: skip
    assert "'policy.obs_keys=[a,b]'" in command  # a glob pattern to the shell: quoted
    assert "--md" not in command  # the default is left out


def test_held_out_selection_is_named_with_its_states() -> None:
    script = load_script("bench_lifelong")
    cfg = {
        "protocol": {"select_offset": 3, "select_episodes": None},
        "eval": {"episodes_per_task": 3},
    }
    assert script.held_out_states(cfg) == (3, 5)
    cfg["protocol"] |= {"select_episodes": 5}
    assert script.held_out_states(cfg) == (3, 7)
    assert script.held_out_states({"protocol": {"select_offset": None}, "eval": {}}) is None
    note = script.selection_note("success", (3, 7))
    assert "held-out fixed states 3..7, never on the test rollouts" in note and "LIBERO" not in note
