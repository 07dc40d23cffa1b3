"""The optimizer: fused AdamW where it can be, kept across a loaded state."""

import torch


def test_adamw_is_fused_on_cpu_and_a_loaded_state_keeps_it():
    from torch import nn

    from robolearn.training.optim import load_optimizer_state, make_optimizer

    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    optimizer = make_optimizer(model, 1e-3, 1e-4)
    assert all(group["fused"] for group in optimizer.param_groups)
    # a state saved by an unfused optimizer (an older checkpoint): moments load, kernel stays
    old = torch.optim.AdamW(
        [
            {"params": [model[0].weight, model[1].weight]},
            {"params": [model[0].bias, model[1].bias]},
        ],
        lr=5e-4,
    )
    model(torch.randn(3, 4)).sum().backward()
    old.step()
    load_optimizer_state(optimizer, old.state_dict())
    assert all(group["fused"] for group in optimizer.param_groups)
    assert optimizer.param_groups[0]["lr"] == 5e-4  # the saved hyper-parameters are restored
    torch.testing.assert_close(
        optimizer.state[model[0].weight]["exp_avg"], old.state[model[0].weight]["exp_avg"]
    )
