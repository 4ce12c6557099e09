# Two commands on a fresh machine: `make plan` (the main job) and `make test`.
# Both set up .venv from uv.lock first (pulumi-aws is large: installed once per environment).
UV_VERSION := 0.13.9
PY := .venv/bin/python
STACK ?= acme-prod

.PHONY: setup plan test lint pytest schema docs clean

setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	uv sync --frozen --python python3.11
	@touch $@

plan: setup
	$(PY) -m connectctl plan $(STACK)

test: setup lint pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy components connectctl policies tests

pytest: setup
	$(PY) -m pytest -n 2

schema: setup
	$(PY) -m connectctl schema > schemas/stack.schema.json

docs: setup
	$(PY) policies/connect_guardrails/docs.py > policies/README.md
	$(PY) -m connectctl guardrails --format markdown > docs/guardrails.md

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
