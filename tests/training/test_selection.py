"""Which initial states the in-training rollouts (model selection) start from."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from robolearn.envs.init_states import N_INIT_STATES
from robolearn.errors import ConfigError
from robolearn.evaluation.config import EvalConfig
from robolearn.training.config import FitConfig
from robolearn.training.pipeline import selection_eval_config

EVAL = EvalConfig(episodes_per_task=20, init_offset=0, videos_per_task=2, grid_video=True)


def fit_cfg(**kw):
    return dataclasses.replace(FitConfig(select_by="eval_success"), **kw)


def test_held_out_states_follow_select_offset_and_episodes_without_videos():
    quick = selection_eval_config(fit_cfg(select_offset=20, select_episodes=5), EVAL)
    assert (quick.init_offset, quick.episodes_per_task) == (20, 5)
    assert quick.videos_per_task == 0 and quick.grid_video is False
    assert (quick.num_envs, quick.max_steps, quick.seed) == (EVAL.num_envs, None, EVAL.seed)


def test_episodes_default_to_the_evaluations():
    quick = selection_eval_config(fit_cfg(select_offset=25), EVAL)
    assert (quick.init_offset, quick.episodes_per_task) == (25, 20)


def test_without_an_offset_the_test_states_are_used_and_the_log_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="robolearn.training.pipeline"):
        quick = selection_eval_config(fit_cfg(select_episodes=3), EVAL)
    assert (quick.init_offset, quick.episodes_per_task) == (0, 3)
    assert "test rollouts" in caplog.text and "select_offset=20" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="robolearn.training.pipeline"):
        selection_eval_config(fit_cfg(select_by="valid_loss"), EVAL)  # rollouts only logged
    assert caplog.text == ""


@pytest.mark.parametrize("offset", [0, 10, 19])
def test_overlap_with_the_evaluation_is_refused_naming_both_ranges(offset):
    with pytest.raises(ConfigError, match=rf"{offset}\.\.{offset + 4}.*0\.\.19.*at 20"):
        selection_eval_config(fit_cfg(select_offset=offset, select_episodes=5), EVAL)


def test_an_offset_eval_is_checked_against_its_own_range():
    shifted = dataclasses.replace(EVAL, init_offset=30, episodes_per_task=10)  # states 30..39
    assert selection_eval_config(fit_cfg(select_offset=0, select_episodes=30), shifted)
    assert selection_eval_config(fit_cfg(select_offset=40, select_episodes=10), shifted)
    with pytest.raises(ConfigError, match="overlap"):
        selection_eval_config(fit_cfg(select_offset=25, select_episodes=6), shifted)


def test_states_past_the_last_fixed_state_or_bad_counts_are_refused():
    last = N_INIT_STATES - 1
    with pytest.raises(ConfigError, match=rf"46\.\.50.*0\.\.{last}"):
        selection_eval_config(fit_cfg(select_offset=46, select_episodes=5), EVAL)
    assert selection_eval_config(fit_cfg(select_offset=45, select_episodes=5), EVAL)
    with pytest.raises(ConfigError, match="states -1"):
        selection_eval_config(fit_cfg(select_offset=-1, select_episodes=1), EVAL)
    with pytest.raises(ConfigError, match="select_episodes=0"):
        selection_eval_config(fit_cfg(select_offset=20, select_episodes=0), EVAL)


def test_an_offset_with_demo_starts_is_refused():
    demos = dataclasses.replace(EVAL, init_demos="demos")
    with pytest.raises(ConfigError, match="init_demos"):
        selection_eval_config(fit_cfg(select_offset=20), demos)
