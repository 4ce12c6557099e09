"""`connect:access`: the platform team's access to a client account (`connect:access`, account stacks only).

The operator (the platform team) reaches every client account from one identity account of its own:
people through three MFA-bound roles, the CI pipeline through one deployer role that trusts exactly
its CI role. This section names that account and that role, how long a session lasts, whether the
account keeps its own CloudTrail trail or an organization trail covers it, and who hears the
account-level alerts (every use of the break-glass role).

No `externalId`: an external ID guards a third party that assumes roles on behalf of many customers
who hand it role ARNs (the confused deputy). Here the operator picks every role ARN from its own stack
files, so an external ID would be a shared, non-secret string that protects nothing; MFA (people) and
an exact principal ARN (CI) are what bind the trust.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from components.config.alerts import AlertsConfig
from components.config.base import ROLE_ARN, AccountId, Model, RoleArn, Worded, matching
from components.limits import LOG_RETENTION_DAYS, log_retention

MIN_SESSION_HOURS, MAX_SESSION_HOURS = 1, 12  # IAM's MaxSessionDuration: 3600 to 43200 seconds
MIN_TRAIL_LOG_DAYS = 365  # the pack's floor for log groups (log-group-encrypted-retained)
TRAIL_RETENTION_DAYS = [d for d in LOG_RETENTION_DAYS if d >= MIN_TRAIL_LOG_DAYS]
SCOPE_HINT = "only in the account stack (stacks/Pulumi.<client>-account.yaml), which owns the platform team's " \
             "roles and the audit trail"


def _hours(value: Any, lo: int, hi: int) -> int:
    allowed = f"allowed: whole hours from {lo} to {hi}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number of hours; {allowed}")
    if not lo <= value <= hi:
        raise ValueError(f"{value} hours is out of range; {allowed} (IAM's maximum session duration)")
    return value


SessionHours = Annotated[int, Field(ge=MIN_SESSION_HOURS, le=MAX_SESSION_HOURS), Worded(_hours)]
CiRoleArn = Annotated[RoleArn, matching(ROLE_ARN, "an IAM role ARN", "arn:aws:iam::<operatorAccountId>:role/<name>")]
TrailRetentionDays = Annotated[int, Field(json_schema_extra={"enum": TRAIL_RETENTION_DAYS})]


class AccessAlertsConfig(Model):
    """Who hears the account's alerts (break-glass use): the subscribers of `connect:alerts`, without thresholds."""

    emails: list[str] = Field(default_factory=list, description="Email addresses subscribed to the account's "
                              "alerts topic.")
    https_endpoints: list[str] = Field(default_factory=list, description="HTTPS URLs subscribed (e.g. on-call).")

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        return AlertsConfig._emails(value)  # the same rule as connect:alerts.emails

    @field_validator("https_endpoints")
    @classmethod
    def _https(cls, value: list[str]) -> list[str]:
        return AlertsConfig._https(value)

    def as_alerts(self) -> AlertsConfig:
        """The subscribers in the shape `AlertsTopic` takes."""
        return AlertsConfig.model_validate({"emails": self.emails, "httpsEndpoints": self.https_endpoints})


class AccessConfig(Model):
    """The operator's identity account and CI role, session length, audit trail mode and account alerts."""

    operator_account_id: AccountId = Field(description="The operator's identity account (12 digits, quoted): the one "
                                     "account the people's roles trust, with MFA. Not the tenant account.")
    ci_role_arn: CiRoleArn = Field(description="The operator's CI role (arn:aws:iam::<operatorAccountId>:role/<name>): "
                             "the only principal connect-deployer trusts.")
    max_session_hours: SessionHours = Field(default=MIN_SESSION_HOURS, description="Longest session of the four roles, "
                                   "1-12 hours (IAM's limit). Role chaining (CI role -> deployer) caps sessions "
                                   "at 1 hour whatever is set.")
    cloud_trail: Literal["account", "organization"] = Field(
        default="account", description="account: this stack keeps a multi-region trail with log file validation "
        "(bucket, log group, key); organization: the AWS Organizations trail covers the account, no trail here."
    )
    log_retention_days: TrailRetentionDays = Field(
        default=MIN_TRAIL_LOG_DAYS, description="Retention of the trail's CloudWatch "
        "log group (cloudTrail: account): a CloudWatch Logs value of at least 365. The "
        "bucket keeps every log file.")
    alerts: AccessAlertsConfig = Field(default_factory=AccessAlertsConfig, description="Subscribers of the "
                                       "account's alerts topic (every use of connect-breakglass).")

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _retention(cls, value: Any) -> Any:
        days = log_retention(value)
        if days < MIN_TRAIL_LOG_DAYS:
            longer = ", ".join(str(v) for v in LOG_RETENTION_DAYS if v >= MIN_TRAIL_LOG_DAYS)
            raise ValueError(f"{days} days is too short for audit logs; allowed: {longer}")
        return days

    @property
    def session_seconds(self) -> int:
        """`max_session_duration` of the roles."""
        return self.max_session_hours * 3600

    @property
    def account_trail(self) -> bool:
        """This stack keeps the account's trail (not the organization's)."""
        return self.cloud_trail == "account"


def access_issues(access: AccessConfig | None, *, tenant_account: str, is_account: bool,
                  account_stack: str) -> list[tuple[str, str]]:
    """(path, message) for what spans fields: scope, operator vs tenant account, CI role's account, trail mode."""
    if not is_account:
        if access is None:
            return []
        return [("connect:access", "set in an environment stack; allowed: " + SCOPE_HINT.replace(
            "<client>-account", account_stack))]
    if access is None:
        return [("connect:access", "required key is missing (account stacks own the platform team's roles and "
                 "the audit trail: operatorAccountId and ciRoleArn at least)")]
    issues: list[tuple[str, str]] = []
    if access.operator_account_id == tenant_account:
        issues.append(("connect:access.operatorAccountId", f"{access.operator_account_id} is the tenant account; "
                       "allowed: the operator's own identity account, never a client's"))
    match = ROLE_ARN.match(access.ci_role_arn)
    if match and match.group(2) != access.operator_account_id:
        issues.append(("connect:access.ciRoleArn", f"role is in account {match.group(2)}; allowed: a role in the "
                       f"operator account {access.operator_account_id} (connect:access.operatorAccountId)"))
    if not access.account_trail and "log_retention_days" in access.model_fields_set:
        issues.append(("connect:access.logRetentionDays", "set with cloudTrail: organization, where this stack "
                       "keeps no trail and no log group; allowed: omit it, or cloudTrail: account"))
    return issues
