"""The pulumi-aws resource inventory by capability: the candidates, derived from the installed SDK.

Issue #20: an outside reader's misconfigurations got through because the pack judged the types its
authors thought of. Coverage by construction starts from the other end: every resource type a
stack could declare, classed by what makes it dangerous, and for each class the rule that judges it
(or `allowed-resource-types`, which refuses every type the design does not use).

This module writes the mechanical half of `policies/connect_guardrails/data/inventory.json`:

- the types: every resource token of the SDK's resource registration (`pulumi_aws/__init__.py`)
  whose module is one of `MODULES` (the platform's services and their near neighbours);
- per type, the capabilities its provider schema suggests (`SIGNALS`): property names anywhere in
  the input schema (`connectctl/engine/provider_schema.py`, read from the SDK's source, nested
  types followed three levels deep) and patterns of the class name, with the names that matched.

The file's other half is the review (`review`, `judged_by`, `unjudged`): written by hand and kept as
it is when the file is regenerated. Heuristics over names are wrong both ways (a scaling `Policy`
grants nothing; an IAM `AccessKey` has no policy property but is a credential), so the review is
what the tests read; the candidates show the reviewer what changed when pulumi-aws is upgraded
(a test fails while the committed mechanical half is stale).

Run after upgrading pulumi-aws, then review the new candidates:

    .venv/bin/python -m connectctl.inventory

It also keeps `data/allowed_types.json` (the allow-list of `allowed-resource-types`): after a program
change that adds or removes a resource type in a committed stack,

    .venv/bin/python -m connectctl.inventory --allowed
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectctl.engine import provider_schema
from connectctl.engine.project import PROJECT_ROOT
from connectctl.engine.provider_schema import PropertySchema, ResourceSchema, SchemaCache

PACK = PROJECT_ROOT / "policies" / "connect_guardrails"
OUTPUT = PACK / "data" / "inventory.json"
ALLOWED_OUTPUT = PACK / "data" / "allowed_types.json"
STACKS_DIR = PROJECT_ROOT / "stacks"

CAPABILITIES: dict[str, str] = {
    "holds-data": "stores tenant data at rest (a copy of it included: snapshots, replicas, exports)",
    "runs-code": "runs code the tenant or anyone else supplies (instances, containers, functions, jobs)",
    "grants-access": "gives a principal permissions (identity or resource policies, grants, credentials)",
    "shares-resource": "makes a resource usable from another account or organisation",
    "routes-out": "gives a network path out of the VPC (routes, gateways, attachments, peerings, tunnels)",
    "exposes-endpoint": "puts an endpoint where clients outside the VPC can reach it (public IP, DNS, URL)",
}

# The pulumi-aws modules (the token's module part) of the platform's services and of the services a
# change to them would most likely bring in; about half the SDK. Other modules are not inventoried:
# `allowed-resource-types` refuses their types all the same, by not listing them.
MODULES: tuple[str, ...] = (
    "alb", "apigateway", "apigatewayv2", "appautoscaling", "apprunner", "autoscaling", "backup", "batch",
    "cloudformation", "cloudfront", "cloudtrail", "cloudwatch", "codebuild", "directconnect", "docdb",
    "dynamodb", "ebs", "ec2", "ec2clientvpn", "ec2transitgateway", "ecr", "ecrpublic", "ecs", "efs", "eks",
    "elasticache", "elasticsearch", "elb", "emr", "fsx", "glacier", "globalaccelerator", "iam", "kinesis",
    "kms", "lambda", "lb", "lightsail", "memorydb", "mq", "msk", "neptune", "networkfirewall", "opensearch",
    "organizations", "ram", "rds", "redshift", "route53", "s3", "s3control", "sagemaker", "secretsmanager",
    "sns", "sqs", "ssm", "transfer", "vpc", "vpclattice",
)

DEPTH = 3  # nested input types followed this deep (policy documents and tags are flat; blocks nest)


@dataclass(frozen=True)
class Signals:
    """What suggests one capability: input property names (exact, anywhere up to `DEPTH`; `top` only at
    the top level) and a regular expression over the class name."""

    anywhere: frozenset[str]
    top: frozenset[str]
    class_name: str


SIGNALS: dict[str, Signals] = {
    "holds-data": Signals(
        anywhere=frozenset({"storageEncrypted", "encryptAtRest", "atRestEncryptionEnabled", "encryptionAtRest",
                            "serverSideEncryption", "serverSideEncryptionConfiguration", "sseSpecification",
                            "kmsMasterKeyId", "snapshotIdentifier", "sourceSnapshotId", "snapshotId"}),
        top=frozenset({"encrypted", "kmsKeyId", "kmsKeyArn", "encryptionConfiguration", "encryptionKey",
                       "kmsKey", "kmsKeyIdentifier", "secretString", "secretBinary"}),
        class_name=r"Snapshot|Volume$|Bucket(V2)?$|^Table$|FileSystem$|Queue$|^Stream$|Secret$|^Repository$|"
                   r"^Ami(Copy|FromInstance)?$|RecoveryPoint|^Vault$|^Archive$|Replica|^Domain$|^Parameter$",
    ),
    "runs-code": Signals(
        anywhere=frozenset({"instanceType", "instanceTypes", "imageId", "ami", "handler", "runtime", "launchType",
                            "containerDefinitions", "imageUri", "userData", "userDataBase64", "taskDefinition",
                            "containerProperties", "computeResources", "mixedInstancesPolicy", "buildspec",
                            "templateBody", "templateUrl", "imageRepository"}),
        top=frozenset({"launchTemplate", "launchConfiguration", "code", "imageConfig"}),
        class_name=r"^Instance$|Function$|Fleet$|NodeGroup$|^LaunchTemplate$|^LaunchConfiguration$|"
                   r"ComputeEnvironment$|JobDefinition$|NotebookInstance$|^Service$|^TaskDefinition$|Container",
    ),
    "grants-access": Signals(
        anywhere=frozenset({"assumeRolePolicy", "policyArn", "policyArns", "managedPolicyArns", "inlinePolicies",
                            "policyDocument", "accessPolicies", "accessPolicy", "granteePrincipal",
                            "principalArn", "permissionsBoundary", "resourcePolicy"}),
        top=frozenset({"policy", "principal", "principals", "grantee", "grants", "sourceArn", "pgpKey", "users"}),
        class_name=r"PolicyAttachment|Permission|Grant$|AccessKey$|LoginProfile$|^User$|^Role$|"
                   r"AccessEntry$|Membership$|InstanceProfile$|Authorizer$",
    ),
    "shares-resource": Signals(
        anywhere=frozenset({"allowExternalPrincipals", "createVolumePermission", "launchPermission",
                            "sharedAccounts", "sharedPrincipals", "peerOwnerId", "peerAccountId", "allowedPrincipals",
                            "targetAccountId", "destinationAccountId", "sharedAccountIds", "accountIds",
                            "peerRegion"}),
        top=frozenset({"resourceShareArn", "organizationArn", "organizationalUnitArn"}),
        class_name=r"Share$|Share[A-Z]|Sharing|CreateVolumePermission|LaunchPermission|Peering|Accepter$|"
                   r"Invitation|^Principal|Organization$|CrossAccount",
    ),
    "routes-out": Signals(
        anywhere=frozenset({"destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId",
                            "natGatewayId", "egressOnlyGatewayId", "carrierGatewayId", "internetGatewayId",
                            "transitGatewayId", "vpcPeeringConnectionId", "localGatewayId", "coreNetworkArn",
                            "customerGatewayId", "vpnGatewayId", "amazonSideAsn", "bgpAsn"}),
        top=frozenset({"gatewayId", "routes", "route"}),
        class_name=r"Route$|RouteTable|Gateway$|GatewayAttachment|VpcAttachment|PeeringAttachment|Peering|"
                   r"VpnConnection$|Firewall$|^Connection$|VirtualInterface$",
    ),
    "exposes-endpoint": Signals(
        anywhere=frozenset({"publiclyAccessible", "associatePublicIpAddress", "assignPublicIp", "mapPublicIpOnLaunch",
                            "endpointPublicAccess", "publicAccessCidrs", "endpointConfiguration", "website",
                            "publicIp", "publicIpv4Pool", "authorizationType", "authType", "internetFacing",
                            "publicAccess", "networkOrigin", "loadBalancerType"}),
        top=frozenset({"internal", "scheme", "endpointType", "listeners", "listener"}),
        class_name=r"LoadBalancer$|Listener$|^Api$|RestApi$|^Stage$|Distribution$|FunctionUrl$|ClientVpnEndpoint|"
                   r"DomainName$|Website|Accelerator$|^Eip$|^Server$|PublicAccess|^Record$",
    ),
}


def registry() -> dict[str, str]:
    """Every pulumi-aws resource token -> its class name, from the SDK's resource module registration."""
    text = (provider_schema.sdk_root() / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'resource_modules="""(.*?)"""', text, re.DOTALL)
    entries = json.loads(found.group(1)) if found else []
    return {token: cls for entry in entries for token, cls in entry.get("classes", {}).items()}


