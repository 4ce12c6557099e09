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

from components.access import GLOBAL_EVENTS_REGION, AccountAccess, AccountAccessArgs, rule_names
from components.alerts import AlertsTopic, AlertsTopicArgs
from components.config import CONNECT_KEYS, REGION_KEY, StackConfig, StackConfigError, parse_stack_config
from components.data import DataStores, DataStoresArgs
from components.dns import RESOLVER_ADDRESSES, RESOLVER_TIER, RegionalEnd, ServiceNames, ServiceNamesArgs
from components.dr import DisasterRecovery, DisasterRecoveryArgs
from components.keys import EnvironmentKey, EnvironmentKeyArgs
from components.network import TenantNetwork, TenantNetworkArgs
from components.observability import Observability, ObservabilityArgs, event_rule_names
from components.platform import ContainerPlatform, ContainerPlatformArgs
from components.registry import AccountRegistry, AccountRegistryArgs
from components.tenant import register_tenant_tags, tenant_provider
from components.trail import AuditTrail, AuditTrailArgs
from components.vpn import SiteToSiteVpn, SiteToSiteVpnArgs

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


def secret_config_keys() -> set[str]:
    """Config keys the engine marked secret (`secure:` values in the stack file), asked of the SDK's public
    `pulumi.runtime.is_config_secret` for every key the program was handed."""
    keys = set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())
    return set(runtime_config.get_config_secret_keys_env()) | {k for k in keys if runtime_config.is_config_secret(k)}


def load_config() -> StackConfig:
    """Validated stack config; a bad stack file ends the run with the report and no traceback."""
    try:
        return parse_stack_config(raw_config(), stack_file(), secret_config_keys())
    except StackConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


def available_zones(provider: aws.Provider, region: str, count: int) -> list[str]:
    """The first `count` available zones of the account in the provider's region (one invoke)."""
    result = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider),
    )
    names = sorted(result.names)
    if len(names) < count:
        raise pulumi.RunError(
            f"{stack_file()}: connect:network.availabilityZones: {count} zones asked, the account "
            f"has {len(names)} available in {region} ({', '.join(names)}); name the zones instead"
        )
    return names[:count]


def provider_for(cfg: StackConfig, name: str = "tenant", region: str | None = None) -> aws.Provider:
    """The stack's AWS provider for `region` (default: the stack's own), pinned to the tenant account."""
    target = region or cfg.region
    # During a declared failover the primary region may be out, STS with it: the primary's provider then asks the
    # DR region's STS for its role and account (STS answers in every region for the whole account:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html), so `pulumi up`
    # configures every provider without a call to the lost region.
    sts = cfg.tenant.dr_region if not cfg.is_account and cfg.dr.active and target != cfg.tenant.dr_region else None
    return tenant_provider(cfg.tenant, name=name, region=target, session_name=f"connect-{cfg.name_prefix}",
                           sts_region=sts)


def resolve_zones(cfg: StackConfig, provider: aws.Provider) -> list[str]:
    """Zones named in the stack file, or the first N available zones of the account."""
    explicit = cfg.explicit_zones()
    return explicit if explicit is not None else available_zones(provider, cfg.region, cfg.zone_count())


async def account_repository_urls(cfg: StackConfig) -> dict[str, str]:
    """Repository URLs exported by the client's account stack, for the repositories services use."""
    if not cfg.services:
        return {}
    reference = pulumi.StackReference("account-stack", stack_name=cfg.account_stack_reference)
    urls = (await reference.get_output_details("repositoryUrls")).value or {}
    account_file = f"{STACK_CONFIG_DIR}/Pulumi.{cfg.account_stack}.yaml"
    problems = [
        f"  connect:services[{index}].image.repository: {service.image.repository!r} is not declared in "
        f"{account_file} (connect:registry.repositories); allowed: {', '.join(sorted(urls)) or 'none declared'}"
        for index, service in enumerate(cfg.services)
        if service.image.repository not in urls
    ]
    if problems:
        raise pulumi.RunError("\n".join([f"{stack_file()}: invalid stack configuration", *problems]))
    return dict(urls)


