"""Run the real policy pack over a capture exactly as the engine drives it.

The pack's own analyzer servicer (the object `PolicyPack` serves over gRPC) receives the same
protobuf requests the engine sends: `Configure` with every policy's effective level and config,
`Analyze` per resource with its inputs, `AnalyzeStack` with every resource's outputs, parent,
dependencies and property dependencies. Only the transport is skipped; the deserialization,
unknown-value handling and enforcement-level logic are the SDK's own.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, cast

from connectctl.engine import sdk
from connectctl.engine.capture import CapturedResource
from connectctl.engine.findings import ByLevel, PackConfigError, Violation
from connectctl.engine.project import PROJECT_ROOT
from connectctl.engine.regions import provider_urn
from connectctl.engine.runner import one_collection

if TYPE_CHECKING:  # the SDK (pulumi, pulumi_policy, grpc: 0.2 s) is imported by the functions that run the pack
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import (
        Policy,
        PolicyProviderResource,
        PolicyResourceOptions,
        ResourceValidationPolicy,
        StackValidationPolicy,
    )

__all__ = ["LEVEL_NAMES", "LEVEL_VALUES", "SEVERITY_NAMES", "ByLevel", "PackConfigError", "Violation", "analyze",
           "analyze_via_servicer", "build_requests", "default_levels", "effective_config", "guard_levels",
           "load_pack", "load_pack_config"]

PACK_DIR = PROJECT_ROOT / "policies"
# The analyzer protocol's enumeration values (pulumi/proto/analyzer.proto: wire values, never renumbered), spelled
# out so reports name levels without loading the SDK; tests/connectctl/test_cli_startup.py holds them equal.
LEVEL_NAMES = {0: "advisory", 1: "mandatory", 3: "remediate", 2: "disabled"}
LEVEL_VALUES = {name: value for value, name in LEVEL_NAMES.items()}
SEVERITY_NAMES = {1: "low", 2: "medium", 3: "high", 4: "critical"}


def load_pack(pack_dir: Path = PACK_DIR) -> ModuleType:
    """Import the pack's rule catalogue the way the CLI would find it: pack directory on sys.path."""
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
    return importlib.import_module("connect_guardrails.catalogue")


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    from google.protobuf import json_format, struct_pb2

    out = struct_pb2.Struct()
    json_format.ParseDict(values, out)
    return out


