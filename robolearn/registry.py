"""A generic, typed name -> object registry.

Registries back everything the benchmark lists or iterates over (tasks, suites, policies,
learners...). Tests parametrise over ``registry.names()``; checkpoints and configs store
the stable registered name, never an import path.

>>> POLICIES: Registry[type] = Registry("policy")
>>> @POLICIES.register("mlp")
... class MLP: ...
>>> POLICIES.get("mlp") is MLP
True
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from robolearn.errors import DuplicateNameError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects of type ``T``; lookups of unknown names suggest close matches."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, obj: T, *, overwrite: bool = False) -> T:
        """Register ``obj`` under ``name``; a second registration of a name is an error."""
        if not name or not isinstance(name, str):
            raise ValueError(f"{self.kind} names must be non-empty strings, got {name!r}")
        if name in self._items and not overwrite:
            raise DuplicateNameError(
                f"{self.kind} {name!r} is already registered; pick another name "
                "or pass overwrite=True"
            )
        self._items[name] = obj
        return obj

    def register(self, name: str, *, overwrite: bool = False) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def decorator(obj: T) -> T:
            return self.add(name, obj, overwrite=overwrite)

        return decorator

    def get(self, name: str) -> T:
        """Return the object registered as ``name`` or raise with "did you mean" hints."""
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self._unknown_message(name)) from None

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(str(name), self._items, n=5, cutoff=0.5)
        msg = f"unknown {self.kind} {name!r}"
        if close:
            msg += f"; did you mean {', '.join(repr(c) for c in close)}?"
        elif self._items:
            shown = sorted(self._items)[:20]
            more = "" if len(self._items) <= 20 else f" (and {len(self._items) - 20} more)"
            msg += f"; registered: {', '.join(shown)}{more}"
        else:
            msg += f"; no {self.kind} is registered yet"
        return msg

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"
