"""`robolearn report`: mean +- std over runs, spread across orderings, crashed runs named."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from robolearn.cli.report import main
from robolearn.lifelong.metrics import ResultMatrix
from robolearn.lifelong.report import variant_of, write_report

TASKS = ["object/a-v1", "object/b-v1"]


def fake_run(folder, learner, ordering_seed, r, curves, seed=0, overrides=()):
    rm = ResultMatrix.empty(TASKS, [[0], [1]])
    rm.R[:] = r
    rm.curves = curves
    extra = {
        "suite": "object",
        "learner": learner,
        "ordering_seed": ordering_seed,
        "seed": seed,
        "seconds": 120.0,
        "config": {"overrides": list(overrides)},
    }
    rm.save(folder, extra)
    return rm.metrics() if rm.complete else None


@pytest.fixture
def sweep(tmp_path):
    """seql over three orderings, er over two, one partial er run, one crashed ewc run."""
    auc = {}
    for o, (a, b) in enumerate([(0.2, 0.4), (0.4, 0.4), (1.0, 0.6)]):
        r = [[a, math.nan], [0.0, b]]
        m = fake_run(
            tmp_path / f"seql/o{o}",
            "seql",
            o,
            r,
            [[(0, a)], [(0, b)]],
            overrides=[f"ordering.seed={o}", "lifelong=seql", "eval.workers=0"],
        )
        auc[("seql", o)] = m["auc"]
    for o in (0, 1):
        m = fake_run(
            tmp_path / f"er/o{o}", "er", o, [[0.5, math.nan], [0.5, 0.5]], [[(0, 0.5)], [(0, 0.5)]]
        )
        auc[("er", o)] = m["auc"]
    fake_run(tmp_path / "er/partial", "er", 2, [[0.5, math.nan], [math.nan, math.nan]], [[], []])
    crashed = tmp_path / "ewc/crashed"
    crashed.mkdir(parents=True)
    (crashed / "run.json").write_text("{}")
    (crashed / "config.yaml").write_text("suite: object\n")
    return tmp_path, auc


def test_report_aggregates_complete_runs_and_names_the_rest(sweep):
    root, auc = sweep
    # seql per ordering: AUC_1 = (FWT_1 + c[2,1]) / 2 = (a + 0) / 2, AUC_2 = b; AUC = mean.
    assert [auc[("seql", o)] for o in range(3)] == pytest.approx([0.25, 0.3, 0.55])
    result = write_report(root)
    groups = {g["learner"]: g for g in result["summary"]["groups"]}
    seql = groups["seql"]
    values = np.array([0.25, 0.3, 0.55])
    assert seql["runs"] == 3 and seql["orderings"] == ["0", "1", "2"]
    assert seql["auc"]["mean"] == pytest.approx(values.mean())
    assert seql["auc"]["std"] == pytest.approx(values.std(ddof=1))
    assert seql["auc_ordering_spread"]["range"] == pytest.approx(0.3)
    assert seql["mean_R"][1] == pytest.approx([0.0, np.mean([0.4, 0.4, 0.6])])
    assert groups["er"]["runs"] == 2 and groups["er"]["auc"]["std"] == 0.0
    md = result["markdown"]
    assert f"{values.mean():.2f} ± {values.std(ddof=1):.2f}" in md
    assert "| object | seql | 3 (3) |" in md and "0.26 |" in md  # LIBERO's SeqL AUC on Object
    assert "er/partial`: partial (1 of 2 stages done)" in md
    assert "ewc/crashed`: failed (no results.json" in md
    bad = {b["status"] for b in result["summary"]["not_aggregated"]}
    assert bad == {"partial", "failed"}
    json.loads((root / "report" / "report.json").read_text())  # strict JSON: no NaN


def test_report_plots_are_non_blank_pngs(sweep):
    root, _ = sweep
    result = write_report(root, root / "out")
    assert [p.name for p in result["plots"]] == ["heatmaps.png", "metrics.png"]
    for path in result["plots"]:
        image = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
        assert image.shape[0] > 200 and image.std() > 10


def test_report_command_takes_the_folder_as_its_argument(sweep, capsys, tmp_path):
    root, _ = sweep
    assert main([str(root), "plots=false", f"out={tmp_path / 'r'}"]) == 0
    out = capsys.readouterr().out
    assert "| object | er |" in out and (tmp_path / "r" / "report.md").is_file()
    assert not (tmp_path / "r" / "heatmaps.png").exists()
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_variants_ignore_repetition_and_neutral_overrides():
    assert variant_of(["lifelong=er", "ordering.seed=1", "eval.workers=2"]) == ()
    assert variant_of(["train.epochs=20", "lifelong=er", "seed=3"]) == ("train.epochs=20",)
    # an override holding a list keeps its commas (it was once split at them)
    wide = ["policy.hidden=[512,512,512]", "lifelong=er", "train.epochs=20"]
    assert variant_of(wide) == ("policy.hidden=[512,512,512]", "train.epochs=20")


def test_an_override_holding_a_list_is_reported_whole(tmp_path):
    """An override whose value is a list (``policy.hidden=[512,512,512]``) stays one override
    in the report's common line and row labels (it was once split at its commas)."""
    wide = "policy.hidden=[512,512,512]"
    for learner, extra in (("er", ["train.epochs=5"]), ("packnet", [])):
        fake_run(
            tmp_path / learner,
            learner,
            0,
            [[0.5, math.nan], [0.5, 0.5]],
            [[(0, 0.5)], [(0, 0.5)]],
            overrides=[wide, f"lifelong={learner}", *extra],
        )
    write_report(tmp_path, tmp_path / "r", plots=False)
    text = (tmp_path / "r" / "report.md").read_text()
    assert f"Overrides common to every aggregated run: `{wide}`" in text
    assert "| er [train.epochs=5] |" in text and "| packnet |" in text
