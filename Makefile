# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test bench simulate fuzz install lock clean screenshots

# Exactly the versions in requirements.lock (with their hashes), then leastmeans itself
# without touching them; a changed lock or pyproject.toml reinstalls.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Upgrade the lock deliberately: the newest versions pyproject.toml allows, for Python 3.11+
# on every platform, with hashes (uv, kept in a venv of its own). Review the diff, run
# `make install` and the suite, and commit requirements.lock.
LOCK_TOOLS := $(VENV)/lock-tools
lock:
	test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/python -m pip install --quiet uv)
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes --upgrade --quiet -o requirements.lock

run: $(STAMP)
	$(BIN)/leastmeans migrate
	$(BIN)/leastmeans demo --respondents 60 --only-if-empty
	LEASTMEANS_DEMO_MODE=1 $(BIN)/leastmeans serve --port $(PORT)

# Two processes, each taking whole test files (tests in a file share their fixtures and
# the Redis database they use); PYTEST_ARGS="-n 0" runs in one process.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# Re-create docs/tablet-question.png (a question page at 1024x768) and the screen gallery
# in docs/screens/ (every screen type at tablet and phone size) from the browser tests.
screenshots: $(STAMP)
	LEASTMEANS_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_tablet_accessibility.py tests/browser/test_screen_gallery.py -k "screenshot or gallery" -q

bench: $(STAMP)
	$(BIN)/python -m bench

# The long statistical simulations (tests marked `slow`: coverage, error rates) and the
# simulation study of the gradation's operating characteristics, which prints its table
# and writes it to docs/methods.md and docs/simulation-study.json. About half an hour on 2 cores;
# SIMULATE_ARGS="--quick" for a first look, "--runs N" for more precision.
simulate: $(STAMP)
	nice $(BIN)/python -m pytest -q -m slow tests
	nice $(BIN)/python -m bench.simulation_study $(SIMULATE_ARGS)

# The fuzz tests with a long budget (the default suite runs them briefly, on SQLite only).
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} FUZZ_DATABASES=sqlite,postgres $(BIN)/python -m pytest -q tests/reliability/test_schemathesis.py tests/reliability/test_fuzz_forms.py tests/reliability/test_fuzz_import.py

clean:
	rm -rf $(VENV) var/*.sqlite3*
