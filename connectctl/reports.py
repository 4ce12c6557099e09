"""Reports of `connectctl check`: text, JSON, SARIF 2.1.0 and JUnit XML, secrets masked in all of them.

Every finding is placed where a person fixes it: the line of the stack file's config entry that produced
the resource (a service's resources at its `connect:services[i]` entry, a VPN link's at
`connect:vpn.connections[i]`, a data store's at `connect:data.<kind>[i]`, network resources at
`connect:network`, ...), else `__main__.py` line 1 (stack-wide findings, or no stack file known).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectctl.check import CheckResult
from connectctl.controls import mapping_note
from connectctl.engine.analyzer import LEVEL_NAMES, Violation, effective_config, load_pack
from connectctl.formats import CheckFormat
from connectctl.plan import AWS_RULE, PROVIDER_CHECK

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVELS = {"mandatory": "error", "advisory": "warning", "remediate": "warning", "disabled": "none",
                "exempt": "note"}
LEVEL_STYLES = {"mandatory": "red", "advisory": "yellow", "exempt": "cyan"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
MAIN = "__main__.py"
STACK_LABEL = "(stack)"
DATA_KINDS = (("buckets", "buckets"), ("file_systems", "fileSystems"), ("databases", "databases"))
CONFIG_PREFIXES = (  # resource name prefix -> the config entry that made it (after the per-item matches)
    ("dr-network", "connect:network"), ("network", "connect:network"),
    ("dr-platform", "connect:platform"), ("platform", "connect:platform"),
    ("vpn", "connect:vpn"), ("data", "connect:data"), ("registry", "connect:registry"),
    ("alerts", "connect:alerts"), ("dr", "connect:dr"),
)


@dataclass(frozen=True)
class Location:
    """Where a finding is fixed: a file (as users see it), a 1-based line, and the config path if any."""

    path: str
    line: int
    config_path: str = ""

    @property
    def uri(self) -> str:
        """SARIF artifact URI: relative to the project root when inside it, else a file URI."""
        path = Path(self.path)
        return path.as_uri() if path.is_absolute() else path.as_posix()

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


def _name_type(urn: str) -> tuple[str, str]:
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return "", ""
    return parts[3], parts[2].rsplit("$", 1)[-1]


def _item(name: str, prefixes: tuple[str, ...], items: list[str]) -> int | None:
    """Index of the item (longest name first) whose resources are named `<prefix>-<item>[-...]`."""
    best: tuple[int, int] | None = None
    for index, item in enumerate(items):
        for prefix in prefixes:
            stem = f"{prefix}-{item}"
            if (name == stem or name.startswith(stem + "-")) and (best is None or len(item) > best[1]):
                best = (index, len(item))
    return best[0] if best else None


def config_path_of(urn: str, result: CheckResult) -> str | None:
    """The stack-file config path of the entry that produced the resource, or None."""
    cfg = result.config
    name, type_ = _name_type(urn)
    if cfg is None or not name:
        return None
    candidates: list[str] = []
    index = _item(name, ("platform", "dr-platform"), [s.name for s in cfg.services])
    if index is not None:
        candidates.append(f"connect:services[{index}]")
    if cfg.vpn is not None:
        index = _item(name, ("vpn",), [c.name for c in cfg.vpn.connections])
        if index is not None:
            candidates.append(f"connect:vpn.connections[{index}]")
    stores = [(key, i, store.name) for attr, key in DATA_KINDS for i, store in enumerate(getattr(cfg.data, attr))]
    index = _item(name, ("data",), [store for _, _, store in stores])
    if index is not None:
        key, position, _ = stores[index]
        candidates.append(f"connect:data.{key}[{position}]")
    if cfg.registry is not None:
        index = _item(name, ("registry",), list(cfg.registry.repositories))
        if index is not None:
            candidates.append(f"connect:registry.repositories[{index}]")
    if type_.startswith("pulumi:providers:"):
        candidates.append("connect:tenant")  # providers pin the tenant's account and region
    candidates += [path for prefix, path in CONFIG_PREFIXES if name == prefix or name.startswith(prefix + "-")]
    stack_file = result.stack_file
    return next((c for c in candidates if stack_file is not None and c in stack_file.lines), None)


def locate(urn: str, result: CheckResult) -> Location:
    """The stack file line of the config entry behind the resource, else `__main__.py` line 1."""
    path = config_path_of(urn, result)
    if path is not None and result.stack_file is not None:
        return Location(result.stack_file.display_path, result.stack_file.lines[path], path)
    return Location(MAIN, 1)


# --- text and JSON -------------------------------------------------------------------------------------


def render_text(result: CheckResult, console: Console) -> None:
    """Findings as a table with the file and line to fix, then the verdict."""
    what = {"plan": "offline plan of", "state": "state file", "preview": "preview file"}[result.source]
    console.print(f"[bold]Check of {escape(result.project)}/{escape(result.stack)}[/] - {what} "
                  f"{escape(result.source_file)}, {len(result.resources)} resources")
    console.print(escape(str(result.pack)))
    if result.violations:
        table = Table(title="Policy findings", show_header=True, header_style="bold")
        for column in ("level", "policy", "owner", "resource", "where", "message"):
            table.add_column(column, overflow="fold")
        for v in result.violations:
            style = LEVEL_STYLES.get(v.level, "yellow")
            table.add_row(f"[{style}]{v.level}[/]", v.policy, v.owner, escape(_name_type(v.urn)[0] or STACK_LABEL),
                          escape(str(locate(v.urn, result))), escape(v.message.replace("\n", " - ")))
        console.print(table)
    verdict = "[red]FAIL[/]" if result.mandatory else "[green]PASS[/]"
    exempt = f", {len(result.exempt)} exempt" if result.exempt else ""
    console.print(f"{verdict}: {len(result.resources)} resources, {len(result.mandatory)} mandatory and "
                  f"{len(result.advisory)} advisory finding(s){exempt}")


def as_json(result: CheckResult) -> dict[str, Any]:
    """`{"project", "stack", "source": {"kind", "file"}, "packConfig": {"file", "derivedFrom"}, "violations": [...],
    "summary": {...}}`.

    `packConfig` names the pack config the verdict was reached with: the `policy.<stack>.json` merged in and the
    stack file its settings were derived from, each "none" when there was none (`connectctl/packconfig.py`).

    Violations have the shape of `plan --format json`: `{"policy", "level", "severity", "owner", "urn",
    "message"}`, mandatory first. Findings a pack-config exemption suppressed have level "exempt" and are
    counted under `summary.exempt` (present only when there are any). The engine's errors (the provider's
    Check, the AWS rules) are mandatory violations too, counted apart as in `plan`.
    """
    summary = {
        "resources": len(result.resources),
        "mandatory": len(result.mandatory),
        "advisory": len(result.advisory),
        "providerCheck": sum(v.policy == PROVIDER_CHECK for v in result.violations),
        "awsRules": sum(v.policy.startswith(AWS_RULE) for v in result.violations),
    }
    if result.exempt:
        summary["exempt"] = len(result.exempt)
    return {
        "project": result.project,
        "stack": result.stack,
        "source": {"kind": result.source, "file": result.source_file},
        "packConfig": result.pack.as_json(),
        "violations": [v.as_dict() for v in result.violations],
        "summary": summary,
    }


# --- SARIF ---------------------------------------------------------------------------------------------


def _catalogue() -> ModuleType:
    return load_pack()


def _levels(result: CheckResult, catalogue: ModuleType) -> dict[str, str]:
    """Each rule's effective enforcement level (the pack config's override, else the default)."""
    configured = effective_config(catalogue, result.pack_config)
    return {rule_id: LEVEL_NAMES.get(cfg.enforcementLevel, "advisory") for rule_id, cfg in configured.items()}


def _full_description(rule: Any) -> str:
    module = sys.modules.get(getattr(rule.check, "__module__", ""))
    doc = inspect.cleandoc(module.__doc__) if module is not None and module.__doc__ else ""
    return doc or str(rule.description)


def _rule_name(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-"))


def sarif_rules(result: CheckResult, catalogue: ModuleType | None = None) -> list[dict[str, Any]]:
    """SARIF `reportingDescriptor`s from the catalogue: description, remediation and the rule's facts."""
    catalogue = catalogue or _catalogue()
    levels = _levels(result, catalogue)
    note = mapping_note()
    rules = []
    for rule in catalogue.RULES:
        meta = rule.metadata()
        effective = levels.get(rule.id, meta["level"])
        rules.append({
            "id": rule.id,
            "name": _rule_name(rule.id),
            "shortDescription": {"text": meta["description"]},
            "fullDescription": {"text": _full_description(rule)},
            "help": {"text": meta["remediation"], "markdown": f"**Remediation.** {meta['remediation']}"},
            "defaultConfiguration": {"level": SARIF_LEVELS.get(effective, "warning"),
                                     "enabled": effective != "disabled"},
            "properties": {
                "owner": meta["owner"],
                "severity": meta["severity"],
                "anchors": meta["anchors"],
                "unwaivable": meta["unwaivable"],
                "kind": meta["kind"],
                "level": meta["level"],
                "effectiveLevel": effective,
                "controls": meta.get("controls", {}),  # ISO/IEC 27001:2022 Annex A and CSA CCM v4 ids
                "controlsNote": note,
                "security-severity": SECURITY_SEVERITY.get(meta["severity"], "5.5"),
                "tags": ["security", "guardrail", meta["owner"]],
            },
        })
    known = {r["id"] for r in rules}
    for policy in sorted({v.policy for v in result.violations} - known):  # not in the catalogue (never expected)
        rules.append({"id": policy, "name": _rule_name(policy), "shortDescription": {"text": policy}})
    return rules


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