def account(cfg: StackConfig, pinned: pulumi.ResourceOptions) -> dict[str, Any]:
    """The account stack: the account key, the registry every environment pulls from, the platform team's
    roles with the break-glass alarm and its alerts topic, and the audit trail (unless the organization's)."""
    key = EnvironmentKey("account-key", key_args(cfg, cfg.region), pinned)
    assert cfg.registry is not None and cfg.access is not None  # validated: account stacks declare both
    registry = AccountRegistry(
        "registry",
        AccountRegistryArgs(config=cfg.registry, account_id=cfg.tenant.account_id, dr_region=cfg.tenant.dr_region,
                            kms_key_arn=key.arn),
        pinned,
    )
    alerts_topic = AlertsTopic(
        "alerts",
        AlertsTopicArgs(config=cfg.access.alerts.as_alerts(), name_prefix=cfg.name_prefix,
                        account_id=cfg.tenant.account_id, region=cfg.region, kms_key_arn=key.arn,
                        event_rules=list(rule_names(cfg.name_prefix).values())),
        pinned,
    )
    # STS global-endpoint and IAM calls are recorded in us-east-1: the break-glass rules run there too.
    global_events = (provider_for(cfg, name="global-events", region=GLOBAL_EVENTS_REGION)
                     if cfg.region != GLOBAL_EVENTS_REGION else None)
    access = AccountAccess(
        "access",
        AccountAccessArgs(config=cfg.access, name_prefix=cfg.name_prefix, client=cfg.tenant.client,
                          account_id=cfg.tenant.account_id, region=cfg.region, dr_region=cfg.tenant.dr_region,
                          alerts_topic_arn=alerts_topic.topic.arn, global_provider=global_events),
        pinned,
    )
    outputs: dict[str, Any] = {"repositoryUrls": registry.repository_urls, "repositoryArns": registry.repository_arns,
                               "kmsKeyArn": key.arn, "alertsTopicArn": alerts_topic.topic.arn,
                               "accessRoleArns": {name: role.arn for name, role in access.roles.items()}}
    if cfg.access.account_trail:
        trail_args = AuditTrailArgs(
            config=cfg.access, name_prefix=cfg.name_prefix, account_id=cfg.tenant.account_id, region=cfg.region,
            dr_region=cfg.tenant.dr_region,
            # named `dr` like the environment stacks' DR provider (components/trail.py)
            dr_provider=provider_for(cfg, name="dr", region=cfg.tenant.dr_region),
        )
        outputs |= AuditTrail("audit-trail", trail_args, pinned).outputs()
    return outputs


def key_args(cfg: StackConfig, region: str) -> EnvironmentKeyArgs:
    """The environment key of `region`: the stack's own, or the DR region's."""
    return EnvironmentKeyArgs(name_prefix=cfg.name_prefix, account_id=cfg.tenant.account_id, region=region)


