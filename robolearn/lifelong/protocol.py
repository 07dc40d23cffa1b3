"""LIBERO's lifelong protocol: learn the tasks of an ordering one after another.

For each stage (one task; every task for ``multitask``):

1. ``learner.begin_task``; a fresh AdamW + warmup/cosine schedule; the batch of step ``s`` is
   a pure function of ``(seed, stage, phase, s)``.
2. Rollouts on the task being learned at epoch 0 and every ``protocol.eval_every`` epochs:
   the curve ``c[k, k, e]`` behind FWT. The validation loss on the held-out demo split is
   computed after every epoch.
3. The kept checkpoint is chosen by ``protocol.select_by``: ``valid_loss`` (lowest held-out
   loss; the default: the test rollouts never choose a checkpoint), ``last``, or ``success``
   (LIBERO's choice, best in-training rollout success, i.e. selection on the test episodes;
   with ``protocol.select_offset`` the success of separate rollouts from held-out fixed
   initial states chooses instead, and the test rollouts only draw the curve).
   Ties go to the earliest epoch. PackNet then prunes and fine-tunes (selected the same way
   when ``valid_loss``, else its last epoch).
4. ``learner.end_task``; rollouts on every seen task (every task with ``eval_all``): a row of R.

The whole state is saved after every epoch and every stage (:mod:`robolearn.lifelong.state`),
so a rerun of a crashed run skips finished stages and resumes the current one at its last
epoch. ``results.json``/``results.npz`` are rewritten after every stage.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from robolearn.errors import CheckpointError, ConfigError
from robolearn.lifelong.data import AttrDict, RunData
from robolearn.lifelong.evaluator import TaskEvaluator
from robolearn.lifelong.learners.base import LearnerContext
from robolearn.lifelong.metrics import ResultMatrix, best_epoch
from robolearn.lifelong.ordering import make_ordering
from robolearn.lifelong.state import Progress, load_state, save_state
from robolearn.lifelong.trainer import PhaseTrainer, validation_metrics
from robolearn.seeding import derive_seed
from robolearn.training.checkpoint import check_same_demos
from robolearn.training.optim import load_optimizer_state

log = logging.getLogger(__name__)
SELECT = ("valid_mse", "valid_loss", "last", "success")
VALID = {"valid_mse": "mse", "valid_loss": "loss"}  # criterion -> validation metric


class LifelongRun:
    """One run: a learner on an ordering. ``run()`` returns the :class:`ResultMatrix`."""

    def __init__(
        self, cfg: dict[str, Any], run_dir: str | Path, evaluate_fn: Any = None, logger: Any = None
    ) -> None:
        from robolearn.encoders.text import TextEncoder, TextEncoderConfig
        from robolearn.envs.init_states import N_INIT_STATES
        from robolearn.evaluation.config import EvalConfig
        from robolearn.lifelong.config import LifelongTrainConfig, ProtocolConfig
        from robolearn.lifelong.registry import build_learner
        from robolearn.policies import config_from_dict
        from robolearn.tasks.suites import get_suite
        from robolearn.training.fit import resolve_device
        from robolearn.training.pipeline import instructions

        self.cfg, self.run_dir = cfg, Path(run_dir)
        self.train_cfg = LifelongTrainConfig(**cfg["train"])
        self.protocol = ProtocolConfig(**cfg["protocol"])
        if self.protocol.select_by not in SELECT:
            raise ConfigError(
                f"protocol.select_by must be one of {SELECT}, got {self.protocol.select_by!r}"
            )
        if self.protocol.select_by == "success" and self.protocol.eval_every <= 0:
            raise ConfigError("protocol.select_by=success needs protocol.eval_every > 0")
        select_cfg = self.protocol.selection_eval_config(EvalConfig(**cfg["eval"]), N_INIT_STATES)
        if self.train_cfg.epochs < 1 or self.train_cfg.batch_size < 1:
            raise ConfigError("train.epochs and train.batch_size must be >= 1")
        order = cfg["ordering"]
        self.tasks = make_ordering(
            get_suite(cfg["suite"]).task_ids, order["seed"], order["tasks"], order["limit"]
        )
        self.seed = int(cfg["seed"])
        if self.train_cfg.threads > 0:
            torch.set_num_threads(self.train_cfg.threads)
        self.device = resolve_device(self.train_cfg.device)
        self.policy_cfg = config_from_dict(cfg["policy"])
        self.data = RunData(self.tasks, AttrDict(cfg["data"]), self.policy_cfg)
        self.text = None
        if self.policy_cfg.language:
            self.text = TextEncoder(TextEncoderConfig(**asdict(self.policy_cfg.text)))
            self.text.prime(instructions(self.tasks))
            self.text.release()
        ctx = LearnerContext(
            self.tasks, self._new_policy, self.train_cfg.batch_size, self.seed, self.device
        )
        self.learner = build_learner(dict(cfg["lifelong"]), ctx)
        k = len(self.tasks)
        stages = [list(range(k))] if self.learner.multitask else [[j] for j in range(k)]
        self.results = ResultMatrix.empty(self.tasks, stages)
        self.results.info = {"stages": [{} for _ in stages]}
        self.evaluator = TaskEvaluator(
            self.tasks,
            EvalConfig(**cfg["eval"]),
            self.protocol.reuse_evals,
            self.protocol.env_pool,
            evaluate_fn,
        )
        self.selector = self.evaluator.sibling(select_cfg) if select_cfg is not None else None
        self.logger = logger
        self.progress = Progress()
        self.best: dict[str, torch.Tensor] | None = None
        self._pending: Any = None  # a loaded state not yet applied
        self._optimizer: Any = None
        self._t0 = self._stage_t0 = time.perf_counter()
        self._seconds0 = 0.0

    # -- policies -------------------------------------------------------------------------
    def _new_policy(self, key: int) -> Any:
        from robolearn.policies import build_policy

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, "policy", key))
            policy = build_policy(self.policy_cfg, self.data.spec, self.data.normalizer, self.text)
        return policy.to(self.device)

    # -- persistence ----------------------------------------------------------------------
    def _identity(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "learner": self.learner.name, "stages": self.results.stages}

    def _elapsed(self) -> float:
        return self._seconds0 + time.perf_counter() - self._t0

    def _extra(self) -> dict[str, Any]:
        return {
            "suite": self.cfg["suite"],
            "learner": self.learner.name,
            "ordering_seed": self.cfg["ordering"]["seed"],
            "seed": self.seed,
            "select_by": self.protocol.select_by,
            "demo_files": self.data.demo_files,
            "seconds": self._elapsed(),
            "evaluations": self.evaluator.counts(),
            "selection": None if self.selector is None else self.selector.counts(),
            "config": self.cfg,
        }

    def save(self, optimizer: Any = None) -> None:
        self.progress.seconds = self._elapsed()
        if self.progress.in_task:
            self.progress.stage_seconds = time.perf_counter() - self._stage_t0
        extra = {
            "identity": self._identity(),
            "demo_files": self.data.demo_files,
            "results": self.results.to_dict(),
            "eval_cache": self.evaluator.cache,
            "eval_counts": self.evaluator.counts_list(),
        }
        if self.selector is not None:
            extra |= {
                "select_cache": self.selector.cache,
                "select_counts": self.selector.counts_list(),
            }
        save_state(
            self.run_dir,
            self.progress,
            self.learner.policy,
            self.best,
            optimizer,
            self.learner.state(),
            extra,
        )

    def write_results(self) -> None:
        self.results.save(self.run_dir, self._extra())

    def _resume(self) -> None:
        loaded = load_state(self.run_dir) if self.cfg.get("resume", True) else None
        if loaded is None:
            return
        if loaded.meta.get("identity") != self._identity():
            raise CheckpointError(
                f"{self.run_dir}/state belongs to another run ({loaded.meta.get('identity')}); "
                "use another run folder (hydra.run.dir) or resume=false"
            )
        check_same_demos(self.run_dir, loaded.meta.get("demo_files"), self.data.demo_files)
        self.learner.load_state(loaded.group("learner"), loaded.meta["learner"], self.data)
        self.results = ResultMatrix.from_dict(loaded.meta["results"])
        self.evaluator.restore(loaded.meta.get("eval_cache"), loaded.meta.get("eval_counts"))
        if self.selector is not None:
            self.selector.restore(loaded.meta.get("select_cache"), loaded.meta.get("select_counts"))
        self.progress = loaded.progress
        self._seconds0 = self.progress.seconds
        best = loaded.group("best")
        self.best = best if loaded.meta.get("has_best") else None
        self._pending = loaded
        torch.set_rng_state(loaded.tensors["rng.torch"])
        if not self.progress.in_task:
            self._load_weights()
        log.info(
            "resumed %s at stage %d (%s, epoch %d)",
            self.run_dir,
            self.progress.stage,
            self.progress.phase,
            self.progress.epoch,
        )

    def _load_weights(self) -> None:
        self.learner.policy.load_state_dict(self._pending.group("policy"))

    # -- the protocol ---------------------------------------------------------------------
    def run(self, max_epochs: int | None = None) -> ResultMatrix:
        """Run (or resume) every stage; with ``max_epochs`` stop after that many epochs of
        training in this call (a time-boxed job), keeping the state for the next call."""
        self._resume()
        self.write_results()
        budget = [math.inf if max_epochs is None else max_epochs]
        try:
            for s in range(self.progress.stage, len(self.results.stages)):
                if not self._stage(s, budget):
                    break  # the epoch budget of this call is spent; the state is saved
        finally:
            self.evaluator.close()  # the selector borrows its pool
        self.write_results()
        return self.results

    def _stage(self, s: int, budget: list[float]) -> bool:
        positions = self.results.stages[s]
        names = [self.tasks[j] for j in positions]
        t0 = self._stage_t0 = time.perf_counter() - self.progress.stage_seconds
        train = self.data.train(names)
        valid = self.data.valid(names) if self.protocol.select_by in VALID else None
        resuming = self.progress.in_task and self._pending is not None
        self.learner.begin_task(s, train)
        if resuming:
            self._load_weights()
        self.progress.in_task = True
        phases = [("train", self._epochs())]
        if self.learner.finetune_epochs > 0:
            phases.append(("finetune", self.learner.finetune_epochs))
        start = [p for p, _ in phases].index(self.progress.phase) if resuming else 0
        info = self.results.info["stages"][s]
        for phase, epochs in phases[start:]:
            if phase != self.progress.phase:  # a new phase starts now
                self.progress.phase, self.progress.epoch = phase, -1
                self.progress.candidates, self.best = [], None
            if not self._phase(s, phase, epochs, train, valid, budget):
                self.save(self._optimizer)
                return False
            info[f"{phase}_selected_epoch"] = self.progress.best_epoch
            info[f"{phase}_valid"] = self.progress.valid
            if phase == "train":
                self.learner.before_finetune(s)  # PackNet prunes here
        self.learner.end_task(s, train)
        seen = sorted({j for st in self.results.stages[: s + 1] for j in st})
        targets = list(range(len(self.tasks))) if self.protocol.eval_all else seen
        t_eval = time.perf_counter()
        for j, success in self.evaluator(self.learner, targets).items():
            self.results.R[s, j] = success
        info["post_eval_seconds"] = time.perf_counter() - t_eval
        info["seconds"] = time.perf_counter() - t0
        info["steps"] = self.progress.global_step
        self._log(
            {f"R/{self.tasks[j]}": float(self.results.R[s, j]) for j in targets}
            | {"stage": s, "seen_success": float(self.results.R[s, seen].mean())}
        )
        log.info(
            "stage %d/%d done in %.0f s: mean success on seen tasks %.3f",
            s + 1,
            len(self.results.stages),
            info["seconds"],
            self.results.R[s, seen].mean(),
        )
        self.progress = Progress(
            stage=s + 1, global_step=self.progress.global_step, seconds=self._elapsed()
        )
        self.best, self._pending = None, None
        self.save()
        self.write_results()
        return True

    def _epochs(self) -> int:
        epochs = getattr(self.learner.cfg, "epochs", None)
        return int(epochs) if epochs else self.train_cfg.epochs

    def _curve_eval(self, s: int, epoch: int) -> float | None:
        p = self.protocol
        if p.eval_every <= 0 or epoch % p.eval_every != 0:
            return None
        if self.learner.multitask and p.select_by != "success":
            return None  # LIBERO: no in-training rollouts for multitask
        positions = self.results.stages[s]
        out = self.evaluator(self.learner, positions)
        success = float(sum(out.values()) / len(out))
        self.results.curves[s].append((float(epoch), success))
        return success

    def _select_eval(self, s: int, epoch: int, curve: float | None) -> float:
        """The success that chooses the kept epoch: the curve's (test states) or, with
        ``protocol.select_offset``, that of rollouts from the held-out states (recorded in
        the stage's ``select_curve``); NaN between evaluations."""
        if curve is None:
            return math.nan
        if self.selector is None:
            return curve
        out = self.selector(self.learner, self.results.stages[s])
        success = float(sum(out.values()) / len(out))
        self.results.info["stages"][s].setdefault("select_curve", []).append([epoch, success])
        return success

    def _end_of_epoch(self, s: int, phase: str, epoch: int, valid: Any, metrics: dict) -> None:
        pr = self.progress
        row: dict[str, float] = dict(metrics)
        if valid is not None:
            vm = validation_metrics(self.learner.policy, valid, self.train_cfg, self.device)
            pr.valid.append([float(epoch), vm["loss"], vm.get("mse", math.nan)])
            row |= {f"valid/{k}": v for k, v in vm.items()}
        success = self._curve_eval(s, epoch) if phase == "train" else None
        if success is not None:
            row["eval/success"] = success
        mode = self.protocol.select_by if phase == "train" or valid is not None else "last"
        if mode in VALID:
            score = row.get(f"valid/{VALID[mode]}", math.nan)
        elif mode == "success":
            score = self._select_eval(s, epoch, success)
            if self.selector is not None and not math.isnan(score):
                row["select/success"] = score
        else:
            score = float(epoch)
        pr.candidates.append([float(epoch), score])
        chosen = best_epoch(pr.candidates, higher_is_better=mode not in VALID)
        if chosen == epoch and chosen != pr.best_epoch:
            pr.best_epoch = epoch
            self.best = {k: v.detach().clone() for k, v in self.learner.policy.state_dict().items()}
        pr.epoch = epoch
        self._log(
            {
                "stage": s,
                "epoch": epoch,
                **{f"{phase}/{k}" if "/" not in k else k: v for k, v in row.items()},
            }
        )

    def _phase(
        self, s: int, phase: str, epochs: int, train: Any, valid: Any, budget: list[float]
    ) -> bool:
        pr = self.progress
        pr.phase = phase
        self.learner.begin_phase(s, phase)
        trainer = PhaseTrainer(
            self.learner,
            train,
            self.train_cfg,
            epochs,
            derive_seed(self.seed, "batches", s, phase),
            self.device,
        )
        self._optimizer = trainer.optimizer
        if self._pending is not None and pr.epoch >= 0:
            state = self._pending.optimizer_state()
            if state is not None:
                load_optimizer_state(trainer.optimizer, state)
        self._pending = None
        if pr.epoch < 0:  # epoch 0: before any training on this task (phase)
            pr.candidates, pr.valid, pr.best_epoch = [], [], None
            self._end_of_epoch(s, phase, 0, valid, {})
            self.save(trainer.optimizer)
        for epoch in range(pr.epoch + 1, epochs + 1):
            if budget[0] <= 0:
                return False
            metrics = trainer.epoch(epoch, pr.global_step)
            pr.global_step += trainer.steps_per_epoch
            self._end_of_epoch(s, phase, epoch, valid, metrics)
            budget[0] -= 1
            self.save(trainer.optimizer)
        if self.best is not None:
            self.learner.policy.load_state_dict(self.best)
        log.info(
            "stage %d %s: kept epoch %s of %d (%s)",
            s,
            phase,
            pr.best_epoch,
            epochs,
            self.protocol.select_by,
        )
        return True

    def _log(self, row: dict[str, Any]) -> None:
        if self.logger is not None:
            self.logger.log(row, self.progress.global_step)
