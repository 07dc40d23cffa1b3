"""Perturbation axes applicable to any suite: ``<suite>@<axis>``.

- ``layout``: every placement region moves (seeded, up to 6 cm) and grows by half: an
  initial-state distribution shift. Relations required at init still hold (the sampler
  rejects layouts that break them).
- ``color``: colourable objects take unseen (held-out) colours; instructions follow.
- ``paraphrase``: the instruction becomes a held-out paraphrase.
- ``camera``: camera poses jitter per episode (3 cm, 0.05 rad std).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from robolearn.registry import Registry
from robolearn.tasks.catalogue import COLORS
from robolearn.tasks.spec import ObjectSpec, RegionSpec, TaskSpec

Perturbation = Callable[[TaskSpec, np.random.Generator], TaskSpec]
PERTURBATIONS: Registry[Perturbation] = Registry("perturbation")


def _renamed(spec: TaskSpec, axis: str, **changes: object) -> TaskSpec:
    suite, name = spec.task_id.split("/", 1)
    return spec.with_changes(
        task_id=f"{suite}@{axis}/{name}", perturbations=(*spec.perturbations, axis), **changes
    )


@PERTURBATIONS.register("layout")
def layout(spec: TaskSpec, rng: np.random.Generator) -> TaskSpec:
    regions = []
    for r in spec.regions:
        dx, dy = rng.uniform(-0.06, 0.06, size=2)
        regions.append(
            RegionSpec(
                r.name,
                (r.center[0] + float(dx), r.center[1] + float(dy)),
                (r.half_size[0] * 1.5, r.half_size[1] * 1.5),
                r.yaw_range,
            )
        )
    return _renamed(spec, "layout", regions=tuple(regions))


@PERTURBATIONS.register("color")
def color(spec: TaskSpec, rng: np.random.Generator) -> TaskSpec:
    heldout = [name for name, c in COLORS.items() if c.heldout]
    used = sorted({o.color for o in spec.objects if o.color})
    mapping = {
        old: heldout[int(i) % len(heldout)] for old, i in zip(used, rng.permutation(len(heldout)))
    }
    objects = tuple(
        ObjectSpec(o.name, o.type, mapping.get(o.color, o.color) if o.color else None, o.scale)
        for o in spec.objects
    )

    def recolour(text: str) -> str:
        for old, new in mapping.items():
            text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        return text

    return _renamed(
        spec,
        "color",
        objects=objects,
        language=recolour(spec.language),
        paraphrases=tuple(map(recolour, spec.paraphrases)),
        heldout_paraphrases=tuple(map(recolour, spec.heldout_paraphrases)),
    )


@PERTURBATIONS.register("paraphrase")
def paraphrase(spec: TaskSpec, rng: np.random.Generator) -> TaskSpec:
    choice = spec.heldout_paraphrases[int(rng.integers(len(spec.heldout_paraphrases)))]
    return _renamed(spec, "paraphrase", language=choice, paraphrases=spec.heldout_paraphrases)


@PERTURBATIONS.register("camera")
def camera(spec: TaskSpec, rng: np.random.Generator) -> TaskSpec:
    return _renamed(spec, "camera", camera_jitter=(0.03, 0.05))