async def environment(cfg: StackConfig, provider: aws.Provider, pinned: pulumi.ResourceOptions) -> dict[str, Any]:
    """An environment stack: keys, network, data stores, container platform, client links, DR and observability.

    Order matters only where one part hands another what it made: the platform needs the stores'
    security groups, the VPN the load balancer's group and the alerts topic, the DR standby the
    repository URLs, observability everything it watches.
    """
    key = EnvironmentKey("environment-key", key_args(cfg, cfg.region), pinned)
    zones = resolve_zones(cfg, provider)
    network = TenantNetwork(
        "network",
        TenantNetworkArgs(
            config=cfg.net,
            zones=zones,
            region=cfg.region,
            account_id=cfg.tenant.account_id,
            name_prefix=cfg.name_prefix,
            kms_key_arn=key.arn,
            nat=not cfg.tenant.decommissioning,
            interface_endpoints=cfg.tenant.traffic_path_kept(),
        ),
        pinned,
    )
    outputs: dict[str, Any] = {
        "zones": zones,
        "vpcId": network.vpc.id,
        "subnetIds": network.subnet_ids(),
        "egressIps": network.egress_ip_list(),
        "egressIpsByZone": network.egress_ips,
        "natGatewayIds": {z: n.id for z, n in network.nat_gateways.items()},
        "kmsKeyArn": key.arn,
    }
    dr_provider = provider_for(cfg, name="dr", region=cfg.tenant.dr_region)
    dr_key = EnvironmentKey("dr-key", key_args(cfg, cfg.tenant.dr_region), pulumi.ResourceOptions(provider=dr_provider))
    # Always declared, even without stores: its access-log buckets are protected (audit evidence), so removing
    # the last store must not take them along (a protected resource's delete would stop `pulumi up`).
    data_stores = DataStores(
        "data",
        DataStoresArgs(
            config=cfg.data, name_prefix=cfg.name_prefix, account_id=cfg.tenant.account_id, region=cfg.region,
            dr_region=cfg.tenant.dr_region, is_production=cfg.tenant.is_production,
            log_retention_days=cfg.platform.log_retention_days,
            access_log_retention_days=cfg.platform.access_logs.retention_days,
            network=network, kms_key_arn=key.arn, dr_kms_key_arn=dr_key.arn, dr_provider=dr_provider,
        ),
        pinned,
    )
    stores = data_stores.access
    if stores:
        outputs["dataStores"] = sorted(stores)
    certified = cfg.platform.certificate_arn is not None
    # The platform as the environment declares it; the DR standby runs the same in its region (components/dr.py).
    platform_args = ContainerPlatformArgs(
        config=cfg.platform, services=cfg.services, name_prefix=cfg.name_prefix,
        account_id=cfg.tenant.account_id, region=cfg.region, environment_name=cfg.tenant.environment_name,
        is_production=cfg.tenant.is_production, decommissioning=cfg.tenant.decommissioning,
        traffic_path_kept=cfg.tenant.traffic_path_kept(), network=network, kms_key_arn=key.arn,
        repository_urls=await account_repository_urls(cfg) if certified else {}, stores=stores,
    )
    platform = ContainerPlatform("platform", platform_args, pinned) if certified else None
    if platform is not None and platform.serving:
        outputs |= {
            "clusterName": platform.cluster.name,
            "loadBalancerDnsName": platform.load_balancer.dns_name,
            "serviceNames": sorted(platform.services),
            "targetGroupArns": {name: tg.arn for name, tg in platform.target_groups.items()},
        }
    # Every environment has alarms (NAT gateways, backups), so it always has the topic they go to.
    alerts_topic = AlertsTopic(
        "alerts",
        AlertsTopicArgs(config=cfg.alerts, name_prefix=cfg.name_prefix, account_id=cfg.tenant.account_id,
                        region=cfg.region, kms_key_arn=key.arn,
                        event_rules=list(event_rule_names(cfg.name_prefix, cfg.services).values())),
        pinned,
    )
    outputs["alertsTopicArn"] = alerts_topic.topic.arn
    vpn = None
    if cfg.vpn and cfg.vpn.connections and cfg.tenant.traffic_path_kept():  # decommissioning: through the notice
        secrets = pulumi.Config("connect")
        vpn = SiteToSiteVpn(
            "vpn",
            SiteToSiteVpnArgs(
                config=cfg.vpn, network=network, name_prefix=cfg.name_prefix, kms_key_arn=key.arn,
                alerts_topic_arn=alerts_topic.topic.arn, secret=secrets.require_secret,
                load_balancer_sg=platform.alb_sg if platform else None,
            ),
            pinned,
        )
        outputs["vpnConnections"] = vpn.connection_outputs()
        outputs["vpnDeviceConfigurations"] = vpn.device_configurations()
    has_vpn_links = bool(cfg.vpn and cfg.vpn.connections)
    dr_network = cfg.dr.runs_standby or cfg.dr.vpn_enabled(has_vpn_links)
    dr_zones = available_zones(dr_provider, cfg.tenant.dr_region, cfg.zone_count()) if dr_network else []
    dr = DisasterRecovery(
        "dr",
        DisasterRecoveryArgs(
            config=cfg.dr, data=cfg.data, network_config=cfg.net, platform=platform_args,
            has_vpn_links=has_vpn_links, dr_region=cfg.tenant.dr_region, dr_provider=dr_provider,
            dr_kms_key_arn=dr_key.arn, dr_zones=dr_zones,
        ),
        pinned,
    )
    # The Pulumi name "alerts" (shared with the AlertsTopic above, a different type, so the URNs differ) stays: it is
    # in the URN and the resource name of every alarm, rule and dashboard of Observability ("alerts-dashboard"...),
    # and renaming it would delete and recreate them all. Only the Python names say which is which.
    observability = Observability(
        "alerts",
        ObservabilityArgs(
            config=cfg.alerts, services=cfg.services, dr=cfg.dr, buckets=[b.name for b in cfg.data.buckets],
            has_vpn_links=has_vpn_links, name_prefix=cfg.name_prefix, account_id=cfg.tenant.account_id,
            region=cfg.region, dr_region=cfg.tenant.dr_region,
            alerts_topic_arn=alerts_topic.topic.arn, network=network, platform=serving(platform),
            vpn_connections=vpn.connections if vpn else {},
            file_systems={name: s.file_system for name, s in stores.items() if s.file_system is not None},
            dr_platform=serving(dr.platform), dr_provider=dr_provider, dr_kms_key_arn=dr_key.arn,
        ),
        pinned,
    )
    dr_vpn = None
    if vpn is not None and cfg.dr.vpn_enabled(True) and dr.network is not None:
        assert cfg.vpn is not None and observability.dr_topic is not None  # a DR network with links is alerted
        dr_vpn = SiteToSiteVpn(
            "dr-vpn",
            SiteToSiteVpnArgs(
                config=cfg.vpn, network=dr.network, name_prefix=cfg.name_prefix, kms_key_arn=dr_key.arn,
                alerts_topic_arn=observability.dr_topic.topic.arn, secret=pulumi.Config("connect").require_secret,
                load_balancer_sg=dr.platform.alb_sg if dr.platform else None, dr=True,
            ),
            pulumi.ResourceOptions(provider=dr_provider),
        )
        outputs["drVpnConnections"] = dr_vpn.connection_outputs()
        outputs["drVpnDeviceConfigurations"] = dr_vpn.device_configurations()
    if platform is not None and platform.serving:  # decommissioning: no names to answer
        names = service_names(cfg, network, platform, dr, (provider, dr_provider), vpn is not None)
        outputs |= names.outputs()
    outputs |= observability.outputs()
    outputs |= dr.outputs()
    outputs["drKmsKeyArn"] = dr_key.arn
    return outputs


