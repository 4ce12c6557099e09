"""A seeded corpus of bad (and accidentally good) `pulumi stack export` and `pulumi preview --json` files.

The base files are real: acme-staging planned offline with every value known (its VPN connection holds
generated pre-shared keys as secret outputs), its resources written as `pulumi stack export` (version 3)
and as `pulumi preview --json` steps, the way `tests/connectctl/test_check.py` builds them. Families:

- `cut:*`: a base file truncated at offsets spread over its length (pretty and compact JSON);
- `struct:*`: one node deleted or retyped anywhere, the version, deployment, resources, steps, ops,
  URNs, types, graph fields and property values given wrong or odd values, secret/asset/reference
  signatures in odd shapes, a resource list far longer than usual;
- `deep:*`: nesting 10,000 levels deep at the top and inside a resource;
- `huge:*`: 1 MB values, URNs and types;
- `root:*` / `bytes:*`: empty files, non-object roots, BOM, other encodings, garbage, huge numbers;
- `swap:*`: an export given as `--preview-json` and a preview as `--state`.

Each case names its flag (`--state` or `--preview-json`), and some name the stack (`--stack
acme-staging`: its stack file and pack config apply) and a report format.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY
from tests.connectctl.state import as_state_resource, export_doc
from tests.fuzz.harness import FuzzCase
from tests.fuzz.mutations import RETYPES, Path_, garbage, get, node_paths, put, remove

SEED = 20261128
BASE_STACK = "acme-staging"
FORMATS = ("text", "json", "sarif", "junit")
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
# The kinds of resource the base keeps: one of each part of the platform, the VPN (secrets) among them.
KEPT_TYPES = (
    "pulumi:pulumi:Stack", "pulumi:providers:aws", "aws:ec2/vpnConnection:VpnConnection",
    "aws:ec2/customerGateway:CustomerGateway", "aws:ec2/eip:Eip", "aws:kms/key:Key", "aws:s3/bucket:Bucket",
    "aws:cloudwatch/logGroup:LogGroup", "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:backup/vault:Vault", "aws:lb/loadBalancer:LoadBalancer", "aws:ecs/service:Service",
    "aws:ecs/taskDefinition:TaskDefinition", "aws:ec2/natGateway:NatGateway", "connect:vpn:SiteToSiteVpn",
)
OPS = ("create", "same", "update", "replace", "create-replacement", "delete-replaced", "read", "refresh", "import",
       "discard", "read-replacement", "delete", "remove-pending-replace", "", "CREATE", "frobnicate")
URNS = ["", "urn", "urn:pulumi:", "urn:pulumi:s::p", "urn:pulumi:s::p::t", "urn:pulumi:s::p::t::",
        "urn:aws:ec2::x", "urn:pulumi:acme-staging::connect::aws:ec2/eip:Eip::\U0001f680",
        "urn:pulumi:other::connect::aws:ec2/eip:Eip::x", "urn:pulumi:acme-staging::other::aws:ec2/eip:Eip::x",
        "urn:pulumi:acme-staging::connect::" + "t" * 10_000 + "::n", "urn:pulumi:acme-staging::connect::a::b\x00c",
        "URN:PULUMI:acme-staging::connect::t::n", "urn:pulumi:acme-staging::connect::::", " urn:pulumi:s::p::t::n"]
ODD_VALUES: list[Any] = [
    {SECRET_SIG_KEY: SECRET_SIG}, {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": 1}, {SECRET_SIG_KEY: SECRET_SIG,
    "plaintext": "not json {"}, {SECRET_SIG_KEY: SECRET_SIG, "plaintext": 7}, {SECRET_SIG_KEY: SECRET_SIG,
    "plaintext": "1" * 5000}, {SECRET_SIG_KEY: SECRET_SIG, "plaintext": "[" * 5000}, {SECRET_SIG_KEY: SECRET_SIG,
    "value": {SECRET_SIG_KEY: SECRET_SIG, "value": "nested"}}, {SECRET_SIG_KEY: ASSET_SIG},
    {SECRET_SIG_KEY: ASSET_SIG, "path": 1}, {SECRET_SIG_KEY: ARCHIVE_SIG, "assets": {"a": {SECRET_SIG_KEY: 1}}},
    {SECRET_SIG_KEY: ARCHIVE_SIG, "assets": []}, {SECRET_SIG_KEY: REFERENCE_SIG},
    {SECRET_SIG_KEY: REFERENCE_SIG, "urn": 1, "id": 2}, {SECRET_SIG_KEY: REFERENCE_SIG, "id": ""},
    {SECRET_SIG_KEY: OUTPUT_SIG}, {SECRET_SIG_KEY: OUTPUT_SIG, "value": None, "secret": "yes"},
    {SECRET_SIG_KEY: OUTPUT_SIG, "secret": True}, {SECRET_SIG_KEY: "unknown-sig", "x": 1}, {SECRET_SIG_KEY: None},
    {SECRET_SIG_KEY: [1]}, "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "x" * 10_000, 10**300, -(10**300), 1e308,
    float("nan"), float("inf"), "\ud800", "\x00", "\U0001f680" * 100, [[[[[]]]]], {"": {"": {"": None}}},
]
GRAPH_FIELDS = ("dependencies", "propertyDependencies", "ignoreChanges", "parent", "provider", "protect", "custom",
                "retainOnDelete", "external", "delete", "id", "type", "urn", "inputs", "outputs")


@dataclass(frozen=True)
class CheckCase(FuzzCase):
    """One file for `check`: how it was made, its bytes, and the command line around it."""

    flag: str
    extra: tuple[str, ...]


def preview_doc(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """`pulumi preview --json` creating `resources`, plus a deletion (no newState)."""
    steps: list[dict[str, Any]] = [{"op": "create" if i % 3 else "same", "urn": r["urn"],
                                    "provider": r.get("provider", ""), "newState": r}
                                   for i, r in enumerate(resources)]
    gone = dict(resources[-1], urn=resources[-1]["urn"] + "-removed")
    steps.append({"op": "delete", "urn": gone["urn"], "oldState": gone})
    return {"config": {}, "steps": steps, "changeSummary": {"create": len(resources), "delete": 1},
            "duration": 1_000_000}


@cache
def base_resources() -> tuple[str, ...]:
    """acme-staging's planned resources (all values known), one of each kept type, as JSON texts."""
    from connectctl.plan import plan_stack  # the program: imported only by the tests that need it

    plan = plan_stack(BASE_STACK, preview=False)
    seen: dict[str, int] = {}
    kept = []
    for resource in plan.resources:
        if resource.type in KEPT_TYPES and not seen.get(resource.type):
            seen[resource.type] = seen.get(resource.type, 0) + 1
            kept.append(json.dumps(as_state_resource(resource)))
    return tuple(kept)


