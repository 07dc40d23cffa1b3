"""Image encoders: a ResNet-18-style trunk with FiLM language conditioning, spatial softmax.

LIBERO's ResNet-T/RNN image path: per camera a ResNet-18 trunk (truncated after ``layer2``
by default), FiLM after every basic block (``gamma * x + beta`` from the task embedding), then
a spatial-softmax keypoint projection to a small token (64-d). ``width`` scales the channel
counts (64, 128, 256, 512 at ``width=64``); ``blocks`` picks how many of ResNet-18's four
stages to keep. ``pretrained`` may name a local torchvision ResNet-18 state-dict file (the
stem and kept stages are loaded; ``width`` must be 64); nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from robolearn.errors import ConfigError


@dataclass(frozen=True)
class VisionConfig:
    width: int = 64  # channels of the first stage (ResNet-18: 64)
    blocks: int = 2  # ResNet-18 stages kept (1-4); LIBERO keeps 2
    keypoints: int = 32  # spatial-softmax keypoints
    out_dim: int = 64  # token size per camera
    film: bool = True  # FiLM language conditioning after each basic block
    random_shift: int = 4  # train-time random shift in pixels (0: off)
    pretrained: str | None = None  # a local torchvision resnet18 state_dict (width=64)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class SpatialSoftmax(nn.Module):
    """Feature map (B, C, H, W) -> expected image coordinates of ``keypoints`` maps (B, 2K)."""

    def __init__(self, channels: int, keypoints: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(channels, keypoints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        maps = self.proj(x).flatten(2).softmax(-1)  # (B, K, H*W)
        ys = torch.linspace(-1, 1, h, device=x.device, dtype=maps.dtype)
        xs = torch.linspace(-1, 1, w, device=x.device, dtype=maps.dtype)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
        kx = (maps * grid_x.reshape(1, 1, -1)).sum(-1)
        ky = (maps * grid_y.reshape(1, 1, -1)).sum(-1)
        return torch.cat([kx, ky], dim=-1).reshape(b, -1)


def random_shift(images: torch.Tensor, pad: int) -> torch.Tensor:
    """DrQ-style random shift of a (N, C, H, W) float batch by up to ``pad`` pixels.

    Uses torch's global generator, whose state training checkpoints save and restore."""
    if pad <= 0:
        return images
    n, _, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad), mode="replicate")
    dx = torch.randint(0, 2 * pad + 1, (n,))
    dy = torch.randint(0, 2 * pad + 1, (n,))
    rows = (dy[:, None] + torch.arange(h)[None]).to(images.device)  # (N, H)
    cols = (dx[:, None] + torch.arange(w)[None]).to(images.device)  # (N, W)
    idx = torch.arange(n, device=images.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


class FiLMResNet(nn.Module):
    """One camera's encoder: uint8/float image (N, 3, H, W) + condition (N, D) -> (N, out)."""

    def __init__(self, cfg: VisionConfig, cond_dim: int) -> None:
        super().__init__()
        if not 1 <= cfg.blocks <= 4:
            raise ConfigError(f"vision blocks must be 1-4 (ResNet-18 stages), got {cfg.blocks}")
        self.cfg = cfg
        w = cfg.width
        self.stem = nn.Sequential(
            nn.Conv2d(3, w, 7, 2, 3, bias=False),
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        )
        chans = [w * 2**i for i in range(cfg.blocks)]
        layers: list[nn.Module] = []
        cin = w
        for i, cout in enumerate(chans):
            stride = 1 if i == 0 else 2
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.ModuleList(layers)
        self.film = (
            nn.ModuleList(nn.Linear(cond_dim, 2 * blk.bn2.num_features) for blk in layers)
            if cfg.film and cond_dim > 0
            else None
        )
        self.pool = SpatialSoftmax(cin, cfg.keypoints)
        self.out = nn.Linear(2 * cfg.keypoints, cfg.out_dim)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        if cfg.pretrained:
            self.load_torchvision(cfg.pretrained)

    def forward(self, images: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images
        if self.training:
            x = random_shift(x, self.cfg.random_shift)
        x = self.stem((x - self.mean) / self.std)
        for i, block in enumerate(self.layers):
            x = block(x)
            if self.film is not None and cond is not None:
                gamma, beta = self.film[i](cond).chunk(2, dim=-1)
                x = (1 + gamma[..., None, None]) * x + beta[..., None, None]
        return self.out(self.pool(x))

    def load_torchvision(self, path: str) -> None:
        """Copy a local torchvision ResNet-18 state dict into the stem and kept stages."""
        if self.cfg.width != 64:
            raise ConfigError("pretrained ResNet-18 weights need vision width=64")
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"pretrained vision weights {path!r} not found; give a local file")
        if file.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(file))
        else:
            state = torch.load(file, map_location="cpu", weights_only=True)
        mapped = {
            "stem.0.weight": state["conv1.weight"],
            **{f"stem.1.{k}": state[f"bn1.{k}"] for k in ("weight", "bias", "running_mean")},
            "stem.1.running_var": state["bn1.running_var"],
        }
        for i in range(len(self.layers)):
            stage, blk = divmod(i, 2)
            prefix = f"layer{stage + 1}.{blk}."
            for key, value in state.items():
                if key.startswith(prefix):
                    name = key[len(prefix) :].replace("downsample.", "downsample.")
                    mapped[f"layers.{i}.{name}"] = value
        missing = self.load_state_dict(mapped, strict=False)
        if missing.unexpected_keys:
            raise ConfigError(f"unexpected keys in {path}: {missing.unexpected_keys[:5]}")
