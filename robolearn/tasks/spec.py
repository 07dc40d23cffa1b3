"""TaskSpec: the pure, JSON-serialisable description of one task.

A generator ``(params, np.random.Generator) -> TaskSpec`` is pure; the same seed gives the
same spec byte for byte (``to_json`` is canonical: sorted keys, no whitespace variance).

Names: objects and fixtures have instance names (``bowl_1``, ``cabinet_1``); a part of a
fixture is ``<fixture>.<part>`` (``cabinet_1.drawer`` for an articulation,
``cabinet_1.top`` for a receptacle); a container's receptacle is ``<object>.<receptacle>``.
Regions are named table areas. Atoms are ``(predicate, args...)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from robolearn.errors import ConfigError

TASK_ID_RE = re.compile(r"^[a-z0-9_@]+/[a-z0-9][a-z0-9-]*-v\d+$")
Vec2 = tuple[float, float]


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    type: str  # catalogue key
    color: str | None = None
    scale: float = 1.0


@dataclass(frozen=True)
class FixtureSpec:
    name: str
    type: str  # catalogue key
    pos: Vec2  # world xy of the fixture's root on the table
    yaw: float = 0.0


@dataclass(frozen=True)
class RegionSpec:
    """An axis-aligned rectangle on the table (world xy) with a yaw range for placements."""

    name: str
    center: Vec2
    half_size: Vec2
    yaw_range: Vec2 = (-3.14159, 3.14159)

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        return (
            abs(x - self.center[0]) <= self.half_size[0] + margin
            and abs(y - self.center[1]) <= self.half_size[1] + margin
        )


@dataclass(frozen=True)
class Atom:
    """A ground predicate, e.g. ``Atom("On", ("bowl_1", "plate_1"))``."""

    pred: str
    args: tuple[str, ...]

    def __str__(self) -> str:
        return f"({self.pred} {' '.join(self.args)})"


@dataclass(frozen=True)
class TaskSpec:
    task_id: str  # "<suite-or-family>/<name>-v<version>"
    family: str
    language: str  # canonical instruction
    paraphrases: tuple[str, ...]  # training paraphrases
    heldout_paraphrases: tuple[str, ...]  # only for evaluation (the `@paraphrase` axis)
    objects: tuple[ObjectSpec, ...]
    fixtures: tuple[FixtureSpec, ...]
    regions: tuple[RegionSpec, ...]
    init: tuple[Atom, ...]  # placement atoms, sampled per episode
    goal: tuple[Atom, ...]  # conjunction
    horizon: int
    seed: int
    camera_jitter: tuple[float, float] = (0.0, 0.0)  # (position m, angle rad) std
    perturbations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not TASK_ID_RE.match(self.task_id):
            raise ConfigError(
                f"task_id {self.task_id!r} must look like '<suite>/<name>-v<N>' "
                "(lowercase, digits, '-', e.g. 'spatial/bowl-left-of-plate-v1')"
            )
        names = [o.name for o in self.objects] + [f.name for f in self.fixtures]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"task {self.task_id}: duplicate object/fixture names {dupes}")
        if not self.goal:
            raise ConfigError(f"task {self.task_id}: the goal is empty")

    @property
    def name(self) -> str:
        """The task's name within its suite (``bowl-left-of-plate-v1``)."""
        return self.task_id.split("/", 1)[1]

    @property
    def version(self) -> int:
        return int(self.task_id.rsplit("-v", 1)[1])

    def object(self, name: str) -> ObjectSpec:
        for obj in self.objects:
            if obj.name == name:
                return obj
        raise KeyError(f"task {self.task_id} has no object {name!r}")

    def fixture(self, name: str) -> FixtureSpec:
        for fix in self.fixtures:
            if fix.name == name:
                return fix
        raise KeyError(f"task {self.task_id} has no fixture {name!r}")

    def region(self, name: str) -> RegionSpec:
        for reg in self.regions:
            if reg.name == name:
                return reg
        raise KeyError(f"task {self.task_id} has no region {name!r}")

    def with_changes(self, **changes: Any) -> TaskSpec:
        return replace(self, **changes)

    # -- JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"TaskSpec JSON has unknown keys {unknown}; known: {sorted(known)}")
        try:
            return cls(
                task_id=data["task_id"],
                family=data["family"],
                language=data["language"],
                paraphrases=tuple(data["paraphrases"]),
                heldout_paraphrases=tuple(data["heldout_paraphrases"]),
                objects=tuple(ObjectSpec(**o) for o in data["objects"]),
                fixtures=tuple(
                    FixtureSpec(f["name"], f["type"], _vec2(f["pos"]), f["yaw"])
                    for f in data["fixtures"]
                ),
                regions=tuple(
                    RegionSpec(
                        r["name"], _vec2(r["center"]), _vec2(r["half_size"]), _vec2(r["yaw_range"])
                    )
                    for r in data["regions"]
                ),
                init=tuple(Atom(a["pred"], tuple(a["args"])) for a in data["init"]),
                goal=tuple(Atom(a["pred"], tuple(a["args"])) for a in data["goal"]),
                horizon=int(data["horizon"]),
                seed=int(data["seed"]),
                camera_jitter=_vec2(data.get("camera_jitter", (0.0, 0.0))),
                perturbations=tuple(data.get("perturbations", ())),
            )
        except KeyError as exc:
            raise ConfigError(f"TaskSpec JSON is missing key {exc.args[0]!r}") from None

    @classmethod
    def from_json(cls, text: str) -> TaskSpec:
        return cls.from_dict(json.loads(text))


def _vec2(value: Any) -> Vec2:
    x, y = value
    return (float(x), float(y))