def module_of(token: str) -> str:
    """`aws:ec2/instance:Instance` -> `ec2`."""
    return token.split(":")[1].split("/")[0]


def inventoried_tokens() -> list[str]:
    """The tokens of `MODULES`, sorted."""
    return sorted(t for t in registry() if module_of(t) in MODULES)


def _walk(properties: Mapping[str, PropertySchema], depth: int = 1) -> Iterator[tuple[str, int]]:
    """(wire name, depth) of every property, nested object and array/map element types followed to `DEPTH`."""
    for name, prop in properties.items():
        yield name, depth
        if depth >= DEPTH:
            continue
        inner = prop
        while inner.items is not None:
            inner = inner.items
        if inner.object_type is not None:
            yield from _walk(inner.object_type.properties, depth + 1)


def signals_of(schema: ResourceSchema) -> dict[str, list[str]]:
    """Per capability, the evidence found in the schema: `prop:<name>` and `class:<Name>`, sorted."""
    names = list(_walk(schema.properties))
    found: dict[str, list[str]] = {}
    for capability, signals in SIGNALS.items():
        hits = {f"prop:{n}" for n, depth in names if n in signals.anywhere or (depth == 1 and n in signals.top)}
        if re.search(signals.class_name, schema.class_name):
            hits.add(f"class:{schema.class_name}")
        if hits:
            found[capability] = sorted(hits)
    return found