def serving(platform: ContainerPlatform | None) -> ContainerPlatform | None:
    """The platform when it runs services; None while decommissioning (nothing left to watch)."""
    return platform if platform is not None and platform.serving else None


def resolver_subnets(network: TenantNetwork) -> list[pulumi.Input[str]]:
    """Two addresses for a resolver endpoint, in the first two zones of its tier: the minimum AWS requires, in two
    zones, each address billed per hour (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-forwarding-inbound-queries-values.html)."""
    return [subnet.id for _, subnet in sorted(network.subnets[RESOLVER_TIER].items())[:RESOLVER_ADDRESSES]]


def service_names(cfg: StackConfig, network: TenantNetwork, platform: ContainerPlatform, dr: DisasterRecovery,
                  providers: tuple[aws.Provider, aws.Provider], has_links: bool) -> ServiceNames:
    """The environment's zone and service names; resolvers where the client's VPN links end."""
    def links_to_app() -> list[tuple[str, str]]:  # the data centres whose links reach the resolver's tier
        connections = cfg.vpn.connections if cfg.vpn else []
        return sorted({(conn.name, cidr) for conn in connections if RESOLVER_TIER in conn.reachable_tiers
                       for cidr in conn.on_prem_cidrs})

    provider, dr_provider = providers
    on_prem = links_to_app() if has_links else []
    primary = RegionalEnd(region=cfg.region, vpc_id=network.vpc.id, platform=platform, on_prem=on_prem,
                          resolver_subnet_ids=resolver_subnets(network))
    standby = None
    if dr.network is not None:
        dr_links = on_prem if cfg.dr.vpn_enabled(has_links) else []
        standby = RegionalEnd(region=cfg.tenant.dr_region, vpc_id=dr.network.vpc.id, platform=dr.platform,
                              provider=dr_provider, on_prem=dr_links,
                              resolver_subnet_ids=resolver_subnets(dr.network))
    return ServiceNames("dns", ServiceNamesArgs(
        zone_name=cfg.dns_zone_name, services=[s.name for s in cfg.services], primary=primary, dr=standby,
        active=cfg.dr.active, name_prefix=cfg.name_prefix), pulumi.ResourceOptions(provider=provider))


async def program() -> dict[str, Any]:
    """Declare one client stack: an account baseline or an environment."""
    cfg = load_config()
    register_tenant_tags(cfg.tenant)
    provider = provider_for(cfg)
    pinned = pulumi.ResourceOptions(provider=provider)
    common = {"client": cfg.tenant.client, "environment": cfg.tenant.environment_name, "scope": cfg.tenant.scope,
              "region": cfg.region, "drRegion": cfg.tenant.dr_region}
    specific = account(cfg, pinned) if cfg.is_account else await environment(cfg, provider, pinned)
    return common | specific


def main() -> None:
    """Entry point of `__main__.py`: the program is async so it can read the account stack's outputs."""
    pulumi.run(program)
