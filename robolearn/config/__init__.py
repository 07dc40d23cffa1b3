"""Structured (dataclass) configs for every robolearn command, registered in Hydra's ConfigStore.

Each top-level YAML under ``configs/`` starts with ``defaults: [<name>_schema, _self_]`` so that
Hydra validates it against the dataclass here: a wrong key or a wrong type fails at
composition time with the key's name. Groups mirror packages (``configs/policy/`` <->
``robolearn.policies`` <-> the policy registry).
"""

from robolearn.config.compose import compose, register_schemas, to_dict
from robolearn.config.runs import git_commit, write_run_metadata
from robolearn.config.schema import SCHEMAS, DoctorConfig

__all__ = [
    "SCHEMAS",
    "DoctorConfig",
    "compose",
    "git_commit",
    "register_schemas",
    "to_dict",
    "write_run_metadata",
]
