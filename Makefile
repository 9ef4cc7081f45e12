# Two commands for a fresh clone: `make run` and `make test`.
# Both create .venv (Python >= 3.11) and install the project into it first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## Index the bundled sample page, run a sample search, serve the web page.
run: $(STAMP)
	$(BIN)/vn-search demo --serve --port $${PORT:-5000}

## The whole test suite (the browser test runs where Chromium is installed).
test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/python -m pytest

## Relevance and speed benchmarks over ../shared/data (minutes, not seconds).
bench: $(STAMP)
	$(BIN)/python -m bench.relevance

clean:
	rm -rf $(VENV) build dist src/*.egg-info index/current index/gen-* index/.build-*
