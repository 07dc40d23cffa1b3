"""Task families: pure generators ``(params, rng) -> TaskSpec``, registered in FAMILIES."""

from robolearn.tasks.families import goal, long, objects, pretrain, spatial  # noqa: F401
from robolearn.tasks.families.common import FAMILIES, Family

__all__ = ["FAMILIES", "Family"]
