"""kms-key-rotation: every symmetric KMS key rotates its key material.

Symmetric = `customerMasterKeySpec`/`keySpec` absent or `SYMMETRIC_DEFAULT` (asymmetric and HMAC
keys cannot rotate automatically).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, known

KEY = "aws:kms/key:Key"
SYMMETRIC = "SYMMETRIC_DEFAULT"


@applies_to(KEY)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """enableKeyRotation true on symmetric keys."""
    pending = Pending()
    for key in ("keySpec", "customerMasterKeySpec"):
        spec = pending.read(args.props, key)
        if is_known(spec) and spec not in (None, "", SYMMETRIC):
            return  # asymmetric or HMAC: rotation does not apply
    pending.settle()  # the key spec decides whether rotation applies
    rotation = known(args.props, "enableKeyRotation")
    if rotation is not True:
        report_violation(
            f"KMS key '{args.name}' is symmetric and does not rotate; set enableKeyRotation: true", None
        )


RULE = Rule(
    id="kms-key-rotation", kind="resource", severity="medium", check=check,
    description="Symmetric KMS keys have automatic rotation on.",
    anchors=("NAG KMS5", "CKV_AWS_7"), iso27001=("A.8.24",), ccm=("CEK-12",),
    remediation="Set enable_key_rotation=True on every symmetric aws.kms.Key.",
)
