"""The pack's own catalogue page (`policies/README.md`), generated from the rules' metadata.

Run `python policies/connect_guardrails/docs.py > policies/README.md` (or `make docs`); a test
fails when the committed page no longer matches the rules.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the pack directory is the import root, as under the CLI
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connect_guardrails import PACK_NAME
from connect_guardrails.catalogue import RULES
from connect_guardrails.controls import MAPPING_NOTE, label

HEADER = f"""# {PACK_NAME}

The Connect guardrail pack: the platform team's side of the shared-responsibility model, checked on
every `pulumi preview` / `pulumi up` of a client stack. Each rule is one module in
`connect_guardrails/rules/`; this page is generated from their metadata
(`python policies/connect_guardrails/docs.py > policies/README.md`).

Run it: `pulumi preview --stack <stack> --policy-pack policies --policy-pack-config
stacks/policy.<stack>.json` (set up `policies/venv` from `requirements.txt` first). Owner says whose
configuration a rule protects: `operator` (the platform team: network, isolation, registry, keys,
backups) or `client` (what a client team configures: its microservices). Unwaivable rules may never
be switched off or exempted.

Every rule accepts `exemptions` in its config (`connect_guardrails/exemptions.py`). After the rules,
three integrity policies run (`connect_guardrails/integrity.py`): `exemptions` (mandatory: invalid
exemptions, disabled unwaivable rules), `exemptions-unused` (advisory: exemptions that matched
nothing) and `exempted-findings` (advisory: every suppressed finding, with its reason).

Controls: each rule names the ISO/IEC 27001:2022 Annex A and CSA Cloud Controls Matrix v4 controls it
supports (`iso27001`, `ccm`; titles and the deliberate gaps in `connect_guardrails/controls.py`).
{MAPPING_NOTE} Per control: `connectctl guardrails --by-control` and `docs/guardrails.md`.

"""


def render() -> str:
    """The whole page."""
    rows = ["| id | kind | level | severity | owner | unwaivable | anchors | controls (our mapping) | checks | "
            "remediation |", "|---|---|---|---|---|---|---|---|---|---|"]
    for rule in RULES:
        anchors = ", ".join(rule.anchors) or "none (new)"
        config = "; ".join(f"`{k}`" for k in rule.config)
        remediation = rule.remediation + (f" Config: {config}." if config else "")
        rows.append(f"| `{rule.id}` | {rule.kind} | {rule.level} | {rule.severity} | {rule.owner} | "
                    f"{'yes' if rule.unwaivable else 'no'} | {anchors} | {label(rule.controls)} | {rule.description} | "
                    f"{remediation} |")
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
