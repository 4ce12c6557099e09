"""ecr-kms-encryption: ECR repositories are encrypted with the tenant's own KMS key.

`encryptionConfigurations[0].encryptionType` must be `KMS` and `kmsKey` set: without a key AWS uses the
AWS-managed `aws/ecr` key; without the block, AES256. An unknown key (the ARN of the stack's own key,
in preview) counts as set. A key given as a literal ARN must belong to the tenant account: the policy
config `accountId`, else the single account the resource's provider is pinned to (`allowedAccountIds`).
"""

from __future__ import annotations

import re

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, account_config, applies_to
from connect_guardrails.unknowns import is_unknown, known, plain
from connect_guardrails.util import config_of, tenant_account

REPOSITORY = "aws:ecr/repository:Repository"
KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]*:(\d{12}):")


@applies_to(REPOSITORY)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """encryptionType KMS with a kmsKey set, of the tenant account when it is a literal ARN."""
    configs = plain(known(args.props, "encryptionConfigurations"))
    first = configs[0] if isinstance(configs, list) and configs else None
    if not isinstance(first, dict):
        report_violation(
            f"ECR repository '{args.name}' has no encryption configuration (AWS default AES256); set "
            f"encryption_configurations=[{{encryption_type: 'KMS', kms_key: <the tenant's key ARN>}}]",
            None,
        )
        return
    kind = first.get("encryptionType")
    if is_unknown(kind):
        kind = args.props["encryptionConfigurations"][0]["encryptionType"]  # raises: noted by the engine
    if kind != "KMS":
        report_violation(
            f"ECR repository '{args.name}' is encrypted with {kind or 'AES256'}, not KMS; set encryption_type='KMS' "
            f"and kms_key to the tenant's key",
            None,
        )
        return
    key = first.get("kmsKey")
    if key in (None, ""):
        report_violation(
            f"ECR repository '{args.name}' uses the AWS-managed key aws/ecr; set kms_key to the tenant's key ARN",
            None,
        )
        return
    if is_unknown(key) or not isinstance(key, str):
        return
    match = KMS_ARN.match(key)
    tenant = tenant_account(config_of(args), args.provider.props if args.provider is not None else None)
    if match and tenant and match.group(1) != tenant:
        report_violation(
            f"ECR repository '{args.name}' is encrypted with a key of account {match.group(1)}, not the tenant "
            f"account {tenant}; use the tenant's own key",
            None,
        )


RULE = Rule(
    id="ecr-kms-encryption", kind="resource", level="advisory", severity="medium", check=check,
    description="ECR repositories are encrypted with the tenant's KMS key.",
    anchors=("CKV_AWS_136",), iso27001=("A.8.24",), ccm=("CEK-03",),
    remediation=(
        "Set encryption_configurations=[RepositoryEncryptionConfigurationArgs(encryption_type='KMS', "
        "kms_key=<the environment key's ARN>)]; the key must live in the tenant account."
    ),
    config={
        "accountId": account_config(
            "The tenant account; defaults to the account the resource's provider is pinned to."
        ),
    },
)
