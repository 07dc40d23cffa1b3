"""Procedurally generated tabletop tasks: TaskSpec, catalogue, predicates, language,
families (pure generators) and suites. Nothing here imports the simulator."""

from robolearn.tasks.spec import Atom, FixtureSpec, ObjectSpec, RegionSpec, TaskSpec

__all__ = ["Atom", "FixtureSpec", "ObjectSpec", "RegionSpec", "TaskSpec"]
