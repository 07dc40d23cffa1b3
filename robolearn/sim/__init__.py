"""The robosuite/MuJoCo adapter. Importing this package does not import robosuite."""

from robolearn.sim.backend import import_robosuite, quiet_sim_loggers

__all__ = ["import_robosuite", "quiet_sim_loggers"]
