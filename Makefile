# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-installed

.PHONY: install browser demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Dependencies are (re)installed when pyproject.toml changes; the project itself is
# re-linked on every run because strict editable installs link files one by one, so a
# new module needs it. (Strict mode is what lets mypy see actors/, bus/ and contracts/
# as subpackages of actorflow.)
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=69" wheel
	$(BIN)/python -m pip install -q -e ".[dev,bench,ray]" --config-settings editable_mode=strict
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e . --config-settings editable_mode=strict

demo: install
	$(BIN)/actorflow demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy runs from build/ so that the source folder actorflow/ (which lacks the mapped
# subpackages) does not shadow the installed package.
typecheck: install
	cd build && ../$(BIN)/mypy --config-file ../pyproject.toml -p actorflow

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