def resources() -> list[dict[str, Any]]:
    """A fresh copy of the base resources."""
    return [json.loads(text) for text in base_resources()]


@cache
def secret_texts() -> frozenset[str]:
    """The plaintext of every secret output of the base (the generated pre-shared keys...)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get(SECRET_SIG_KEY) == SECRET_SIG and isinstance(value.get("value"), str):
                found.add(value["value"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for doc in resources():
        walk(doc)
    return frozenset(text for text in found if len(text) >= 8)


def _json(doc: Any, rng: random.Random) -> str:
    """Mostly compact (the C encoder: fast), sometimes indented as the CLI writes it."""
    if rng.random() < 0.8:
        return json.dumps(doc)
    return json.dumps(doc, indent=2 if rng.random() < 0.5 else "\t")


def _resource_at(doc: dict[str, Any], at: Path_) -> Any:
    """The resource document at a resource entry or step (its newState), if any."""
    entry = get(doc, at)
    return entry.get("newState") if "steps" in doc and isinstance(entry, dict) else entry


def _struct(doc: dict[str, Any], rng: random.Random) -> str:
    """One structural mutation of `doc` in place; returns its kind."""
    paths = node_paths(doc)
    steps_or_resources = "steps" if "steps" in doc else "resources"
    try:
        entries = doc["steps"] if "steps" in doc else doc["deployment"]["resources"]
    except (KeyError, TypeError):  # an earlier mutation of this case broke the shape
        entries = None
    prefix: Path_ = ("steps",) if "steps" in doc else ("deployment", "resources")
    entry_paths: list[Path_] = [(*prefix, i) for i in range(len(entries))] if isinstance(entries, list) else []
    kind = rng.choice(["delete", "retype", "retype", "top", "field", "field", "urn", "op", "value", "value",
                       "duplicate", "long", "order"])
    if not paths:
        kind = "top"
    elif not entry_paths and kind in ("field", "urn", "op", "duplicate", "long", "order"):
        kind = "retype"
    elif kind == "op" and "steps" not in doc:
        kind = "field"
    if kind == "delete":
        remove(doc, rng.choice(paths))
    elif kind == "retype":
        put(doc, rng.choice(paths), copy.deepcopy(rng.choice(RETYPES)))
    elif kind == "top":
        key = rng.choice(["version", "deployment", steps_or_resources, "steps", "deployment"])
        value = rng.choice([2, 4, "3", 3.0, True, None, -3, 10**30, [], {}, "x", [1], {"resources": 1}])
        if key == steps_or_resources and "steps" not in doc:
            doc["deployment"]["resources"] = value
        else:
            doc[key] = value
    elif kind == "field":
        target = _resource_at(doc, rng.choice(entry_paths))
        if isinstance(target, dict):
            target[rng.choice(GRAPH_FIELDS)] = copy.deepcopy(rng.choice(
                [*RETYPES, ["urn:pulumi:x::y::z::w", 1], {"a": "b"}, {"a": [1]}, "urn:pulumi:s::p::t::n::extra"]))
    elif kind == "urn":
        target = _resource_at(doc, rng.choice(entry_paths))
        if isinstance(target, dict):
            target["urn"] = rng.choice(URNS)
    elif kind == "op" and "steps" in doc:
        get(doc, rng.choice(entry_paths))["op"] = rng.choice([*OPS, None, 1, ["create"]])
    elif kind == "value":
        values = [p for p in paths if any(part in ("inputs", "outputs") for part in p)]
        put(doc, rng.choice(values or paths), copy.deepcopy(rng.choice(ODD_VALUES)))
    elif kind == "duplicate" and isinstance(entries, list):
        entries.append(copy.deepcopy(rng.choice(entries)))
    elif kind == "long" and isinstance(entries, list) and len(json.dumps(entries)) < 200_000:
        entries.extend(json.loads(json.dumps(entries)) * rng.randint(2, 6))
    elif isinstance(entries, list):
        rng.shuffle(entries)
    return kind


def _deep(depth: int, where: str) -> dict[str, Any] | str:
    nested = "[" * depth + "]" * depth
    if where == "top":
        return nested
    doc = export_doc([{"urn": "urn:pulumi:acme-staging::connect::aws:ec2/eip:Eip::x", "type": "aws:ec2/eip:Eip",
                       "inputs": {"x": "@@DEEP@@"}}])
    if where == "dependencies":
        doc["deployment"]["resources"][0] = {"urn": "urn:pulumi:acme-staging::connect::t::x", "type": "t",
                                             "dependencies": "@@DEEP@@"}
    return json.dumps(doc).replace('"@@DEEP@@"', nested)


@cache
def check_corpus(seed: int = SEED) -> tuple[CheckCase, ...]:
    """Every case, in a fixed shuffled order."""
    rng = random.Random(seed)
    raw: list[tuple[str, str, bytes]] = []
    bases = {"state": export_doc(resources()), "preview": preview_doc(resources())}
    flags = {"state": "--state", "preview": "--preview-json"}
    texts = {name: json.dumps(doc) for name, doc in bases.items()}
    for name, doc in bases.items():
        for indent in (2, None):
            text = json.dumps(doc, indent=indent)
            for _ in range(300 if indent else 150):
                cut = rng.randrange(len(text))
                raw.append((f"cut:{name}-{'pretty' if indent else 'compact'}", flags[name], text[:cut].encode()))
            raw.append((f"cut:{name}-whole", flags[name], text.encode()))
    for _ in range(1000):
        name = rng.choice(list(bases))
        doc = json.loads(texts[name])  # a fresh copy, faster than deepcopy
        kinds = [_struct(doc, rng) for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 3))]
        raw.append((f"struct:{name}-{'+'.join(kinds)}", flags[name], _json(doc, rng).encode("utf-8", "surrogatepass")))
    for depth in (100, 1000, 10_000, 100_000):
        for where in ("top", "inputs", "dependencies"):
            for flag in ("--state", "--preview-json"):
                deep = _deep(depth, where)
                raw.append((f"deep:{where}-{depth}", flag, (deep if isinstance(deep, str) else json.dumps(deep))
                            .encode()))
    roots = ["", " ", "\n", "null", "1", "-1", '"x"', "[]", "[1]", "{}", "true", "NaN", "Infinity", "{\"version\": 3}",
             '{"version": 3, "deployment": null}', '{"version": 3, "deployment": {"resources": null}}',
             '{"version": 3, "deployment": {}}', '{"steps": []}', '{"steps": null}', '{"steps": {}}',
             '{"steps": [null]}', '{"steps": [{"op": "create"}]}', '{"steps": [{"op": "create", "newState": 1}]}',
             '{"version": 3, "version": 2}', "1" * 5000, '{"version": ' + "1" * 5000 + "}", "// comment\n{}",
             "{'version': 3}", "{\"version\": 3,}", "\ufeff{}", "{}\n{}", "[" * 10, "{\"a\":" * 10]
    for text in roots:
        for flag in ("--state", "--preview-json"):
            raw.append(("root:shape", flag, text.encode("utf-8")))
    pretty = json.dumps(bases["state"], indent=2)
    for encoding in ("utf-16", "utf-32", "latin-1"):
        raw.append((f"bytes:{encoding}", "--state", pretty.replace("acme", "acm\u00e9").encode(encoding)))
    for size in (1, 7, 64, 1024, 65536):
        raw.append(("bytes:garbage", rng.choice(["--state", "--preview-json"]), garbage(rng, size)))
    raw.append(("bytes:bom", "--state", b"\xef\xbb\xbf" + pretty.encode()))
    at = len(pretty) // 2
    raw.append(("bytes:spliced", "--state", pretty[:at].encode() + b"\xff\xfe" + pretty[at:].encode()))
    for where in ("inputs", "urn", "type"):
        doc = copy.deepcopy(bases["state"])
        doc["deployment"]["resources"][-1]["inputs" if where == "inputs" else where] = (
            {"big": "x" * 1_000_000} if where == "inputs" else "x" * 1_000_000)
        raw.append((f"huge:{where}", "--state", json.dumps(doc).encode()))
    raw.append(("swap:state-as-preview", "--preview-json", pretty.encode()))
    raw.append(("swap:preview-as-state", "--state", json.dumps(bases["preview"]).encode()))
    rng.shuffle(raw)
    cases = []
    for index, (kind, flag, data) in enumerate(raw):
        extra: tuple[str, ...] = ("--format", FORMATS[index % len(FORMATS)])
        if index % 5 == 0:
            extra += ("--stack", BASE_STACK)
        cases.append(CheckCase(index=index, kind=kind, data=data, flag=flag, extra=extra))
    return tuple(cases)
