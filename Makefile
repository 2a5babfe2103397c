# The course's single entry point. README gives two commands: `make lab` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rnn-course-installed
TEST_STAMP := $(VENV)/.rnn-course-test-installed
PYTEST_NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: install install-test lab test test-unit test-notebooks lint notebooks bench clean

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

## Everything: lint, unit tests, every notebook through nbval.
test: install-test lint
	$(BIN)/python -m pytest $(PYTEST_NBVAL)

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

## The course as a static book in build/book/ (open build/book/index.html): the committed notebooks and their
## stored outputs, rendered (not executed) by Sphinx + MyST-NB; readable offline. Installs the `book` extra.
BOOK_STAMP := $(VENV)/.rnn-course-book-installed
$(BOOK_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[book]"
	@touch $(BOOK_STAMP)

.PHONY: book
book: $(BOOK_STAMP)
	$(BIN)/python tools/build_book.py

clean:
	rm -rf $(VENV) build *.egg-info