def schema_cache() -> SchemaCache:
    """A schema cache of its own (beside the engine's): ~850 types would make every plan's cache read slower."""
    return SchemaCache(directory=provider_schema.cache_dir() / "inventory")


def mechanical(cache: SchemaCache | None = None) -> dict[str, Any]:
    """The generated half of the inventory: SDK version, modules, and per type its candidates and signals."""
    tokens = inventoried_tokens()
    schemas = (cache or schema_cache()).resources(tokens)
    types: dict[str, dict[str, Any]] = {}
    for token in tokens:
        schema = schemas[token]
        signals = signals_of(schema) if schema is not None else {}
        types[token] = {"candidates": sorted(signals), "signals": signals}
    return {"sdk": {"package": provider_schema.PACKAGE, "version": provider_schema.installed_version()},
            "modules": list(MODULES), "types": types}


MECHANICAL_KEYS = ("sdk", "modules", "types")
REVIEWED_KEYS = ("review", "judged_by", "unjudged")


def load(path: Path = OUTPUT) -> dict[str, Any]:
    """The committed inventory."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def capabilities(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every inventoried type's reviewed capabilities: the review's, else the candidates."""
    review = doc.get("review", {})
    return {token: list(review[token]["capabilities"]) if token in review else list(entry["candidates"])
            for token, entry in doc["types"].items()}


