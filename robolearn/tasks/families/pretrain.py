"""``pretrain``: a pool of short single-goal tasks, disjoint from the evaluation suites.

Task Description: one atom per task over the whole catalogue: pick-and-place on/in
containers, lifting, stacking, placing on fixtures, opening/closing and turning on/off.
Randomizations: distractor types, colours and the layout are drawn from the task's seed;
positions jitter within spots, yaw is free.
Success Conditions: the task's goal atom. No task shares its goal signature (predicate and
argument types) with a single-goal task of the spatial, object or goal suites.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robolearn.seeding import make_rng
from robolearn.tasks.catalogue import FIXTURES, OBJECTS
from robolearn.tasks.families.common import FAMILIES, Family, make_spec, obj, region, slug
from robolearn.tasks.families.goal import kitchen
from robolearn.tasks.families.objects import graspable_movables, train_colours
from robolearn.tasks.predicates import XY_MARGIN
from robolearn.tasks.spec import Atom, TaskSpec

N_TASKS = 48
OPENING_SLACK = 0.009  # a container's opening is this much wider than its "in" box
FIT_MARGIN = 0.003  # an object's centre must rest this far (m) inside a container's "in" box
POOL_SEED = 2024
TABLE_SPOTS = [
    (-0.18, -0.2),
    (-0.18, 0.05),
    (0.02, -0.1),
    (0.02, 0.15),
    (0.17, -0.2),
    (0.17, 0.1),
    (-0.2, 0.25),
]
FIXTURE_OF = {"cabinet": "cabinet_1", "stove": "stove_1", "microwave": "microwave_1"}
# Stand-ins for drawn goals that cannot be reached (see feasible), in this order.
SPARES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("On", ("cube", "stove.top")),
    ("On", ("cylinder", "cabinet.top")),
    ("On", ("can", "stove.top")),
    ("On", ("lemon", "cabinet.top")),
    ("On", ("bread", "stove.top")),
)


def candidates() -> list[tuple[str, tuple[str, ...]]]:
    """Goal signatures (predicate, argument types or fixture parts), before filtering."""
    movable = graspable_movables()
    small = [t for t in movable if max(OBJECTS.get(t).half_size[:2]) <= 0.035]
    out: list[tuple[str, tuple[str, ...]]] = [("Lifted", (t,)) for t in movable]
    out += [("On", (t, "plate")) for t in movable]
    out += [("In", (t, c)) for t in small for c in ("bowl", "basket", "mug")]
    out += [("In", (t, "basket")) for t in movable if t not in small]
    out += [("Stacked", ("cube", "cube")), ("Stacked", ("cube", "block"))]
    out += [("On", (t, "cabinet.top")) for t in ("bowl", "mug", "plate", "cube")]
    out += [("On", (t, "stove.top")) for t in ("mug", "plate")]
    for ftype in FIXTURE_OF:
        for art in FIXTURES.get(ftype).articulations:
            out += [(p, (f"{ftype}.{art.name}",)) for p in art.predicates]
    return out


def eval_signatures() -> set[tuple[str, tuple[str, ...]]]:
    """Goal signatures of the single-goal tasks of the evaluation suites."""
    sigs = set()
    for fam in ("spatial", "object", "goal"):
        family = FAMILIES.get(fam)
        for i, params in enumerate(family.suite_params()):
            spec = family.generate(params, make_rng(0, fam, i))
            sigs |= {signature(spec, a) for a in spec.goal}
    return sigs


def signature(spec: TaskSpec, atom: Atom) -> tuple[str, tuple[str, ...]]:
    def kind(arg: str) -> str:
        base, _, part = arg.partition(".")
        names = {o.name: o.type for o in spec.objects} | {f.name: f.type for f in spec.fixtures}
        typ = names.get(base, base)
        return f"{typ}.{part}" if part else typ

    return atom.pred, tuple(kind(a) for a in atom.args)


def _instance_names(types: tuple[str, ...]) -> list[str]:
    names, counts = [], {}
    for t in types:
        counts[t] = counts.get(t, 0) + 1
        names.append(f"{t}_{counts[t]}")
    return names


def generate(params: dict[str, Any], rng: np.random.Generator) -> TaskSpec:
    pred, arg_types = params["goal"][0], tuple(params["goal"][1])
    layout_rng = np.random.default_rng(int(params.get("layout_seed", 0)))
    colours = train_colours()
    fixture_args = [a for a in arg_types if "." in a]
    obj_types = tuple(a for a in arg_types if "." not in a)
    pool = [t for t in graspable_movables() if t not in obj_types]
    distractors = tuple(pool[i] for i in layout_rng.permutation(len(pool))[:2])
    types = obj_types + distractors
    names = _instance_names(types)
    picks = layout_rng.permutation(len(colours))
    objects = [
        obj(n, t, colours[int(picks[i % len(picks)])]) for i, (n, t) in enumerate(zip(names, types))
    ]
    args = names[: len(obj_types)] + [
        f"{FIXTURE_OF[a.split('.')[0]]}.{a.split('.')[1]}" for a in fixture_args
    ]
    if pred in ("Open", "Closed", "TurnedOn", "TurnedOff") or fixture_args:
        fixtures, regions, init = kitchen(
            objects, layout_rng, (FIXTURE_OF[fixture_args[0].split(".")[0]],)
        )
        for fix in fixtures:
            for art in FIXTURES.get(fix.type).articulations:
                on, off = art.predicates
                start = on if pred == off and f"{fix.name}.{art.name}" in args else off
                init.append(Atom(start, (f"{fix.name}.{art.name}",)))
    else:
        fixtures = []
        spots = layout_rng.permutation(len(TABLE_SPOTS))
        regions = [
            region(f"spot_{o.name}", *TABLE_SPOTS[k], 0.025, 0.025) for o, k in zip(objects, spots)
        ]
        init = [Atom("On", (o.name, f"spot_{o.name}")) for o in objects]
    label = " ".join(a.replace("_", "-") for a in arg_types)
    return make_spec(
        f"pretrain/{slug(f'{pred} {label}')}-v1",
        "pretrain",
        rng,
        objects=objects,
        fixtures=fixtures,
        regions=regions,
        init=init,
        goal=[Atom(pred, tuple(args))],
        seed=int(params.get("seed", 0)),
    )


def fits_in(obj_type: str, container_type: str) -> bool:
    """Whether an object can come to rest In a container: standing on one of its faces, its
    centre stays within the container's "in" box (plus the predicate's margin) and its
    footprint within the opening. A milk carton or a bottle cannot lie in a bowl: it rests
    on the rim with its centre above the bowl; a bottle standing in a mug has its centre
    exactly at the box's limit, so a tenth of a millimetre decides (checked in the simulator)."""
    rec = next(r for r in OBJECTS.get(container_type).receptacles if r.kind == "in")
    half = OBJECTS.get(obj_type).half_size
    highest = 2 * rec.half_size[2] + XY_MARGIN  # box centre above the container's floor
    opening = max(rec.half_size[:2]) + OPENING_SLACK
    for up in range(3):
        across = [half[k] for k in range(3) if k != up]
        if half[up] <= highest - FIT_MARGIN and max(across) <= opening:
            return True
    return False


