"""Orderings: seeded permutations, reproducible across processes; bad orderings fail by name."""

from __future__ import annotations

import subprocess
import sys

import pytest

from robolearn.config import compose
from robolearn.errors import ConfigError
from robolearn.lifelong.ordering import check_ordering, make_ordering
from robolearn.tasks.suites import get_suite

SUITE = get_suite("spatial").task_ids


def test_null_seed_is_the_suite_order_and_seeds_permute_reproducibly():
    assert make_ordering(SUITE, None) == SUITE
    orders = [make_ordering(SUITE, s) for s in (0, 1, 2)]
    for order in orders:
        assert sorted(order) == sorted(SUITE) and len(order) == len(SUITE)
    assert len({tuple(o) for o in orders}) == 3 and all(o != SUITE for o in orders)
    assert make_ordering(SUITE, 1) == make_ordering(list(SUITE), 1)


def test_the_same_seed_gives_the_same_order_in_another_process():
    code = (
        "from robolearn.lifelong.ordering import make_ordering;"
        "from robolearn.tasks.suites import get_suite;"
        "print(','.join(make_ordering(get_suite('spatial').task_ids, 7)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    ).stdout.strip()
    assert out.split(",") == make_ordering(SUITE, 7)


def test_explicit_orders_must_be_permutations_of_the_suite():
    order = list(reversed(SUITE))
    assert make_ordering(SUITE, None, order) == order
    with pytest.raises(ConfigError, match=r"missing: \['spatial/"):
        make_ordering(SUITE, None, order[:-1])
    with pytest.raises(ConfigError, match="not in the suite: \\['object/cube-in-basket-v2'\\]"):
        check_ordering([*SUITE[:-1], "object/cube-in-basket-v2"], SUITE)
    with pytest.raises(ConfigError, match="repeated"):
        check_ordering([*SUITE, SUITE[0]], SUITE)
    with pytest.raises(ConfigError, match="both set"):
        make_ordering(SUITE, 3, order)


def test_limit_keeps_a_prefix_of_the_ordering():
    assert make_ordering(SUITE, 2, limit=3) == make_ordering(SUITE, 2)[:3]
    with pytest.raises(ConfigError, match=r"ordering\.limit=11"):
        make_ordering(SUITE, 2, limit=11)
    with pytest.raises(ConfigError, match=r"ordering\.seed"):
        make_ordering(SUITE, -1)


def test_the_lifelong_config_composes_with_every_learner():
    from omegaconf import OmegaConf

    from robolearn.lifelong.config import LEARNER_CONFIGS

    for name, cls in LEARNER_CONFIGS.items():
        cfg = compose("lifelong", [f"lifelong={name}", "ordering.seed=2"])
        assert OmegaConf.get_type(cfg.lifelong) is cls and cfg.lifelong.name == name
    with pytest.raises(ConfigError, match="memory_per_tsk"):
        compose("lifelong", ["lifelong=er", "lifelong.memory_per_tsk=5"])


@pytest.mark.parametrize(
    ("launcher", "target"),
    [
        ("joblib", "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"),
        ("slurm", "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"),
        ("ray_cluster", "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"),
    ],
)
def test_the_cluster_launcher_configs_compose(launcher, target):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from robolearn.config import register_schemas
    from robolearn.paths import configs_dir

    register_schemas()
    with initialize_config_dir(str(configs_dir()), version_base="1.3"):
        cfg = hydra_compose(
            "lifelong", [f"hydra/launcher={launcher}", "ordering.seed=1"], return_hydra_config=True
        )
    assert cfg.hydra.launcher._target_ == target
    assert cfg.hydra.sweep.dir == "multirun/lifelong/object"  # fixed: a rerun resumes
    if launcher == "slurm":
        assert cfg.hydra.launcher.max_num_timeout > 0 and cfg.hydra.launcher.cpus_per_task == 2
