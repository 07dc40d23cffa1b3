import imageio.v3 as iio
import numpy as np
import pytest

from robolearn.cli.main import main

pytestmark = pytest.mark.sim


def test_render_suite_cli_writes_a_grid_with_every_task(tmp_path):
    out = tmp_path / "grid.png"
    code = main(
        [
            "render-suite",
            "suite=long",
            f"out={out}",
            "size=64",
            "cols=5",
            f"hydra.run.dir={tmp_path / 'run'}",
        ]
    )
    assert code == 0
    image = iio.imread(out)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 500
    assert image[..., :3].std() > 10
    assert (tmp_path / "run" / "config.yaml").is_file()  # the run wrote its config


def test_first_frames_differ_between_tasks():
    from robolearn.envs.preview import first_frames

    frames = first_frames("object", size=48, camera="topdown", init_state=0)
    assert len(frames) == 10
    assert len({lang for lang, _ in frames}) == 10
    assert not np.array_equal(frames[0][1], frames[1][1])
