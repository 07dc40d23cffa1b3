"""Packaging glue that pyproject.toml cannot express.

The top-level ``envs/`` (simulator assets, suite data, initial states) and ``configs/``
(Hydra YAML) folders hold no Python, yet a non-editable ``pip install .`` must ship them.
They are mapped into the package namespace as ``robolearn.assets`` and
``robolearn.conf``; ``robolearn.paths`` finds them in editable and wheel installs alike.
"""

from setuptools import find_packages, setup

DATA_PACKAGES = {"robolearn.assets": "envs", "robolearn.conf": "configs"}

setup(
    packages=find_packages(include=["robolearn", "robolearn.*"]) + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
    package_data={"robolearn": ["py.typed"], **{name: ["**/*"] for name in DATA_PACKAGES}},
    include_package_data=False,
)
