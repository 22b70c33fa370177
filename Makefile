# srlm-companion: every target sets up what it needs itself.
#   make book      set up, then build the HTML book from the stored notebook outputs
#   make test      set up, then run every test (book build with warnings as errors,
#                  unit tests, notebook pairing, strict nbval on every notebook)
#   make execute   (developers) re-execute every notebook deterministically
#   make bench     run the benchmark scripts and print their ratios
#   make browser-check   build, then open every page in headless Chromium (installs Debian's
#                  chromium if missing) and check math, theorem boxes, figures; saves screenshots

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHELL  := /bin/bash

export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup vendor book test execute lint bench browser-check clean

$(STAMP): requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP) vendor

vendor:
	@bash scripts/vendor_mathjax.sh

book: $(STAMP) vendor
	rm -rf _build/html
	$(BIN)/jupyter-book build . -n -W --keep-going
	@echo "Book built: $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check srlm tests scripts benchmarks notebooks/*.py

test: $(STAMP)
	$(MAKE) --no-print-directory book
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py notebooks/*.py

browser-check: book
	bash scripts/ensure_chromium.sh
	$(BIN)/python scripts/browser_check.py _build/html

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do [ -e "$$f" ] || continue; echo "== $$f"; $(BIN)/python "$$f" || exit 1; done

clean:
	rm -rf _build _vendor .pytest_cache .ruff_cache .hypothesis
