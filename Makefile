# Two commands on a fresh machine: `make plan` (the main job) and `make test`.
# Both set up .venv from uv.lock first (pulumi-aws is large: installed once per environment), byte-compiled:
# our machines set PYTHONDONTWRITEBYTECODE=1, so without it every process compiles pulumi-aws from source
# (`connectctl plan acme-prod`: 9.2 s wall before, 4.6 s after; BENCHMARKS.md).
UV_VERSION := 0.13.9
PY := .venv/bin/python
STACK ?= acme-prod

.PHONY: setup bytecode plan test test-future lint pytest scan checkov schema docs clean

setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock Makefile
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	uv sync --frozen --python python3.11 --compile-bytecode
	@touch $@

# This project's own modules byte-compiled as well: with PYTHONDONTWRITEBYTECODE=1 every process would compile them
# (0.08 s of each `connectctl plan`; BENCHMARKS.md). compileall rewrites only what changed; Python never runs a stale file.
bytecode: setup
	$(PY) -m compileall -q components connectctl policies >/dev/null

plan: setup bytecode
	$(PY) -m connectctl plan $(STACK)

test: setup lint pytest scan

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy components connectctl policies tests

pytest: setup bytecode checkov
	CONNECT_REQUIRE_CHECKOV=1 $(PY) -m pytest -n 2

# Checkov for `connectctl scan`, pinned by a hashed lock in its own environment (.tools/checkov): its
# dependencies clash with uv.lock. A no-op when the environment matches the lock.
checkov: setup
	tools/install-checkov.sh >/dev/null

# Checkov's second opinion on every stack against checkov-baseline.yaml: new failures and stale entries fail.
scan: setup bytecode checkov
	$(PY) -m connectctl scan

# The whole suite with the clock a year and a day ahead: nothing may depend on today's date (tests/conftest.py).
test-future: setup checkov
	CONNECT_REQUIRE_CHECKOV=1 CONNECT_TEST_CLOCK_SHIFT_DAYS=366 $(PY) -m pytest -n 2

schema: setup
	$(PY) -m connectctl schema > schemas/stack.schema.json

docs: setup
	$(PY) policies/connect_guardrails/docs.py > policies/README.md
	$(PY) -m connectctl guardrails --format markdown > docs/guardrails.md
	$(PY) -m connectctl.docs > docs/engine-checks.md
	$(PY) -m connectctl.stack_docs > docs/stack-file.md  # the stack-file reference, from components/config/
	$(PY) -m connectctl.samples  # the command samples of README.md and docs/*.md, and docs/diagram-acme-prod.mmd

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
