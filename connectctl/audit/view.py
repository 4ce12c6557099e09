"""The live account in the policy pack's own view: the resources `pulumi preview` hands the pack, read from AWS.

Each reader (connectctl/audit/readers) turns what an AWS API answers into a `LiveResource`: the Pulumi type token
(`aws:ec2/securityGroup:SecurityGroup`) and the camelCase input names of pulumi_aws, with the values the resource
has now. `build` makes them the engine's `CapturedResource`s, which `connectctl.engine.analyzer.analyze` (the path
`connectctl plan` and `connectctl check` take) judges with the stack's own pack config:

- a URN per resource and one explicit provider per region, pinned to the tenant account, as the program declares
  them (the rules read a resource's region from its provider, and the tenant account from `allowedAccountIds`);
- outputs: the inputs plus what AWS computes (`id`, `arn`...), as a state holds them (stack policies read outputs);
- property dependencies, which many rules follow ("the VPC fed the flow log's `vpcId`"): AWS keeps no graph, so an
  input names a resource when one of its values (inside JSON documents too) is that resource's id, ARN or, for
  resources the program refers to by name, its name in the same region. That is how the program's references
  resolve, so the edges are the ones Pulumi recorded, whenever the references still hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from connectctl.engine.capture import CapturedResource
from connectctl.engine.regions import PROVIDER_TYPE as PROVIDER

NOT_LINKED = frozenset({"tags", "description", "name"})  # a resource's own labels name nothing else


@dataclass
class LiveResource:
    """One live resource as the pack sees it, and how findings point back at it (its id, ARN and region)."""

    type: str
    name: str  # what AWS or the program calls it: how the rules' messages name it
    region: str  # where it lives; IAM resources take the primary region's provider, as the program's do
    inputs: dict[str, Any]
    id: str = ""
    arn: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)  # computed attributes besides the inputs
    names: tuple[str, ...] = ()  # names other resources refer to it by (same region): a bucket's, a vault's
    ignore_changes: tuple[str, ...] = ()
    # `protect` is a Pulumi resource option no AWS API holds: the live view takes it as the program declares it (on),
    # so `stateful-resources-protected` judges what AWS holds (databases' deletion protection).
    protect: bool = True
    urn: str = ""  # set by `build`

    def identifiers(self) -> Iterator[tuple[str, bool]]:
        """(value, regional) pairs an input of another resource may name this one by: its ARN anywhere (an ARN names
        its region), its id and names in its own region (a cluster named `acme-prod` in both regions is two)."""
        if self.arn:
            yield self.arn, False
        for value in (self.id, *self.names):
            if value and value != self.arn:
                yield value, True


def jsonable(value: Any) -> Any:
    """A value the engine's protobuf structs hold: dates (lifecycle rules, lock dates) as ISO text."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a value, JSON documents (policies, container definitions) opened up."""
    if isinstance(value, str):
        yield value
        text = value.lstrip()
        if text[:1] in ("{", "["):
            try:
                decoded = json.loads(value)
            except (ValueError, RecursionError):
                return
            yield from _strings(decoded)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@dataclass
class View:
    """The live resources as the engine records them, and the way back from a URN to the AWS resource."""

    resources: list[CapturedResource]
    live: dict[str, LiveResource]  # URN -> the live resource (providers excluded)

    def of_type(self, *types: str) -> list[LiveResource]:
        """The live resources of these types."""
        return [r for r in self.live.values() if r.type in types]


def _unique_names(resources: list[LiveResource]) -> None:
    """URNs must be unique: a name used twice for one type (the same cluster name in two regions) gets its region."""
    seen: dict[tuple[str, str], int] = {}
    for resource in resources:
        seen[resource.type, resource.name] = seen.get((resource.type, resource.name), 0) + 1
    taken: set[tuple[str, str]] = set()
    for resource in resources:
        name = resource.name if seen[resource.type, resource.name] == 1 else f"{resource.name}@{resource.region}"
        base, count = name, 1
        while (resource.type, name) in taken:  # two resources alike even in one region (two rules of one group)
            count += 1
            name = f"{base}#{count}"
        taken.add((resource.type, name))
        resource.name = name


def build(resources: Iterable[LiveResource], *, stack: str, project: str, account_id: str,
          primary_region: str) -> View:
    """The engine's records of the live resources: providers per region, URNs, outputs and property dependencies."""
    live = list(resources)
    _unique_names(live)
    prefix = f"urn:pulumi:{stack}::{project}::"
    providers: dict[str, CapturedResource] = {}

    def provider(region: str) -> str:
        region = region or primary_region
        if region not in providers:
            urn = f"{prefix}{PROVIDER}::live-{region}"
            providers[region] = CapturedResource(
                urn=urn, type=PROVIDER, name=f"live-{region}", custom=True, parent="", provider="", protect=False,
                retain_on_delete=False, dependencies=[], property_dependencies={},
                inputs={"region": region, "allowedAccountIds": json.dumps([account_id])},
                outputs={"region": region, "allowedAccountIds": json.dumps([account_id])}, id=f"live-{region}")
        return f"{providers[region].urn}::{providers[region].id}"

    for resource in live:
        resource.urn = f"{prefix}{resource.type}::{resource.name}"
        resource.inputs = jsonable(resource.inputs)
        resource.outputs = jsonable(resource.outputs)
    exact: dict[str, list[LiveResource]] = {}
    named: dict[tuple[str, str], list[LiveResource]] = {}
    for resource in live:
        for value, regional in resource.identifiers():
            if regional:
                named.setdefault((value, resource.region), []).append(resource)
            else:
                exact.setdefault(value, []).append(resource)
    captured: list[CapturedResource] = []
    for resource in live:
        property_dependencies: dict[str, list[str]] = {}
        for key, value in resource.inputs.items():
            if key in NOT_LINKED:
                continue
            fed: dict[str, None] = {}
            for text in _strings(value):
                for other in [*exact.get(text, ()), *named.get((text, resource.region), ())]:
                    if other is not resource:
                        fed[other.urn] = None
            if fed:
                property_dependencies[key] = list(fed)
        outputs = {**resource.inputs, **resource.outputs, "id": resource.id}
        if resource.arn:
            outputs["arn"] = resource.arn
        if isinstance(resource.inputs.get("tags"), dict):
            outputs["tagsAll"] = dict(resource.inputs["tags"])
        captured.append(CapturedResource(
            urn=resource.urn, type=resource.type, name=resource.name, custom=True, parent="",
            provider=provider(resource.region), protect=resource.protect, retain_on_delete=False,
            dependencies=list(dict.fromkeys(u for urns in property_dependencies.values() for u in urns)),
            property_dependencies=property_dependencies, inputs=dict(resource.inputs), outputs=outputs,
            id=resource.id, ignore_changes=list(resource.ignore_changes)))
    return View([*providers.values(), *captured], {r.urn: r for r in live})
