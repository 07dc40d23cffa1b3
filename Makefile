# robolearn: `make run` and `make test` set up .venv on first use, then run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export MUJOCO_GL ?= egl
export PYOPENGL_PLATFORM ?= egl
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba
export HF_HUB_OFFLINE ?= 1
export WANDB_MODE ?= offline
export TOKENIZERS_PARALLELISM ?= false

APT_GL := apt-get update && apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri
PYTEST_ARGS ?=

.PHONY: run doctor test lint typecheck gl-check clean-venv

$(STAMP): pyproject.toml setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[dev,skills,cluster]"
	@touch $(STAMP)

gl-check:
	@if [ "$$MUJOCO_GL" = "egl" ]; then \
	  missing=""; \
	  for lib in libEGL.so.1 libEGL_mesa.so.0 libGL.so.1; do \
	    /sbin/ldconfig -p | grep -q "$$lib" || missing="$$missing $$lib"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    echo "Missing system GL libraries:$$missing. Fix (as root): $(APT_GL)" >&2; exit 1; \
	  fi; \
	fi

# The main job: collect (or reuse) demos, train the default policy, evaluate, write videos.
run: $(STAMP) gl-check
	$(VENV)/bin/robolearn train $(ARGS)

doctor: $(STAMP) gl-check
	$(VENV)/bin/robolearn doctor $(ARGS)

test: $(STAMP) gl-check
	$(PY) -m pytest -m "not gpu" -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

clean-venv:
	rm -rf $(VENV)