def effective_config(catalogue: ModuleType, user: dict[str, Any] | None) -> dict[str, analyzer_pb2.PolicyConfig]:
    """Per policy: level (user override or default) and properties (schema defaults + user values).

    Values are validated against each policy's config schema, as the engine does before it calls
    `Configure`. Which levels a user may set is `guard_levels`' business (applied to config files).
    """
    import jsonschema
    from pulumi.runtime.proto import analyzer_pb2

    user = user or {}
    known = {rule.id: rule for rule in catalogue.RULES}
    defaults = default_levels(catalogue)
    unknown = sorted(set(user) - set(defaults) - {"all"})
    if unknown:
        raise PackConfigError(f"pack config names unknown policies: {', '.join(unknown)}")
    result: dict[str, analyzer_pb2.PolicyConfig] = {}
    for name, default in defaults.items():
        entry = user.get(name, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        level = entry.get("enforcementLevel", user.get("all", default))
        if level not in LEVEL_VALUES:
            raise PackConfigError(f"{name}: enforcementLevel {level!r}; allowed: {', '.join(LEVEL_VALUES)}")
        rule = known.get(name)
        props = {k: spec["default"] for k, spec in rule.config.items() if "default" in spec} if rule else {}
        props.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        if rule is None and props:
            raise PackConfigError(f"{name}: takes only enforcementLevel, not {', '.join(sorted(props))}")
        if rule is not None:
            schema = {"type": "object", "properties": rule.config_schema(), "additionalProperties": False}
            error = jsonschema.exceptions.best_match(_validator(json.dumps(schema, sort_keys=True)).iter_errors(props))
            if error is not None:  # what `jsonschema.validate` raises, without re-checking the schema
                where = ".".join(str(p) for p in error.absolute_path) or "(root)"
                raise PackConfigError(f"{name}.{where}: {error.message}") from None
        enforcement = cast("analyzer_pb2.EnforcementLevel.ValueType", LEVEL_VALUES[level])
        result[name] = analyzer_pb2.PolicyConfig(enforcementLevel=enforcement, properties=_struct(props))
    return result


@functools.cache
def _validator(schema: str) -> Any:
    """A policy config schema's validator, the schema checked against its metaschema once per process.

    Why: `jsonschema.validate` checks the schema itself on every call, 0.1 s of every plan for the
    pack's rules (more than the pack's own resource policies over acme-prod). Draft 7, the draft the
    engine's own validator (gojsonschema) implements; its metaschema check is a tenth of 2020-12's (0.08 s
    of every `connectctl plan` process), and the rules' schemas mean the same under both (types, patterns,
    enumerations, bounds, `items` as one schema).
    """
    import jsonschema

    loaded = json.loads(schema)
    cls = jsonschema.Draft7Validator
    cls.check_schema(loaded)
    return cls(loaded)


def default_levels(catalogue: ModuleType) -> dict[str, str]:
    """Every policy the pack serves (rules, then integrity policies) with its default level."""
    integrity = importlib.import_module("connect_guardrails.integrity")
    return {**{rule.id: rule.level for rule in catalogue.RULES},
            integrity.INVALID: "mandatory", integrity.UNUSED: "advisory", integrity.EXEMPTED: "advisory"}


def guard_levels(catalogue: ModuleType, user: dict[str, Any]) -> None:
    """Refuse a pack config that switches a guardrail off quietly: `all`, or any level change of an
    unwaivable rule or of the `exemptions` / `exempted-findings` integrity policies (remediate is
    allowed for a mandatory rule). The engine would apply such a config; the pack then reports a
    disabled unwaivable rule as a mandatory finding, but CI refuses the file first."""
    integrity = importlib.import_module("connect_guardrails.integrity")
    if "all" in user:
        raise PackConfigError("all: not accepted; the engine applies it to every policy, unwaivable rules and "
                              "the integrity policies included. Set the level of each waivable rule instead")
    defaults = default_levels(catalogue)
    fixed = {rule.id for rule in catalogue.RULES if rule.unwaivable} | {integrity.INVALID, integrity.EXEMPTED}
    for name in sorted(fixed & set(user)):
        entry = user[name]
        level = entry if isinstance(entry, str) else entry.get("enforcementLevel", defaults[name]) \
            if isinstance(entry, dict) else defaults[name]
        if level != defaults[name] and not (defaults[name] == "mandatory" and level == "remediate"):
            raise PackConfigError(f"{name}: enforcementLevel {level!r}; this policy is unwaivable and stays "
                                  f"{defaults[name]}")


def _provider_of(
    resource: CapturedResource, by_urn: dict[str, CapturedResource]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    from pulumi.runtime.proto import analyzer_pb2

    if not resource.provider:
        return None
    provider = by_urn.get(provider_urn(resource.provider))
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
    )


def _options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    from pulumi.runtime.proto import analyzer_pb2

    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect, parent=resource.parent, ignoreChanges=resource.ignore_changes
    )


def build_requests(
    resources: list[CapturedResource],
) -> tuple[list[analyzer_pb2.AnalyzeRequest], analyzer_pb2.AnalyzeStackRequest]:
    """The requests the engine sends: one `Analyze` per registered resource, one `AnalyzeStack`.

    Reads of existing resources (`Resource.get`) are not registrations and get no `Analyze`.
    """
    from pulumi.runtime.proto import analyzer_pb2

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
    """Every diagnostic the pack reports for these resources, resource policies first: the one way the engine
    runs the pack (`connectctl plan`, `check`, `audit`).

    Under the engine's collector policy (`runner.one_collection`), as the program runs: the pack
    allocates per resource and policy while the plan's resources are alive, and at 200 services the
    collections it triggered (one of them over the whole heap) took 0.6 s of its 1.6 s.
    """
    with one_collection():
        return _run(resources, pack_config, pack_dir, _evaluate)


