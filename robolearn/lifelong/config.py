"""Config dataclasses of ``robolearn lifelong`` (pure: no torch).

:class:`robolearn.config.schema.LifelongConfig` (the schema of ``configs/lifelong.yaml``) nests
these; the learner configs are the schemas of the ``configs/lifelong/<name>.yaml`` group entries
(``LEARNER_CONFIGS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LearnerConfig:
    name: str = "seql"


@dataclass
class SeqLConfig(LearnerConfig):
    """Sequential fine-tuning: a fresh optimizer for every task, nothing else."""

    name: str = "seql"


@dataclass
class ERConfig(LearnerConfig):
    """Experience replay: the first ``memory_per_task`` training windows of every past task
    are kept in RAM; every step a replay batch is drawn from them and concatenated."""

    name: str = "er"
    memory_per_task: int = 1000
    replay_batch_size: int | None = None  # null: train.batch_size


@dataclass
class EWCConfig(LearnerConfig):
    """Online EWC: penalty ``lam / 2 * sum F (theta - theta*)^2``; after each task
    ``F <- gamma F + F_task`` (diagonal, squared grads of the batch-mean loss)."""

    name: str = "ewc"
    lam: float = 5.0e4
    gamma: float = 0.9
    fisher_batches: int = 20  # batches of train.batch_size for F_task (capped by the data)


@dataclass
class PackNetConfig(LearnerConfig):
    """PackNet: after each task prune ``prune`` of its free weights by magnitude (per
    tensor), fine-tune the kept ones ``finetune_epochs``, freeze them; test with the task id.
    ``allocation="equal"`` replaces the fixed ratio: the task at position ``k`` of ``K`` keeps
    ``1 / (K - k)`` of the free weights, so every task ends up owning ``1 / K`` of each tensor
    (with ``prune`` 0.75 the task at position ``k`` owns ``0.25 * 0.75^k``)."""

    name: str = "packnet"
    prune: float = 0.75
    allocation: str = "prune"  # prune (keep 1 - prune of the free weights) | equal
    finetune_epochs: int = 50  # LIBERO's post-prune epochs


@dataclass
class MultitaskConfig(LearnerConfig):
    """All tasks' data in one stage (the upper bound); ``epochs`` default: train.epochs."""

    name: str = "multitask"
    epochs: int | None = None


@dataclass
class SingleTaskConfig(LearnerConfig):
    """A fresh policy per task (no transfer, no forgetting)."""

    name: str = "single_task"


LEARNER_CONFIGS: dict[str, type[LearnerConfig]] = {
    "seql": SeqLConfig,
    "er": ERConfig,
    "ewc": EWCConfig,
    "packnet": PackNetConfig,
    "multitask": MultitaskConfig,
    "single_task": SingleTaskConfig,
}


@dataclass
class OrderingConfig:
    seed: int | None = 0  # null: the suite's own order
    tasks: list[str] = field(default_factory=list)  # an explicit order (a suite permutation)
    limit: int | None = None  # keep the first n tasks of the ordering


@dataclass
class LifelongTrainConfig:
    """Per-task training; a fresh AdamW + warmup/cosine schedule for every task."""

    epochs: int = 10  # epochs per task
    batch_size: int = 64
    lr: float = 1.0e-3
    weight_decay: float = 1.0e-4
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    device: str = "cpu"  # cpu | auto | cuda
    threads: int = 1  # torch intra-op threads on CPU (0: torch's default)
    valid_batches: int = 20  # batches of the valid split for the validation loss
    progress: bool = False


@dataclass
class ProtocolConfig:
    eval_every: int = 5  # evaluate the task being learned every this many epochs (and epoch 0)
    # which checkpoint of each task is kept: valid_mse (lowest action error on the held-out
    # valid demo split, computed every epoch) | valid_loss (lowest held-out loss) | last |
    # success (LIBERO: best in-training rollout success, i.e. selection on the test episodes)
    select_by: str = "valid_mse"
    # with select_by=success: the selection rollouts' own fixed initial states <offset>, ...
    # (e.g. 20: held out from eval's 0..); null: the curve's rollouts on eval's states choose
    select_offset: int | None = None
    select_episodes: int | None = None  # episodes per task of a selection rollout (null: eval's)
    eval_all: bool = False  # after each task evaluate every task (also future ones), not only seen
    reuse_evals: bool = True  # reuse an evaluation when the exact same weights were evaluated
    env_pool: bool = True  # keep envs between evaluations (in-process evaluation only)

    def selection_eval_config(self, eval_cfg: Any, n_states: int) -> Any:
        """The EvalConfig of the held-out selection rollouts (``select_offset``; ``n_states``
        fixed initial states per task), checked before any demo is read; None when the
        curve's own rollouts select."""
        from robolearn.errors import ConfigError
        from robolearn.evaluation.config import held_out_config

        if self.select_offset is None and self.select_episodes is None:
            return None
        if self.select_by != "success":
            raise ConfigError(
                f"protocol.select_offset / select_episodes set the states of the success "
                f"selection, but protocol.select_by={self.select_by!r}; set "
                "protocol.select_by=success or unset them"
            )
        if self.select_offset is None:
            raise ConfigError(
                "protocol.select_episodes needs protocol.select_offset (the curve's rollouts "
                "on eval's states keep eval.episodes_per_task); e.g. protocol.select_offset="
                f"{eval_cfg.init_offset + eval_cfg.episodes_per_task}"
            )
        return held_out_config(
            eval_cfg, self.select_offset, self.select_episodes, n_states, "protocol"
        )
