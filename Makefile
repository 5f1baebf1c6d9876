# Every target creates and fills its own environment first, so a fresh clone needs nothing else.
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

# uv installs the locked set in seconds; bytecode is compiled at install time because this
# environment sets PYTHONDONTWRITEBYTECODE and the CDK import is five times slower without it.
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_DEFAULT_REGION ?= us-west-1
PYTEST_ARGS ?=

.PHONY: help install test test-fast lint format synth deploy destroy run bench rebuild-views openapi schemas clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	python3 -m uv sync --frozen --quiet
	@touch $@

$(CHECKOV_STAMP): $(STAMP)
	python3 -m uv venv --quiet --allow-existing --python python3 $(CHECKOV_VENV)
	python3 -m uv pip install --quiet --python $(CHECKOV_VENV)/bin/python checkov==$(CHECKOV_VERSION)
	@touch $@

install: $(STAMP) ## Create .venv with the locked dependencies

test: $(STAMP) $(CHECKOV_STAMP) ## The whole suite: unit, handler, infrastructure (checkov) and end-to-end tests (schemathesis)
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

test-fast: $(STAMP) ## Unit and handler tests only
	$(PY) -m pytest tests/unit tests/handlers -q $(PYTEST_ARGS)

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

deploy: $(STAMP) ## cdk deploy (needs AWS credentials; STAGE=dev|prod)
	npx --yes aws-cdk@2 deploy --app "$(PY) -m cdk.app" --context stage=$${STAGE:-dev} --require-approval broadening

destroy: $(STAMP) ## cdk destroy (prod tables and bucket are retained)
	npx --yes aws-cdk@2 destroy --app "$(PY) -m cdk.app" --context stage=$${STAGE:-dev}

run: $(STAMP) ## The whole system locally on moto: http://127.0.0.1:3000 (ARGS=--no-seed)
	$(PY) -m local $(ARGS)

bench: $(STAMP) ## Benchmarks: prints a table and writes bench/results.json
	$(PY) -m bench

rebuild-views: $(STAMP) ## Rebuild every read view from the write model (tables from the environment)
	$(PY) -m tools.rebuild_views

openapi: $(STAMP) ## Regenerate docs/openapi.json and the event schemas under docs/events/
	$(PY) -m tools.openapi

clean: ## Remove the environment and generated files
	rm -rf $(VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis
