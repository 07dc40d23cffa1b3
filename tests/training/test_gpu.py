"""The CUDA paths (bf16 autocast, fused AdamW, pinned batches): run on a GPU box, never in CI.

python -m pytest -m gpu tests/training/test_gpu.py
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from robolearn.policies import policy_names
from robolearn.policies.io import load_policy
from robolearn.training.config import FitConfig
from robolearn.training.fit import fit, to_device
from tests.policies import write_policy_file
from tests.policies.test_policies import make_policy, raw_obs

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

CFG = FitConfig(
    steps=80, batch_size=8, lr=3e-3, warmup_steps=5, ckpt_every=1000, log_every=10,
    select_by="none", progress=False, device="cuda", amp=True,
)  # fmt: skip


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    return write_policy_file(tmp_path_factory.mktemp("gpu") / "d.hdf5", demos=4, length=16)


def batch_loss(policy, ds):
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=16, shuffle=False)))
    batch = to_device(batch, next(policy.parameters()).device)  # obs is a nested dict
    policy.eval()
    with torch.no_grad():
        return float(policy.compute_loss(batch)[0])


@pytest.mark.parametrize("name", policy_names())
def test_fit_on_cuda_with_bf16_learns_and_its_checkpoint_acts_the_same_on_cpu(
    name, demo_file, tmp_path
):
    policy, ds = make_policy(name, demo_file)
    before = batch_loss(policy, ds)
    result = fit(policy, ds, CFG, tmp_path)
    assert next(policy.parameters()).device.type == "cuda"
    after = batch_loss(policy, ds)
    assert np.isfinite(after) and after < before - 0.1 * abs(before), (before, after)
    on_gpu = load_policy(result.last, device="cuda").eval()
    on_cpu = load_policy(result.last, device="cpu").eval()
    steps = [raw_obs(2, seed=s) for s in range(4)]
    on_gpu.reset()
    on_cpu.reset()
    a = np.stack([on_gpu.act(o) for o in steps])
    b = np.stack([on_cpu.act(o) for o in steps])
    np.testing.assert_allclose(a, b, atol=2e-3)  # fp32 on both at test time; kernels differ


def test_resume_on_cuda_continues_where_it_stopped(demo_file, tmp_path):
    cfg = dataclasses.replace(CFG, steps=20, log_every=5)
    first, ds = make_policy("bc_transformer", demo_file)
    half = fit(first, ds, cfg, tmp_path, stop_at=10)
    assert half.steps == 10
    second, ds = make_policy("bc_transformer", demo_file)
    result = fit(second, ds, cfg, tmp_path)
    assert result.resumed_from == 10 and result.steps == 20
    assert all(p.device.type == "cuda" for p in second.parameters())
