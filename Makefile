# Tongban: `make demo` to try it, `make test` to check it. Only python3 (3.11+) and make needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
export TONGBAN_DATA_DIR ?= $(CURDIR)/var

.PHONY: help demo serve screenshots test test-unit test-integration test-e2e test-conformance lint fmt bench lock clean system-deps

# Debian packages: the CJK TrueType font approvals and seals embed (reportlab cannot embed
# Noto CJK); Chromium for the browser tests (Playwright drives it, no browser download);
# poppler's pdfsig/pdftoppm, NSS tools and openssl as independent checkers in the tests.
SYSTEM_PACKAGES := fonts-arphic-uming chromium poppler-utils libnss3-tools openssl

help:
	@echo "make demo    create .venv, initialise ./var, serve Tongban on :8000 and two demo"
	@echo "             department systems on :8001 and :8002"
	@echo "make test    create .venv with test tools and run the whole suite"
	@echo "make lint    ruff, mypy (strict) and import-linter"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make screenshots  retake the README's pictures from the demo stack in Chromium"

# Installs the Debian packages above when missing (needs root, as on CI).
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "system packages present: $(SYSTEM_PACKAGES)"; \
	elif [ "$$(id -u)" != 0 ]; then echo "missing (install as root): $$missing"; \
	else DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing \
	  || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing); fi

$(BIN)/python:
	$(PY) -m venv $(VENV)

# The runtime install, and the one with test and lint tools; pinned by requirements.lock.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(PIP) -c requirements.lock -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -c requirements.lock -e '.[test,dev]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/tongban init
	$(BIN)/python demo/run.py

serve: $(VENV)/.installed
	$(BIN)/tongban serve

# tests/conformance installs its Node packages itself (`npm ci` from the committed lock, once).
test: $(VENV)/.installed-dev
	$(BIN)/pytest

test-unit: $(VENV)/.installed-dev
	$(BIN)/pytest tests/unit tests/contract

test-integration: $(VENV)/.installed-dev
	$(BIN)/pytest tests/integration

test-e2e: $(VENV)/.installed-dev
	$(BIN)/pytest tests/e2e

test-conformance: $(VENV)/.installed-dev
	$(BIN)/pytest tests/conformance

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The README's pictures, from the real demo stack in Chromium (make system-deps first).
screenshots: $(VENV)/.installed-dev
	$(BIN)/python demo/screenshots.py

bench: $(VENV)/.installed-dev
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Re-pin every dependency after editing pyproject.toml (needs network access to PyPI).
lock: $(BIN)/python
	$(PIP) uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 --quiet --no-header -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info tests/conformance/node/node_modules
