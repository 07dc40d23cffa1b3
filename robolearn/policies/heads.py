"""Action heads: features (..., F) -> an action distribution's loss and an action (..., A).

``gmm`` (LIBERO/robomimic: K modes, softplus std with a floor, NLL), ``gaussian`` (one
diagonal Gaussian, NLL), ``deterministic`` (MLP regression, L1 or L2) and ``diffusion``
(diffusion policy: a denoiser conditioned on the features, trained to predict the noise added
to the action, sampled by DDIM). ``loss`` takes a validity mask over the leading dims (padded
steps count zero); ``act`` returns the most likely mode's mean, or a sample with
``sample=True`` (diffusion always samples, from its own seeded generator).

Heads are built per step (``chunk=1``): each of the ``(..., T)`` positions is its own sample.
A policy that predicts an action chunk from one observation (``bc_mlp``) builds them with
``chunk=seq_len``; a head whose ``joint`` is true then models the whole chunk at once
(``features``/``target`` ``(..., chunk, F|A)``), so the actions of one chunk come from one
sample instead of from independent per-step choices.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal
from torch.nn import functional as F  # noqa: N812

from robolearn.errors import ConfigError
from robolearn.policies.configs import HeadConfig
from robolearn.registry import Registry

HEADS: Registry[type[ActionHead]] = Registry("action head")
LOG_2PI = math.log(2 * math.pi)


def mlp(sizes: list[int], dropout: float = 0.0, last_act: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or last_act:
            layers.append(nn.GELU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return values.mean()
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp_min(1.0)


def gmm_log_prob(
    means: torch.Tensor, stds: torch.Tensor, logits: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    """log p(target) under a mixture of diagonal Gaussians: ``means``/``stds`` (..., K, A),
    ``logits`` (..., K), ``target`` (..., A). Equals torch.distributions' MixtureSameFamily
    of Independent Normals (tested) at about 60% of its cost (no argument validation, no
    intermediate distribution objects): it is on every training step's path."""
    z = (target.unsqueeze(-2) - means) / stds
    comp = -0.5 * z.pow(2).sum(-1) - stds.log().sum(-1) - 0.5 * means.shape[-1] * LOG_2PI
    return torch.logsumexp(torch.log_softmax(logits, -1) + comp, -1)


