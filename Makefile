# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-installed

.PHONY: install browser demo docs test lint typecheck pytest bench clean

# The venv gets no pip of its own when the system's can install into it (pip >= 22.3,
# `pip --python`): seeding one costs 6 s of the demo's first run.
$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	@$(PYTHON) -m pip --python $(BIN)/python --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip -q

PIP = $(if $(wildcard $(BIN)/pip),$(BIN)/python -m pip,$(PYTHON) -m pip --python $(BIN)/python) \
	--disable-pip-version-check

# Two installs. `make demo` needs only the package and its runtime dependencies: a plain
# (non-editable) install, copied into the venv, so that setuptools has nothing to warn
# about; it is redone when the package's files change. Its modules are compiled when
# first imported rather than all at install time (--no-compile: 5 s less). After
# `make install` (or `make test`) it uses that install instead.
# `make test` adds the extras (dev, docs, bench, ray) as an editable install: the
# checkout's actorflow/ folder, whose actors/, bus/ and contracts/ are symlinks to the
# top-level folders, so new modules need no reinstall.
SOURCES := $(shell find actorflow/ actors/ agents/ bus/ contracts/ -name '*.py' -o -name '*.toml' \
	-o -name '*.csv' -o -name '*.json' -o -name '*.html' -o -name '*.js' -o -name '*.css' 2>/dev/null)
RUNTIME := $(VENV)/.runtime-installed

$(RUNTIME): pyproject.toml $(SOURCES) | $(BIN)/python
	@if [ $(STAMP) -nt pyproject.toml ]; then :; \
	else $(PIP) install -q --no-compile . ; fi
	@touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -q --upgrade pip "setuptools>=69" wheel
	$(BIN)/python -m pip install -q -e ".[dev,docs,bench,ray]"
	touch $(STAMP)

install: $(STAMP)

demo: $(RUNTIME)
	$(BIN)/actorflow demo

# The documentation site (mkdocs.yml, docs/) into build/site; --strict: a broken link or
# reference fails the build, and `make test` builds it.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

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

test: lint typecheck docs pytest

bench: install
	$(BIN)/python benchmarks/runtime.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
