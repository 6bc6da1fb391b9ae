# The two commands a user needs: `make build` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test lint serve bench browser bytecode clean

build: $(STAMP) bytecode
	$(BIN)/tide build objects

test: $(STAMP) browser bytecode
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tide tests bench
	$(BIN)/mypy

serve: $(STAMP) bytecode
	$(BIN)/tide serve objects

bench: $(STAMP) bytecode
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bench_site.py

# The editable install is redone whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# An editable install leaves tide's modules uncompiled, and where PYTHONDONTWRITEBYTECODE is set
# (as on CI machines) every run would compile them again: ~100 ms a process, twice the YAML load
# of the ShareTide corpus. compileall only redoes modules whose source changed. The page
# templates are compiled ahead too (~20 ms a build; see tide/render/compiled.py).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q tide
	$(BIN)/python -m tide.render.precompile >/dev/null

# The site tests drive Debian's chromium; install it when missing (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package for the browser tests" >&2; fi; }

clean:
	rm -rf build .tide-cache .pytest_cache .mypy_cache .ruff_cache
