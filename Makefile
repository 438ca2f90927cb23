# Linkages Community: `make run` serves the site with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
#: Every link in e-mail and feeds is built from SITE_URL, never from the request.
SITE_URL ?= http://$(HOST):$(PORT)
export FLASK_APP := community

.PHONY: run test install worker bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: accessibility checks will be skipped (they run under CI)"; fi

run: export SITE_URL := $(SITE_URL)
# The job worker runs beside the site (long work never runs in a web request); Ctrl-C stops both.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

#: The suite runs on every core (pytest-xdist, one file per worker at a time); PYTEST_WORKERS=0 runs it serially.
PYTEST_WORKERS ?= auto
#: ruff (pyflakes, bugbear, simplify; settings in pyproject.toml) runs first: a finding fails the run.
test: install node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

worker: install
	$(BIN)/flask jobs worker

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules tests/_artifacts .pytest_cache
