# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test bench simulate fuzz install clean screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

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
