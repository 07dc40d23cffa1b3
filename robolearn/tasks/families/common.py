"""Helpers shared by the task-family generators: regions, referring expressions, specs."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robolearn.registry import Registry
from robolearn.tasks.catalogue import FIXTURES, OBJECTS
from robolearn.tasks.language import instructions
from robolearn.tasks.spec import Atom, FixtureSpec, ObjectSpec, RegionSpec, TaskSpec

HORIZON_PER_STAGE = 300
FULL_TURN = (-math.pi, math.pi)
Params = Mapping[str, Any]


@dataclass(frozen=True)
class Family:
    """A task family: a pure generator and the parameter lists of its suites."""

    name: str
    generate: Callable[[Params, np.random.Generator], TaskSpec]
    suite_params: Callable[[], tuple[Params, ...]]  # the family's suite, in order
    doc: str = ""


FAMILIES: Registry[Family] = Registry("task family")


def region(
    name: str,
    x: float,
    y: float,
    hx: float = 0.025,
    hy: float = 0.025,
    yaw: tuple[float, float] = FULL_TURN,
) -> RegionSpec:
    return RegionSpec(name, (x, y), (hx, hy), yaw)


def obj(name: str, type_: str, color: str | None = None, scale: float = 1.0) -> ObjectSpec:
    """An object; the colour is dropped for types with a fixed texture."""
    colourable = bool(OBJECTS.get(type_).colors)
    return ObjectSpec(name, type_, color if colourable else None, scale)


def object_ref(o: ObjectSpec) -> str:
    noun = OBJECTS.get(o.type).noun
    return f"the {o.color} {noun}" if o.color else f"the {noun}"


def part_ref(fix: FixtureSpec, part: str) -> str:
    ftype = FIXTURES.get(fix.type)
    for art in ftype.articulations:
        if art.name == part:
            if art.predicates[0] == "TurnedOn":
                return f"the {ftype.noun}"
            return f"the {art.name} of the {ftype.noun}"
    for rec in ftype.receptacles:
        if rec.name == part:
            body = getattr(rec, "body", None)
            if rec.kind == "in" and body:
                return f"the {body} of the {ftype.noun}"
            if rec.kind == "in":
                return f"the {ftype.noun}"
            return f"the top of the {ftype.noun}"
    return f"the {part} of the {ftype.noun}"


REGION_PHRASES = {
    "front": "the front of the table",
    "back": "the back of the table",
    "left": "the left side of the table",
    "right": "the right side of the table",
    "center": "the middle of the table",
}


def default_refs(
    objects: Sequence[ObjectSpec], fixtures: Sequence[FixtureSpec], regions: Sequence[RegionSpec]
) -> dict[str, str]:
    refs = {o.name: object_ref(o) for o in objects}
    for fix in fixtures:
        ftype = FIXTURES.get(fix.type)
        refs[fix.name] = f"the {ftype.noun}"
        for part in [a.name for a in ftype.articulations] + [r.name for r in ftype.receptacles]:
            refs[f"{fix.name}.{part}"] = part_ref(fix, part)
    for reg in regions:
        refs[reg.name] = REGION_PHRASES.get(reg.name.split("_")[0], f"the {reg.name} area")
    return refs


def make_spec(
    task_id: str,
    family: str,
    rng: np.random.Generator,
    *,
    objects: Sequence[ObjectSpec],
    fixtures: Sequence[FixtureSpec] = (),
    regions: Sequence[RegionSpec],
    init: Sequence[Atom],
    goal: Sequence[Atom],
    refs: Mapping[str, str] | None = None,
    seed: int = 0,
    horizon: int | None = None,
) -> TaskSpec:
    """Assemble a TaskSpec, writing its instructions from the goal."""
    all_refs = default_refs(objects, fixtures, regions)
    all_refs.update(refs or {})
    canonical, train, heldout = instructions(goal, all_refs, rng, {r.name for r in regions})
    return TaskSpec(
        task_id=task_id,
        family=family,
        language=canonical,
        paraphrases=train,
        heldout_paraphrases=heldout,
        objects=tuple(objects),
        fixtures=tuple(fixtures),
        regions=tuple(regions),
        init=tuple(init),
        goal=tuple(goal),
        horizon=horizon or HORIZON_PER_STAGE + 200 * (len(goal) - 1),
        seed=seed,
    )


def slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")
