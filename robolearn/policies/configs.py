"""Policy config dataclasses (pure: no torch), one per registered policy.

They are Hydra structured configs (``configs/policy/<name>.yaml`` is checked against the
one named there) and travel inside checkpoints as JSON. ``name`` is the registered policy
name; ``obs_keys`` are the observation keys the policy reads (image keys are the ones the
demo file stores as images).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LOW_DIM_KEYS = (
    "eef_pos",
    "eef_quat",
    "gripper_qpos",
    "object_state",
    "object_rel_pos",
    "fixture_rel_pos",
)


@dataclass
class HeadConfig:
    kind: str = "gmm"  # gmm | gaussian | deterministic | diffusion
    # head MLP widths; diffusion: its denoiser, len(hidden) residual blocks of width hidden[0]
    hidden: list[int] = field(default_factory=lambda: [256, 256])
    modes: int = 5  # gmm components
    min_std: float = 1e-4
    sample: bool = False  # act by sampling (LIBERO) instead of the most likely mode's mean
    loss: str = "l2"  # deterministic head: l1 | l2
    # deterministic head: per action dimension weights of the loss (a weighted mean over the
    # dimensions), e.g. [1, 1, 1, 1, 1, 1, 4] to weigh the gripper 4x; [] weighs them equally
    dim_weights: list[float] = field(default_factory=list)
    diffusion_steps: int = 100  # diffusion head: noise levels in training (DDPM)
    inference_steps: int = 10  # diffusion head: DDIM denoising steps per sampled action (chunk)


@dataclass
class TextConfig:
    model: str = "ViT-B-32"  # open_clip architecture of the frozen text tower
    pretrained: str | None = None  # null (seeded random init, offline) | openai | a local file
    seed: int = 0


@dataclass
class VisionSchema:
    width: int = 64
    blocks: int = 2
    keypoints: int = 32
    out_dim: int = 64
    film: bool = True
    random_shift: int = 4
    pretrained: str | None = None


@dataclass
class PolicyConfig:
    name: str = "bc_mlp"
    obs_keys: list[str] = field(default_factory=lambda: list(LOW_DIM_KEYS))
    language: bool = True  # condition on the instruction (CLIP text embedding)
    text: TextConfig = field(default_factory=TextConfig)
    lang_dim: int = 64  # projection of the text embedding
    # standardise text embeddings per dimension over the training instructions before the
    # projection (random-init CLIP gives different tasks cosines of 0.6-0.97)
    lang_standardize: bool = False
    # ... or whiten them (with lang_standardize): the training instructions' embeddings get
    # identity covariance in their span, so every pair is equally far apart (a task code),
    # and what lies outside the span is projected out
    lang_whiten: bool = False
    seq_len: int = 1  # action steps per training window
    frame_stack: int = 1  # observation history per step
    head: HeadConfig = field(default_factory=HeadConfig)
    binary_gripper: bool = True  # act with the sign of the gripper channel (demos use +-1)


@dataclass
class BCMLPConfig(PolicyConfig):
    """Low-dim MLP; predicts ``seq_len`` future actions (an action chunk) from the current
    (and ``frame_stack - 1`` past) observations and executes the first."""

    name: str = "bc_mlp"
    hidden: list[int] = field(default_factory=lambda: [512, 512, 512])
    dropout: float = 0.0
    obs_noise: float = 0.0  # train-time Gaussian noise on the normalised inputs (std)
    temporal_ensemble: float | None = None  # ACT's m: average the chunks' overlapping actions
    execute: int = 1  # actions of each chunk executed open loop before predicting anew
    fourier: int = 0  # octaves of sin/cos features of the normalised inputs (0: off)
    # scales (m) of near-field features: tanh(d / s) of every object's and fixture point's
    # offset from the end effector and of every object's offset from each other object and
    # fixture point (from object_rel_pos, fixture_rel_pos); [] off
    near_field: list[float] = field(default_factory=list)


@dataclass
class BCRNNConfig(PolicyConfig):
    """Images (FiLM ResNet) + proprio + language -> LSTM -> head, per step."""

    name: str = "bc_rnn"
    obs_keys: list[str] = field(
        default_factory=lambda: ["agentview_rgb", "wrist_rgb", "eef_pos", "gripper_qpos"]
    )
    seq_len: int = 10
    vision: VisionSchema = field(default_factory=VisionSchema)
    rnn_hidden: int = 512
    rnn_layers: int = 2
    rnn_horizon: int = 10  # at rollout the hidden state restarts every this many steps


@dataclass
class BCTransformerConfig(PolicyConfig):
    """LIBERO's ResNet-T: per-step tokens [language, proprio, cameras], causal temporal
    transformer over ``seq_len`` steps, head on the language token's output."""

    name: str = "bc_transformer"
    obs_keys: list[str] = field(
        default_factory=lambda: ["agentview_rgb", "wrist_rgb", "eef_pos", "gripper_qpos"]
    )
    seq_len: int = 10
    vision: VisionSchema = field(default_factory=VisionSchema)
    token_dim: int = 64
    layers: int = 4
    heads: int = 6
    head_dim: int = 64
    mlp_dim: int = 256
    dropout: float = 0.1


CONFIGS: dict[str, type[PolicyConfig]] = {
    "bc_mlp": BCMLPConfig,
    "bc_rnn": BCRNNConfig,
    "bc_transformer": BCTransformerConfig,
}


def config_from_dict(data: dict[str, Any]) -> PolicyConfig:
    """Rebuild a policy config from its JSON form (nested dataclasses included)."""
    from robolearn.errors import ConfigError

    name = data.get("name")
    if name not in CONFIGS:
        raise ConfigError(f"unknown policy {name!r} in config; known: {sorted(CONFIGS)}")
    cls = CONFIGS[name]
    nested = {"head": HeadConfig, "text": TextConfig, "vision": VisionSchema}
    kwargs: dict[str, Any] = {}
    fields = cls.__dataclass_fields__
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"policy {name!r} has no config key {key!r}")
        kwargs[key] = nested[key](**value) if key in nested and isinstance(value, dict) else value
    return cls(**kwargs)