EXEMPT_SUFFIX = re.compile(r" \[exempt: (?P<reason>.*) \((?:ticket [^,]*, )?expires [^)]*\)\]$", re.DOTALL)


def _exemption_reason(message: str) -> str:
    """The reason of the exemption an "exempt" finding's message ends with."""
    match = EXEMPT_SUFFIX.search(message)
    return match.group("reason") if match else message


def as_sarif(result: CheckResult) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run, the catalogue as rules, one result per finding at its stack file line."""
    catalogue = _catalogue()
    rules = sarif_rules(result, catalogue)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = []
    for v in result.violations:
        where = locate(v.urn, result)
        name, type_ = _name_type(v.urn)
        location: dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": {"uri": where.uri},
                "region": {"startLine": where.line},
            },
        }
        if v.urn:
            location["logicalLocations"] = [{"name": name, "fullyQualifiedName": v.urn, "kind": "resource"}]
        results.append({
            "ruleId": v.policy,
            "ruleIndex": index[v.policy],
            "level": SARIF_LEVELS.get(v.level, "warning"),
            "message": {"text": v.message},
            "locations": [location],
            "partialFingerprints": {"connectctlFinding/v1": _fingerprint(v.policy, v.urn, v.message)},
            **({"suppressions": [{"kind": "external", "justification": _exemption_reason(v.message)}]}
               if v.level == "exempt" else {}),
            "properties": {
                "level": v.level,
                "severity": v.severity,
                "owner": v.owner,
                "urn": v.urn,
                "resourceType": type_,
                **({"configPath": where.config_path} if where.config_path else {}),
            },
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "connectctl",
                "fullName": f"connectctl check ({catalogue.PACK_NAME} policy pack)",
                "version": str(catalogue.PACK_VERSION),
                "rules": rules,
            }},
            "automationDetails": {"id": f"connectctl-check/{result.project}/{result.stack}/"},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "project": result.project,
                "stack": result.stack,
                "source": {"kind": result.source, "file": result.source_file},
                "packConfig": result.pack.as_json(),
                "summary": as_json(result)["summary"],
            },
        }],
    }


# --- JUnit ---------------------------------------------------------------------------------------------


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can hold (a state file may carry any character in a name or message)."""
    return _NOT_XML.sub("\ufffd", text)


