"""Plans of the committed stacks and of edited copies, as the component tests read them (plan JSON documents)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from connectctl.plan import Plan, plan_stack

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def planned(stack: str, preview: bool = True) -> Plan:
    """`plan_stack(STACK)`, once per stack and mode in a test worker (every test module shares it)."""
    return plan_stack(stack, preview=preview)


@functools.cache
def plan(stack: str, preview: bool = True) -> dict[str, Any]:
    """`connectctl plan STACK --format json`, once per stack and mode in a test worker."""
    return planned(stack, preview).as_json()


def plan_file(tmp: Path, stack: str, mutate: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """Plan a copy of a stack file changed by `mutate(config)` (update mode: values known)."""
    doc = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    mutate(doc["config"])
    path = tmp / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return plan_stack(config_file=path, preview=False).as_json()
