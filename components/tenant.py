"""Tenant pinning: the explicit AWS provider and the stack-wide tags.

Both exist so that "no shared resources between clients" is structural: every resource goes
through a provider that refuses any account but the tenant's, and every taggable resource carries
the tenant's tags in its own inputs, where the policy pack can see them.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import TenantConfig

MANAGED_BY = "connect"


def tenant_tags(tenant: TenantConfig) -> dict[str, str]:
    """Tags every taggable resource of the stack carries."""
    tags = {
        "connect:client": tenant.client,
        "connect:environment": tenant.environment_name,
        "connect:managed-by": MANAGED_BY,
    }
    if tenant.cost_center:
        tags["connect:cost-center"] = tenant.cost_center
    return tags


def _plain_tags(tags: Any) -> bool:
    """A plain dict of plain strings: the merge needs no `Output` (nothing to wait for, no dependency)."""
    return type(tags) is dict and all(type(k) is str and type(v) is str for k, v in tags.items())


def register_tenant_tags(tenant: TenantConfig) -> None:
    """Add the tenant tags to the inputs of every taggable AWS resource declared after this call.

    This is a stack transformation that runs inside the SDK, so the tags are real resource inputs
    under the engine and under mocks alike (engine-side transforms are not run by mock monitors).
    Tags a component sets itself (e.g. `Name`) are kept; the tenant tags win on conflicts.
    """
    base = tenant_tags(tenant)

    def add_tags(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("aws:") or not isinstance(args.props, dict) or "tags" not in args.props:
            return None
        props: dict[str, Any] = dict(args.props)
        own = props.get("tags")
        if own is None or _plain_tags(own):  # merged directly: no Output, no task per resource
            props["tags"] = {**(own or {}), **base}
        else:  # tags holding Outputs (or an Output or awaitable): merged once they resolve
            props["tags"] = pulumi.Output.from_input(own).apply(lambda t: {**(t or {}), **base})
        return pulumi.ResourceTransformationResult(props=props, opts=args.opts)

    pulumi.runtime.register_stack_transformation(add_tags)


def tenant_provider(tenant: TenantConfig, *, name: str, region: str, session_name: str,
                    sts_region: str | None = None) -> aws.Provider:
    """An AWS provider of the stack: pinned to the tenant account, assuming the deploy role; `sts_region` when STS
    must be asked elsewhere than `region` (a declared failover: `components.stack.provider_for`)."""
    assume = (
        [aws.ProviderAssumeRoleArgs(role_arn=tenant.deploy_role_arn, session_name=session_name)]
        if tenant.deploy_role_arn
        else None
    )
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[tenant.account_id],
        assume_roles=assume,
        sts_region=sts_region,
    )
