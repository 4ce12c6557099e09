"""ecr-immutable-tags: ECR repositories refuse to overwrite an existing image tag.

`imageTagMutability` must be `IMMUTABLE`. Absent means the AWS default `MUTABLE`; `IMMUTABLE_WITH_EXCLUSION`
lets tags matching its exclusion filters be overwritten, so it is a violation too.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import known

REPOSITORY = "aws:ecr/repository:Repository"


@applies_to(REPOSITORY)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """imageTagMutability is IMMUTABLE (absent = MUTABLE)."""
    mutability = known(args.props, "imageTagMutability")
    if mutability == "IMMUTABLE":
        return
    shown = "absent (AWS default MUTABLE)" if mutability in (None, "") else repr(mutability)
    report_violation(
        f"ECR repository '{args.name}' lets image tags be overwritten: imageTagMutability is {shown}; "
        f"set image_tag_mutability='IMMUTABLE'",
        None,
    )


RULE = Rule(
    id="ecr-immutable-tags", kind="resource", severity="medium", check=check,
    description="ECR repositories have immutable image tags.",
    anchors=("FSBP ECR.2", "CKV_AWS_51"), iso27001=("A.8.19", "A.8.32"), ccm=("AIS-06", "CCC-04"),
    remediation="Set image_tag_mutability='IMMUTABLE' on every aws.ecr.Repository; push a new tag for each build.",
)
