# Two commands are all a user needs: `make run` and `make test`. Both build .venv from the lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RAW ?= data/raw
OUT ?= data/processed
STAMP := $(VENV)/.installed

.PHONY: run test lab notebooks bench lint format lock synth clean help

help:
	@echo "make run        - opret .venv, lav demodata hvis $(RAW) er tom, kør hele analysen til $(OUT)"
	@echo "make test       - opret .venv og kør hele testsuiten"
	@echo "make lab        - start JupyterLab med projektets kerne"
	@echo "make notebooks  - kør alle notebooks til $(OUT)/notebooks (kopier og HTML)"
	@echo "make bench      - mål hastighed og hukommelse i national skala"
	@echo "make lint       - ruff check og format --check"

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

run: $(STAMP)
	@if [ -z "$$(find $(RAW) -mindepth 1 -maxdepth 1 ! -name 'README.md' ! -name '.*' 2>/dev/null)" ]; then \
		echo "$(RAW) er tom: laver syntetiske demodata"; \
		$(BIN)/omstilling synth --out $(RAW); \
	fi
	$(BIN)/omstilling kør --raw $(RAW) --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: $(STAMP)
	$(BIN)/python -m ipykernel install --user --name omstilling --display-name "Python (omstilling)"
	$(BIN)/jupyter lab notebooks

notebooks: $(STAMP)
	$(BIN)/python -m omstilling_analysis.notebooks --raw $(RAW) --out $(OUT)/notebooks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

synth: $(STAMP)
	$(BIN)/omstilling synth --out $(RAW)

# Regenerate the lock after changing pyproject.toml's dependencies (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
