# Set-up, demo, tests and benchmarks. Everything runs inside .venv (created on demand).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
IMAGE ?=
N_ITR ?= 300
PYTEST_FLAGS ?=
FUZZ_INPUTS ?= 100000

.PHONY: venv demo test test-full test-cuda bench fuzz clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/python -m coolchic.demo $(if $(IMAGE),--image $(IMAGE)) --n-itr $(N_ITR) --outdir out/demo

test: venv
	$(BIN)/python -m pytest -q -m "not slow and not cuda" $(PYTEST_FLAGS)

test-full: venv
	$(BIN)/python -m pytest -q -m "not cuda" $(PYTEST_FLAGS)

# Needs a CUDA GPU and a CUDA build of torch in .venv (the constraints pin the CPU one).
test-cuda: venv
	$(BIN)/python -m pytest -q -m cuda $(PYTEST_FLAGS)

bench: venv
	$(BIN)/python -m pytest benchmarks -q --benchmark-only -o python_files="test_*.py bench_*.py"

fuzz: venv
	nice -n 10 $(BIN)/python -m benchmarks.fuzz --inputs $(FUZZ_INPUTS) --out out/fuzz

clean:
	rm -rf $(VENV) out .pytest_cache .benchmarks
