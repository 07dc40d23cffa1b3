"""``object``: the object to move varies; it always goes into the basket.

Task Description: a basket and five graspable objects; "pick up the <object> and place it in
the basket". The ten tasks differ in the target object type.
Randomizations: which spot the target starts in and which four distractor types surround it
(seeded), positions within each spot, yaw, colours of colourable objects.
Success Conditions: (In target_1 basket_1).

Version 2 scales the basket by ``BASKET_SCALE`` (inside 20.8 x 15.6 x 8.3 cm): every object
then goes in standing. Version 1's catalogue basket (16 x 12 x 6.4 cm inside) was too short
for the cereal box and the bottle to stand in, and laid down they had 1 cm and no room to
spare along its length, so those two tasks measured a millimetre lay-down manoeuvre rather
than the object variety the suite is for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robolearn.tasks.catalogue import COLORS, OBJECTS
from robolearn.tasks.families.common import FAMILIES, Family, make_spec, obj, region, slug
from robolearn.tasks.spec import Atom, TaskSpec

PREFERRED = (
    "milk",
    "bread",
    "cereal",
    "can",
    "lemon",
    "bottle",
    "cube",
    "cylinder",
    "ball",
    "mug",
    "block",
)
SPOTS = [(-0.16, -0.24), (-0.16, 0.0), (-0.16, 0.24), (0.04, -0.26), (0.04, 0.26)]
BASKET_AT = (0.12, 0.0)
BASKET_SCALE = 1.3  # version 2 (see above)


def graspable_movables() -> list[str]:
    return [
        name
        for name, t in OBJECTS.items()
        if t.grasp is not None and not t.receptacles and name in PREFERRED
    ]


def train_colours() -> list[str]:
    return [name for name, c in COLORS.items() if not c.heldout]


def generate(params: dict[str, Any], rng: np.random.Generator) -> TaskSpec:
    target = params["target"]
    pool = [t for t in graspable_movables() if t != target]
    distractors = [pool[i] for i in rng.permutation(len(pool))[:4]]
    colours = train_colours()
    types = [target, *distractors]
    objects = [obj(f"{t}_1", t, colours[int(rng.integers(len(colours)))]) for t in types]
    objects.append(obj("basket_1", "basket", scale=BASKET_SCALE))
    order = rng.permutation(len(SPOTS))
    regions = [region("basket_spot", *BASKET_AT, 0.02, 0.02)]
    init = [Atom("On", ("basket_1", "basket_spot"))]
    for o, k in zip(objects[:-1], order):
        regions.append(region(f"spot_{o.name}", *SPOTS[k], 0.03, 0.03))
        init.append(Atom("On", (o.name, f"spot_{o.name}")))
    return make_spec(
        f"object/{slug(target)}-in-basket-v2",
        "object",
        rng,
        objects=objects,
        regions=regions,
        init=init,
        goal=[Atom("In", (f"{target}_1", "basket_1"))],
        seed=int(params.get("seed", 0)),
    )


def suite() -> tuple[dict[str, Any], ...]:
    return tuple({"target": t} for t in graspable_movables()[:10])


FAMILIES.add("object", Family("object", generate, suite, __doc__ or ""))