def by_capability(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """Capability -> the types that have it (reviewed), sorted."""
    found: dict[str, list[str]] = {c: [] for c in CAPABILITIES}
    for token, caps in sorted(capabilities(doc).items()):
        for capability in caps:
            found[capability].append(token)
    return found


# --- which rules read which types (the honest half of "covered") -------------------------------------

TOKEN = re.compile(r"aws:[a-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+")
PACKAGE_PREFIX = "connect_guardrails."


@dataclass
class _Module:
    """One helper module of the pack, parsed: per top-level name, the tokens its definition names, the local
    names it uses and the names it imports from other helpers (alias -> (module, name))."""

    direct: dict[str, set[str]]
    uses: dict[str, set[str]]
    imported: dict[str, tuple[str, str]]


def _parse(source: str) -> _Module:
    tree = ast.parse(source)
    module = _Module({}, {}, {})
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE_PREFIX):
            helper = (node.module or "").removeprefix(PACKAGE_PREFIX)
            module.imported.update({alias.asname or alias.name: (helper, alias.name) for alias in node.names})
            continue
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        segment = ast.get_source_segment(source, node) or ""
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        for name in names:
            module.direct[name] = set(TOKEN.findall(segment))
            module.uses[name] = used - {name}
    return module


class _Helpers:
    """The pack's helper modules (`util`, `ecs_util`, `data_util`...), parsed on demand, with the tokens each
    top-level name reads: its own, those of the local names it uses, those of the helper names it imports."""

    def __init__(self, pack: Path) -> None:
        self.pack = pack
        self._modules: dict[str, _Module | None] = {}

    def module(self, name: str) -> _Module | None:
        if name not in self._modules:
            path = self.pack / f"{name}.py"
            self._modules[name] = _parse(path.read_text(encoding="utf-8")) if "." not in name and path.exists() \
                else None
        return self._modules[name]

    def tokens(self, module_name: str, name: str) -> set[str]:
        """Tokens read by `name` of `module_name`, followed through local uses and imports (cycles cut)."""
        found: set[str] = set()
        seen: set[tuple[str, str]] = set()
        stack = [(module_name, name)]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            module = self.module(current[0])
            if module is None:
                continue
            if current[1] in module.imported:
                stack.append(module.imported[current[1]])
                continue
            found |= module.direct.get(current[1], set())
            for used in module.uses.get(current[1], set()):
                if used in module.direct or used in module.imported:
                    stack.append((current[0], used))
        return found


def rule_readers(pack: Path = PACK) -> dict[str, set[str]]:
    """Rule id -> the type tokens its module reads: tokens in its own source, plus those of the helper names
    (`connect_guardrails.<helper>`) it imports, followed through the helpers. A token in a docstring counts
    too: a rule's docstring names what it judges, and the review (`judged_by`) is what claims the judging."""
    helpers = _Helpers(pack)
    found: dict[str, set[str]] = {}
    for path in sorted((pack / "rules").glob("*.py")):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        tokens = set(TOKEN.findall(source))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE_PREFIX):
                helper = (node.module or "").removeprefix(PACKAGE_PREFIX)
                for alias in node.names:
                    tokens |= helpers.tokens(helper, alias.name)
        found[path.stem.replace("_", "-")] = tokens
    return found


# --- the file ----------------------------------------------------------------------------------------


