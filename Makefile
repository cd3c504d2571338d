# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-installed

.PHONY: install browser demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Dependencies are (re)installed when pyproject.toml changes. The editable install points
# at the checkout's actorflow/ folder, whose actors/, bus/ and contracts/ are symlinks to
# the top-level folders, so new modules need no reinstall.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=69" wheel
	$(BIN)/python -m pip install -q -e ".[dev,bench,ray]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/actorflow demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy -p actorflow

# The dashboard's browser test drives Debian's chromium through playwright (a PyPI
# package: it never downloads a browser of its own). Installing it needs root, as on CI.
browser:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

pytest: install browser
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/runtime.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
