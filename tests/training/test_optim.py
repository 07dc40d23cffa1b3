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


def test_ema_averages_parameters_and_takes_buffers_as_they_are():
    from torch import nn

    from robolearn.training.optim import EMA

    model = nn.Linear(2, 1)
    model.register_buffer("stat", torch.zeros(2))  # e.g. an embedding mean fitted later
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = EMA(model, decay=0.5)
    assert "stat" not in ema.shadow and set(ema.shadow) == {"weight", "bias"}
    with torch.no_grad():
        model.weight.fill_(4.0)
        model.stat.fill_(3.0)  # fitted after the average began
    ema.update(model)
    saved = ema.copy_to(model)
    torch.testing.assert_close(model.weight, torch.full((1, 2), 2.0))  # halfway: decay 0.5
    torch.testing.assert_close(model.stat, torch.full((2,), 3.0))  # not averaged towards 0
    model.load_state_dict(saved)
    torch.testing.assert_close(model.weight, torch.full((1, 2), 4.0))