class ActionHead(nn.Module):
    joint: bool = False  # True: models a whole chunk (..., chunk, A) jointly

    def __init__(self, cfg: HeadConfig, in_dim: int, action_dim: int, chunk: int = 1) -> None:
        super().__init__()
        self.cfg, self.action_dim, self.chunk = cfg, action_dim, chunk
        self.trunk = mlp([in_dim, *cfg.hidden], last_act=True) if cfg.hidden else nn.Identity()
        self.out_dim = cfg.hidden[-1] if cfg.hidden else in_dim

    def loss(
        self, features: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        raise NotImplementedError

    def act(self, features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def reset_noise(self) -> None:
        """Restart the head's sampling noise (a policy calls it when its rollout restarts)."""


@HEADS.register("deterministic")
class DeterministicHead(ActionHead):
    def __init__(self, cfg: HeadConfig, in_dim: int, action_dim: int, chunk: int = 1) -> None:
        super().__init__(cfg, in_dim, action_dim, chunk)
        if cfg.loss not in ("l1", "l2"):
            raise ConfigError(f"deterministic head loss must be l1 or l2, got {cfg.loss!r}")
        self.proj = nn.Linear(self.out_dim, action_dim)
        weights = torch.ones(action_dim)
        if cfg.dim_weights:
            weights = torch.tensor([float(w) for w in cfg.dim_weights])
            finite = bool(torch.isfinite(weights).all())
            if (
                len(weights) != action_dim
                or not finite
                or bool((weights < 0).any())
                or float(weights.sum()) <= 0
            ):
                raise ConfigError(
                    f"policy.head.dim_weights={list(cfg.dim_weights)}: needs {action_dim} "
                    "finite non-negative weights, one per action dimension, not all zero"
                )
        self.register_buffer("dim_weights", weights / weights.mean(), persistent=False)

    def loss(self, features, target, mask):  # type: ignore[no-untyped-def]
        pred = self.proj(self.trunk(features))
        err = (pred - target).abs() if self.cfg.loss == "l1" else (pred - target).pow(2)
        loss = masked_mean((err * self.dim_weights).mean(-1), mask)
        return loss, {"mse": float(masked_mean((pred - target).detach().pow(2).mean(-1), mask))}

    def act(self, features):  # type: ignore[no-untyped-def]
        return self.proj(self.trunk(features))


@HEADS.register("gaussian")
class GaussianHead(ActionHead):
    def __init__(self, cfg: HeadConfig, in_dim: int, action_dim: int, chunk: int = 1) -> None:
        super().__init__(cfg, in_dim, action_dim, chunk)
        self.proj = nn.Linear(self.out_dim, 2 * action_dim)

    def _dist(self, features: torch.Tensor) -> Independent:
        mean, raw_std = self.proj(self.trunk(features)).chunk(2, dim=-1)
        return Independent(Normal(mean, F.softplus(raw_std) + self.cfg.min_std), 1)

    def loss(self, features, target, mask):  # type: ignore[no-untyped-def]
        dist = self._dist(features)
        nll = -dist.log_prob(target)
        mse = (dist.mean.detach() - target).pow(2).mean(-1)
        return masked_mean(nll, mask), {"mse": float(masked_mean(mse, mask))}

    def act(self, features):  # type: ignore[no-untyped-def]
        dist = self._dist(features)
        return dist.sample() if self.cfg.sample else dist.mean


@HEADS.register("gmm")
class GMMHead(ActionHead):
    def __init__(self, cfg: HeadConfig, in_dim: int, action_dim: int, chunk: int = 1) -> None:
        super().__init__(cfg, in_dim, action_dim, chunk)
        if cfg.modes < 1:
            raise ConfigError(f"gmm head needs modes >= 1, got {cfg.modes}")
        k, a = cfg.modes, action_dim
        self.means = nn.Linear(self.out_dim, k * a)
        self.stds = nn.Linear(self.out_dim, k * a)
        self.logits = nn.Linear(self.out_dim, k)

    def _parts(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.trunk(features)
        shape = (*h.shape[:-1], self.cfg.modes, self.action_dim)
        means = self.means(h).reshape(shape)
        stds = F.softplus(self.stds(h).reshape(shape)) + self.cfg.min_std
        return means, stds, self.logits(h)

    def loss(self, features, target, mask):  # type: ignore[no-untyped-def]
        means, stds, logits = self._parts(features)
        nll = -gmm_log_prob(means, stds, logits, target)
        best = means.gather(-2, logits.argmax(-1)[..., None, None].expand_as(means[..., :1, :]))
        mse = (best.squeeze(-2).detach() - target).pow(2).mean(-1)
        return masked_mean(nll, mask), {"mse": float(masked_mean(mse, mask))}

    def act(self, features):  # type: ignore[no-untyped-def]
        means, stds, logits = self._parts(features)
        if self.cfg.sample:
            dist = MixtureSameFamily(
                Categorical(logits=logits), Independent(Normal(means, stds), 1)
            )
            return dist.sample()
        index = logits.argmax(-1)[..., None, None].expand_as(means[..., :1, :])
        return means.gather(-2, index).squeeze(-2)


def cosine_alpha_bars(steps: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Cumulative signal fractions of the squared-cosine noise schedule (Nichol & Dhariwal;
    diffusers' ``squaredcos_cap_v2``), (steps,) float64, decreasing from ~1 towards 0."""

    def f(t: float) -> float:
        return math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2

    betas = [min(1 - f(i + 1) / f(i), max_beta) for i in range(steps)]
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding (..., dim) of integer diffusion steps ``t`` (...)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    angles = t.float()[..., None] * freqs
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


class FiLMBlock(nn.Module):
    """Residual MLP block whose normalised input is scaled and shifted by the condition."""

    def __init__(self, width: int, cond_dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.film = nn.Linear(cond_dim, 2 * width)
        self.body = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, width))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(cond).chunk(2, dim=-1)
        return x + self.body(self.norm(x) * (1 + scale) + shift)


class Denoiser(nn.Module):
    """eps_theta(x_t, t, cond): FiLM residual MLP; ``width`` wide, ``blocks`` deep."""

    def __init__(self, x_dim: int, cond_dim: int, width: int, blocks: int, t_dim: int = 64):
        super().__init__()
        self.t_dim = t_dim
        self.t_mlp = nn.Sequential(
            nn.Linear(t_dim, 2 * t_dim), nn.GELU(), nn.Linear(2 * t_dim, t_dim)
        )
        self.inp = nn.Linear(x_dim, width)
        self.blocks = nn.ModuleList(FiLMBlock(width, cond_dim + t_dim) for _ in range(blocks))
        self.out = nn.Sequential(nn.LayerNorm(width), nn.GELU(), nn.Linear(width, x_dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        c = torch.cat([cond, self.t_mlp(timestep_embedding(t, self.t_dim))], dim=-1)
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, c)
        return self.out(h)


@HEADS.register("diffusion")
class DiffusionHead(ActionHead):
    """Diffusion policy's head (Chi et al. 2023) on features: DDPM training (predict the
    noise, ``diffusion_steps`` levels, squared-cosine schedule), deterministic DDIM sampling
    in ``inference_steps`` from seeded Gaussian noise. Built with ``chunk > 1`` it denoises
    the whole chunk (chunk x A numbers) from the features' mean over the chunk positions (for
    ``bc_mlp`` that is its trunk's output plus a constant). ``hidden`` sizes the denoiser:
    ``len(hidden)`` FiLM residual blocks of width ``hidden[0]``; the features condition every
    block. In eval mode the loss draws its noise from a fixed seed, so validation losses of
    different checkpoints compare like with like, and also reports ``mse``, the error of a
    full DDIM sample; in training mode it reports only the noise error (``eps_mse``)."""

    clip = 5.0  # predicted clean actions are clamped to +-clip (normalised units)

    def __init__(self, cfg: HeadConfig, in_dim: int, action_dim: int, chunk: int = 1) -> None:
        super().__init__(cfg, in_dim, action_dim, chunk)
        if not cfg.hidden:
            raise ConfigError(
                "diffusion head needs hidden (the denoiser's widths), e.g. [512, 512]"
            )
        if not 1 <= cfg.inference_steps <= cfg.diffusion_steps:
            raise ConfigError(
                f"diffusion head inference_steps={cfg.inference_steps} must lie in "
                f"1..diffusion_steps={cfg.diffusion_steps}"
            )
        self.joint = chunk > 1
        self.trunk = nn.Identity()  # the denoiser reads the features itself
        self.denoiser = Denoiser(chunk * action_dim, in_dim, cfg.hidden[0], len(cfg.hidden))
        self.register_buffer(
            "alpha_bars", cosine_alpha_bars(cfg.diffusion_steps).float(), persistent=False
        )
        self._gen: torch.Generator | None = None

    def _split(self, features: torch.Tensor) -> torch.Tensor:
        """Features (..., chunk, F) -> the condition (..., F); per-step heads: unchanged."""
        if self.chunk == 1:
            return features
        if features.shape[-2] != self.chunk:
            raise ConfigError(
                f"diffusion head built for chunks of {self.chunk} got features of shape "
                f"{tuple(features.shape)} (expected (..., {self.chunk}, F))"
            )
        return features.mean(-2)

    def _shape(self, x: torch.Tensor, lead: torch.Size) -> torch.Tensor:
        return x.reshape(*lead, self.chunk, self.action_dim) if self.chunk > 1 else x

    def _generator(self, device: torch.device) -> torch.Generator:
        if self._gen is None or self._gen.device != device:
            self._gen = torch.Generator(device=device).manual_seed(0)
        return self._gen

    def reset_noise(self) -> None:
        self._gen = None

    def loss(self, features, target, mask):  # type: ignore[no-untyped-def]
        cond = self._split(features)
        lead = cond.shape[:-1]
        x0 = target.reshape(*lead, -1)
        gen = None if self.training else torch.Generator(device=x0.device).manual_seed(0)
        t = torch.randint(0, self.cfg.diffusion_steps, lead, device=x0.device, generator=gen)
        eps = torch.randn(x0.shape, device=x0.device, generator=gen, dtype=x0.dtype)
        ab = self.alpha_bars[t][..., None].to(x0.dtype)
        pred = self.denoiser(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t, cond)
        err = self._shape((pred - eps).pow(2), lead).mean(-1)  # (..., chunk) or (...)
        loss = masked_mean(err, mask)
        metrics = {"eps_mse": float(loss.detach())}
        if not self.training:
            sample = self._sample(cond, torch.Generator(device=x0.device).manual_seed(1))
            mse = (self._shape(sample, lead) - target).pow(2).mean(-1)
            metrics["mse"] = float(masked_mean(mse, mask))
        return loss, metrics

    def _sample(self, cond: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """DDIM (eta 0) from N(0, I) noise drawn from ``gen``: (..., chunk * A)."""
        lead, n = cond.shape[:-1], self.cfg.diffusion_steps
        x = torch.randn(
            (*lead, self.chunk * self.action_dim),
            device=cond.device,
            generator=gen,
            dtype=cond.dtype,
        )
        steps = torch.linspace(n - 1, 0, self.cfg.inference_steps).round().long().tolist()
        for i, step in enumerate(steps):
            ab = self.alpha_bars[step].to(cond.dtype)
            ab_prev = (
                self.alpha_bars[steps[i + 1]].to(cond.dtype)
                if i + 1 < len(steps)
                else torch.ones((), dtype=cond.dtype, device=cond.device)
            )
            t = torch.full(lead, step, device=cond.device, dtype=torch.long)
            eps = self.denoiser(x, t, cond)
            x0 = ((x - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-self.clip, self.clip)
            eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()  # consistent with the clamped x0
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
        return x

    def act(self, features):  # type: ignore[no-untyped-def]
        cond = self._split(features)
        sample = self._sample(cond, self._generator(cond.device))
        return self._shape(sample, cond.shape[:-1])


def make_head(cfg: HeadConfig, in_dim: int, action_dim: int, chunk: int = 1) -> ActionHead:
    """The registered head ``cfg.kind``; ``chunk``: actions predicted per observation."""
    if cfg.dim_weights and cfg.kind != "deterministic":
        raise ConfigError(
            f"policy.head.dim_weights is read by the deterministic head only, not {cfg.kind!r}: "
            "set policy.head.kind=deterministic or policy.head.dim_weights=[]"
        )
    return HEADS.get(cfg.kind)(cfg, in_dim, action_dim, chunk)
