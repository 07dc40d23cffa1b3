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
from robolearn.tasks.spec import Atom, TaskSpec

N_TASKS = 48
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


def suite(n: int = N_TASKS) -> tuple[dict[str, Any], ...]:
    excluded = eval_signatures()
    # Signatures are compared on types; fixture parts are spelled "<type>.<part>" in both.
    pool = [c for c in candidates() if c not in excluded]
    order = np.random.default_rng(POOL_SEED).permutation(len(pool))
    return tuple({"goal": [pool[i][0], list(pool[i][1])], "layout_seed": int(i)} for i in order[:n])


FAMILIES.add("pretrain", Family("pretrain", generate, suite, __doc__ or ""))
