"""Tenant pinning: the explicit AWS provider and the stack-wide tags.

Both exist so that "no shared resources between clients" is structural: every resource goes
through a provider that refuses any account but the tenant's, and every taggable resource carries
the tenant's tags in its own inputs, where the policy pack can see them.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import StackConfig

MANAGED_BY = "connect"


def tenant_tags(cfg: StackConfig) -> dict[str, str]:
    """Tags every taggable resource of the stack carries."""
    tags = {
        "connect:client": cfg.tenant.client,
        "connect:environment": cfg.tenant.environment_name,
        "connect:managed-by": MANAGED_BY,
    }
    if cfg.tenant.cost_center:
        tags["connect:cost-center"] = cfg.tenant.cost_center
    return tags


def _plain_tags(tags: Any) -> bool:
    """A plain dict of plain strings: the merge needs no `Output` (nothing to wait for, no dependency)."""
    return type(tags) is dict and all(type(k) is str and type(v) is str for k, v in tags.items())


def register_tenant_tags(cfg: StackConfig) -> None:
    """Add the tenant tags to the inputs of every taggable AWS resource declared after this call.

    This is a stack transformation that runs inside the SDK, so the tags are real resource inputs
    under the engine and under mocks alike (engine-side transforms are not run by mock monitors).
    Tags a component sets itself (e.g. `Name`) are kept; the tenant tags win on conflicts.
    """
    base = tenant_tags(cfg)

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


def tenant_provider(cfg: StackConfig, name: str = "tenant", region: str | None = None) -> aws.Provider:
    """The only AWS provider of the stack: pinned to the tenant account, assuming the deploy role."""
    assume = (
        [aws.ProviderAssumeRoleArgs(role_arn=cfg.tenant.deploy_role_arn, session_name=f"connect-{cfg.name_prefix}")]
        if cfg.tenant.deploy_role_arn
        else None
    )
    target = region or cfg.region
    # During a declared failover the primary region may be out, STS with it: the primary's provider then asks the
    # DR region's STS for its role and account (STS answers in every region for the whole account:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html), so `pulumi up`
    # configures every provider without a call to the lost region.
    sts = cfg.tenant.dr_region if not cfg.is_account and cfg.dr.active and target != cfg.tenant.dr_region else None
    return aws.Provider(
        name,
        region=target,
        allowed_account_ids=[cfg.tenant.account_id],
        assume_roles=assume,
        sts_region=sts,
    )