def as_junit(result: CheckResult) -> str:
    """JUnit XML: per rule, one test case per resource with findings, or one passing case without any.

    Mandatory findings are `<failure type="mandatory">`: the suite fails exactly when `check` exits 1.
    Advisory findings do not fail the build (the pack does not fail `pulumi up` for them either): their
    test case passes and carries the messages in `<system-out>`, each marked `[advisory]`. A rule the
    stack's pack config disables is one `<skipped>` case.
    """
    catalogue = _catalogue()
    levels = _levels(result, catalogue)
    by_rule: dict[str, dict[str, list[Violation]]] = defaultdict(lambda: defaultdict(list))
    for v in result.violations:
        by_rule[v.policy][v.urn].append(v)
    order = [rule.id for rule in catalogue.RULES]
    order += sorted(set(by_rule) - set(order))
    suite_name = _xml(f"{catalogue.PACK_NAME}: {result.project}/{result.stack}")
    suites = ET.Element("testsuites", name="connectctl check")
    suite = ET.SubElement(suites, "testsuite", name=suite_name)
    props = ET.SubElement(suite, "properties")
    for key, value in (("source", result.source), ("file", result.source_file),
                       ("resources", str(len(result.resources))), ("packConfig", result.pack.file),
                       ("packConfigDerivedFrom", result.pack.derived_from)):
        ET.SubElement(props, "property", name=key, value=_xml(value))
    tests = failures = skipped = 0
    for rule_id in order:
        classname = f"{catalogue.PACK_NAME}.{rule_id}"
        findings = by_rule.get(rule_id)
        if not findings:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=classname, name=f"{rule_id}: no findings")
            if levels.get(rule_id) == "disabled":
                skipped += 1
                ET.SubElement(case, "skipped", message="disabled by the stack's pack config")
            continue
        for urn in sorted(findings):
            found = findings[urn]
            tests += 1
            where = locate(urn, result)
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=_xml(f"{rule_id}: {urn or STACK_LABEL}"), file=_xml(where.path),
                                 line=str(where.line))
            text = _xml("\n".join(f"[{v.level}] {v.message}" for v in found))
            mandatory = [v for v in found if v.level == "mandatory"]
            if mandatory:
                failures += 1
                summary = mandatory[0].message if len(found) == 1 else f"{len(found)} findings: {found[0].message}"
                failure = ET.SubElement(case, "failure", type="mandatory", message=_xml(summary))
                failure.text = text
            else:
                ET.SubElement(case, "system-out").text = text
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    for element in (suites, suite):
        for key, value in counts.items():
            element.set(key, value)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def render(result: CheckResult, output: CheckFormat) -> str | None:
    """The report as text for the machine formats; None for `text` (printed with rich)."""
    if output is CheckFormat.json:
        return json.dumps(as_json(result), indent=2) + "\n"
    if output is CheckFormat.sarif:
        return json.dumps(as_sarif(result), indent=2) + "\n"
    if output is CheckFormat.junit:
        return as_junit(result)
    return None