def analyze_via_servicer(
    resources: list[CapturedResource], pack_config: dict[str, Any] | None = None, pack_dir: Path = PACK_DIR
) -> list[Violation]:
    """The same run with each policy evaluated by the SDK's own analyzer servicer (`sdk.servicer`, what the
    served pack runs): the reference `analyze` is held equal to in tests. It deserializes every resource once
    per policy, as the served pack does; `analyze` gives the same findings at a fraction of the cost."""
    return _run(resources, pack_config, pack_dir, _evaluate_by_servicer)


Evaluate = Callable[[ModuleType, "dict[str, analyzer_pb2.PolicyConfig]", list[CapturedResource], dict[str, str]],
                    list[Violation]]


def _run(resources: list[CapturedResource], pack_config: dict[str, Any] | None, pack_dir: Path,
         evaluate: Evaluate) -> list[Violation]:
    """Load the pack, configure its policies (levels and config, as `Configure` does), evaluate them over the
    resources, and report exempted findings under their own rules."""
    catalogue = load_pack(pack_dir)
    recorder = importlib.import_module("connect_guardrails.exemptions")
    recorder.clear()
    owners = {rule.id: rule.owner for rule in catalogue.RULES}
    configured = effective_config(catalogue, pack_config)
    return _mark_exempt(evaluate(catalogue, configured, resources, owners), recorder, catalogue)


def _evaluate_by_servicer(catalogue: ModuleType, configured: dict[str, analyzer_pb2.PolicyConfig],
                          resources: list[CapturedResource], owners: dict[str, str]) -> list[Violation]:
    """The engine's requests (`build_requests`) through the SDK's servicer, its diagnostics as findings."""
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import EnforcementLevel

    servicer = sdk.servicer(catalogue.PACK_NAME, catalogue.policies(), EnforcementLevel.ADVISORY)
    servicer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=configured), None)
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


def _level(config: analyzer_pb2.PolicyConfig) -> str:
    level = LEVEL_NAMES.get(config.enforcementLevel, "advisory")
    return "mandatory" if level == "remediate" else level  # a remediation that still fails is mandatory


def _severity(policy: Policy) -> str:
    """A policy's severity as reports name it."""
    return policy.severity.value if policy.severity else "unspecified"


