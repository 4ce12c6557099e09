"""tenant-single-account: the stack deploys into exactly one AWS account, the tenant's.

Every `pulumi:providers:aws` pins exactly one account in `allowedAccountIds`, all of them the same
one (and the one the pack config names, when it names one), and every AWS resource goes through such
an explicit provider: a default provider is pinned to nothing and follows whatever credentials the
user happens to have.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule, account_config
from connect_guardrails.unknowns import Pending, get_raw, is_unknown
from connect_guardrails.util import as_list, config_of, of_type

PROVIDER_TYPE = "pulumi:providers:aws"


def _uses_default_provider(resource: PolicyResource) -> bool:
    provider = resource.provider
    return provider is None or provider.name.startswith("default")


def _report_split(by_account: dict[str, list[PolicyResource]], report_violation: ReportViolation) -> None:
    """Providers pinned to different accounts: the ones outside the majority account (all on a tie)."""
    ranked = sorted(by_account.items(), key=lambda item: -len(item[1]))
    majority = ranked[0][0] if len(ranked[0][1]) > len(ranked[1][1]) else None
    summary = "; ".join(f"{account}: {', '.join(sorted(p.name for p in providers))}"
                        for account, providers in sorted(by_account.items()))
    for account, providers in by_account.items():
        if account == majority:
            continue
        for provider in providers:
            report_violation(
                f"AWS provider '{provider.name}' is pinned to account {account}, but the stack's providers "
                f"disagree ({summary}); every provider of a stack pins the same tenant account",
                provider.urn,
            )


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Providers pinned to one (the same, the configured) account; no AWS resource on a default provider."""
    expected = config_of(args).get("accountId")
    pending = Pending()
    by_account: dict[str, list[PolicyResource]] = {}
    for provider in of_type(args.resources, PROVIDER_TYPE):
        value = get_raw(provider.props, "allowedAccountIds")
        accounts = as_list(value)
        if is_unknown(value) or any(is_unknown(a) for a in accounts):
            pending.add(provider.props, "allowedAccountIds")
            continue
        if len(accounts) != 1:
            pinned = ", ".join(str(a) for a in accounts) or "none"
            report_violation(
                f"AWS provider '{provider.name}' pins {len(accounts)} account(s) in allowedAccountIds "
                f"({pinned}); pin exactly the tenant account",
                provider.urn,
            )
            continue
        account = str(accounts[0])
        if expected and account != expected:
            report_violation(
                f"AWS provider '{provider.name}' is pinned to account {account}, not the tenant account "
                f"{expected} (policy config accountId)",
                provider.urn,
            )
        else:
            by_account.setdefault(account, []).append(provider)
    if len(by_account) > 1:
        _report_split(by_account, report_violation)
    for resource in args.resources:
        if resource.resource_type.startswith("aws:") and _uses_default_provider(resource):
            report_violation(
                f"{resource.resource_type} '{resource.name}' uses the default AWS provider, which is "
                f"pinned to no account; pass the tenant provider explicitly (ResourceOptions(provider=...) "
                f"or a parent component's providers)",
                resource.urn,
            )
    pending.settle()


RULE = Rule(
    id="tenant-single-account", severity="critical", unwaivable=True, check=check,
    description="Every AWS provider pins exactly the tenant's account, and every AWS resource uses one.",
    iso27001=("A.5.23", "A.8.3"), ccm=("CCC-04", "IVS-06"),
    remediation=(
        "Declare one aws.Provider with allowed_account_ids=[<tenant account>] and pass it to every AWS "
        "resource (or to the components that create them); never rely on the default provider."
    ),
    config={
        "accountId": account_config("The tenant account every provider must be pinned to."),
    },
)
