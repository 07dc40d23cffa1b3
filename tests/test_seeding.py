import numpy as np
import pytest

from robolearn.seeding import choice, derive_seed, make_rng, seed_everything, spawn_seeds


def test_same_keys_give_same_stream():
    a = make_rng(7, "task", "spatial/x-v1", "episode", 3).random(5)
    b = make_rng(7, "task", "spatial/x-v1", "episode", 3).random(5)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "other", [(8, "task", "spatial/x-v1"), (7, "task", "spatial/y-v1"), (7, "task")]
)
def test_different_keys_give_different_streams(other):
    base = make_rng(7, "task", "spatial/x-v1").random(4)
    assert not np.allclose(base, make_rng(*other).random(4))


def test_string_keys_are_stable_across_processes():
    # blake2b-based, so this value is fixed forever (Python's hash() is salted per process).
    assert derive_seed(0, "task") == derive_seed(0, "task")
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from robolearn.seeding import derive_seed; print(derive_seed(0, 'task'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(out) == derive_seed(0, "task")


def test_spawn_seeds_are_distinct_32bit_ints():
    seeds = spawn_seeds(1, 50, "episode")
    assert len(set(seeds)) == 50
    assert all(0 <= s < 2**32 for s in seeds)


def test_bad_keys_are_rejected():
    with pytest.raises(ValueError):
        make_rng(-1)
    with pytest.raises(TypeError):
        make_rng(1, 2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        make_rng(1, True)


def test_seed_everything_makes_torch_reproducible():
    import torch

    seed_everything(3)
    a = torch.rand(3)
    seed_everything(3)
    assert torch.equal(a, torch.rand(3))


def test_choice_uses_the_given_generator():
    items = ["a", "b", "c", "d"]
    picks = [choice(make_rng(0, i), items) for i in range(20)]
    assert picks == [choice(make_rng(0, i), items) for i in range(20)]
    assert set(picks) <= set(items)
    with pytest.raises(ValueError):
        choice(make_rng(0), [])