def _evaluate(catalogue: ModuleType, configured: dict[str, analyzer_pb2.PolicyConfig],
              resources: list[CapturedResource], owners: dict[str, str]) -> list[Violation]:
    """The policies evaluated in process, resource policies first.

    The same semantics as the SDK's servicer (levels from `Configure`, remediate reported as
    mandatory, unknown values turned into an advisory "can't run policy" note, not-applicable
    skipped, a resource finding attributed to its resource), but each resource's properties are
    deserialized and wrapped, and its options built, once for all policies instead of once per policy
    (policies only read them).
    """
    from google.protobuf import json_format
    from pulumi_policy import (
        PolicyCustomTimeouts,
        PolicyProviderResource,
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        StackValidationArgs,
        StackValidationPolicy,
    )
    from pulumi_policy.proxy import UnknownValueError

    not_applicable = sdk.not_applicable_error()
    policies = [p for p in catalogue.policies() if _level(configured[p.name]) != "disabled"]
    settings = {p.name: json_format.MessageToDict(configured[p.name].properties) or None for p in policies}
    by_urn = {r.urn: r for r in resources}
    found: list[Violation] = []
    # What a finding of each policy carries, worked out once per policy rather than once per resource.
    levels = {p.name: _level(configured[p.name]) for p in policies}
    severities = {p.name: _severity(p) for p in policies}
    owned = {p.name: owners.get(p.name, "operator") for p in policies}
    stack_tags: MappingProxyType[str, str] = MappingProxyType({})  # one mapping for every policy, as the servicer's

    def reporter(policy: Policy, analyzed: str) -> Callable[[str, str | None], None]:
        name = policy.name

        def report(message: str, urn: str | None = None) -> None:
            text = policy.description + (f"\n{message}" if message else "")
            found.append(Violation(name, levels[name], severities[name], owned[name], urn or analyzed, text))
        return report

    def run(policy: ResourceValidationPolicy | StackValidationPolicy, args: Any, analyzed: str) -> None:
        try:
            policy.validate(args, reporter(policy, analyzed))
        except UnknownValueError as error:
            found.append(Violation(policy.name, "advisory", "unspecified", owned[policy.name],
                                   analyzed, sdk.cannot_run(policy.name, catalogue.PACK_NAME, error.message)))
        except not_applicable:
            pass

    views: dict[str, PolicyProviderResource | None] = {}

    def provider_of(resource: CapturedResource) -> PolicyProviderResource | None:
        """One read-only view per provider, not per resource (a stack has one or two providers)."""
        urn = provider_urn(resource.provider) if resource.provider else ""
        if urn not in views:
            provider = by_urn.get(urn)
            views[urn] = None if provider is None else PolicyProviderResource(
                provider.type, sdk.policy_view(provider.inputs), provider.urn, provider.name)
        return views[urn]

    def options_of(resource: CapturedResource) -> PolicyResourceOptions:
        return PolicyResourceOptions(resource.protect, list(resource.ignore_changes), None, [],
                                     PolicyCustomTimeouts(0, 0, 0), [], resource.parent or None)

    providers = {r.urn: provider_of(r) for r in resources}
    resource_policies = [(p, settings[p.name]) for p in policies
                         if isinstance(p, ResourceValidationPolicy) and p.has_validation()]
    for resource in resources:
        if resource.external:
            continue
        props = sdk.policy_view(resource.inputs)
        options, provider = options_of(resource), providers[resource.urn]
        for policy, policy_config in resource_policies:
            args = ResourceValidationArgs(resource.type, props, resource.urn, resource.name, options, provider,
                                          policy_config, stack_tags)
            run(policy, args, resource.urn)
    stack_resources = {
        r.urn: PolicyResource(r.type, sdk.policy_view(r.outputs), r.urn, r.name,
                              options_of(r), providers[r.urn], None, [], {})
        for r in resources
    }
    for r in resources:
        node = stack_resources[r.urn]
        node.parent = stack_resources.get(r.parent)
        node.dependencies = [stack_resources[d] for d in r.dependencies if d in stack_resources]
        node.property_dependencies = {k: [stack_resources[d] for d in v if d in stack_resources]
                                      for k, v in r.property_dependencies.items()}
    everything = list(stack_resources.values())
    for policy in policies:
        if isinstance(policy, StackValidationPolicy):
            run(policy, StackValidationArgs(everything, settings[policy.name], stack_tags), "")
    return found


def _mark_exempt(found: list[Violation], recorder: ModuleType, catalogue: ModuleType) -> list[Violation]:
    """Findings with each exempted one under its own rule at level "exempt" (instead of the engine's
    advisory `exempted-findings` note), the recorder cleared for the next run."""
    by_id = {rule.id: rule for rule in catalogue.RULES}
    recorded = list(recorder.LAST_RUN)
    recorder.clear()
    exempted = importlib.import_module("connect_guardrails.integrity").EXEMPTED
    kept = [v for v in found if v.policy != exempted]
    for item in recorded:
        rule = by_id[item.policy]
        text = rule.description + (f"\n{item.message}" if item.message else "") + recorder.suffix(item.exemption)
        kept.append(Violation(item.policy, "exempt", rule.severity, rule.owner, item.urn, text))
    return kept


def load_pack_config(path: Path) -> dict[str, Any] | None:
    """A `--policy-pack-config` JSON file (levels guarded by `guard_levels`), or None when it does not exist."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PackConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise PackConfigError(f"{path}: a pack config is a JSON object keyed by policy name")
    try:
        guard_levels(load_pack(), data)
    except PackConfigError as exc:
        raise PackConfigError(f"{path}: {exc}") from None
    return data
