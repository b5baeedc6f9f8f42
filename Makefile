# Two commands are all a user needs: `make run` and `make test`. Both build .venv from the lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RAW ?= data/raw
OUT ?= data/processed
STAMP := $(VENV)/.installed
# `make run` analyses $(RAW) when it holds exports; else the synthetic demo in $(RAW)/demo, made
# there when missing. Not exports: README.md, hidden files, and a subfolder holding DEMODATA.md.
RAW_GIVEN := $(RAW)
DEMO_RAW := $(RAW_GIVEN)/demo
EXPORTS := $(shell cd "$(RAW_GIVEN)" 2>/dev/null && for e in *; do [ -e "$$e" ] || continue; \
	[ "$$e" = README.md ] && continue; [ -f "$$e/DEMODATA.md" ] && continue; echo "$$e"; done)

.PHONY: run test lab notebooks bench lint format lock synth clean help

help:
	@echo "make run        - opret .venv, lav demodata i $(DEMO_RAW) hvis $(RAW) ingen eksporter har, kør hele analysen til $(OUT)"
	@echo "make test       - opret .venv og kør hele testsuiten"
	@echo "make lab        - start JupyterLab med projektets kerne"
	@echo "make notebooks  - kør alle notebooks til $(OUT)/notebooks (kopier og HTML)"
	@echo "make bench      - mål hastighed og hukommelse i national skala"
	@echo "make lint       - ruff check og format --check"

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name omstilling \
		--display-name "Python (omstilling)" >/dev/null
	touch $@

# The project's kernel lives inside .venv (--sys-prefix), never in the user's home; this rule
# also registers it in a .venv made before the stamp did. The notebooks themselves name
# ipykernel's own "python3", which every environment with ipykernel has.
KERNEL := $(VENV)/share/jupyter/kernels/omstilling/kernel.json
$(KERNEL): $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name omstilling \
		--display-name "Python (omstilling)" >/dev/null

run: override RAW := $(if $(EXPORTS),$(RAW_GIVEN),$(DEMO_RAW))
run: $(KERNEL)
	@if [ -z "$(if $(EXPORTS),ja)" ] && [ ! -f "$(DEMO_RAW)/DEMODATA.md" ]; then \
		echo "$(RAW_GIVEN) har ingen eksporter: laver syntetiske demodata i $(DEMO_RAW)"; \
		$(BIN)/omstilling demodata --out $(DEMO_RAW); \
	fi
	@if [ -z "$(if $(EXPORTS),ja)" ]; then \
		echo "Kører på DEMODATA i $(DEMO_RAW). Rigtige eksporter: slet mappen $(DEMO_RAW)" \
			"og læg eksporterne i $(RAW_GIVEN)"; \
	fi
	$(BIN)/omstilling kør --raw $(RAW) --out $(OUT)

test: $(KERNEL)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: $(KERNEL)
	$(BIN)/jupyter lab notebooks

notebooks: $(KERNEL)
	$(BIN)/python tools/run_notebooks.py --raw $(RAW) --out $(OUT)/notebooks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py; status=$$?; \
	$(BIN)/python benchmarks/bench_robustness.py || status=1; \
	$(BIN)/python benchmarks/bench_maps.py || status=1; \
	exit $$status

synth: $(STAMP)
	$(BIN)/omstilling demodata --out $(DEMO_RAW)

# Regenerate the lock after changing pyproject.toml's dependencies (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
