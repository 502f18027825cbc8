# faasforge developer and CI entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash

# The interpreter to use: `python` where it exists (venvs, pyenv), else `python3` (plain Debian).
PYTHON ?= $(shell command -v python >/dev/null 2>&1 && echo python || echo python3)
# The one test command; README and .ci/run (through `make test`) share it.
TEST_CMD ?= $(PYTHON) -m pytest -q
SERVICES := scripts/services.sh

.PHONY: services services-status services-down install test demo bench lint print-test-cmd

services:  ## docker engine, local registry, qemu binfmt, local base images (idempotent)
	$(SERVICES) up

services-status:
	$(SERVICES) status

services-down:  ## stop the dockerd and registry that `make services` started
	$(SERVICES) down

install:
	$(PYTHON) -m pip install -e '.[test]'

# Public base images when Docker Hub answered, else the offline stand-ins' systems overlay.
OVERLAY = FAASFORGE_SYSTEMS_OVERLAY="$${FAASFORGE_SYSTEMS_OVERLAY:-$$($(SERVICES) overlay)}"

test: services install
	$(OVERLAY) $(TEST_CMD)

demo: services install
	$(OVERLAY) $(PYTHON) -m faasforge.demo

bench: services install
	$(PYTHON) bench/run.py

lint:
	$(PYTHON) -m ruff check . && $(PYTHON) scripts/typecheck.py

print-test-cmd:
	@echo '$(TEST_CMD)'