def feasible(goal: tuple[str, tuple[str, ...]]) -> bool:
    """Whether a goal can be reached: the object it moves has a grasp (the plate has none:
    too flat to pinch from above) and fits the container it goes In."""
    pred, args = goal
    if pred in ("Open", "Closed", "TurnedOn", "TurnedOff"):
        return True
    if OBJECTS.get(args[0]).grasp is None:
        return False
    return pred != "In" or fits_in(*args)


def suite(n: int = N_TASKS) -> tuple[dict[str, Any], ...]:
    excluded = eval_signatures()
    # Signatures are compared on types; fixture parts are spelled "<type>.<part>" in both.
    pool = [c for c in candidates() if c not in excluded]
    order = np.random.default_rng(POOL_SEED).permutation(len(pool))
    # A drawn goal that cannot be reached gives its place to the next spare (layout seeds
    # after the pool's), so every other task keeps its place, seeds and layout.
    spares = iter(
        (c, len(pool) + k)
        for k, c in enumerate(c for c in SPARES if c not in excluded and c not in pool)
    )
    picked = [(pool[i], int(i)) if feasible(pool[i]) else next(spares) for i in order]
    return tuple(
        {"goal": [goal[0], list(goal[1])], "layout_seed": seed} for goal, seed in picked[:n]
    )


FAMILIES.add("pretrain", Family("pretrain", generate, suite, __doc__ or ""))