def _header(key: str, value: Any) -> str:
    """A top-level entry of a data file: a list of lines (the file's header) one per line, else one line."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        body = ",\n".join(f"    {json.dumps(item)}" for item in value)
        return f"  {json.dumps(key)}: [\n{body}\n  ],"
    return f"  {json.dumps(key)}: {json.dumps(value)},"


def render(doc: Mapping[str, Any]) -> str:
    """The inventory as JSON a reviewer can read and diff: one line per type, per review entry."""
    lines = ["{"]
    keys = [k for k in doc if k not in ("types", *REVIEWED_KEYS)]
    for key in keys:
        lines.append(_header(key, doc[key]))
    for key in ("types", *REVIEWED_KEYS):
        entries = doc.get(key, {})
        lines.append(f"  {json.dumps(key)}: {{")
        items = [f"    {json.dumps(token)}: {json.dumps(value)}" for token, value in sorted(entries.items())]
        lines.append(",\n".join(items))
        lines.append("  }" + ("," if key != REVIEWED_KEYS[-1] else ""))
    lines.append("}")
    return "\n".join(line for line in lines if line) + "\n"


def regenerate(existing: Mapping[str, Any] | None, cache: SchemaCache | None = None) -> dict[str, Any]:
    """The file with its mechanical half regenerated and its header and reviewed half kept as they are."""
    existing = dict(existing or {})
    doc: dict[str, Any] = {key: existing[key] for key in existing if key not in (*MECHANICAL_KEYS, *REVIEWED_KEYS)}
    doc["capabilities"] = CAPABILITIES
    doc.update(mechanical(cache))
    for key in REVIEWED_KEYS:
        doc[key] = existing.get(key, {})
    return doc


def committed_stacks(directory: Path = STACKS_DIR) -> list[str]:
    """The committed stacks (`stacks/Pulumi.<stack>.yaml`), sorted."""
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in directory.glob("Pulumi.*.yaml"))


def design_types(resource_types: Iterable[str]) -> list[str]:
    """The AWS types among the types of the committed stacks' plans: the allow-list's `design` part."""
    return sorted({t for t in resource_types if t.startswith("aws:")})


def planned_types() -> set[str]:
    """Every type in the committed stacks' plans, preview and update mode (the real program, offline)."""
    from connectctl.plan import plan_stack  # the engine, only when the allow-list is regenerated

    return {r.type for stack in committed_stacks() for preview in (True, False)
            for r in plan_stack(stack, preview=preview).capture.resources}


def render_allowed(doc: Mapping[str, Any]) -> str:
    """The allow-list as JSON: header keys first, then one type per line."""
    lines = ["{"]
    lines += [_header(key, value) for key, value in doc.items() if key not in ("design", "reviewed")]
    lines.append('  "design": [')
    lines.append(",\n".join(f"    {json.dumps(token)}" for token in doc["design"]))
    lines.append("  ],")
    lines.append('  "reviewed": {')
    lines.append(",\n".join(f"    {json.dumps(token)}: {json.dumps(reason)}"
                            for token, reason in sorted(doc["reviewed"].items())))
    lines.append("  }")
    lines.append("}")
    return "\n".join(line for line in lines if line) + "\n"


def stale_reviews(doc: Mapping[str, Any]) -> list[str]:
    """Reviewed entries that name a type the inventory no longer has."""
    types = doc["types"]
    return sorted(t for key in REVIEWED_KEYS for t in doc.get(key, {}) if t not in types)


def main(argv: Iterable[str] = ()) -> int:
    """Rewrite the committed inventory (mechanical half regenerated, review kept) and say what needs a review;
    with `--allowed`, rewrite the allow-list's `design` part from the committed stacks' plans instead."""
    if "--allowed" in list(argv):
        allowed = json.loads(ALLOWED_OUTPUT.read_text(encoding="utf-8"))
        before = set(allowed["design"])
        allowed["design"] = design_types(planned_types())
        ALLOWED_OUTPUT.write_text(render_allowed(allowed), encoding="utf-8")
        print(f"{ALLOWED_OUTPUT}: {len(allowed['design'])} design types, {len(allowed['reviewed'])} reviewed")
        for token in sorted(set(allowed["design"]) ^ before):
            print(f"  {'added' if token not in before else 'removed'}: {token} (review its capabilities and rules)")
        return 0
    existing = load() if OUTPUT.exists() else None
    doc = regenerate(existing)
    OUTPUT.write_text(render(doc), encoding="utf-8")
    new = sorted(set(doc["types"]) - set((existing or {}).get("types", {})))
    print(f"{OUTPUT}: {len(doc['types'])} types in {len(MODULES)} modules; {len(new)} new since the last run")
    for token in new:
        print(f"  review: {token} {doc['types'][token]['candidates']}")
    for token in stale_reviews(doc):
        print(f"  stale review entry: {token}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
