"""The tests' shared plan helpers: plans of the committed stacks and of edited copies, cached once per test worker,
and the resources of a type in them. Every test module takes them from here (no copies).

- `planned(stack, preview)`: the `Plan` of a committed stack; `plan(stack, preview)`: its JSON document
  (`connectctl plan --format json`);
- `plan_file(tmp, stack, mutate)`: the JSON document of a stack file copy changed by `mutate(config)`;
  `stack_copy(tmp, stack, mutate)` writes such a copy; `plan_copy(tmp, tag, mutate)` plans one in its own folder
  and gives its resources by URN;
- `cached_plan_stack(...)`: a stand-in for `connectctl.plan.plan_stack` (same signature) that plans each stack file
  once per path, content, mode, account file and clock, for tests that run commands through the CLI;
- `of_type(doc, type_)`: the resources of a type in a plan document or a `Plan`; `dr=False` keeps the primary
  region's (outside `DisasterRecovery`, whose pilot-light standby repeats network and platform), `dr=True` the DR
  component's only. `primary(doc, type_)` is `of_type(doc, type_, dr=False)`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from components.clock import NOW_ENV
from connectctl.engine.project import load_project
from connectctl.plan import Plan, plan_stack

ROOT = Path(__file__).resolve().parents[2]
DR = "connect:dr:DisasterRecovery$"


@functools.cache
def planned(stack: str, preview: bool = True) -> Plan:
    """`plan_stack(STACK)`, once per stack and mode in a test worker (every test module shares it)."""
    return plan_stack(stack, preview=preview)


@functools.cache
def plan(stack: str, preview: bool = True) -> dict[str, Any]:
    """`connectctl plan STACK --format json`, once per stack and mode in a test worker."""
    return planned(stack, preview).as_json()


def stack_copy(tmp: Path, stack: str, mutate: Callable[[dict[str, Any]], Any]) -> Path:
    """Write `tmp/Pulumi.STACK.yaml`: a copy of a committed stack file changed by `mutate(config)`."""
    doc = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    mutate(doc["config"])
    path = tmp / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def plan_file(tmp: Path, stack: str, mutate: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """Plan a copy of a stack file changed by `mutate(config)` (update mode: values known)."""
    return plan_stack(config_file=stack_copy(tmp, stack, mutate), preview=False).as_json()


def plan_copy(tmp: Path, tag: str, mutate: Callable[[dict[str, Any]], Any], *, stack: str = "acme-prod",
              preview: bool = True) -> dict[str, dict[str, Any]]:
    """Plan a copy of a stack file changed by `mutate(config)`, written to its own folder `tmp/tag` (several copies
    of one stack in a test); the plan holds no mandatory violation. Its resources by URN."""
    folder = tmp / tag
    folder.mkdir()
    result = plan_stack(config_file=stack_copy(folder, stack, mutate), preview=preview)
    assert result.mandatory == [], [v.as_dict() for v in result.mandatory]
    return {r["urn"]: r for r in result.as_json()["resources"]}


_PLANS: dict[tuple[str, str, bool, str, str], Plan] = {}


def cached_plan_stack(stack: str | None = None, *, config_file: Path | None = None, preview: bool = True,
                      project: Any = None, pack_config: dict[str, Any] | None = None,
                      account_file: Path | None = None, blackout: str | None = None) -> Plan:
    """`plan_stack`, once per stack file (its resolved path and content), mode, account file and clock
    (`CONNECT_NOW`: a decommissioning plan depends on the date). A committed stack named alone, at the real clock,
    is `planned`; an explicit pack config or a blackout is planned afresh. The path is part of the key: a plan
    reads its stack file again later (secrets), so a temporary copy's plan is not one of another path."""
    if pack_config is not None or blackout is not None:
        return plan_stack(stack, config_file=config_file, preview=preview, project=project, pack_config=pack_config,
                          account_file=account_file, blackout=blackout)
    if config_file is None and project is None and account_file is None and stack is not None \
            and not os.environ.get(NOW_ENV):
        return planned(stack, preview)
    path = Path(config_file if config_file is not None else (project or load_project()).stack_file(str(stack)))
    key = (str(path.resolve()), path.read_text(encoding="utf-8"), preview, str(account_file or ""),
           os.environ.get(NOW_ENV, ""))
    if key not in _PLANS:
        _PLANS[key] = plan_stack(stack, config_file=config_file, preview=preview, project=project,
                                 account_file=account_file)
    return _PLANS[key]


def of_type(doc: dict[str, Any] | Plan, type_: str, *, dr: bool | None = None) -> list[Any]:
    """Resources of a type, as plan-document dicts (or `CapturedResource`s of a `Plan`): all of them (`dr` None),
    the primary region's (`dr=False`) or the DR component's (`dr=True`)."""
    if isinstance(doc, Plan):
        return [r for r in doc.capture.resources if r.type == type_ and (dr is None or (DR in r.urn) == dr)]
    return [r for r in doc["resources"] if r["type"] == type_ and (dr is None or (DR in r["urn"]) == dr)]


def primary(doc: dict[str, Any] | Plan, type_: str) -> list[Any]:
    """Resources of a type in the primary region (outside `DisasterRecovery`)."""
    return of_type(doc, type_, dr=False)
