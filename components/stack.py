"""The program: read and validate the stack file's config, then compose the components.

Kept apart from `__main__.py` so the offline engine and the tests run exactly this code.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from components.config import CONNECT_KEYS, REGION_KEY, StackConfig, StackConfigError, parse_stack_config
from components.keys import EnvironmentKey
from components.network import TenantNetwork, TenantNetworkArgs
from components.tenant import register_tenant_tags, tenant_provider

STACK_CONFIG_DIR = "stacks"


def stack_file() -> str:
    """Where the current stack's file lives (the project's `stackConfigDir`)."""
    return f"{STACK_CONFIG_DIR}/Pulumi.{pulumi.get_stack()}.yaml"


def raw_config() -> dict[str, Any]:
    """Every config value the engine handed the program, objects decoded from their JSON form."""
    values: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    decoded: dict[str, Any] = {}
    for key, value in values.items():
        if key.startswith("connect:") and isinstance(value, str) and key in CONNECT_KEYS:
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        decoded[key] = value
    return {k: v for k, v in decoded.items() if k.startswith("connect:") or k == REGION_KEY}


def load_config() -> StackConfig:
    """Validated stack config; a bad stack file ends the run with the report and no traceback."""
    try:
        return parse_stack_config(raw_config(), stack_file())
    except StackConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


def resolve_zones(cfg: StackConfig, provider: aws.Provider) -> list[str]:
    """Zones named in the stack file, or the first N available zones of the account (one invoke)."""
    explicit = cfg.explicit_zones()
    if explicit is not None:
        return explicit
    result = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider),
    )
    names = sorted(result.names)
    if len(names) < cfg.zone_count():
        raise pulumi.RunError(
            f"{stack_file()}: connect:network.availabilityZones: {cfg.zone_count()} zones asked, the account "
            f"has {len(names)} available in {cfg.region} ({', '.join(names)}); name the zones instead"
        )
    return names[: cfg.zone_count()]


def main() -> None:
    """Declare one client environment."""
    cfg = load_config()
    register_tenant_tags(cfg)
    provider = tenant_provider(cfg)
    pinned = pulumi.ResourceOptions(provider=provider)
    key = EnvironmentKey("environment-key", cfg, pinned)
    zones = resolve_zones(cfg, provider)
    network = TenantNetwork(
        "network",
        TenantNetworkArgs(
            config=cfg.network,
            zones=zones,
            region=cfg.region,
            account_id=cfg.tenant.account_id,
            name_prefix=cfg.name_prefix,
            kms_key_arn=key.arn,
        ),
        pinned,
    )
    pulumi.export("client", cfg.tenant.client)
    pulumi.export("environment", cfg.tenant.environment)
    pulumi.export("region", cfg.region)
    pulumi.export("drRegion", cfg.tenant.dr_region)
    pulumi.export("zones", zones)
    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("subnetIds", network.subnet_ids())
    pulumi.export("egressIps", network.egress_ip_list())
    pulumi.export("egressIpsByZone", network.egress_ips)
    pulumi.export("natGatewayIds", {z: n.id for z, n in network.nat_gateways.items()})
    pulumi.export("kmsKeyArn", key.arn)
