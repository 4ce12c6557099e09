"""`connectctl guardrails --by-control`: per control, the guardrails that support it, and the gaps.

An auditor reads the pack the other way round from its authors: not "what does this rule check" but
"what evidence do we have for A.8.20". The mapping lives with the rules (`Rule.iso27001`, `Rule.ccm`)
and the control titles in the pack's `connect_guardrails/controls.py`; this module only turns them
around. Controls of the catalogue that no rule supports are listed as gaps with the reason, so the
report shows coverage and its limits. Everything is labelled as our mapping, not a certification.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectctl.engine.analyzer import load_pack

UNKNOWN_TITLE = "(not in the controls catalogue)"


def pack_controls() -> ModuleType:
    """The pack's `connect_guardrails.controls` module, imported the way the CLI finds the pack."""
    load_pack()
    return importlib.import_module("connect_guardrails.controls")


def frameworks(module: ModuleType | None = None) -> dict[str, dict[str, str]]:
    """Framework key -> name and version, for documents that show control ids."""
    module = module or pack_controls()
    return {key: {"name": fw.name, "version": fw.version} for key, fw in module.FRAMEWORKS.items()}


def mapping_note(module: ModuleType | None = None) -> str:
    """The label every document carrying the mapping shows: ours, not a certification."""
    return str((module or pack_controls()).MAPPING_NOTE)


def label(controls: dict[str, list[str]], module: ModuleType | None = None) -> str:
    """A rule's controls in one cell: `ISO A.8.20, A.8.22; CCM IVS-03`."""
    return str((module or pack_controls()).label(controls))


def coverage(rules: list[dict[str, Any]], module: ModuleType | None = None) -> dict[str, Any]:
    """The by-control document, from the rules' metadata (`Rule.metadata()`).

    `{"note", "frameworks": [{"key", "name", "version", "controls": [{"id", "title", "rules", "gap"?}],
    "supported", "gaps"}], "summary": {"rules", "mapped", "unmapped"}}`: every catalogue control in
    catalogue order with the ids of the rules that support it (empty for a gap, which then says why);
    `summary.unmapped` names the rules without any control (empty when the mapping is complete).
    A control a rule names but the catalogue lacks still appears, titled `UNKNOWN_TITLE`.
    """
    module = module or pack_controls()
    supporting: dict[tuple[str, str], list[str]] = {}
    for rule in rules:
        for key, ids in rule.get("controls", {}).items():
            for control_id in ids:
                supporting.setdefault((key, control_id), []).append(rule["id"])
    documents = []
    for key, fw in module.FRAMEWORKS.items():
        controls = [c for c in module.CONTROLS if c.framework == key]
        known = {c.id for c in controls}
        entries = [{"id": c.id, "title": c.title, "rules": supporting.get((key, c.id), []),
                    **({"gap": c.gap} if c.gap and not supporting.get((key, c.id)) else {})} for c in controls]
        entries += [{"id": control_id, "title": UNKNOWN_TITLE, "rules": ids}
                    for (framework, control_id), ids in sorted(supporting.items())
                    if framework == key and control_id not in known]
        documents.append({
            "key": key, "name": fw.name, "version": fw.version, "controls": entries,
            "supported": sum(1 for e in entries if e["rules"]),
            "gaps": [e["id"] for e in entries if not e["rules"]],
        })
    unmapped = [rule["id"] for rule in rules if not any(rule.get("controls", {}).values())]
    summary = {"rules": len(rules), "mapped": len(rules) - len(unmapped), "unmapped": unmapped}
    return {"note": module.MAPPING_NOTE, "frameworks": documents, "summary": summary}


def _rule_list(ids: list[str]) -> str:
    return ", ".join(f"`{rule_id}`" for rule_id in ids)


def coverage_markdown(doc: dict[str, Any], level: int = 2) -> list[str]:
    """The coverage section as Markdown lines: per framework, supported controls then the gaps."""
    heading = "#" * level
    lines = [f"{heading} Control coverage", "", f"*{doc['note']}*", "",
             "Per framework, the controls our guardrails support, then relevant controls they do not support "
             "(the gaps, each with the reason). The frameworks have more controls than are listed here.", ""]
    summary = doc["summary"]
    lines += [f"{summary['mapped']} of {summary['rules']} guardrails are mapped to at least one control."
              + (f" Unmapped: {_rule_list(summary['unmapped'])}." if summary["unmapped"] else ""), ""]
    for fw in doc["frameworks"]:
        total = len(fw["controls"])
        lines += [f"{heading}# {fw['name']}", "",
                  f"{fw['supported']} of the {total} controls listed are supported by at least one guardrail.", "",
                  "| control | title | guardrails |", "|---|---|---|"]
        lines += [f"| {c['id']} | {c['title']} | {_rule_list(c['rules'])} |" for c in fw["controls"] if c["rules"]]
        gaps = [c for c in fw["controls"] if not c["rules"]]
        if gaps:
            lines += ["", "Gaps: relevant controls no guardrail supports.", "",
                      "| control | title | why no guardrail |", "|---|---|---|"]
            lines += [f"| {c['id']} | {c['title']} | {c.get('gap', '')} |" for c in gaps]
        lines.append("")
    return lines


def coverage_page(doc: dict[str, Any], pack: str) -> str:
    """`guardrails --by-control --format markdown`: the coverage section as a page of its own."""
    lines = [f"# {pack}: guardrails by control", "", *coverage_markdown(doc, level=2)]
    return "\n".join(lines).rstrip("\n") + "\n"


def coverage_text(doc: dict[str, Any], console: Console) -> None:
    """One table per framework: each control with its guardrails, gaps marked with their reason."""
    for fw in doc["frameworks"]:
        table = Table(title=f"{fw['name']}: {fw['supported']} of the {len(fw['controls'])} controls listed "
                            f"supported", show_header=True, header_style="bold")
        for column in ("control", "title", "rules", "guardrails"):
            table.add_column(column, overflow="fold")
        for c in fw["controls"]:
            if c["rules"]:
                table.add_row(c["id"], escape(c["title"]), str(len(c["rules"])), escape(", ".join(c["rules"])))
            else:
                table.add_row(c["id"], escape(c["title"]), "[yellow]gap[/]", f"[dim]{escape(c.get('gap', ''))}[/]")
        console.print(table)
    summary = doc["summary"]
    unmapped = f" (unmapped: {', '.join(summary['unmapped'])})" if summary["unmapped"] else ""
    console.print(f"{summary['mapped']} of {summary['rules']} guardrails mapped to at least one control"
                  f"{escape(unmapped)}. {escape(doc['note'])}")
