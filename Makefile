# The course's single entry point. README gives two commands: `make lab` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rnn-course-installed
TEST_STAMP := $(VENV)/.rnn-course-test-installed
PYTEST_NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
BOOK_STAMP := $(VENV)/.rnn-course-book-installed
BOOK_INDEX := build/book/index.html
BOOK_INPUTS := $(wildcard notebooks/[0-9][0-9]_*.ipynb) $(wildcard docs/*) tools/build_book.py \
               $(shell find book -type f -not -path '*/__pycache__/*')

.PHONY: install install-test lab test test-oldest test-unit test-notebooks lint notebooks bench bench-cluster clean

# A virtual environment with the course installed (editable) and what the lessons need.
# Re-run whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

install: $(STAMP)

# The same, plus the test tools (pytest, nbval, hypothesis, ruff, playwright, torch): the `test` extra.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(TEST_STAMP)

install-test: $(TEST_STAMP)

## Open the course in JupyterLab, on lesson 1.
lab: install
	$(BIN)/rnn-course start

## Everything README promises: lint; with the newest dependencies, the unit tests, every notebook through
## nbval, the browser tests and the book (built first when missing or stale); and beside them, in the
## background, `make test-oldest` (most of the suite is one process at a time, so on two cores the second
## environment's run costs little extra time). Its report follows the newest versions' report.
## -rs: any skipped test is listed with its reason. The browser tests run last: by then the oldest versions'
## run is over, so the Run All times their report prints are taken on a quiet machine, as a learner's are.
OLDEST_RUN_LOG := build/test-oldest.log
NEWEST_ORDER := $(sort $(wildcard tests/test_*.py)) notebooks tests/browser
test: install-test lint $(BOOK_INDEX)
	@mkdir -p build
	@echo "test: the oldest supported versions are tested beside these (make test-oldest; report at the end)"
	@$(MAKE) --no-print-directory test-oldest > $(OLDEST_RUN_LOG) 2>&1 & oldest=$$!; \
	$(BIN)/python -m pytest -rs $(PYTEST_NBVAL) $(NEWEST_ORDER); newest=$$?; \
	wait $$oldest; old=$$?; \
	echo "================ make test-oldest (ran beside the tests above) ================"; \
	cat $(OLDEST_RUN_LOG); \
	echo "test: newest versions $$([ $$newest = 0 ] && echo passed || echo FAILED)," \
	     "oldest versions $$([ $$old = 0 ] && echo passed || echo FAILED)"; \
	[ $$newest = 0 ] && [ $$old = 0 ]

## The unit tests and every notebook through nbval again, in a second environment (.venv-oldest) holding
## the oldest versions pyproject.toml allows (.ci/oldest-constraints.txt). Not the browser tests, nor the
## BLAS-kernel ones (they test the machine, not the versions). The notebooks run beside the unit tests (two
## processes, for two cores); their report follows the unit tests'.
OLDEST       ?= .venv-oldest
OLDEST_STAMP := $(OLDEST)/.rnn-course-oldest-installed
# --no-compile: byte-compiling every installed file (PyTorch's above all) took two thirds of the install's
# CPU time; Python compiles what the tests import, as they import it.
$(OLDEST_STAMP): pyproject.toml .ci/oldest-constraints.txt
	@test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet --no-compile -c .ci/oldest-constraints.txt -e '.[test]'
	@touch $@

OLDEST_LOG := build/oldest-notebooks.log
test-oldest: $(OLDEST_STAMP)
	@mkdir -p build
	@echo "test-oldest: unit tests here, notebooks beside them (their report follows, from $(OLDEST_LOG))"
	@$(OLDEST)/bin/python -m pytest -rs $(PYTEST_NBVAL) notebooks > $(OLDEST_LOG) 2>&1 & notebooks=$$!; \
	$(OLDEST)/bin/python -m pytest -rs tests --ignore=tests/browser --ignore=tests/test_portability.py; unit=$$?; \
	wait $$notebooks; lessons=$$?; cat $(OLDEST_LOG); \
	echo "test-oldest: unit tests $$([ $$unit = 0 ] && echo passed || echo FAILED), notebooks $$([ $$lessons = 0 ] && echo passed || echo FAILED)"; \
	[ $$unit = 0 ] && [ $$lessons = 0 ]

lint: install-test
	$(BIN)/ruff check rnn_course tests notebooks benchmarks tools book

test-unit: install-test
	$(BIN)/python -m pytest tests

test-notebooks: install-test
	$(BIN)/python -m pytest $(PYTEST_NBVAL) notebooks

## Only the browser tests: every lesson run in JupyterLab in headless Chromium (needs `apt-get install chromium`).
.PHONY: test-browser
test-browser: install-test
	$(BIN)/python -m pytest tests/browser

## Re-execute every notebook in place so its stored outputs come from the current code.
notebooks: install
	$(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb

bench: install
	$(BIN)/python benchmarks/bench_numerics.py
	$(BIN)/python benchmarks/bench_widgets.py

## Grading one room through a Dask scheduler with one worker, then two (started on this machine).
bench-cluster: install-test
	$(BIN)/python benchmarks/bench_grade_cluster.py

## The course as a static book in build/book/ (open build/book/index.html): the committed notebooks and their
## stored outputs, rendered (not executed) by Sphinx + MyST-NB; readable offline. Installs the `book` extra.
$(BOOK_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[book]"
	@touch $(BOOK_STAMP)

# The stamp is order-only: installing the tools again does not make the pages stale. A failed build
# leaves no index.html behind, so the next `make book` or `make test` builds again.
$(BOOK_INDEX): $(BOOK_INPUTS) | $(BOOK_STAMP)
	$(BIN)/python tools/build_book.py || { rm -f $@; exit 1; }

## Rebuilt only when a lesson, docs/, book/ or the build script changed (or it is missing).
.PHONY: book
book: $(BOOK_INDEX)

clean:
	rm -rf $(VENV) $(OLDEST) build *.egg-info
