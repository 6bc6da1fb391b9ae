# The two commands a user needs: `make build` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test lint serve bench browser clean

build: $(STAMP)
	$(BIN)/tide build objects

test: $(STAMP) browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tide tests bench
	$(BIN)/mypy

serve: $(STAMP)
	$(BIN)/tide serve objects

bench: $(STAMP)
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bench_site.py

# The editable install is redone whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The site tests drive Debian's chromium; install it when missing (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package for the browser tests" >&2; fi; }

clean:
	rm -rf build .tide-cache .pytest_cache .mypy_cache .ruff_cache
