"""vpn-strong-crypto: Site-to-Site VPN tunnels negotiate IKEv2 with AES256, SHA2 and DH group 14 or higher.

For both tunnels (N = 1, 2) of `aws:ec2/vpnConnection:VpnConnection`:

- `tunnelNIkeVersions` is exactly `["ikev2"]`;
- `tunnelNPhase1EncryptionAlgorithms` and `tunnelNPhase2EncryptionAlgorithms` are non-empty and each
  item is allowed (default AES256, AES256-GCM-16; config `allowedEncryption`);
- `tunnelNPhase1IntegrityAlgorithms` and `tunnelNPhase2IntegrityAlgorithms` are non-empty and each item
  is allowed (default SHA2-256, SHA2-384, SHA2-512; config `allowedIntegrity`);
- `tunnelNPhase1DhGroupNumbers` and `tunnelNPhase2DhGroupNumbers` are non-empty and each group is at
  least `minDhGroup` (default 14).

An absent or empty list is a violation: AWS then offers its defaults, which include ikev1, AES128, SHA1
and DH group 2. The config can only tighten: values outside the defaults are ignored, and a
`minDhGroup` below 14 counts as 14. One finding per connection lists every weak setting; the tunnel's
pre-shared key is never read. Unknown values that decide the outcome are left to the engine's
"can't run policy" note, after every provable problem is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_unknown, raw
from connect_guardrails.util import config_of

VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
TUNNELS = (1, 2)
PHASES = (1, 2)
IKE_VERSIONS = ["ikev2"]
STRONG_ENCRYPTION = ["AES256", "AES256-GCM-16"]
STRONG_INTEGRITY = ["SHA2-256", "SHA2-384", "SHA2-512"]
MIN_DH_GROUP = 14
AWS_DEFAULTS = {
    "IkeVersions": "ikev1, ikev2",
    "EncryptionAlgorithms": "AES128, AES256, AES128-GCM-16, AES256-GCM-16",
    "IntegrityAlgorithms": "SHA1, SHA2-256, SHA2-384, SHA2-512",
    "Phase1DhGroupNumbers": "2, 14-24",
    "Phase2DhGroupNumbers": "2, 5, 14-24",
}


def _items(args: ResourceValidationArgs, key: str, pending: Pending) -> list[Any] | None:
    """The list at `key`: None when it (or an item) is unknown (recorded), [] when absent or empty."""
    value = raw(pending.read(args.props, key))
    if is_unknown(value):
        return None
    if value is None:
        return []
    items = [raw(item) for item in value] if isinstance(value, list | tuple) else [value]
    for index, item in enumerate(items):
        if is_unknown(item):
            pending.add(args.props, key, index)
            return None
    return items


def _shown(items: list[Any]) -> str:
    return ", ".join(_group(item) if isinstance(item, int | float) else str(item) for item in items)


def _group(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _check_list(args: ResourceValidationArgs, key: str, default: str, allowed_text: str,
                weak: Callable[[Any], bool], pending: Pending) -> str | None:
    """The problem with one list property, or None when it is strong (or undecided, see `pending`)."""
    items = _items(args, key, pending)
    if items is None:
        return None
    if not items:
        return f"{key} is not set (AWS default allows {default}; allowed: {allowed_text})"
    bad = [item for item in items if weak(item)]
    if bad:
        return f"{key} allows {_shown(bad)} (allowed: {allowed_text})"
    return None


def _weak_dh(floor: int) -> Callable[[Any], bool]:
    def weak(item: Any) -> bool:
        if isinstance(item, bool) or not isinstance(item, int | float):
            return True
        return float(item) < floor
    return weak


def _allowed(config: dict[str, Any], key: str, baseline: list[str]) -> list[str]:
    """The configured list, narrowed to the baseline (the config only tightens); the baseline when unset."""
    configured = config.get(key)
    if not configured:
        return baseline
    return [value for value in baseline if value in list(configured)]


@applies_to(VPN_CONNECTION)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Both tunnels: IKEv2 only; phase 1/2 strong encryption, SHA2 integrity, DH group >= the floor."""
    config = dict(config_of(args))
    encryption = _allowed(config, "allowedEncryption", STRONG_ENCRYPTION)
    integrity = _allowed(config, "allowedIntegrity", STRONG_INTEGRITY)
    floor = max(MIN_DH_GROUP, int(config.get("minDhGroup") or MIN_DH_GROUP))
    pending = Pending()
    problems: list[str] = []
    for tunnel in TUNNELS:
        prefix = f"tunnel{tunnel}"
        checks: list[tuple[str, str, str, Callable[[Any], bool]]] = [
            ("IkeVersions", AWS_DEFAULTS["IkeVersions"], "ikev2 only", lambda item: item not in IKE_VERSIONS),
        ]
        for phase in PHASES:
            checks += [
                (f"Phase{phase}EncryptionAlgorithms", AWS_DEFAULTS["EncryptionAlgorithms"],
                 ", ".join(encryption) or "none", lambda item: item not in encryption),
                (f"Phase{phase}IntegrityAlgorithms", AWS_DEFAULTS["IntegrityAlgorithms"],
                 ", ".join(integrity) or "none", lambda item: item not in integrity),
                (f"Phase{phase}DhGroupNumbers", AWS_DEFAULTS[f"Phase{phase}DhGroupNumbers"],
                 f"groups {floor} and above", _weak_dh(floor)),
            ]
        for suffix, default, allowed_text, weak in checks:
            problem = _check_list(args, prefix + suffix, default, allowed_text, weak, pending)
            if problem:
                problems.append(problem)
    if problems:
        report_violation(
            f"VPN connection '{args.name}' allows weak tunnel cryptography: {'; '.join(problems)}; pin "
            f"tunnelN_ike_versions=['ikev2'] and the phase 1/2 encryption, integrity and DH group lists on both "
            f"tunnels",
            None,
        )
    pending.settle()


