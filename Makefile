# srlm-companion: every target sets up what it needs itself.
#   make book      set up, then build the HTML book from the stored notebook outputs
#   make test      set up, then run every test (book build with warnings as errors,
#                  unit tests, notebook pairing, strict nbval on every notebook)
#   make execute   (developers) re-execute every notebook deterministically
#   make bench     run the benchmark scripts and print their ratios
#   make browser-check   build, then open every page in headless Chromium at 1400 px and 390 px
#                  (installs Debian's chromium if missing): raw TeX, too-wide formulas, console
#                  errors, missing figures, broken references, broken tables; saves screenshots
#   make lab       JupyterLab on 127.0.0.1 with jupytext (a .py chapter opens as a notebook),
#                  MyST rendering and the project's kernel "srlm-companion"
#   make pdf       the whole book as a PDF via xelatex (installs the Debian TeX packages if
#                  missing), checked (page count, no missing glyph), then linked from the HTML book

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHELL  := /bin/bash

export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup vendor book test execute lint bench browser-check pdf lab clean

$(STAMP): requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name srlm-companion \
	    --display-name "Python 3 (srlm-companion)" >/dev/null
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
	$(BIN)/mypy srlm  # strict, with scipy-stubs; configured in pyproject.toml [tool.mypy]
	$(BIN)/actionlint .github/workflows/*.yml

test: $(STAMP)
	$(MAKE) --no-print-directory book
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py notebooks/*.py

browser-check: book
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_browser_check.py
	$(BIN)/python scripts/browser_check.py _build/html

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --no-browser --ServerApp.root_dir=notebooks \
	    --MultiKernelManager.default_kernel_name=srlm-companion $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

pdf: $(STAMP) vendor
	bash scripts/ensure_tex.sh
	rm -rf _build/latex
	$(BIN)/jupyter-book build . --builder pdflatex -n -W --keep-going
	$(BIN)/python scripts/check_pdf.py _build/latex --min-pages 100
	$(MAKE) --no-print-directory book
	@echo "PDF: $(CURDIR)/_build/latex/srlm-companion.pdf (linked from $(CURDIR)/_build/html/book/status.html)"

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do [ -e "$$f" ] || continue; echo "== $$f"; $(BIN)/python "$$f" || exit 1; done

clean:
	rm -rf _build _vendor .pytest_cache .ruff_cache .hypothesis
