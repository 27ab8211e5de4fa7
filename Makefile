# The project's verbs. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STAGE  ?= dev
export AWS_DEFAULT_REGION ?= ap-southeast-2

.PHONY: run test unit functional e2e token bench package lint format clean venv

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip<26.3"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## make run: moto (DynamoDB, S3, SQS) on loopback, resources, demo tenant, API on :8000 (PORT=…),
## the queue pump and the event pump (table stream → events → webhook deliveries).
run: venv
	$(PY) -m devstack.run

## make test: unit and functional tests (moto in process), then e2e over HTTP against the local stack.
test: venv
	$(PY) -m pytest tests/unit tests/functional -n 2
	$(PY) -m pytest tests/e2e

unit: venv
	$(PY) -m pytest tests/unit
functional: venv
	$(PY) -m pytest tests/functional -n 2
e2e: venv
	$(PY) -m pytest tests/e2e

## make token [TENANT=demo] [ROLE=admin|staff] [USER=sub]: a bearer token the local stack accepts.
token: venv
	@$(PY) -m devstack.token --tenant "$(or $(TENANT),demo)" --role "$(or $(ROLE),admin)" \
		$(if $(filter command line,$(origin USER)),--user "$(USER)")

## make bench: the benchmarks under bench/ (they print figures; nothing passes or fails on time).
bench: venv
	$(PY) bench/suggest_accuracy.py
	$(PY) bench/read_bench.py
	$(PY) bench/cold_start.py

## make package [STAGE=dev|prod]: chalice package merged with infra/resources.json, linted by cfn-lint.
package: venv
	rm -rf out/$(STAGE)
	IMPORT_QUEUE_NAME=sitebook-$(STAGE)-imports IMPORT_DLQ_NAME=sitebook-$(STAGE)-imports-dlq \
		WEBHOOK_QUEUE_NAME=sitebook-$(STAGE)-webhooks.fifo \
		$(VENV)/bin/chalice package --stage $(STAGE) --merge-template infra/resources.json out/$(STAGE)
	$(VENV)/bin/cfn-lint out/$(STAGE)/sam.json

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) out .local .pytest_cache .ruff_cache