RULE = Rule(
    id="vpn-strong-crypto", kind="resource", severity="high", check=check,
    description="Site-to-Site VPN tunnels allow only IKEv2, AES256 or AES256-GCM, SHA2-256 or better and DH group "
                "14 or higher.",
    iso27001=("A.5.14", "A.8.21", "A.8.24"), ccm=("CEK-03", "CEK-04", "IVS-03"),
    remediation=(
        "On aws.ec2.VpnConnection set, for tunnel1 and tunnel2: tunnelN_ike_versions=['ikev2'], "
        "tunnelN_phase1/2_encryption_algorithms=['AES256', 'AES256-GCM-16'], "
        "tunnelN_phase1/2_integrity_algorithms=['SHA2-256', 'SHA2-384', 'SHA2-512'] and "
        "tunnelN_phase1/2_dh_group_numbers=[20, 21] (groups 14 or higher); leaving a list out lets AWS offer "
        "ikev1, AES128, SHA1 and DH group 2."
    ),
    config={
        "allowedEncryption": {
            "type": "array",
            "items": {"type": "string", "enum": STRONG_ENCRYPTION},
            "minItems": 1,
            "default": STRONG_ENCRYPTION,
            "description": "Phase 1/2 encryption algorithms a tunnel may offer (a subset of AES256, AES256-GCM-16).",
        },
        "allowedIntegrity": {
            "type": "array",
            "items": {"type": "string", "enum": STRONG_INTEGRITY},
            "minItems": 1,
            "default": STRONG_INTEGRITY,
            "description": "Phase 1/2 integrity algorithms a tunnel may offer (a subset of SHA2-256, SHA2-384, "
                           "SHA2-512).",
        },
        "minDhGroup": {
            "type": "integer",
            "minimum": MIN_DH_GROUP,
            "maximum": 24,
            "default": MIN_DH_GROUP,
            "description": "Lowest Diffie-Hellman group number a tunnel may offer in phase 1 and 2 (14 or higher).",
        },
    },
)
