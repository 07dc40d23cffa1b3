"""PolicyEnsemble: several trained policies acting as one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from robolearn.errors import ConfigError
from robolearn.policies import build_policy
from robolearn.policies.base import PolicySpec
from robolearn.policies.ensemble import PolicyEnsemble, load_ensemble
from robolearn.policies.io import load_policy, save_policy
from tests.policies import write_policy_file
from tests.policies.test_policies import dataset_for, raw_obs, tiny_config


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return write_policy_file(tmp_path_factory.mktemp("ens") / "demo.hdf5", demos=3, length=12)


def member(path, seed: int, **changes):
    cfg = tiny_config("bc_mlp", "deterministic")
    for key, value in changes.items():
        setattr(cfg, key, value)
    ds = dataset_for(cfg, path)
    torch.manual_seed(seed)
    return build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer).eval()


def rollout(policy, steps):
    policy.reset()
    return np.stack([policy.act(o) for o in steps])


class Fixed:
    """A member that always answers the same actions (to check the combination rule)."""

    def __init__(self, spec, actions, binary=True):
        self.spec, self.actions = spec, np.asarray(actions, np.float32)
        self.cfg = type("Cfg", (), {"binary_gripper": binary})()

    def act(self, obs):
        return self.actions

    def reset(self, slots=None):
        pass


def test_continuous_actions_are_the_members_mean_or_median(demo_file):
    members = [member(demo_file, s) for s in range(3)]
    for m in members:  # each executes its chunks of 3 two actions at a time, open loop
        m.configure_rollout({"execute": 2})
    steps = [raw_obs(2, seed=s) for s in range(6)]  # three chunks each
    alone = np.stack([rollout(m, steps) for m in members])  # (member, step, batch, 7)
    assert not np.allclose(alone[0, ..., :6], alone[1, ..., :6])  # the members differ
    mean = rollout(PolicyEnsemble(members), steps)
    np.testing.assert_allclose(mean[..., :6], alone[..., :6].mean(0), atol=1e-6)
    median = rollout(PolicyEnsemble(members, reduce="median"), steps)
    np.testing.assert_allclose(median[..., :6], np.median(alone[..., :6], 0), atol=1e-6)
    votes = np.sign(alone[..., -1].sum(0))  # three +-1 votes never tie
    np.testing.assert_array_equal(mean[..., -1], votes)
    one = rollout(PolicyEnsemble(members[:1]), steps)
    np.testing.assert_array_equal(one, alone[0])  # an ensemble of one is that policy


def test_gripper_is_a_majority_vote_and_a_tie_goes_to_the_first_member(demo_file):
    spec = member(demo_file, 0).spec
    close, open_ = [[0.2] * 6 + [1.0]], [[-0.4] * 6 + [-1.0]]
    obs = raw_obs(1)
    two_open = PolicyEnsemble([Fixed(spec, close), Fixed(spec, open_), Fixed(spec, open_)])
    np.testing.assert_allclose(two_open.act(obs), [[-0.2] * 6 + [-1.0]], atol=1e-6)
    tie = PolicyEnsemble([Fixed(spec, open_), Fixed(spec, close)])
    np.testing.assert_allclose(tie.act(obs), [[-0.1] * 6 + [-1.0]], atol=1e-6)
    tie = PolicyEnsemble([Fixed(spec, close), Fixed(spec, open_)])
    assert tie.act(obs)[0, -1] == 1.0
    soft = PolicyEnsemble([Fixed(spec, close, False), Fixed(spec, open_, False)])
    np.testing.assert_allclose(soft.act(obs), [[-0.1] * 6 + [0.0]], atol=1e-6)  # averaged


def test_members_reading_other_observations_are_refused_by_name(demo_file):
    base = member(demo_file, 0)
    other = member(demo_file, 1, obs_keys=["eef_pos", "gripper_qpos"])
    with pytest.raises(ConfigError, match=r"member second .*obs_shapes"):
        PolicyEnsemble([base, other], names=["first", "second"])
    soft = member(demo_file, 2, binary_gripper=False)
    with pytest.raises(ConfigError, match="member second has binary_gripper=False"):
        PolicyEnsemble([base, soft], names=["first", "second"])
    with pytest.raises(ConfigError, match="1 names for 2 members"):
        PolicyEnsemble([base, base], names=["first"])
    with pytest.raises(ConfigError, match="at least one member"):
        PolicyEnsemble([])
    with pytest.raises(ConfigError, match="reduce='max'"):
        PolicyEnsemble([base], reduce="max")


def test_rollout_keys_reach_every_member_and_checkpoints_load_as_an_ensemble(demo_file, tmp_path):
    members = [member(demo_file, s) for s in range(2)]
    folders = [save_policy(m, tmp_path / f"m{i}") for i, m in enumerate(members)]
    ensemble = load_ensemble(folders)
    assert all(m.cfg.execute == 1 for m in ensemble.members)  # the tiny config's
    ensemble.configure_rollout({"execute": 3})
    assert all(m.cfg.execute == 3 for m in ensemble.members)
    with pytest.raises(ConfigError, match=r"member .*m0: .*cannot change \['hidden'\]"):
        ensemble.configure_rollout({"hidden": [8]})
    ensemble.configure_rollout({"execute": 2})
    ensemble.members[1].cfg.seq_len = 2  # member 1 now refuses execute=3: nobody changes
    with pytest.raises(ConfigError, match=r"member .*m1: bc_mlp execute=3"):
        ensemble.configure_rollout({"execute": 3})
    assert [m.cfg.execute for m in ensemble.members] == [2, 2]
    ensemble.members[1].cfg.seq_len = 3
    ensemble.configure_rollout({"execute": 3})
    steps = [raw_obs(3, seed=s) for s in range(4)]
    alone = []
    for folder in folders:
        policy = load_policy(folder)
        policy.configure_rollout({"execute": 3})
        alone.append(rollout(policy, steps))
    np.testing.assert_allclose(
        rollout(ensemble, steps)[..., :6], np.mean(alone, 0)[..., :6], atol=1e-6
    )
