"""The fit loop: AdamW + warmup/cosine, grad clipping, optional EMA, AMP on CUDA, checkpoints
with exact resume, a progress bar, and data-time vs update-time accounting.

Exact resume: the batch of step ``s`` is a pure function of ``(seed, s)``
(:class:`~robolearn.training.optim.StepBatches`), the DataLoader draws its worker seeds from
its own generator (never torch's global one), the learning rate is a pure function of the
step, and checkpoints carry the optimizer moments, EMA weights and torch RNG state. So on the
CPU, ``N`` steps equal ``N/2`` steps + resume + ``N/2`` steps bit for bit (tested).
Evaluation callbacks run under ``torch.random.fork_rng`` so they never shift training's
random stream.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from robolearn.data.batching import collate
from robolearn.errors import ConfigError
from robolearn.training.checkpoint import TrainState, load_train_state, save_checkpoint
from robolearn.training.config import FitConfig
from robolearn.training.optim import EMA, StepBatches, lr_at, make_optimizer

log = logging.getLogger(__name__)
EvalFn = Callable[[Any, int], Mapping[str, float]]  # (policy, step) -> metrics incl. "success"
SELECT = ("eval_success", "valid_loss", "none")


@dataclass
class FitResult:
    steps: int
    run_dir: str
    last: str
    best: str | None
    best_score: float | None
    best_step: int | None
    final_metrics: dict[str, float] = field(default_factory=dict)
    evals: list[dict[str, float]] = field(default_factory=list)
    data_seconds: float = 0.0
    update_seconds: float = 0.0
    resumed_from: int = 0


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"train.device={name!r} but CUDA is not available; use auto or cpu")
    return torch.device(name)


def to_device(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    def move(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return x.to(device, non_blocking=True)
        if isinstance(x, Mapping):
            return {k: move(v) for k, v in x.items()}
        return x

    return {k: move(v) for k, v in batch.items()}


@torch.no_grad()
def validation_loss(policy: Any, dataset: Any, batch_size: int, max_batches: int = 20) -> float:
    """Mean loss over the first ``max_batches`` batches of ``dataset`` (fixed order)."""
    was = policy.training
    policy.eval()
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=False, collate_fn=collate
    )
    total, count = 0.0, 0
    with torch.random.fork_rng(devices=[]):
        for i, batch in enumerate(loader):
            if i >= max_batches:
                break
            loss, _ = policy.compute_loss(to_device(batch, policy.device))
            total, count = total + float(loss), count + 1
    policy.train(was)
    return total / max(count, 1)


class _Trainer:
    def __init__(self, policy, dataset, cfg: FitConfig, run_dir, logger, evaluate, valid, config):  # type: ignore[no-untyped-def]
        if cfg.select_by not in SELECT:
            raise ConfigError(f"train.select_by must be one of {SELECT}, got {cfg.select_by!r}")
        if cfg.select_by == "valid_loss" and valid is None:
            raise ConfigError(
                "train.select_by=valid_loss needs held-out demos, but there are none "
                "(data.valid_split is null, or the demo files lack its mask: see the log); set "
                "data.valid_split=valid, or "
                "train.select_by=none (the last step) or eval_success"
            )
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        self.cfg, self.dataset, self.valid = cfg, dataset, valid
        self.logger, self.evaluate, self.config = logger, evaluate, config or {}
        self.run_dir = Path(run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.device = resolve_device(cfg.device)
        self.policy = policy.to(self.device)
        self.optimizer = make_optimizer(policy, cfg.lr, cfg.weight_decay)
        self.ema = EMA(policy, cfg.ema) if cfg.ema > 0 else None
        self.state = TrainState()
        self.result = FitResult(0, str(self.run_dir), str(self.ckpt_dir / "last"), None, None, None)

    def maybe_resume(self) -> None:
        last = self.ckpt_dir / "last"
        if self.cfg.resume and last.exists():
            self.state = load_train_state(
                last, self.policy, self.optimizer, self.ema, self.config.get("task_ids"),
                self.config.get("demo_files"),
            )  # fmt: skip
            self.result.resumed_from = self.state.step
            log.info("resumed from %s at step %d", last, self.state.step)

    def save(self, name: str) -> Path:
        return save_checkpoint(
            self.ckpt_dir / name, self.policy, self.optimizer, self.state, self.ema, self.config
        )

    def _with_ema(self, fn: Callable[[], Any]) -> Any:
        if self.ema is None:
            return fn()
        saved = self.ema.copy_to(self.policy)
        try:
            return fn()
        finally:
            self.policy.load_state_dict(saved)

    def checkpoint_eval(self, step: int) -> dict[str, float]:
        metrics: dict[str, float] = {}
        with torch.random.fork_rng(devices=[]):
            if self.valid is not None:
                metrics["valid_loss"] = self._with_ema(
                    lambda: validation_loss(self.policy, self.valid, self.cfg.batch_size)
                )
            if self.evaluate is not None:
                was = self.policy.training
                out = self._with_ema(lambda: dict(self.evaluate(self.policy, step)))
                self.policy.train(was)
                metrics.update({f"eval/{k}": float(v) for k, v in out.items()})
        score = None
        if self.cfg.select_by == "eval_success" and "eval/success" in metrics:
            score = metrics["eval/success"]
        elif self.cfg.select_by == "valid_loss" and "valid_loss" in metrics:
            score = -metrics["valid_loss"]
        if score is not None and (self.state.best_score is None or score > self.state.best_score):
            self.state.best_score, self.state.best_step = score, step
            self.result.best = str(self._with_ema(lambda: self.save("best")))
        if self.logger is not None and metrics:
            self.logger.log(metrics, step)
        self.result.evals.append({"step": step, **metrics})
        return metrics

    def run(self, stop_at: int | None = None) -> FitResult:
        cfg = self.cfg
        end = cfg.steps if stop_at is None else min(stop_at, cfg.steps)
        self.maybe_resume()
        start = self.state.step
        sampler = StepBatches(len(self.dataset), cfg.batch_size, cfg.seed, start)
        loader = torch.utils.data.DataLoader(
            self.dataset,
            batch_sampler=sampler,
            num_workers=cfg.num_workers,
            generator=torch.Generator().manual_seed(cfg.seed),
            pin_memory=self.device.type == "cuda",
            collate_fn=collate,
        )
        amp = cfg.amp and self.device.type == "cuda"
        bar = None
        if cfg.progress and start < cfg.steps:
            from tqdm import tqdm

            bar = tqdm(
                total=cfg.steps, initial=start, desc="train", dynamic_ncols=True, mininterval=2.0
            )
        self.policy.train()
        batches = iter(loader)
        window: dict[str, float] = {}
        t_data = t_update = 0.0
        for step in range(start, end):
            t0 = time.perf_counter()
            batch = to_device(next(batches), self.device)
            t1 = time.perf_counter()
            lr = lr_at(step, cfg.lr, cfg.steps, cfg.warmup_steps, cfg.min_lr_ratio)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                loss, metrics = self.policy.compute_loss(batch)
            loss_value = float(loss.detach())
            if not math.isfinite(loss_value):
                raise FloatingPointError(f"loss is {loss_value} at step {step}; lower train.lr")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), cfg.grad_clip)
                metrics["grad_norm"] = float(norm)
            self.optimizer.step()
            if self.ema is not None:
                self.ema.update(self.policy)
            t2 = time.perf_counter()
            t_data, t_update = t_data + (t1 - t0), t_update + (t2 - t1)
            self.state.step = step + 1
            for k, v in metrics.items():
                window[k] = window.get(k, 0.0) + float(v)
            window["_n"] = window.get("_n", 0.0) + 1
            if bar is not None:
                bar.update(1)
                if step % 50 == 0:
                    bar.set_postfix(loss=f"{loss_value:.3f}", refresh=False)
            done = self.state.step
            if done % cfg.log_every == 0 or done == cfg.steps:
                n = window.pop("_n")
                summary = {f"train/{k}": v / n for k, v in window.items()}
                summary |= {"train/lr": lr, "time/data_s": t_data, "time/update_s": t_update}
                if self.logger is not None:
                    self.logger.log(summary, done)
                self.result.final_metrics = summary
                window = {}
            if cfg.eval_every and done % cfg.eval_every == 0 and done < cfg.steps:
                self.checkpoint_eval(done)
            if done % cfg.ckpt_every == 0 and done < cfg.steps:
                self.save("last")
        if bar is not None:
            bar.close()
        self.result.data_seconds, self.result.update_seconds = t_data, t_update
        if end < cfg.steps:  # stopped early on request: keep the state for a resume
            self.save("last")
        elif start < cfg.steps or not (self.ckpt_dir / "last").exists():
            if cfg.select_by != "none" or self.evaluate is not None or self.valid is not None:
                self.checkpoint_eval(self.state.step)
            self.save("last")
        if self.ema is not None:  # hand back the weights to deploy
            self.ema.copy_to(self.policy)
        self.result.steps = self.state.step
        self.result.best_score, self.result.best_step = self.state.best_score, self.state.best_step
        if self.result.best is None and (self.ckpt_dir / "best").exists():
            self.result.best = str(self.ckpt_dir / "best")
        return self.result


def fit(
    policy: Any,
    dataset: Any,
    cfg: FitConfig,
    run_dir: str | Path,
    logger: Any = None,
    evaluate: EvalFn | None = None,
    valid: Any = None,
    config: dict[str, Any] | None = None,
    stop_at: int | None = None,
) -> FitResult:
    """Train ``policy`` on ``dataset`` for ``cfg.steps`` steps; checkpoints under
    ``<run_dir>/checkpoints/{last,best}``. ``evaluate(policy, step)`` (rollouts) and
    ``valid`` (a validation DemoDataset) feed model selection (``cfg.select_by``).
    ``stop_at`` ends this call after that many steps in all (a time-boxed job; call again
    with ``cfg.resume`` to continue). Afterwards ``policy`` holds the weights to deploy (the
    EMA's when ``cfg.ema > 0``)."""
    trainer = _Trainer(
        policy, dataset, cfg, run_dir, logger, evaluate, valid, config or {"train": asdict(cfg)}
    )
    return trainer.run(stop_at)
