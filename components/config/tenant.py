"""`connect:tenant`: who the stack belongs to (client, environment, the client's dedicated account) and its
lifecycle."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from components.clock import now
from components.config.base import (
    ROLE_ARN,
    AccountId,
    ConfigIssue,
    Model,
    Region,
    RoleArn,
    Slug,
    date_or_none,
    matching,
    pattern_hint,
)

PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})
TAG_VALUE = re.compile(r"^[\w .:/=+@-]{1,128}\Z")
ORGANIZATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z", re.ASCII)
Organization = Annotated[str, Field(json_schema_extra=pattern_hint(ORGANIZATION)), matching(
    ORGANIZATION, "a Pulumi organization name", "letters, digits, '.', '_', '-'")]
DeployRoleArn = Annotated[RoleArn, matching(ROLE_ARN, "an IAM role ARN", "arn:aws:iam::<12-digit account>:role/<name>")]
CostCenter = Annotated[str, matching(
    TAG_VALUE, "a valid tag value", "1-128 letters, digits, spaces and _ . : / = + @ -")]


def today() -> datetime.date:
    """Today's UTC date by the one clock connectctl reads too (components/clock.py: `CONNECT_NOW` in tests)."""
    return now().date()


class TenantConfig(Model):
    """Who the stack belongs to: client, environment and the client's dedicated account."""

    client: Slug = Field(description="Client slug, 2-20 lowercase letters, digits and hyphens.")
    environment: Slug | None = Field(
        default=None, description="Environment slug; 'prod' and 'production' are production. Account stacks: "
        "'account' (the default there)."
    )
    account_id: AccountId = Field(description="The client's dedicated AWS account id: 12 digits, quoted.")
    deploy_role_arn: DeployRoleArn | None = Field(
        default=None, description="Role in the tenant account that Pulumi assumes to deploy."
    )
    dr_region: Region = Field(description="Alternate region for backups and DR; differs from aws:region.")
    cost_center: CostCenter | None = Field(default=None, description="Becomes the connect:cost-center tag.")
    scope: Literal["environment", "account"] = Field(
        default="environment", description="environment: one VPC and its services; account: the account-wide "
        "singletons (ECR registry) that exactly one stack per client owns."
    )
    organization: Organization = Field(
        default="organization", description="Pulumi organization holding the client's stacks (stack references)."
    )
    lifecycle: Literal["active", "decommissioning"] = Field(
        default="active", description="active: the environment serves. decommissioning: every stateful resource "
        "stays (stores, keys, vaults and recovery points, EIPs, logs under retention); services, NAT gateways and "
        "the DNS names go at once, the load balancer and VPN connections the day after decommissionNoticeUntil "
        "(docs/operations.md, Decommissioning). Environment stacks only."
    )
    decommission_notice_until: datetime.date | None = Field(
        default=None, description="With lifecycle: decommissioning, required: the last day of the notice given to "
        "the client (YYYY-MM-DD, UTC; quote it in YAML). Until then the load balancer (without deletion "
        "protection) and the VPN connections stay; the first plan after it removes them."
    )

    @field_validator("decommission_notice_until", mode="before")
    @classmethod
    def _notice(cls, value: Any) -> Any:
        if value is None:
            return value
        day = date_or_none(value)
        if day is None:
            raise ValueError(f"{value!r} is not a date; allowed: YYYY-MM-DD, the last day of the client's notice")
        return day

    @property
    def environment_name(self) -> str:
        """The environment slug; account stacks are the `account` environment."""
        return self.environment or ("account" if self.scope == "account" else "")

    @property
    def is_production(self) -> bool:
        """Production environments get the stricter defaults (and checks) everywhere."""
        return self.environment in PRODUCTION_ENVIRONMENTS

    @property
    def decommissioning(self) -> bool:
        """The environment is being wound down: no compute, every stateful resource kept."""
        return self.lifecycle == "decommissioning"

    def traffic_path_kept(self, day: datetime.date | None = None) -> bool:
        """The load balancer and VPN connections stay: always while active, through the notice's last day while
        decommissioning (judged on `day`, default today in UTC: `CONNECT_NOW` as components/clock.py)."""
        if not self.decommissioning:
            return True
        if self.decommission_notice_until is None:  # refused by validation; kept if it ever got through
            return True
        return (day or today()) <= self.decommission_notice_until


def tenant_issues(tenant: TenantConfig, region: str) -> list[ConfigIssue]:
    """The DR region differs from the primary; the deploy role lives in the tenant account."""
    issues: list[ConfigIssue] = []
    if tenant.dr_region == region:
        issues.append(ConfigIssue(
            path="connect:tenant.drRegion",
            message=f"{tenant.dr_region!r} is the primary region; allowed: any other region code",
        ))
    if tenant.deploy_role_arn:
        match = ROLE_ARN.match(tenant.deploy_role_arn)
        if match and match.group(2) != tenant.account_id:
            issues.append(ConfigIssue(
                path="connect:tenant.deployRoleArn",
                message=f"role is in account {match.group(2)}; allowed: a role in the tenant account "
                f"{tenant.account_id} (no shared resources between clients)",
            ))
    return issues


def lifecycle_issues(tenant: TenantConfig) -> list[ConfigIssue]:
    """Decommissioning names the end of the client's notice; a notice without decommissioning means nothing."""
    if tenant.decommissioning and tenant.decommission_notice_until is None:
        return [ConfigIssue(path="connect:tenant.decommissionNoticeUntil", message="required key is missing with "
                            "lifecycle: decommissioning; allowed: the last day (YYYY-MM-DD) of the notice given to the "
                            "client, until which the load balancer and VPN connections stay")]
    if not tenant.decommissioning and tenant.decommission_notice_until is not None:
        return [ConfigIssue(path="connect:tenant.decommissionNoticeUntil", message="set while lifecycle is active; "
                            "allowed: only with lifecycle: decommissioning")]
    return []
