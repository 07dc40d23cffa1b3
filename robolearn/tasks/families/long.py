"""``long``: two- and three-stage tasks (LIBERO-Long's role: downstream, multi-step).

Task Description: kitchen or basket scenes with goals of two or three atoms, e.g. "open the
drawer of the cabinet, then put the cube in it" or "put the milk and the can in the basket".
Randomizations: positions within spots, yaw, fixture states where the init leaves them free.
Success Conditions: every atom of the goal holds at the same time.

The basket scenes are version 2: their basket is the object suite's version 2 basket
(``objects.BASKET_SCALE``), in which every object goes in standing; in version 1's the milk,
the bottle and the cereal box had to be laid down side by side with the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robolearn.tasks.families.common import FAMILIES, Family, make_spec, obj, region, slug
from robolearn.tasks.families.goal import kitchen
from robolearn.tasks.families.objects import BASKET_SCALE
from robolearn.tasks.spec import Atom, ObjectSpec, TaskSpec

BASKET_SPOTS = [(-0.16, -0.22), (-0.16, 0.0), (-0.16, 0.22), (0.05, -0.25), (0.05, 0.25)]

# name -> (scene, objects (name, type, colour), fixture subset, extra init, goal)
TASKS: dict[str, dict[str, Any]] = {
    "drawer-open-cube-inside": {
        "scene": "kitchen",
        "fixtures": ("cabinet_1",),
        "objects": [("cube_1", "cube", "red"), ("bowl_1", "bowl", "white")],
        "init": [("Closed", ("cabinet_1.drawer",))],
        "goal": [("Open", ("cabinet_1.drawer",)), ("In", ("cube_1", "cabinet_1.inside"))],
    },
    "stove-on-bowl-on-stove": {
        "scene": "kitchen",
        "fixtures": ("stove_1",),
        "objects": [("bowl_1", "bowl", "black"), ("plate_1", "plate", "white")],
        "init": [("TurnedOff", ("stove_1.knob",))],
        "goal": [("TurnedOn", ("stove_1.knob",)), ("On", ("bowl_1", "stove_1.top"))],
    },
    "cube-in-bowl-mug-on-plate": {
        "scene": "kitchen",
        "fixtures": (),
        "objects": [
            ("cube_1", "cube", "blue"),
            ("bowl_1", "bowl", "white"),
            ("mug_1", "mug", "red"),
            ("plate_1", "plate", "white"),
        ],
        "init": [],
        "goal": [("In", ("cube_1", "bowl_1")), ("On", ("mug_1", "plate_1"))],
    },
    "milk-and-can-in-basket": {
        "scene": "basket",
        "objects": [
            ("milk_1", "milk", None),
            ("can_1", "can", None),
            ("lemon_1", "lemon", None),
            ("bread_1", "bread", None),
        ],
        "goal": [("In", ("milk_1", "basket_1")), ("In", ("can_1", "basket_1"))],
    },
    "stack-red-on-blue-ball-in-bowl": {
        "scene": "kitchen",
        "fixtures": (),
        "objects": [
            ("cube_1", "cube", "red"),
            ("cube_2", "cube", "blue"),
            ("ball_1", "ball", "yellow"),
            ("bowl_1", "bowl", "white"),
        ],
        "init": [],
        "goal": [("Stacked", ("cube_1", "cube_2")), ("In", ("ball_1", "bowl_1"))],
    },
    "open-microwave-turn-on-stove": {
        "scene": "kitchen",
        "fixtures": ("microwave_1", "stove_1"),
        "objects": [("mug_1", "mug", "white"), ("bowl_1", "bowl", "black")],
        "init": [("Closed", ("microwave_1.door",)), ("TurnedOff", ("stove_1.knob",))],
        "goal": [("Open", ("microwave_1.door",)), ("TurnedOn", ("stove_1.knob",))],
    },
    "bowl-on-plate-mug-on-cabinet": {
        "scene": "kitchen",
        "fixtures": ("cabinet_1",),
        "objects": [
            ("bowl_1", "bowl", "black"),
            ("plate_1", "plate", "white"),
            ("mug_1", "mug", "green"),
        ],
        "init": [("Closed", ("cabinet_1.drawer",))],
        "goal": [("On", ("bowl_1", "plate_1")), ("On", ("mug_1", "cabinet_1.top"))],
    },
    "drawer-cube-inside-close": {
        "scene": "kitchen",
        "fixtures": ("cabinet_1",),
        "objects": [("cube_1", "cube", "yellow"), ("mug_1", "mug", "red")],
        "init": [("Closed", ("cabinet_1.drawer",))],
        "goal": [("In", ("cube_1", "cabinet_1.inside")), ("Closed", ("cabinet_1.drawer",))],
        "horizon": 700,
    },
    "lemon-in-bowl-stove-on": {
        "scene": "kitchen",
        "fixtures": ("stove_1",),
        "objects": [
            ("lemon_1", "lemon", None),
            ("bowl_1", "bowl", "white"),
            ("cube_1", "cube", "purple"),
        ],
        "init": [("TurnedOff", ("stove_1.knob",))],
        "goal": [("In", ("lemon_1", "bowl_1")), ("TurnedOn", ("stove_1.knob",))],
    },
    "can-in-basket-bottle-in-basket-milk-in-basket": {
        "scene": "basket",
        "objects": [
            ("can_1", "can", None),
            ("bottle_1", "bottle", None),
            ("milk_1", "milk", None),
            ("cereal_1", "cereal", None),
        ],
        "goal": [
            ("In", ("can_1", "basket_1")),
            ("In", ("bottle_1", "basket_1")),
            ("In", ("milk_1", "basket_1")),
        ],
    },
}


def _basket_scene(objects: list[ObjectSpec], rng: np.random.Generator):
    objects = [*objects, obj("basket_1", "basket", scale=BASKET_SCALE)]
    regions = [region("basket_spot", 0.12, 0.0, 0.02, 0.02)]
    init = [Atom("On", ("basket_1", "basket_spot"))]
    for o, k in zip(objects[:-1], rng.permutation(len(BASKET_SPOTS))):
        regions.append(region(f"spot_{o.name}", *BASKET_SPOTS[k], 0.03, 0.03))
        init.append(Atom("On", (o.name, f"spot_{o.name}")))
    return objects, [], regions, init


def generate(params: dict[str, Any], rng: np.random.Generator) -> TaskSpec:
    name = params["name"]
    task = TASKS[name]
    objects = [obj(n, t, c) for n, t, c in task["objects"]]
    layout_rng = np.random.default_rng(int(params.get("layout_seed", 0)))
    if task["scene"] == "basket":
        objects, fixtures, regions, init = _basket_scene(objects, layout_rng)
    else:
        fixtures, regions, init = kitchen(objects, layout_rng, tuple(task["fixtures"]))
        init += [Atom(p, tuple(a)) for p, a in task.get("init", [])]
    goal = [Atom(p, tuple(a)) for p, a in task["goal"]]
    version = 2 if task["scene"] == "basket" else 1  # the bigger basket (see above)
    return make_spec(
        f"long/{slug(name)}-v{version}",
        "long",
        rng,
        objects=objects,
        fixtures=fixtures,
        regions=regions,
        init=init,
        goal=goal,
        seed=int(params.get("seed", 0)),
        horizon=task.get("horizon"),
    )


FAMILIES.add(
    "long", Family("long", generate, lambda: tuple({"name": n} for n in TASKS), __doc__ or "")
)
