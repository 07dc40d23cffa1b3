"""The robolearn error hierarchy.

Every error the library raises on bad input is a :class:`RobolearnError` whose message names
the offending file, key or value and says what to do about it.
"""

from __future__ import annotations


class RobolearnError(Exception):
    """Base class of every error robolearn raises on purpose."""


class ConfigError(RobolearnError):
    """A configuration is missing a key, has a wrong type, or is inconsistent."""


class UnknownNameError(RobolearnError, KeyError):
    """A name was looked up in a registry that does not hold it."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(RobolearnError):
    """A name was registered twice in the same registry."""


class DataError(RobolearnError):
    """A data file is missing, truncated, corrupt, or has the wrong schema."""


class SimulationError(RobolearnError):
    """The simulator could not build or step a scene."""


class PlacementError(SimulationError):
    """Objects could not be placed without collision within the allowed retries."""


class InvalidActionError(RobolearnError, ValueError):
    """An action is NaN/inf or has the wrong shape; it never reaches MuJoCo."""


class CheckpointError(RobolearnError):
    """A checkpoint is missing, from another schema, or does not match its config."""


class EnvironmentSetupError(RobolearnError):
    """The machine lacks something robolearn needs (GL libraries, a package version...)."""
