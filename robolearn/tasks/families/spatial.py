"""``spatial``: the same objects every time; the bowl to move is picked out by a relation.

Task Description: two identical black bowls, a plate, a mug and a cube. "Pick up the black
bowl <relation> the <landmark> and place it on the plate".
Randomizations: positions jitter inside small regions that keep the relation true for the
target bowl and false for the other; yaw is free.
Success Conditions: (On bowl_1 plate_1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robolearn.tasks.catalogue import OBJECTS
from robolearn.tasks.families.common import FAMILIES, Family, make_spec, obj, region, slug
from robolearn.tasks.placement import footprint_radius
from robolearn.tasks.spec import Atom, TaskSpec

PHRASES = {
    "LeftOf": "left of",
    "RightOf": "right of",
    "InFrontOf": "in front of",
    "Behind": "behind",
    "Near": "next to",
}
# unit offset of the target from the landmark, in world (x, y); x is toward the camera
DIRECTIONS = {
    "LeftOf": (0.0, -1.0),
    "RightOf": (0.0, 1.0),
    "InFrontOf": (1.0, 0.0),
    "Behind": (-1.0, 0.0),
}
GAP = 0.22
LANDMARKS = ("plate", "mug", "cube")


def generate(params: dict[str, Any], rng: np.random.Generator) -> TaskSpec:
    relation, landmark = params["relation"], params["landmark"]
    objects = [
        obj("bowl_1", "bowl", "black"),
        obj("bowl_2", "bowl", "black"),
        obj("plate_1", "plate", "white"),
        obj("mug_1", "mug", "red"),
        obj("cube_1", "cube", "yellow"),
    ]
    lm = f"{landmark}_1"
    lx, ly = 0.0, 0.0
    if relation == "Near":
        gap = (
            footprint_radius(OBJECTS.get("bowl")) + footprint_radius(OBJECTS.get(landmark)) + 0.035
        )
        spots = {"bowl_1": (lx, ly - gap), "bowl_2": (lx, ly + gap + 0.13)}
        free = [(lx - GAP, ly + 0.02), (lx + GAP, ly + 0.06)]
    else:
        dx, dy = DIRECTIONS[relation]
        spots = {"bowl_1": (lx + GAP * dx, ly + GAP * dy), "bowl_2": (lx - GAP * dx, ly - GAP * dy)}
        free = [(lx + GAP * dy, ly + GAP * dx), (lx - GAP * dy, ly - GAP * dx)]
    spots[lm] = (lx, ly)
    others = [o.name for o in objects if o.name not in spots]
    for name, (x, y) in zip(others, free):
        spots[name] = (x, y)
    regions = [region(f"spot_{name}", x, y, 0.015, 0.015) for name, (x, y) in spots.items()]
    init = [Atom("On", (name, f"spot_{name}")) for name in spots]
    init.append(Atom(relation, ("bowl_1", lm)))
    lm_ref = {"plate": "the plate", "mug": "the red mug", "cube": "the yellow cube"}[landmark]
    refs = {"bowl_1": f"the black bowl {PHRASES[relation]} {lm_ref}", "plate_1": "the plate"}
    name = slug(f"bowl {PHRASES[relation]} {landmark} to plate")
    return make_spec(
        f"spatial/{name}-v1",
        "spatial",
        rng,
        objects=objects,
        regions=regions,
        init=init,
        goal=[Atom("On", ("bowl_1", "plate_1"))],
        refs=refs,
        seed=int(params.get("seed", 0)),
    )


SUITE = tuple(
    {"relation": r, "landmark": lm}
    for r, lm in [
        ("LeftOf", "plate"),
        ("RightOf", "plate"),
        ("InFrontOf", "plate"),
        ("Behind", "plate"),
        ("LeftOf", "mug"),
        ("RightOf", "mug"),
        ("InFrontOf", "mug"),
        ("Behind", "mug"),
        ("Near", "cube"),
        ("Near", "mug"),
    ]
)

FAMILIES.add("spatial", Family("spatial", generate, lambda: SUITE, __doc__ or ""))
