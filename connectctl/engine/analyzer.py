"""Run the real policy pack over a capture exactly as the engine drives it.

The pack's own analyzer servicer (the object `PolicyPack` serves over gRPC) receives the same
protobuf requests the engine sends: `Configure` with every policy's effective level and config,
`Analyze` per resource with its inputs, `AnalyzeStack` with every resource's outputs, parent,
dependencies and property dependencies. Only the transport is skipped; the deserialization,
unknown-value handling and enforcement-level logic are the SDK's own.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import PROJECT_ROOT

PACK_DIR = PROJECT_ROOT / "policies"
SERVED_PACK_VERSION = "0.0.1"
LEVEL_NAMES = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVEL_VALUES = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
                "remediate": analyzer_pb2.REMEDIATE, "disabled": analyzer_pb2.DISABLED}
SEVERITY_NAMES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


class PackConfigError(Exception):
    """The pack config does not match the pack's schema (the engine rejects it the same way)."""


@dataclass(frozen=True)
class Violation:
    """One finding, in the shape every report uses."""

    policy: str
    level: str
    severity: str
    owner: str
    urn: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON form: `{"policy", "level", "severity", "owner", "urn", "message"}`."""
        return {"policy": self.policy, "level": self.level, "severity": self.severity,
                "owner": self.owner, "urn": self.urn, "message": self.message}


def load_pack(pack_dir: Path = PACK_DIR) -> ModuleType:
    """Import the pack's rule catalogue the way the CLI would find it: pack directory on sys.path."""
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
    return importlib.import_module("connect_guardrails.catalogue")


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    json_format.ParseDict(values, out)
    return out


def effective_config(catalogue: ModuleType, user: dict[str, Any] | None) -> dict[str, analyzer_pb2.PolicyConfig]:
    """Per policy: level (user override or default) and properties (schema defaults + user values).

    Values are validated against each policy's config schema, as the engine does before it calls
    `Configure`.
    """
    user = user or {}
    known = {rule.id: rule for rule in catalogue.RULES}
    unknown = sorted(set(user) - set(known) - {"all"})
    if unknown:
        raise PackConfigError(f"pack config names unknown policies: {', '.join(unknown)}")
    result: dict[str, analyzer_pb2.PolicyConfig] = {}
    for rule in catalogue.RULES:
        entry = user.get(rule.id, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        level = entry.get("enforcementLevel", user.get("all", rule.level))
        if level not in LEVEL_VALUES:
            raise PackConfigError(f"{rule.id}: enforcementLevel {level!r}; allowed: {', '.join(LEVEL_VALUES)}")
        props = {k: spec["default"] for k, spec in rule.config.items() if "default" in spec}
        props.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        if props or rule.config:
            schema = {"type": "object", "properties": rule.config, "additionalProperties": False}
            try:
                jsonschema.validate(props, schema)
            except jsonschema.ValidationError as exc:
                where = ".".join(str(p) for p in exc.absolute_path) or "(root)"
                raise PackConfigError(f"{rule.id}.{where}: {exc.message}") from None
        result[rule.id] = analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_VALUES[level], properties=_struct(props))
    return result


def _provider_of(
    resource: CapturedResource, by_urn: dict[str, CapturedResource]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not resource.provider:
        return None
    urn = resource.provider.rsplit("::", 1)[0]
    provider = by_urn.get(urn)
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
    )


def _options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect, parent=resource.parent, ignoreChanges=resource.ignore_changes
    )


def build_requests(
    resources: list[CapturedResource],
) -> tuple[list[analyzer_pb2.AnalyzeRequest], analyzer_pb2.AnalyzeStackRequest]:
    """The requests the engine sends: one `Analyze` per registered resource, one `AnalyzeStack`.

    Reads of existing resources (`Resource.get`) are not registrations and get no `Analyze`.
    """
    by_urn = {r.urn: r for r in resources}
    per_resource = [
        analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
            options=_options(r), provider=_provider_of(r, by_urn),
        )
        for r in resources
        if not r.external
    ]
    stack = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, properties=_struct(r.outputs), urn=r.urn, name=r.name,
            options=_options(r), provider=_provider_of(r, by_urn), parent=r.parent,
            dependencies=r.dependencies,
            propertyDependencies={
                k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()
            },
        )
        for r in resources
    ])
    return per_resource, stack


def analyze(
    resources: list[CapturedResource], pack_config: dict[str, Any] | None = None, pack_dir: Path = PACK_DIR
) -> list[Violation]:
    """Every diagnostic the pack reports for these resources, resource policies first."""
    catalogue = load_pack(pack_dir)
    owners = {rule.id: rule.owner for rule in catalogue.RULES}
    # `PolicyPack` builds its servicer with version "0.0.1" (the CLI reports PulumiPolicy.yaml's version
    # itself); use the same, so diagnostics read exactly as the served pack's do.
    servicer = _PolicyAnalyzerServicer(
        catalogue.PACK_NAME, SERVED_PACK_VERSION, catalogue.policies(), EnforcementLevel.ADVISORY
    )
    configure = analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=effective_config(catalogue, pack_config))
    servicer.Configure(configure, None)
    per_resource, stack = build_requests(resources)
    diagnostics: list[tuple[str, Any]] = [
        (request.urn, d) for request in per_resource for d in servicer.Analyze(request, None).diagnostics
    ]
    diagnostics += [("", d) for d in servicer.AnalyzeStack(stack, None).diagnostics]
    return [
        Violation(
            policy=d.policyName,
            level=LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
            severity=SEVERITY_NAMES.get(d.severity, "unspecified"),
            owner=owners.get(d.policyName, "operator"),
            urn=d.urn or analyzed,  # the engine attributes a resource policy's finding to its resource
            message=d.message,
        )
        for analyzed, d in diagnostics
    ]


def load_pack_config(path: Path) -> dict[str, Any] | None:
    """A `--policy-pack-config` JSON file, or None when it does not exist."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PackConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise PackConfigError(f"{path}: a pack config is a JSON object keyed by policy name")
    return data
