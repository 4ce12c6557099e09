"""Two plans of one stack compared by URN, as the engine compares a program with its state (see the package)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from connectctl.diff.force_new import VPC_BOUND, VPC_TYPE, force_new
from connectctl.diff.model import ABSENT, Action, Change, ResourceDiff, StackDiff, top_of
from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY, STACK_TYPE, CapturedResource
from connectctl.engine.project import read_yaml, stand_in
from connectctl.engine.regions import provider_urn
from connectctl.plan import SECRET, UNKNOWN, Plan, mask


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def _json_document(value: str) -> Any:
    """A JSON object or array held in a string input (policies, container definitions), else None."""
    if not value.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _diff(path: str, old: Any, new: Any, out: list[tuple[str, Any, Any]]) -> None:
    """Leaf-level differences of two input values; secrets are leaves (compared, never opened for display)."""
    if _is_secret(old) or _is_secret(new):
        if old != new:
            out.append((path, old, new))
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append((sub, ABSENT, new[key]))
            elif key not in new:
                out.append((sub, old[key], ABSENT))
            else:
                _diff(sub, old[key], new[key], out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(f"{path}[{index}]", a, b, out)
        return
    if old == new:
        return
    if isinstance(old, str) and isinstance(new, str):
        old_doc, new_doc = _json_document(old), _json_document(new)
        if old_doc is not None and new_doc is not None:
            _diff(path, old_doc, new_doc, out)
            return
    out.append((path, old, new))


def _paths_holding(value: Any, needle: str, path: str = "") -> Iterator[str]:
    """Paths of the values that carry a text (a secret's offline stand-in), secret wrappers as leaves."""
    if _is_secret(value):
        if needle in json.dumps(value):
            yield path
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _paths_holding(value[key], needle, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_holding(item, needle, f"{path}[{index}]")
    elif isinstance(value, str) and needle in value:
        yield path


def _ignored(path: str, ignore_changes: list[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in ignore_changes)


def _raw_secrets(plan: Plan) -> dict[str, str]:
    """Secret config keys and their raw (encrypted) stack-file values: a new ciphertext is a new secret."""
    data, _ = read_yaml(plan.stack_file.path)
    raw = (data or {}).get("config") or {}
    project = plan.stack_file.project
    values = {project.full_key(str(k)): v for k, v in raw.items()}
    return {key: json.dumps(values.get(key), sort_keys=True) for key in plan.stack_file.secret_keys}


def _shown_value(value: Any, secrets: set[str]) -> Any:
    """A value as reports show it: secrets masked, protobuf's float numbers back to integers where they are."""
    if value is ABSENT:
        return ABSENT

    def clean(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return clean(mask(value, secrets))


def _rekey(resource: CapturedResource, project: str, old_stack: str, new_stack: str) -> CapturedResource:
    """The same resource under another stack name (two stack files of different names are compared).

    URNs start with the stack name, and the root stack resource is named `<project>-<stack>`.
    """
    if old_stack == new_stack:
        return resource
    prefix, replacement = f"urn:pulumi:{old_stack}::", f"urn:pulumi:{new_stack}::"
    old_root, new_root = f"{project}-{old_stack}", f"{project}-{new_stack}"

    def swap(urn: str) -> str:
        if not urn.startswith(prefix):
            return urn
        urn = replacement + urn[len(prefix):]
        stack_root = f"{replacement}{project}::{STACK_TYPE}::"
        return stack_root + new_root if urn == stack_root + old_root else urn

    name = new_root if resource.type == STACK_TYPE and resource.name == old_root else resource.name
    return dataclasses.replace(
        resource, urn=swap(resource.urn), name=name, parent=swap(resource.parent), provider=swap(resource.provider),
        dependencies=[swap(u) for u in resource.dependencies],
        property_dependencies={k: [swap(u) for u in v] for k, v in resource.property_dependencies.items()},
    )


def diff_plans(old: Plan | None, new: Plan, *, old_source: str = "old", new_source: str = "new") -> StackDiff:
    """Compare two plans of a stack by URN (`old` None: the stack file did not exist, everything is created)."""
    secrets = new.secrets() | (old.secrets() if old else set())
    olds = {r.urn: r for r in (_rekey(r, new.capture.project, old.capture.stack, new.capture.stack)
                               for r in old.resources)} if old else {}
    news = {r.urn: r for r in new.resources}
    common = sorted(set(olds) & set(news))

    raw: dict[str, list[tuple[str, Any, Any]]] = {}
    changed_secrets: set[str] = set()
    if old is not None:
        old_raw, new_raw = _raw_secrets(old), _raw_secrets(new)
        changed_secrets = {key for key in set(old_raw) & set(new_raw) if old_raw[key] != new_raw[key]}
    for urn in common:
        before, after = olds[urn], news[urn]
        found: list[tuple[str, Any, Any]] = []
        _diff("", before.inputs, after.inputs, found)
        seen = {path for path, _, _ in found}
        for key in sorted(changed_secrets):  # same stand-in offline, another value for real
            for path in _paths_holding(after.inputs, stand_in(key)):
                if path not in seen and not any(path.startswith((f"{p}.", f"{p}[")) for p in seen):
                    found.append((path, SECRET, SECRET))
                    seen.add(path)
        raw[urn] = [c for c in found if not _ignored(c[0], after.ignore_changes)]

    replaced: dict[str, list[str]] = {}
    vpc_moved: set[str] = set()
    name = {urn: r.name for urn, r in {**olds, **news}.items()}

    def reasons_for(urn: str) -> list[str]:
        before, after = olds[urn], news[urn]
        table = force_new(after.type)
        reasons: list[str] = []
        tops = sorted({top_of(path) for path, _, _ in raw[urn]})
        if table is None and tops:
            reasons.append(f"{after.type} is not in the force-new table: any change is taken as a replacement")
        reasons += [f"{top} forces replacement" for top in tops if table is not None and top in table]
        old_provider, new_provider = provider_urn(before.provider), provider_urn(after.provider)
        if old_provider != new_provider:
            reasons.append(f"its provider changes ({name.get(old_provider, old_provider)} -> "
                           f"{name.get(new_provider, new_provider)})")
        elif new_provider in replaced:
            reasons.append(f"its provider {name[new_provider]} is replaced")
        for prop, deps in sorted(after.property_dependencies.items()):
            waits = sorted({name[d] for d in deps if d in replaced and d != urn})
            if not waits or prop in tops:
                continue
            if table is not None and prop in table:
                reasons.append(f"{prop} forces replacement and takes the new {', '.join(waits)}")
            elif prop in VPC_BOUND.get(after.type, ()) and any(d in vpc_moved for d in deps):
                moved = sorted({name[d] for d in deps if d in vpc_moved})
                reasons.append(f"{prop} moves to another VPC with {', '.join(moved)}, which AWS does not do in place")
        return reasons

    def moved_with_vpc() -> set[str]:
        """Replaced resources that are, or hang from, a replaced VPC: they come back in another VPC."""
        moved = {urn for urn in replaced if news[urn].type == VPC_TYPE}
        grew = True
        while grew:
            grew = False
            for urn in replaced.keys() - moved:
                if any(d in moved for deps in news[urn].property_dependencies.values() for d in deps):
                    moved.add(urn)
                    grew = True
        return moved

    progress = True
    while progress:  # to a fixed point: a replacement can replace what depends on it
        progress = False
        vpc_moved = moved_with_vpc()
        for urn in common:
            if urn not in replaced and (reasons := reasons_for(urn)):
                replaced[urn] = reasons
                progress = True
    vpc_moved = moved_with_vpc()

    resources: list[ResourceDiff] = []
    unchanged = 0
    for urn in common:
        before, after = olds[urn], news[urn]
        table = force_new(after.type) or frozenset()
        changes = [Change(path, _shown_value(a, secrets), _shown_value(b, secrets), top_of(path) in table)
                   for path, a, b in raw[urn]]
        tops = {c.top for c in changes}
        for prop, deps in sorted(after.property_dependencies.items()):
            waits = sorted(d for d in deps if d in replaced and d != urn)
            if waits and prop not in tops:  # unknown until the replacement exists: a change, as preview shows it
                bound = prop in VPC_BOUND.get(after.type, ()) and any(d in vpc_moved for d in waits)
                changes.append(Change(prop, _shown_value(before.inputs.get(prop, ABSENT), secrets), UNKNOWN,
                                      prop in table or bound, waits))
        changes.sort(key=lambda c: c.path)
        if urn in replaced:
            action = Action.replace
        elif changes:
            action = Action.update
        else:
            unchanged += 1
            continue
        resources.append(ResourceDiff(urn, after.type, after.name, action, before.protect or after.protect,
                                      before.retain_on_delete, changes, replaced.get(urn, [])))
    for urn in sorted(set(olds) - set(news)):
        r = olds[urn]
        resources.append(ResourceDiff(urn, r.type, r.name, Action.delete, r.protect, r.retain_on_delete))
    for urn in sorted(set(news) - set(olds)):
        r = news[urn]
        resources.append(ResourceDiff(urn, r.type, r.name, Action.create, r.protect, r.retain_on_delete))
    order = list(Action)  # protected first, then by action; in each, what the stack file changed before its echoes
    resources.sort(key=lambda r: (not r.blocked, order.index(r.action), all(c.waits_for for c in r.changes),
                                  any(c.waits_for for c in r.changes), r.urn))
    return StackDiff(new.capture.project, new.capture.stack, old_source, new_source, resources, unchanged,
                     _stranded(olds, news))


ZONE_PINNED = {"aws:rds/clusterInstance:ClusterInstance": "availabilityZone"}  # kept where created (ignoreChanges)
SUBNET = "aws:ec2/subnet:Subnet"


def _stranded(olds: dict[str, CapturedResource], news: dict[str, CapturedResource]) -> list[str]:
    """Instances the program keeps in the zone they were created in, whose zone the change removes.

    Why: a database instance's zone is kept by `ignoreChanges` (adding a zone must not move it), so removing
    that zone leaves the instance where it is while its subnet is deleted, which AWS refuses: `pulumi up` would
    fail halfway. The zones are those of the subnets under the same provider (the DR region has its own).
    """
    def zones(resources: dict[str, CapturedResource]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for r in resources.values():
            if r.type == SUBNET and isinstance(r.inputs.get("availabilityZone"), str):
                found.setdefault(provider_urn(r.provider), set()).add(r.inputs["availabilityZone"])
        return found

    before, after = zones(olds), zones(news)
    problems = []
    for urn in sorted(set(olds) & set(news)):
        old, new = olds[urn], news[urn]
        key = ZONE_PINNED.get(new.type)
        if key is None or key not in new.ignore_changes or not isinstance(old.inputs.get(key), str):
            continue
        zone, provider = old.inputs[key], provider_urn(new.provider)
        if zone in before.get(provider, set()) and zone not in after.get(provider, set()):
            problems.append(f"{new.name} stays in {zone} (its zone is kept from creation), whose subnets this change "
                            "deletes: AWS refuses to delete a subnet in use. Remove or move the instance first, or "
                            "keep the zone")
    return problems
