"""The pack config a stack is judged with: the stack's own settings, plus what `policy.<stack>.json` decides.

Why: the pack's rules need facts about the stack (its account, client and environment, whether it is
production, its DR region and whether a pilot-light standby runs there, the operator's account, the
break-glass role). Every one of them is already in the stack file, so they are derived from its validated
config here (`stack_settings`) and never depend on a file being present: without `policy.<stack>.json` a
stack is judged exactly as with the committed one (a new client used to get 3 mandatory
`ecs-service-autoscaling` findings, and a production stack silently lost its production checks).

The file still matters: `pulumi preview --policy-pack-config` reads it, and it holds what people decide
(enforcement levels, exemptions, tunables such as `minRetentionDays`). So it is merged over the derived
settings, and a value it gives a derived setting must agree with the stack file: a file left behind
after `connect:tenant.drRegion` changed would make `pulumi preview` judge another DR region than
`connectctl plan`, so it is an error (exit 2) naming both files. `connectctl new` writes exactly the
derived settings, which is what the committed files hold (tests/connectctl/test_new.py).

Every report names the pack config it used (`PackConfigSource`): the file, or "none".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from components.config import StackConfig
from connectctl.engine.findings import PackConfigError

NONE = "none"
BREAKGLASS = "connect-breakglass"  # components/access.py's break-glass role (it imports pulumi_aws: not imported)

# Where each derived setting comes from in the stack file, for messages.
SETTING_SOURCES = {
    "accountId": "connect:tenant.accountId",
    "client": "connect:tenant.client",
    "environment": "connect:tenant.environment (connect:tenant.scope for account stacks)",
    "operatorAccountId": "connect:access.operatorAccountId",
    "drRegion": "connect:tenant.drRegion",
    "standbyRegion": "connect:tenant.drRegion, with connect:dr.mode pilot-light or warm-standby",
    "production": "connect:tenant.environment (prod or production)",
    "requireDeletionProtection": "connect:tenant.environment (prod or production)",
    "breakglassRoles": f"the account stack's break-glass role ({BREAKGLASS})",
}


class PackSettingsConflict(PackConfigError):
    """`policy.<stack>.json` gives a setting the stack file decides a different value; the message names both."""


@dataclass(frozen=True)
class PackConfigSource:
    """Which pack config a verdict was reached with, as every report names it.

    `file`: the `policy.<stack>.json` merged in, as users see its path, or "none". `derived_from`: the stack
    file the stack's settings were derived from, or "none" (a state or preview file checked without a stack:
    the pack's defaults).
    """

    file: str = NONE
    derived_from: str = NONE

    def as_json(self) -> dict[str, str]:
        """`{"file", "derivedFrom"}`, each a path or "none": the shape of every machine-readable report."""
        return {"file": self.file, "derivedFrom": self.derived_from}

    def __str__(self) -> str:
        """The line text reports print: `Pack config: stacks/policy.acme-prod.json, over the settings of
        stacks/Pulumi.acme-prod.yaml`; `Pack config: none, the settings of ...`; `Pack config: none, the pack's
        defaults` (no stack)."""
        if self.derived_from == NONE:
            return f"Pack config: {self.file}" + (", the pack's defaults (no stack named)" if self.file == NONE else "")
        if self.file == NONE:
            return f"Pack config: none, the settings of {self.derived_from}"
        return f"Pack config: {self.file}, over the settings of {self.derived_from}"


def stack_settings(cfg: StackConfig) -> dict[str, Any]:
    """What the pack needs to know about a stack, from its validated config: the pack config `connectctl new`
    writes and the committed `policy.<stack>.json` files hold (tests hold them equal)."""
    account, dr_region = cfg.tenant.account_id, cfg.tenant.dr_region
    operator = {"operatorAccountId": cfg.access.operator_account_id} if cfg.access is not None else {}
    autoscaling: dict[str, Any] = {"production": cfg.tenant.is_production}
    if not cfg.is_account and cfg.dr.standby:
        autoscaling["standbyRegion"] = dr_region  # pilot light runs the standby's services at zero
    common: dict[str, Any] = {
        "tenant-single-account": {"accountId": account},
        "tenant-tags": {"client": cfg.tenant.client, "environment": cfg.tenant.environment_name},
        "no-cross-tenant-sharing": {"accountId": account, **operator},
        "ecr-kms-encryption": {"accountId": account},
        "ecr-dr-replication": {"drRegion": dr_region},
        "ecs-no-plaintext-secrets": {"accountId": account},
        "ecs-images-from-tenant-registry": {"accountId": account},
        "iam-trust-tenant-scoped": {"accountId": account, **operator},
        "ecs-service-autoscaling": autoscaling,
        "alb-hardening": {"requireDeletionProtection": cfg.tenant.is_production},
    }
    if cfg.is_account:
        return common | {"iam-no-wildcard-admin": {"breakglassRoles": [BREAKGLASS]}}
    return common | {
        "backup-cross-region-copy": {"drRegion": dr_region},
        "data-store-dr-replication": {"drRegion": dr_region},
        "backup-vault-encrypted-locked": {"production": cfg.tenant.is_production},
        "dr-region-self-contained": {"drRegion": dr_region},
        "dr-reachable": {"drRegion": dr_region},
    }


def merged(settings: dict[str, Any], user: dict[str, Any], file: str, stack_file: str) -> dict[str, Any]:
    """The file's entries over the derived settings; a derived setting given another value is refused.

    An entry is a level string (`"advisory"`) or an object (`{"enforcementLevel", settings..., "exemptions"}`),
    as the engine reads them. Raises `PackSettingsConflict` listing every disagreement, `PackConfigError` for an
    entry of another shape.
    """
    result = {rule: dict(values) for rule, values in settings.items()}
    problems: list[str] = []
    for rule, entry in user.items():
        if isinstance(entry, str):
            result[rule] = {**result.get(rule, {}), "enforcementLevel": entry}
            continue
        if not isinstance(entry, dict):
            raise PackConfigError(f"{file}: {rule}: {_json(entry)}; allowed: an enforcement level (\"advisory\") or "
                                  "an object of the rule's settings ({\"enforcementLevel\": ..., \"exemptions\": "
                                  "[...]})")
        derived = settings.get(rule, {})
        for key, value in entry.items():
            if key in derived and value != derived[key]:
                problems.append(f"{rule}.{key}: {_json(value)}; the stack file says {_json(derived[key])} "
                                f"({SETTING_SOURCES.get(key, 'its settings')})")
        result[rule] = {**result.get(rule, {}), **entry}
    if problems:
        lines = "\n".join(f"  {problem}" for problem in problems)
        raise PackSettingsConflict(
            f"{file}: disagrees with {stack_file} ({len(problems)} setting(s)); `pulumi preview "
            f"--policy-pack-config` would judge the stack by the file, `connectctl` by the stack file:\n{lines}\n"
            "  allowed: the stack file's value, or no such key (these settings come from the stack file; "
            "`connectctl new` writes them)")
    return result


def _json(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else f"{text[:80]}..."
