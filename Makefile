# Every target creates and fills its own environment first, so a fresh clone needs nothing else
# than python3 (3.11+, with venv); deploy, diff and destroy also need Node (npm).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# checkov pins an older boto3 than the functions use, so it lives in its own tool environment;
# the stamp names the version, so changing the pin reinstalls it.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION)
# No network look-ups (guideline links) and no banner: the result is the same offline.
CHECKOV_ARGS := --framework cloudformation --skip-download --compact --quiet

NODE_STAMP := node_modules/.installed
# The CLI pinned by package-lock.json; it runs the app named in cdk.json.
CDK := npx --no-install cdk

# uv: the one on PATH, else a private copy in .venv-tools, never installed into the system Python
# (PEP 668 interpreters refuse that). The private copy is the version uv.lock pins for .venv.
TOOLS := .venv-tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' uv.lock)

# uv installs the locked set in seconds; bytecode is compiled at install time because this
# environment sets PYTHONDONTWRITEBYTECODE and the CDK import is five times slower without it.
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_DEFAULT_REGION ?= us-west-1
PYTEST_ARGS ?=
# One pytest worker per core (pytest-xdist); the infra, e2e and browser tiers each stay whole on one
# worker (tests/conftest.py), so their session fixtures are built once. TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= auto

.PHONY: help install test test-fast test-browser lint format synth deploy diff destroy run bench rebuild-views replay-events openapi schemas clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	$(PY) -m cdk.lambda_dependencies
	@touch $@

$(CHECKOV_STAMP): $(STAMP)
	$(UV) venv --quiet --allow-existing --python python3 $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python checkov==$(CHECKOV_VERSION)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP) $(NODE_STAMP) ## Create .venv (locked Python packages, Lambda layer) and node_modules (CDK CLI)

test: $(STAMP) $(CHECKOV_STAMP) ## The whole suite: unit, handler, infrastructure (checkov), end-to-end (schemathesis) and browser tests
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

test-fast: $(STAMP) ## Unit and handler tests only
	$(PY) -m pytest -n $(TEST_WORKERS) tests/unit tests/handlers -q $(PYTEST_ARGS)

test-browser: $(STAMP) ## The admin console and /docs in headless Chromium (Debian's chromium package)
	$(PY) -m pytest tests/browser -q $(PYTEST_ARGS)

lint: $(STAMP) ## ruff and mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

synth: $(STAMP) $(CHECKOV_STAMP) ## Synthesize the stack into cdk.out/ with the cdk-nag gate, then checkov and cfn-lint
	$(PY) -m cdk.synth
	$(CHECKOV_VENV)/bin/checkov $(CHECKOV_ARGS) -f cdk.out/*.template.json
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

deploy: $(STAMP) $(NODE_STAMP) ## cdk deploy with the pinned CLI (needs AWS credentials; STAGE=dev|prod)
	$(CDK) deploy --context stage=$${STAGE:-dev} --require-approval broadening

diff: $(STAMP) $(NODE_STAMP) ## cdk diff against the deployed stack (needs AWS credentials; STAGE=dev|prod)
	$(CDK) diff --context stage=$${STAGE:-dev}

destroy: $(STAMP) $(NODE_STAMP) ## cdk destroy (prod tables and bucket are retained)
	$(CDK) destroy --context stage=$${STAGE:-dev}

run: $(STAMP) ## The whole system locally on moto: http://127.0.0.1:3000 (ARGS=--no-seed)
	$(PY) -m local $(ARGS)

bench: $(STAMP) ## Benchmarks: prints a table and writes bench/results.json (SECTIONS=a,b: only those, merged in)
	$(PY) -m bench $(if $(SECTIONS),--only "$(SECTIONS)")

rebuild-views: $(STAMP) ## Rebuild every read view from the write model (tables from the environment)
	$(PY) -m tools.rebuild_views

replay-events: $(STAMP) ## Re-publish logged events: SINCE=<RFC 3339> [UNTIL=] [TYPE=] [PRODUCT=]
	$(PY) -m tools.replay_events --since "$(SINCE)" --until "$(UNTIL)" --type "$(TYPE)" --product "$(PRODUCT)"

openapi: $(STAMP) ## Regenerate docs/openapi.json and the event schemas under docs/events/
	$(PY) -m tools.openapi

clean: ## Remove the environment and generated files
	rm -rf $(VENV) $(TOOLS) node_modules build cdk.out .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis
