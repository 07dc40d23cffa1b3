"""The diffusion head: its schedule, its sampler on a known distribution, and the policies
built on it (shapes, learning, seeded sampling that survives save/load, bad settings)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from robolearn.errors import ConfigError
from robolearn.policies import build_policy, policy_names
from robolearn.policies.base import PolicySpec
from robolearn.policies.configs import HeadConfig
from robolearn.policies.heads import cosine_alpha_bars, make_head
from robolearn.policies.io import load_policy, save_policy
from tests.policies import write_policy_file
from tests.policies.test_policies import dataset_for, raw_obs, tiny_config


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return write_policy_file(tmp_path_factory.mktemp("diff") / "demo.hdf5", demos=3, length=12)


def diffusion_policy(name, path, **head):
    cfg = tiny_config(name)
    cfg.head = HeadConfig(kind="diffusion", hidden=[32, 32], **head)
    ds = dataset_for(cfg, path)
    torch.manual_seed(0)
    return build_policy(cfg, PolicySpec.from_dataset(ds), ds.normalizer), ds


def test_cosine_schedule_runs_from_signal_to_noise():
    ab = cosine_alpha_bars(100)
    assert ab.shape == (100,)
    assert bool((ab[1:] < ab[:-1]).all())  # strictly less signal at every level
    assert 0.99 < float(ab[0]) < 1.0 and float(ab[-1]) < 1e-3


def test_sampler_reproduces_a_two_mode_conditional_distribution():
    """Trained on y = 1.5 c + m (m = +-1 with equal odds, the same for a whole chunk of 3),
    DDIM samples sit on the modes, both modes occur, and a chunk does not mix them."""
    torch.manual_seed(0)
    head = make_head(HeadConfig(kind="diffusion", hidden=[64, 64]), 4, 2, chunk=3)
    assert head.joint
    opt = torch.optim.Adam(head.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)

    def data(n):
        c = torch.randn(n, 4, generator=gen)
        m = torch.randint(0, 2, (n, 1, 1), generator=gen).float() * 2 - 1
        return c[:, None].expand(n, 3, 4), (1.5 * c[:, None, :2] + m).expand(n, 3, 2)

    for _ in range(1500):
        features, target = data(256)
        loss, _ = head.loss(features, target, None)
        opt.zero_grad()
        loss.backward()
        opt.step()
    head.eval()
    features, _ = data(1000)
    with torch.no_grad():
        offset = head.act(features) - 1.5 * features[:, :1, :2]  # (n, 3, 2): +-1 if learnt
    near = (offset.abs() - 1).abs() < 0.25
    assert float(near.float().mean()) > 0.8
    upper = (offset > 0).float().mean(dim=(1, 2))  # per chunk: share of its numbers above
    assert 0.3 < float((upper > 0.5).float().mean()) < 0.7  # both modes, about evenly
    assert float(((upper > 0.1) & (upper < 0.9)).float().mean()) < 0.1  # chunks are one mode


@pytest.mark.parametrize("name", policy_names())
def test_policies_on_a_diffusion_head_learn_and_act(name, demo_file):
    policy, ds = diffusion_policy(name, demo_file)
    assert policy.head.joint == (name == "bc_mlp")  # bc_mlp: one sample per chunk
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=8, shuffle=False)))
    policy.eval()  # eval mode: the loss's noise is fixed, so before and after compare
    before, _ = policy.compute_loss(batch)
    opt = torch.optim.Adam(policy.parameters(), lr=3e-3)
    policy.train()
    for _ in range(120):
        loss, metrics = policy.compute_loss(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert "eps_mse" in metrics and "mse" not in metrics  # no sampling while training
    policy.eval()
    after, metrics = policy.compute_loss(batch)
    # a denoiser that ignored its input would stay near 1 (the noise's variance)
    assert float(after) < 0.6 * float(before), (float(before), float(after))
    assert np.isfinite(metrics["mse"])  # the sampled actions' error, in eval mode
    actions = policy.act(raw_obs(3))
    assert actions.shape == (3, 7) and np.all(np.abs(actions) <= 1.0)


def test_validation_loss_is_fixed_and_leaves_the_global_rng_alone(demo_file):
    policy, ds = diffusion_policy("bc_mlp", demo_file)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=8, shuffle=False)))
    policy.eval()
    torch.manual_seed(5)
    first, _ = policy.compute_loss(batch)
    after = torch.rand(1)
    torch.manual_seed(5)
    second, _ = policy.compute_loss(batch)
    assert float(first) == float(second) and torch.equal(after, torch.rand(1))
    policy.train()  # training draws from the global stream: two calls differ
    assert float(policy.compute_loss(batch)[0]) != float(policy.compute_loss(batch)[0])


def test_sampling_is_seeded_restarts_on_reset_and_survives_save_load(demo_file, tmp_path):
    policy, _ = diffusion_policy("bc_mlp", demo_file)
    policy.eval()
    obs = [raw_obs(2, seed=s) for s in range(4)]
    policy.reset()
    first = np.stack([policy.act(o) for o in obs])
    second = np.stack([policy.act(o) for o in obs])  # the noise stream goes on ...
    policy.reset()
    again = np.stack([policy.act(o) for o in obs])  # ... and restarts with the rollout
    assert not np.array_equal(first[:, :, :6], second[:, :, :6])
    np.testing.assert_array_equal(first, again)
    save_policy(policy, tmp_path / "ckpt")
    loaded = load_policy(tmp_path / "ckpt")
    assert loaded.cfg.head.kind == "diffusion" and loaded.cfg.head.inference_steps == 10
    loaded.reset()
    np.testing.assert_array_equal(first, np.stack([loaded.act(o) for o in obs]))


def test_bad_diffusion_settings_are_config_errors(demo_file):
    with pytest.raises(
        ConfigError, match=r"inference_steps=20 must lie in 1\.\.diffusion_steps=10"
    ):
        diffusion_policy("bc_mlp", demo_file, diffusion_steps=10, inference_steps=20)
    with pytest.raises(ConfigError, match="needs hidden"):
        make_head(HeadConfig(kind="diffusion", hidden=[]), 8, 7)
    head = make_head(HeadConfig(kind="diffusion", hidden=[16]), 8, 7, chunk=4)
    with pytest.raises(ConfigError, match=r"chunks of 4 got features of shape \(2, 3, 8\)"):
        head.act(torch.zeros(2, 3, 8))
