"""FWT / NBT / AUC / final success on hand-computed result matrices (LIBERO's definitions)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from robolearn.lifelong.metrics import (
    ResultMatrix,
    auc_per_task,
    best_epoch,
    fwt_k,
    nbt_per_task,
)

NAN = math.nan
TASKS3 = ["s/a-v1", "s/b-v1", "s/c-v1"]


def three_tasks() -> ResultMatrix:
    rm = ResultMatrix.empty(TASKS3, [[0], [1], [2]])
    rm.R[:] = [[0.8, NAN, NAN], [0.6, 0.9, NAN], [0.4, 0.5, 1.0]]
    rm.curves = [
        [(0, 0.0), (5, 0.4), (10, 0.8)],
        [(0, 0.3), (5, 0.6), (10, 0.9)],
        [(0, 0.5), (5, 1.0), (10, 1.0)],
    ]
    return rm


def test_three_task_example_by_hand():
    m = three_tasks().metrics()
    # FWT_k: means of the curves.
    assert m["per_task"]["fwt"] == pytest.approx([0.4, 0.6, 2.5 / 3])
    assert m["fwt"] == pytest.approx((0.4 + 0.6 + 2.5 / 3) / 3)
    # NBT_1 = ((.8-.6) + (.8-.4)) / 2; NBT_2 = (.9-.5) / 1; NBT_3 has no terms.
    assert m["per_task"]["nbt"][:2] == pytest.approx([0.3, 0.4])
    assert math.isnan(m["per_task"]["nbt"][2])
    assert m["nbt"] == pytest.approx(0.35)
    # AUC_1 = (.4 + .6 + .4) / 3; AUC_2 = (.6 + .5) / 2; AUC_3 = FWT_3.
    assert m["per_task"]["auc"] == pytest.approx([1.4 / 3, 0.55, 2.5 / 3])
    assert m["auc"] == pytest.approx((1.4 / 3 + 0.55 + 2.5 / 3) / 3)
    assert m["final_success"] == pytest.approx((0.4 + 0.5 + 1.0) / 3)


def test_one_task_run_has_no_nbt_and_auc_equals_fwt():
    rm = ResultMatrix.empty(["s/a-v1"], [[0]])
    rm.R[0, 0] = 0.7
    rm.curves = [[(0, 0.1), (5, 0.7)]]
    m = rm.metrics()
    assert m["fwt"] == pytest.approx(0.4) and m["auc"] == pytest.approx(0.4)
    assert math.isnan(m["nbt"])
    assert m["final_success"] == pytest.approx(0.7)


def test_backward_transfer_makes_nbt_negative_and_raises_auc():
    r = np.array([[0.2, NAN], [0.6, 1.0]])
    assert nbt_per_task(r)[0] == pytest.approx(-0.4)
    assert auc_per_task(r, [0.1, 0.5]) == pytest.approx([(0.1 + 0.6) / 2, 0.5])


def test_ties_frozen_fwt_and_best_epoch_take_the_earliest_best():
    curve = [(0, 0.2), (5, 0.6), (10, 0.6), (15, 0.4)]
    assert fwt_k(curve) == pytest.approx(0.45)
    # LIBERO's code freezes the curve at the earliest best (epoch 5): .2 .6 .6 .6
    assert fwt_k(curve, frozen=True) == pytest.approx(0.5)
    assert best_epoch([(0, 0.3), (5, 0.7), (10, 0.7)], higher_is_better=True) == 5
    assert best_epoch([(0, 0.5), (5, 0.2), (10, 0.2)], higher_is_better=False) == 5
    assert best_epoch([(0, NAN), (5, 0.9)], higher_is_better=True) == 5
    assert best_epoch([(0, NAN)], higher_is_better=True) is None
    # A constant matrix: every task ties; no forgetting.
    flat = np.full((3, 3), 0.5)
    assert nbt_per_task(flat)[:2] == pytest.approx([0.0, 0.0])


def test_metrics_need_a_complete_run_and_a_square_matrix():
    rm = three_tasks()
    rm.R[2, 1] = NAN
    assert not rm.complete and rm.completed_stages == 2
    with pytest.raises(ValueError, match="2 of 3 stages"):
        rm.metrics()
    with pytest.raises(ValueError, match="K x K"):
        nbt_per_task(np.zeros((1, 3)))


def test_multitask_matrix_reports_final_success_only():
    rm = ResultMatrix.empty(TASKS3, [[0, 1, 2]])
    rm.R[0] = [0.5, 1.0, 0.0]
    assert not rm.sequential and rm.complete
    m = rm.metrics()
    assert m["final_success"] == pytest.approx(0.5)
    assert m["fwt"] is None and m["nbt"] is None and m["auc"] is None


def test_save_and_load_round_trip_atomically(tmp_path):
    rm = three_tasks()
    rm.info = {"stages": [{"seconds": 1.5}, {}, {}]}
    path = rm.save(tmp_path, extra={"learner": "er"})
    data = json.loads(path.read_text())
    assert data["complete"] and data["learner"] == "er"
    assert data["metrics"]["nbt"] == pytest.approx(0.35)
    assert data["R"][0][1] is None  # NaN is null in JSON
    back = ResultMatrix.load(tmp_path)
    assert np.array_equal(back.R, rm.R, equal_nan=True)
    assert back.curves == rm.curves and back.tasks == TASKS3 and back.info == rm.info
    npz = np.load(tmp_path / "results.npz")
    assert np.array_equal(npz["R"], rm.R, equal_nan=True)
    assert npz["curve_success"][2].tolist() == [0.5, 1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json", "results.npz"]
    with pytest.raises(ValueError, match="not a lifelong result"):
        ResultMatrix.from_dict({"format": "other"})
