# Kasane: the two commands are `make up` (run the stack) and `make test` (run the tests).
SHELL := /bin/bash
BIN := .local/venv/bin

.PHONY: up down status test bench demo lint deps clean contract contract-publish

deps:
	@bash scripts/bootstrap.sh

## Set up and start Kafka, PostgreSQL and the four services on 127.0.0.1
up: deps
	@$(BIN)/kasane-stack up

## Stop everything `make up` started (data stays in .local/)
down:
	@if [ -x $(BIN)/kasane-stack ]; then $(BIN)/kasane-stack down; fi

status: deps
	@$(BIN)/kasane-stack status

## The same set-up as `make up`, then the whole test suite
test: up
	@$(BIN)/ruff check shared services tools tests bench
	@bash scripts/deploy-tools.sh >/dev/null  # kustomize and Docker Compose for tests/deploy (cached in .local/)
	@eval "$$($(BIN)/kasane-stack env)" && $(BIN)/pytest $(PYTEST_ARGS)

## Benchmarks (not tests): print figures and ratios measured in one run
bench: up
	@eval "$$($(BIN)/kasane-stack env)" && $(BIN)/python -m bench

## Load a sample municipality (generated households, places, cases at every stage) into the
## stack `make up` started, through the public APIs, and print where to look. DEMO_ARGS="--households 50"
demo:
	@test -x $(BIN)/python || { echo "make demo: the stack is not set up; run make up first" >&2; exit 1; }
	@$(BIN)/python -m kasane_devstack.demo $(DEMO_ARGS)

## Regenerate the event contract (docs/events/) from the models
contract: deps
	@$(BIN)/python -m kasane_shared.contracts.asyncapi write

## Freeze newly added event types as published (never overwrites a published schema)
contract-publish: deps
	@$(BIN)/python -m kasane_shared.contracts.asyncapi publish

lint: deps
	@$(BIN)/ruff check shared services tools tests bench

## Remove everything the stack downloaded or generated
clean: down
	rm -rf .local
