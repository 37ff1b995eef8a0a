# Kasane: the two commands are `make up` (run the stack) and `make test` (run the tests).
SHELL := /bin/bash
BIN := .local/venv/bin

.PHONY: up down status test test-clock test-servers access-docs bench faults demo lint deps clean contract contract-publish

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

## The servers the tests use (KASANE_TEST_SERVERS, kasane_devstack.servers): this checkout's
## stack, set up and started as by `make up`, unless KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL
## are both set (your own servers: nothing local is started) or containers are asked for
test-servers: deps
	@mode=$$($(BIN)/python -m kasane_devstack.servers) && \
	if [ "$$mode" = local ]; then $(BIN)/kasane-stack up; \
	elif [ "$$mode" = env ]; then echo "[kasane] the tests use your servers ($$KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL): no local server is started"; \
	else echo "[kasane] the tests use Kafka and PostgreSQL in containers (KASANE_TEST_SERVERS=containers): no local server is started"; fi

## The same set-up as `make up` (unless you name your own servers), then the whole test suite
test: test-servers
	@$(BIN)/ruff check shared services tools tests bench
	@$(BIN)/mypy
	@bash scripts/deploy-tools.sh >/dev/null  # kustomize and Docker Compose for tests/deploy (cached in .local/)
	@eval "$$($(BIN)/kasane-stack env)" && $(BIN)/pytest $(PYTEST_ARGS)
	@if [ -z "$(PYTEST_ARGS)" ]; then $(MAKE) --no-print-directory test-clock; fi

## The date-sensitive tests again with the clock faked (libfaketime) to the hours and days
## that once broke them: 00:30 and 23:30 in Japan today, and the statistics at the end of a
## month and of a fiscal year
CLOCK_TESTS := tests/shared tests/intake tests/coordination tests/participation tests/community tests/e2e
test-clock: test-servers
	@eval "$$($(BIN)/kasane-stack env)" && $(BIN)/python -m tests.support.faked_clock \
	  --at 00:30 --at 23:30 -- -q $(CLOCK_TESTS)
	@eval "$$($(BIN)/kasane-stack env)" && $(BIN)/python -m tests.support.faked_clock \
	  --at 2026-11-30T23:30 --at 2026-12-01T00:30 --at 2026-03-31T23:30 --at 2026-04-01T00:30 \
	  -- -q tests/community

## Benchmarks (not tests): print figures and ratios measured in one run
bench: up
	@eval "$$($(BIN)/kasane-stack env)" && $(BIN)/python -m bench

## The fault suite (not a test): consultations under load while the broker, each worker and
## PostgreSQL fail in turn; prints acknowledged, published, applied, lost, duplicated, recovery
faults: up
	@eval "$$($(BIN)/kasane-stack env)" && $(BIN)/python -m bench.faults

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
	@$(BIN)/mypy

## Regenerate docs/access.md (the access matrix) from the services' policies
access-docs: deps
	@$(BIN)/python -m kasane_devstack.access_docs

## Remove everything the stack downloaded or generated: .local/, and the PostgreSQL cluster
## it links to outside the checkout (a root-run stack's, under /var/lib/kasane-devstack)
clean: down
	@bash scripts/clean.sh
