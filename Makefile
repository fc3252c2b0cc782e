# camgate: `make run` serves the demo, `make test` runs the whole suite. Only python3 and make needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 4

.PHONY: run test lint unit bench bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@mkdir -p var
	@$(BIN)/camgate demo > var/demo.json
	@$(BIN)/python -m camgate.demo_banner var/demo.json
	$(BIN)/camgate serve --host 127.0.0.1 --port 8000

lint: $(VENV)/.installed-test
	$(BIN)/ruff check camgate tests bench
	$(BIN)/mypy

test: $(VENV)/.installed-test lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/unit

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run

bench-smoke: $(VENV)/.installed-test
	$(BIN)/python -m bench.run --smoke

clean:
	rm -rf $(VENV) var test-results .pytest_cache .mypy_cache .ruff_cache
