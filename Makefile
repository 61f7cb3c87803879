# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv on first use and need nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench fuzz soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rdap-coop demo $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

# Not part of the tests: starts the service and its ceilings and drives them with wrk
# (installed from Debian's packages when missing) and a small C port-43 load generator.
# ARGS="--workers 2" runs two processes per service (sharing limits through a
# throwaway redis-server); ARGS="--domains 10000,1000000" adds the scale cells.
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y -q wrk
	command -v redis-server >/dev/null || apt-get install -y -q redis-server
	cc -O2 -pthread -o $(VENV)/whois_load bench/whois_load.c
	$(BIN)/python bench/run.py --whois-load $(VENV)/whois_load $(ARGS)

# The long robustness runs (their quick versions are part of `make test`): the fuzzers
# with SCALE times the examples and the faults repeated SCALE/10 times, then the
# coverage-guided parser fuzzers for RUNS inputs each.
fuzz: $(STAMP)
	RDAP_COOP_TEST_FUZZ_SCALE=$(or $(SCALE),20) $(BIN)/python -m pytest tests/fuzz tests/faults -q \
		-p no:cacheprovider -o timeout=0 -rP
	$(BIN)/python fuzz/parsers.py --runs $(or $(RUNS),200000) --jobs 2

# The demo under steady mixed load, watching memory, descriptors and errors (see soak/).
soak: $(STAMP)
	$(BIN)/python soak/soak.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check rdap_coop tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
