"""Experiment loggers: jsonl records, wandb offline with a real mp4, config errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from robolearn.errors import ConfigError
from robolearn.evaluation.video import write_video
from robolearn.logging.config import LoggerConfig
from robolearn.logging.loggers import make_logger


def test_jsonl_and_console_record_every_call(tmp_path):
    logger = make_logger(LoggerConfig(backends=["console", "jsonl"]), tmp_path)
    logger.log({"train/loss": 0.5, "nan": float("nan")}, step=3)
    logger.log_video(tmp_path / "v.mp4", "eval/video", step=3)
    logger.log_table("eval/per_task", ["task", "success"], [["a", 1.0]])
    logger.finish()
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert records[0] == {"step": 3, "train/loss": 0.5, "nan": None}
    assert records[1]["video"] == "eval/video" and records[2]["rows"] == [["a", 1.0]]


def test_wandb_disabled_adds_no_backend(tmp_path):
    logger = make_logger(LoggerConfig(backends=["wandb"], wandb_mode="disabled"), tmp_path)
    assert logger.loggers == [] and logger.run_id is None


@pytest.mark.slow
def test_wandb_offline_logs_scalars_and_an_mp4_and_keeps_its_run_id(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    video = write_video(
        tmp_path / "ep.mp4", [np.full((32, 32, 3), i, np.uint8) for i in range(8)], 20
    )
    cfg = LoggerConfig(backends=["wandb"], wandb_mode="offline", project="robolearn-test")
    logger = make_logger(cfg, tmp_path, {"lr": 1e-3})
    run_id = logger.run_id
    assert run_id
    logger.log({"train/loss": 1.0}, step=1)
    logger.log_video(video, "eval/video", step=1)
    logger.finish()
    runs = list((tmp_path / "wandb").glob(f"offline-run-*-{run_id}"))
    assert runs and list(runs[0].rglob("*.wandb"))
    assert list(runs[0].rglob("*.mp4"))  # the file itself travels, no re-encoding
    again = make_logger(cfg, tmp_path, {}, run_id=run_id)
    assert again.run_id == run_id
    again.finish()


def test_unknown_backend_and_bad_wandb_mode_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="tensorboard"):
        make_logger(LoggerConfig(backends=["tensorboard"]), tmp_path)
    with pytest.raises(ConfigError, match="sometimes"):
        make_logger(LoggerConfig(backends=["wandb"], wandb_mode="sometimes"), tmp_path)
