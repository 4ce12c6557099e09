"""The live checks: what the policy pack cannot see once the stack is deployed.

The pack judges what the program declares; these read the account as it is now, so they catch what
changed outside Pulumi (a console edit, a hand-made load balancer, a task with a public IP), what only
exists at run time (tunnel state, running tasks, recovery points), and drift of values the client
depends on (the egress IPs they allow-list). Each check is read-only and scoped to the stack.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from connectctl.audit.context import AuditContext, paginate
from connectctl.audit.failover import FAILOVER_CHECK_IDS, FAILOVER_CHECKS
from connectctl.audit.model import Check, Finding, Outcome
from connectctl.audit.unmanaged import unmanaged_resources

# The DR region's documented recovery point objective (components/dr.py `RPO["drRegion"]["databases"]`):
# copies of continuous backups arrive there as daily snapshots. A test keeps the two in step.
DR_RPO = timedelta(hours=24)
SCANNING_FREQUENCIES = frozenset({"SCAN_ON_PUSH", "CONTINUOUS_SCAN"})
USABLE_RECOVERY_POINTS = frozenset({"COMPLETED", "AVAILABLE"})
# What `connectctl dr verify` runs (connectctl/audit/failover.py: what a declared failover needs of the account).
DR_CHECK_IDS = ("dr-recovery-point", "dr-secret-replicas", *FAILOVER_CHECK_IDS)


def _tags(items: list[dict[str, Any]] | None) -> dict[str, str]:
    """AWS tag lists (`Key`/`Value` or `key`/`value`) as a mapping."""
    return {str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value"))) for t in items or []}


def wildcard_matches(pattern: str, name: str) -> bool:
    """ECR's WILDCARD repository filter: `*` matches any run of characters, nothing else is special."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name) is not None


def covered_by_registry(rules: list[dict[str, Any]], repository: str) -> bool:
    """The registry scanning configuration scans this repository on push (or continuously)."""
    return any(
        rule.get("scanFrequency") in SCANNING_FREQUENCIES and any(
            f.get("filterType", "WILDCARD") == "WILDCARD" and wildcard_matches(str(f.get("filter", "")), repository)
            for f in rule.get("repositoryFilters", []))
        for rule in rules)


def ecr_scan_on_push(ctx: AuditContext) -> Outcome:
    """Every repository the stack owns or pulls from scans images on push, itself or by a registry rule."""
    region = ctx.registry_region
    ecr = ctx.client("ecr", region)
    found = {r["repositoryName"]: r for r in paginate(ecr, "describe_repositories", "repositories")}
    rules = ecr.get_registry_scanning_configuration().get("scanningConfiguration", {}).get("rules", [])
    wanted = dict(ctx.repositories)
    if ctx.cfg.is_account:  # the account stack owns the registry: every repository in it is the client's
        wanted |= {name: "connect:registry.repositories" for name in found if name not in wanted}
    outcome = Outcome(examined=len(wanted), note=ctx.notes.get("ecr-scan-on-push", ""))
    for name, path in sorted(wanted.items()):
        repo = found.get(name)
        if repo is None:
            outcome.findings.append(Finding(
                "ecr-scan-on-push", "high", name, "AWS::ECR::Repository",
                f"repository {name} does not exist in {region}, so nothing scans what the stack runs from it",
                region, ctx.arn("ecr", f"repository/{name}", region), path))
        elif not repo.get("imageScanningConfiguration", {}).get("scanOnPush") and not covered_by_registry(rules, name):
            outcome.findings.append(Finding(
                "ecr-scan-on-push", "high", name, "AWS::ECR::Repository",
                f"repository {name} does not scan images on push, and no registry scanning rule covers it",
                region, repo.get("repositoryArn"), path))
    return outcome


def _public_ips(eni: dict[str, Any]) -> list[str]:
    """Public IPv4 addresses of an interface, on its primary and on secondary private addresses."""
    ips = {eni.get("Association", {}).get("PublicIp")}
    ips |= {a.get("Association", {}).get("PublicIp") for a in eni.get("PrivateIpAddresses", [])}
    return sorted(ip for ip in ips if ip)


def no_public_eni(ctx: AuditContext) -> Outcome:
    """No network interface in the VPC has a public IP, except those of the VPC's NAT gateways."""
    vpc = ctx.vpc_id()
    nat_enis = {a["NetworkInterfaceId"] for nat in ctx.nat_gateways()
                for a in nat.get("NatGatewayAddresses", []) if a.get("NetworkInterfaceId")}
    enis = list(paginate(ctx.ec2(), "describe_network_interfaces", "NetworkInterfaces",
                         Filters=[{"Name": "vpc-id", "Values": [vpc]}]))
    outcome = Outcome(examined=len(enis))
    for eni in enis:
        ips = _public_ips(eni)
        if ips and eni["NetworkInterfaceId"] not in nat_enis:
            what = eni.get("Description") or eni.get("InterfaceType", "interface")
            outcome.findings.append(Finding(
                "no-public-eni", "critical", eni["NetworkInterfaceId"], "AWS::EC2::NetworkInterface",
                f"network interface {eni['NetworkInterfaceId']} ({what}) in {eni.get('SubnetId', vpc)} has public "
                f"IP {', '.join(ips)}; only the NAT gateways may hold public addresses",
                ctx.region, ctx.arn("ec2", f"network-interface/{eni['NetworkInterfaceId']}"), "connect:network"))
    return outcome


def _expected_egress(ctx: AuditContext) -> tuple[dict[str, str | None], str]:
    """The egress IPs the client allow-lists (IP -> allocation id when known), and where they came from."""
    outputs = ctx.outputs or {}
    if "egressIps" in outputs:
        return dict.fromkeys(outputs["egressIps"]), "the outputs' egressIps"
    ec2 = ctx.ec2()
    allocations = ctx.cfg.net.egress_ip_allocation_ids
    ids = list(allocations.values()) if isinstance(allocations, dict) else list(allocations)
    if ids:
        try:
            addresses = ec2.describe_addresses(AllocationIds=ids)["Addresses"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "InvalidAllocationID.NotFound":
                raise
            addresses = [a for a in ec2.describe_addresses()["Addresses"] if a.get("AllocationId") in ids]
        return {a["PublicIp"]: a.get("AllocationId") for a in addresses}, "connect:network.egressIpAllocationIds"
    addresses = ec2.describe_addresses(Filters=ctx.tag_filters())["Addresses"]
    return {a["PublicIp"]: a.get("AllocationId") for a in addresses}, "the Elastic IPs tagged for the stack"


def _promised_egress(ctx: AuditContext, promised: dict[str, str]) -> Outcome:
    """Each NAT gateway egresses through the IP its zone promises (`connect:network.egressIps`), and every promised
    IP is on the NAT gateway of its zone. Tags are never read: an EIP replaced with its tags copied over is still
    another address, which the client's allow-lists drop. Findings are critical, and no allow-list waives them."""
    nats = ctx.nat_gateways()
    subnets = sorted({str(n["SubnetId"]) for n in nats if n.get("SubnetId")})
    zones = {s["SubnetId"]: s["AvailabilityZone"]
             for s in (ctx.ec2().describe_subnets(SubnetIds=subnets)["Subnets"] if subnets else [])}
    live: dict[str, list[tuple[str, str]]] = {}  # zone -> (public IP, NAT gateway id)
    for nat in nats:
        for address in nat.get("NatGatewayAddresses", []):
            if address.get("PublicIp"):
                live.setdefault(zones.get(nat.get("SubnetId", ""), "?"), []).append(
                    (address["PublicIp"], nat["NatGatewayId"]))
    outcome = Outcome(examined=sum(len(v) for v in live.values()),
                      note="expected: the promise in the stack file (connect:network.egressIps)")
    for zone, addresses in sorted(live.items()):
        for ip, nat_id in sorted(addresses):
            if promised.get(zone) == ip:
                continue
            wanted = (f"the IP promised for {zone} is {promised[zone]}" if zone in promised else
                      f"no IP is promised for {zone} (connectctl egress record, once the client allow-lists it)")
            outcome.findings.append(Finding(
                "nat-egress-ips", "critical", nat_id, "AWS::EC2::NatGateway",
                f"NAT gateway {nat_id} in {zone} egresses through {ip}, which the client does not allow-list: "
                f"{wanted}, whatever the address's tags say", ctx.region, ctx.arn("ec2", f"natgateway/{nat_id}"),
                f"connect:network.egressIps.{zone}" if zone in promised else "connect:network.egressIps"))
    for zone, ip in sorted(promised.items()):
        if ip not in {address for address, _ in live.get(zone, [])}:
            outcome.findings.append(Finding(
                "nat-egress-ips", "critical", ip, "AWS::EC2::EIP",
                f"egress IP {ip}, promised to the client for {zone}, is not on the NAT gateway of {zone} in "
                f"{ctx.vpc_id()}: the client allow-lists an address the platform no longer egresses through",
                ctx.region, None, f"connect:network.egressIps.{zone}"))
    return outcome


def nat_egress_ips(ctx: AuditContext) -> Outcome:
    """The NAT gateways egress through exactly the stack's egress IPs: the addresses the client allow-lists."""
    promised = ctx.cfg.net.egress_ips
    if promised:
        return _promised_egress(ctx, dict(promised))
    expected, source = _expected_egress(ctx)
    used: dict[str, str] = {}
    for nat in ctx.nat_gateways():
        for address in nat.get("NatGatewayAddresses", []):
            if address.get("PublicIp"):
                used[address["PublicIp"]] = nat["NatGatewayId"]
    outcome = Outcome(examined=len(used), note=f"expected: {source}" + (
        "" if "outputs" in source else "; no promise recorded (connectctl egress record): an EIP replaced with its "
        "tags copied over would pass"))
    for ip, nat_id in sorted(used.items()):
        if ip not in expected:
            outcome.findings.append(Finding(
                "nat-egress-ips", "high", nat_id, "AWS::EC2::NatGateway",
                f"NAT gateway {nat_id} egresses through {ip}, which is not one of the stack's egress IPs "
                f"({source}: {', '.join(sorted(expected)) or 'none'}): the client's allow-lists will drop it",
                ctx.region, ctx.arn("ec2", f"natgateway/{nat_id}"), "connect:network"))
    for ip, allocation in sorted(expected.items()):
        if ip not in used:
            resource = allocation or ip
            outcome.findings.append(Finding(
                "nat-egress-ips", "high", resource, "AWS::EC2::EIP",
                f"egress IP {ip} ({source}) is not on any NAT gateway of {ctx.vpc_id()}",
                ctx.region, ctx.arn("ec2", f"elastic-ip/{allocation}") if allocation else None, "connect:network"))
    if not used and not expected:
        outcome.findings.append(Finding(
            "nat-egress-ips", "high", ctx.vpc_id(), "AWS::EC2::VPC",
            f"{ctx.vpc_id()} has no NAT gateway and no egress IP is known: the app tier has no fixed egress",
            ctx.region, ctx.arn("ec2", f"vpc/{ctx.vpc_id()}"), "connect:network.natGateways"))
    return outcome


def _elbv2_tags(elbv2: Any, arns: list[str]) -> dict[str, dict[str, str]]:
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20
        for description in elbv2.describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]:
            tags[description["ResourceArn"]] = _tags(description.get("Tags"))
    return tags


def alb_internal_only(ctx: AuditContext) -> Outcome:
    """Every load balancer in the VPC (or tagged for the stack elsewhere) is internal, classic ones included."""
    vpc = ctx.vpc_id()
    elbv2 = ctx.client("elbv2", ctx.region)
    balancers = list(paginate(elbv2, "describe_load_balancers", "LoadBalancers"))
    outside = [b["LoadBalancerArn"] for b in balancers if b.get("VpcId") != vpc]
    tags = _elbv2_tags(elbv2, outside) if outside else {}
    ours = [b for b in balancers if b.get("VpcId") == vpc or ctx.owns(tags.get(b["LoadBalancerArn"], {}))]
    classic = [b for b in paginate(ctx.client("elb", ctx.region), "describe_load_balancers", "LoadBalancerDescriptions")
               if b.get("VPCId") == vpc]
    outcome = Outcome(examined=len(ours) + len(classic))
    for balancer in ours:
        if balancer.get("Scheme") != "internal":
            outcome.findings.append(Finding(
                "alb-internal-only", "critical", balancer["LoadBalancerName"],
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                f"{balancer.get('Type', 'application')} load balancer {balancer['LoadBalancerName']} is "
                f"{balancer.get('Scheme')} ({balancer.get('DNSName', '')}); every load balancer must be internal",
                ctx.region, balancer["LoadBalancerArn"], "connect:platform"))
    for balancer in classic:
        if balancer.get("Scheme") != "internal":
            name = balancer["LoadBalancerName"]
            outcome.findings.append(Finding(
                "alb-internal-only", "critical", name, "AWS::ElasticLoadBalancing::LoadBalancer",
                f"classic load balancer {name} is {balancer.get('Scheme')} ({balancer.get('DNSName', '')}); every "
                "load balancer must be internal",
                ctx.region, ctx.arn("elasticloadbalancing", f"loadbalancer/{name}"), "connect:platform"))
    return outcome


def _service_path(ctx: AuditContext, name: str, suffix: str = "") -> str:
    index = next((i for i, s in enumerate(ctx.cfg.services) if s.name == name), None)
    return f"connect:services[{index}]{suffix}" if index is not None else "connect:services"


def ecs_service_no_public_ip(ctx: AuditContext) -> Outcome:
    """No service of the stack's cluster gives its tasks public IPs (declared or not)."""
    cluster, services = ctx.ecs_services()
    if not services:
        if not ctx.cfg.services:
            return Outcome(not_applicable="no services declared and none running")
        return Outcome(note=f"cluster {cluster} has no services (see ecs-service-base-capacity)")
    outcome = Outcome(examined=len(services))
    for name, service in sorted(services.items()):
        network = service.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        if network.get("assignPublicIp") == "ENABLED":
            outcome.findings.append(Finding(
                "ecs-service-no-public-ip", "high", f"{cluster}/{name}", "AWS::ECS::Service",
                f"service {name} of cluster {cluster} assigns public IPs to its tasks",
                ctx.region, service.get("serviceArn"), _service_path(ctx, name)))
    return outcome


def ecs_service_base_capacity(ctx: AuditContext) -> Outcome:
    """Every declared service exists and runs at least its base tasks (`capacity.base` of the stack file)."""
    if not ctx.cfg.services:
        return Outcome(not_applicable="no services declared")
    cluster, services = ctx.ecs_services()
    outcome = Outcome(examined=len(ctx.cfg.services))
    for index, declared in enumerate(ctx.cfg.services):
        path = f"connect:services[{index}].capacity.base"
        base = declared.capacity.base
        service = (services or {}).get(declared.name)
        arn = ctx.arn("ecs", f"service/{cluster}/{declared.name}")
        if service is None or service.get("status") != "ACTIVE":
            where = f"cluster {cluster}" if services is not None else f"cluster {cluster}, which does not exist"
            state = f" ({service.get('status')})" if service else ""
            outcome.findings.append(Finding(
                "ecs-service-base-capacity", "medium", f"{cluster}/{declared.name}", "AWS::ECS::Service",
                f"service {declared.name} is not active in {where}{state}; it should run at least {base} task(s)",
                ctx.region, service.get("serviceArn", arn) if service else arn, path))
            continue
        running, desired = int(service.get("runningCount", 0)), int(service.get("desiredCount", 0))
        if running < base or desired < base:
            outcome.findings.append(Finding(
                "ecs-service-base-capacity", "medium", f"{cluster}/{declared.name}", "AWS::ECS::Service",
                f"service {declared.name} runs {running} task(s) (desired {desired}), below its base of {base}",
                ctx.region, service.get("serviceArn", arn), path))
    return outcome


def _vpn_connections(ctx: AuditContext) -> dict[str, dict[str, Any]]:
    """Live connections of the stack by id: named in the outputs, tagged for it, or on the VPC's gateways."""
    ec2 = ctx.ec2()
    live = [{"Name": "state", "Values": ["pending", "available"]}]
    found: dict[str, dict[str, Any]] = {}
    ids = [c["vpnConnectionId"] for c in ((ctx.outputs or {}).get("vpnConnections") or {}).values()]
    if ids:
        for connection in ec2.describe_vpn_connections(Filters=[{"Name": "vpn-connection-id", "Values": ids}, *live])[
                "VpnConnections"]:
            found[connection["VpnConnectionId"]] = connection
    for connection in ec2.describe_vpn_connections(Filters=[*ctx.tag_filters(), *live])["VpnConnections"]:
        found[connection["VpnConnectionId"]] = connection
    gateways = [g["VpnGatewayId"] for g in ec2.describe_vpn_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [ctx.vpc_id()]}])["VpnGateways"]]
    if gateways:
        for connection in ec2.describe_vpn_connections(
                Filters=[{"Name": "vpn-gateway-id", "Values": gateways}, *live])["VpnConnections"]:
            found[connection["VpnConnectionId"]] = connection
    return found


def vpn_tunnels_up(ctx: AuditContext) -> Outcome:
    """Both tunnels of every VPN connection are UP (AWS's tunnel telemetry); every declared link exists."""
    declared = ctx.cfg.vpn.connections if ctx.cfg.vpn else []
    found = _vpn_connections(ctx)
    if not declared and not found:
        return Outcome(not_applicable="no VPN connections declared or attached")
    by_output = {c.get("vpnConnectionId"): name
                 for name, c in ((ctx.outputs or {}).get("vpnConnections") or {}).items()}
    names: dict[str, str] = {}
    for vpn_id, connection in found.items():
        tag = _tags(connection.get("Tags")).get("Name", "")
        names[vpn_id] = by_output.get(vpn_id) or next(
            (c.name for c in declared if tag == f"{ctx.prefix}-{c.name}"), "")
    outcome = Outcome(examined=len(found))
    for index, link in enumerate(declared):
        if link.name not in names.values():
            outcome.findings.append(Finding(
                "vpn-tunnels-up", "high", f"{ctx.prefix}-{link.name}", "AWS::EC2::VPNConnection",
                f"VPN connection {link.name} (tagged Name={ctx.prefix}-{link.name}) does not exist or is deleted",
                ctx.region, None, f"connect:vpn.connections[{index}]"))
    for vpn_id, connection in sorted(found.items()):
        name = names[vpn_id]
        position = next((i for i, c in enumerate(declared) if c.name == name), None)
        path = f"connect:vpn.connections[{position}]" if position is not None else "connect:vpn"
        label = f"{name} ({vpn_id})" if name else vpn_id
        telemetry = connection.get("VgwTelemetry") or []
        down = [f"{t.get('OutsideIpAddress', '?')} {t.get('Status', '?')}"
                + (f" ({t['StatusMessage']})" if t.get("StatusMessage") else "")
                for t in telemetry if t.get("Status") != "UP"]
        if len(telemetry) < 2 or down:
            problem = (f"tunnel(s) not up: {'; '.join(down)}" if down else
                       f"AWS reports {len(telemetry)} tunnel(s) instead of 2, so both cannot be confirmed up")
            outcome.findings.append(Finding(
                "vpn-tunnels-up", "high", vpn_id, "AWS::EC2::VPNConnection",
                f"VPN connection {label}: {problem}", ctx.region,
                ctx.arn("ec2", f"vpn-connection/{vpn_id}"), path))
    return outcome


def vpc_flow_logs(ctx: AuditContext) -> Outcome:
    """The VPC has an active flow log of ALL traffic whose delivery is not failing."""
    vpc = ctx.vpc_id()
    logs = list(paginate(ctx.ec2(), "describe_flow_logs", "FlowLogs",
                         Filters=[{"Name": "resource-id", "Values": [vpc]}]))
    good = [f for f in logs if f.get("FlowLogStatus") == "ACTIVE" and f.get("TrafficType") == "ALL"
            and f.get("DeliverLogsStatus", "SUCCESS") != "FAILED"]
    outcome = Outcome(examined=len(logs))
    if not good:
        seen = "; ".join(f"{f['FlowLogId']} {f.get('FlowLogStatus')} {f.get('TrafficType')} delivery "
                         f"{f.get('DeliverLogsStatus', '?')}"
                         + (f" ({f['DeliverLogsErrorMessage']})" if f.get("DeliverLogsErrorMessage") else "")
                         for f in logs) or "none"
        outcome.findings.append(Finding(
            "vpc-flow-logs", "medium", vpc, "AWS::EC2::VPC",
            f"{vpc} has no active flow log of ALL traffic delivering logs (flow logs: {seen})",
            ctx.region, ctx.arn("ec2", f"vpc/{vpc}"), "connect:network.flowLogs"))
    return outcome


def _dr_vault(ctx: AuditContext) -> tuple[str, str]:
    """The DR vault's name and region: `backupVaultArns.dr` of the outputs, else `<client>-<env>-dr`."""
    arn = ((ctx.outputs or {}).get("backupVaultArns") or {}).get("dr")
    match = re.fullmatch(r"arn:[^:]+:backup:([^:]+):\d{12}:backup-vault:(.+)", arn or "")
    return (match.group(2), match.group(1)) if match else (f"{ctx.prefix}-dr", ctx.dr_region)


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def dr_recovery_point(ctx: AuditContext) -> Outcome:
    """The newest usable recovery point in the DR vault is younger than the RPO: DR copies are arriving."""
    if not ctx.cfg.data.names():
        return Outcome(not_applicable="no data stores declared: the backup selection has nothing to copy")
    name, region = _dr_vault(ctx)
    backup = ctx.client("backup", region)
    arn = ctx.arn("backup", f"backup-vault:{name}", region)
    try:
        vault = backup.describe_backup_vault(BackupVaultName=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return Outcome(findings=[Finding(
            "dr-recovery-point", "high", name, "AWS::Backup::BackupVault",
            f"DR backup vault {name} does not exist in {region}: no copy of the data is kept there",
            region, arn, "connect:dr")])
    points = list(paginate(backup, "list_recovery_points_by_backup_vault", "RecoveryPoints", BackupVaultName=name))
    usable = [p for p in points if p.get("Status", "COMPLETED") in USABLE_RECOVERY_POINTS and p.get("CreationDate")]
    outcome = Outcome(examined=len(points), note=f"vault {name} in {region}, RPO {_age(ctx.rpo)}")
    vault_arn = vault.get("BackupVaultArn", arn)
    if not usable:
        outcome.findings.append(Finding(
            "dr-recovery-point", "high", name, "AWS::Backup::BackupVault",
            f"DR backup vault {name} holds no usable recovery point ({len(points)} in other states): nothing to "
            "restore from in the DR region", region, vault_arn, "connect:dr.backup"))
        return outcome
    newest = max(usable, key=lambda p: p["CreationDate"])
    age = ctx.now - newest["CreationDate"]
    if age > ctx.rpo:
        outcome.findings.append(Finding(
            "dr-recovery-point", "high", name, "AWS::Backup::BackupVault",
            f"the newest recovery point in DR vault {name} ({newest.get('RecoveryPointArn', '?')}, "
            f"{newest.get('ResourceType', 'resource')}) is {_age(age)} old, beyond the RPO of {_age(ctx.rpo)}: "
            "copies to the DR region have stopped", region, vault_arn, "connect:dr.backup"))
    return outcome


class _Gap(NamedTuple):
    """Why the DR standby cannot read one secret, how to fix it, and which copy (region, ARN) is at fault."""

    problem: str
    fix: str
    region: str
    arn: str


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def _replicate(arn: str, primary: str, dr: str, *, overwrite: bool = False) -> str:
    """The command that makes (or replaces) a secret's replica in the DR region."""
    return (f"aws secretsmanager replicate-secret-to-regions --region {primary} --secret-id {arn} "
            f"--add-replica-regions Region={dr}" + (" --force-overwrite-replica-secret" if overwrite else ""))


def _secret_gap(ctx: AuditContext, arn: str) -> _Gap | None:
    """What keeps the DR standby from reading a Secrets Manager secret's replica, None if nothing.

    The primary's `ReplicationStatus` is authoritative for its replicas. When it lists none in the DR region and
    the secret is not itself a replica of the DR region's, the DR region is asked directly: that covers two
    replicas of a third region, and a copy that is not a replica (promoted, or made by hand), which would not
    follow the secret's rotations.
    """
    from components.platform import in_region  # here: the platform module imports pulumi_aws (a second)

    primary, dr, dr_arn = arn.split(":")[3], ctx.dr_region, in_region(arn, ctx.dr_region)
    try:
        described = ctx.client("secretsmanager", primary).describe_secret(SecretId=arn)
    except ClientError as exc:
        if not _missing(exc):
            raise
        return _Gap(f"which does not exist in {primary}, so there is no replica in {dr} either: neither the services "
                    "nor the DR standby can start",
                    f"create the secret, set its ARN in the stack file and replicate it to {dr}: "
                    f"{_replicate('<its ARN>', primary, dr)}", primary, arn)
    replica = next((r for r in described.get("ReplicationStatus") or [] if r.get("Region") == dr), None)
    if replica is not None:
        status, message = str(replica.get("Status", "?")), str(replica.get("StatusMessage") or "").strip()
        if status == "InSync":
            return None
        problem = (f"whose replica in {dr} is {status}" + (f" ({message})" if message else "")
                   + f": the DR standby reads {dr_arn} and cannot count on it")
        if status == "InProgress":
            return _Gap(problem, f"wait for the replication to finish, then run `connectctl dr verify {ctx.stack}` "
                        "again", dr, dr_arn)
        return _Gap(problem, f"remove the failed replica (aws secretsmanager remove-regions-from-replication --region "
                    f"{primary} --secret-id {arn} --remove-replica-regions {dr}) and replicate the secret to {dr} "
                    f"again: {_replicate(arn, primary, dr)} (add --force-overwrite-replica-secret if a secret of that "
                    f"name already exists in {dr})", dr, dr_arn)
    if described.get("PrimaryRegion") == dr:
        return None  # the secret in the DR region is the primary; the services read its replica
    try:
        copy = ctx.client("secretsmanager", dr).describe_secret(SecretId=dr_arn)
    except ClientError as exc:
        if not _missing(exc):
            raise
        return _Gap(f"which has no replica in {dr}: the DR standby reads {dr_arn} and cannot start without it",
                    f"replicate the secret to {dr}: {_replicate(arn, primary, dr)}", dr, dr_arn)
    if copy.get("PrimaryRegion"):
        return None  # a replica of the same primary as the secret the services read
    return _Gap(f"which has no replica in {dr}: {dr_arn} exists there but is not a replica, so it does not follow the "
                "secret's changes and rotations",
                f"replicate the secret to {dr}, replacing that copy: {_replicate(arn, primary, dr, overwrite=True)}",
                dr, dr_arn)


def _parameter_name(arn: str) -> tuple[str, list[str]]:
    """An SSM parameter's name, and the names it can be: a hierarchy's begins with `/`, which its ARN drops; a
    top-level parameter's ARN is the same with or without it."""
    path = arn.split(":", 5)[5].removeprefix("parameter/")
    return (f"/{path}", [f"/{path}"]) if "/" in path else (path, [path, f"/{path}"])


def _parameter_gap(ctx: AuditContext, arn: str) -> _Gap | None:
    """What keeps the DR standby from reading an SSM parameter, None if nothing.

    SSM has no replication: the parameter must be written in the DR region too. DescribeParameters with a Name
    filter answers without reading any value (GetParameters would); its pages may be empty before the match.
    """
    from components.platform import in_region  # here: the platform module imports pulumi_aws (a second)

    dr, dr_arn, (name, names) = ctx.dr_region, in_region(arn, ctx.dr_region), _parameter_name(arn)
    if any(paginate(ctx.client("ssm", dr), "describe_parameters", "Parameters",
                    ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": names}])):
        return None
    return _Gap(f"which does not exist in {dr}: SSM parameters are not replicated, and the DR standby reads {dr_arn} "
                "and cannot start without it",
                f"write the parameter in {dr} under the same name, with the primary's type and value: aws ssm "
                f"put-parameter --region {dr} --name {name} --type <its type> --value <its value>", dr, dr_arn)


def dr_secret_replicas(ctx: AuditContext) -> Outcome:
    """Every secret a service reads has its DR copy, the same ARN in the DR region (components/platform.py
    `in_region`), where the standby's tasks read it: without one the standby cannot start in a regional outage."""
    dr = ctx.cfg.dr
    if not dr.standby:
        return Outcome(not_applicable=f"no standby in {ctx.dr_region} (connect:dr.mode {dr.mode}): no task reads "
                                      "secrets there")
    if not dr.certificate_arn:
        return Outcome(not_applicable=f"no standby platform in {ctx.dr_region} (connect:dr.certificateArn not set): "
                                      "no task reads secrets there")
    wanted = [(index, service.name, variable, arn) for index, service in enumerate(ctx.cfg.services)
              for variable, arn in sorted(service.secrets.items())]
    if not wanted:
        return Outcome(not_applicable="no service reads secrets (connect:services[].secrets)")
    outcome = Outcome(examined=len(wanted), note=f"copies in {ctx.dr_region}, read by the standby ({dr.mode})")
    for index, service, variable, arn in wanted:
        secret = ":secretsmanager:" in arn
        gap = _secret_gap(ctx, arn) if secret else _parameter_gap(ctx, arn)
        if gap is not None:
            outcome.findings.append(Finding(
                "dr-secret-replicas", "high",
                arn.split(":", 5)[5].removeprefix("secret:") if secret else _parameter_name(arn)[0],
                "AWS::SecretsManager::Secret" if secret else "AWS::SSM::Parameter",
                f"service {service} reads {variable} from {arn}, {gap.problem}; {gap.fix}",
                gap.region, gap.arn, f"connect:services[{index}].secrets.{variable}"))
    return outcome


# --- access, audit trail and network hygiene (issue #15): expectations from the stack's own plan -----------

def _planned(ctx: AuditContext) -> list[Any]:
    """The stack's offline plan with every value known, once per audit (the expectations of the checks below)."""
    if "plan" not in ctx._cache:
        from connectctl.plan import plan_stack  # here: the engine imports pulumi (a second)

        ctx._cache["plan"] = plan_stack(ctx.stack, preview=False).capture.resources
    return list(ctx._cache["plan"])


def _principals(trust: Any) -> str:
    statements = trust.get("Statement", []) if isinstance(trust, dict) else []
    statements = statements if isinstance(statements, list) else [statements]
    return "; ".join(sorted(json.dumps({k: s.get(k) for k in ("Principal", "Condition") if k in s}, sort_keys=True)
                            for s in statements if isinstance(s, dict))) or "none"


def access_roles(ctx: AuditContext) -> Outcome:
    """Each role the account stack names is as declared: trust (who, with MFA), boundary, exactly its policies."""
    from connectctl.audit import expected

    iam = ctx.client("iam", ctx.region)
    wanted = expected.roles(_planned(ctx))
    outcome = Outcome(examined=len(wanted))

    def find(role: str, arn: str | None, message: str) -> None:
        outcome.findings.append(Finding("access-roles", "critical", role, "AWS::IAM::Role", message, "global", arn,
                                        "connect:access"))

    for name, role in sorted(wanted.items()):
        try:
            live = iam.get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            find(name, None, f"role {name} does not exist; run `pulumi up` on {ctx.stack}")
            continue
        arn = str(live["Arn"])
        trust = expected.document(live.get("AssumeRolePolicyDocument"))
        if trust != role.trust:
            find(name, arn, f"role {name} is trusted differently from the stack: who may assume it and on what "
                            f"condition (MFA) are {_principals(trust)}; the stack says {_principals(role.trust)}")
        boundary = (live.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary != role.boundary:
            find(name, arn, f"role {name} has permissions boundary {boundary or 'none'}; the stack says "
                            f"{role.boundary or 'none'}")
        inline = set(paginate(iam, "list_role_policies", "PolicyNames", RoleName=name))
        for policy in sorted(inline - set(role.inline)):
            find(name, arn, f"role {name} has an inline policy {policy} the stack does not declare (written out of "
                            "band: `pulumi up` removes it; find who wrote it in the trail)")
        for policy in sorted(set(role.inline) - inline):
            find(name, arn, f"role {name} lacks its inline policy {policy}")
        for policy in sorted(inline & set(role.inline)):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            if expected.document(document) != role.inline[policy]:
                find(name, arn, f"role {name}'s inline policy {policy} differs from the stack's")
        attached = {p["PolicyArn"] for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies",
                                                      RoleName=name)}
        for policy in sorted(attached - role.attached):
            find(name, arn, f"role {name} has {policy} attached, which the stack does not declare")
        for policy in sorted(role.attached - attached):
            find(name, arn, f"role {name} lacks its managed policy {policy}")
    return outcome


def _selectors(selectors: Any) -> set[tuple[str, str, tuple[str, ...]]]:
    """Advanced event selectors as comparable (field, operator, values) triples, from the plan or from AWS."""
    found = set()
    for selector in selectors or []:
        for item in selector.get("fieldSelectors") or selector.get("FieldSelectors") or []:
            field_name = item.get("field") or item.get("Field") or ""
            for key, values in item.items():
                if key.lower() not in ("field",) and values:
                    found.add((field_name, key[0].lower() + key[1:], tuple(sorted(values))))
    return found


def audit_trail(ctx: AuditContext) -> Outcome:
    """The account's trail logs, in every region, with log-file validation, its bucket and its data events."""
    from connectctl.audit import expected

    cloudtrail = ctx.client("cloudtrail", ctx.region)
    wanted = expected.trails(_planned(ctx))
    outcome = Outcome(examined=len(wanted))
    for inputs in wanted:
        name = str(inputs.get("name"))
        listed = cloudtrail.describe_trails(trailNameList=[name]).get("trailList") or []
        arn = f"arn:{ctx.partition}:cloudtrail:{ctx.region}:{ctx.account_id}:trail/{name}"

        def find(message: str, trail_name: str = name, trail_arn: str = arn) -> None:
            outcome.findings.append(Finding("audit-trail", "critical", trail_name, "AWS::CloudTrail::Trail", message,
                                            ctx.region, trail_arn, "connect:access"))

        if not listed:
            find(f"trail {name} does not exist: nothing records who did what in the account")
            continue
        trail = listed[0]
        if not cloudtrail.get_trail_status(Name=name).get("IsLogging"):
            find(f"trail {name} is not logging (StopLogging): calls go unrecorded until it is started again")
        if inputs.get("isMultiRegionTrail") and not trail.get("IsMultiRegionTrail"):
            find(f"trail {name} records one region only; the stack's trail records every region")
        if inputs.get("enableLogFileValidation") and not trail.get("LogFileValidationEnabled"):
            find(f"trail {name} has log file validation off: tampered logs would go unnoticed")
        if inputs.get("s3BucketName") and trail.get("S3BucketName") != inputs.get("s3BucketName"):
            find(f"trail {name} delivers to bucket {trail.get('S3BucketName')}, not {inputs.get('s3BucketName')}")
        want = _selectors(inputs.get("advancedEventSelectors"))
        if want:
            live = cloudtrail.get_event_selectors(TrailName=name).get("AdvancedEventSelectors") or []
            missing = sorted(want - _selectors(live))
            if missing:
                shown = ", ".join(f"{f} {op} {'/'.join(v)}" for f, op, v in missing)
                find(f"trail {name} lacks the stack's event selectors: {shown} (data events on the client's "
                     "data, or management events, go unrecorded)")
    return outcome


def default_nacl_closed(ctx: AuditContext) -> Outcome:
    """The VPC's default network ACL has no rules but AWS's final deny, and no subnet uses it."""
    vpc = ctx.vpc_id()
    acls = list(paginate(ctx.ec2(), "describe_network_acls", "NetworkAcls",
                         Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]))
    outcome = Outcome(examined=len(acls))
    for acl in acls:
        acl_id = str(acl["NetworkAclId"])
        rules = [e for e in acl.get("Entries", []) if e.get("RuleNumber") != 32767]
        subnets = sorted(a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId"))
        problems = []
        if rules:
            problems.append("rules " + ", ".join(
                f"{e['RuleNumber']} {'out' if e.get('Egress') else 'in'} {e.get('RuleAction')} "
                f"{e.get('CidrBlock') or e.get('Ipv6CidrBlock')}"
                for e in sorted(rules, key=lambda e: e["RuleNumber"])))
        if subnets:
            problems.append("subnets " + ", ".join(subnets))
        if problems:
            outcome.findings.append(Finding(
                "default-nacl-closed", "high", acl_id, "AWS::EC2::NetworkAcl",
                f"the default network ACL {acl_id} of {vpc} has {'; '.join(problems)}: a subnet that falls back to it "
                "is open to everything; every subnet belongs to its tier's ACL", ctx.region,
                ctx.arn("ec2", f"network-acl/{acl_id}"), "connect:network"))
    return outcome


CHECKS: tuple[Check, ...] = (
    Check("ecr-scan-on-push", "ECR repositories scan on push", "high",
          "Every ECR repository the stack owns (account stack: the whole registry) or pulls images from "
          "(environment stack) scans images on push, itself or through a registry scanning rule.",
          "Enable scan on push on the repository (or a registry scanning rule covering it) in the account stack; "
          "run `pulumi up` on the client's account stack to restore it.",
          ecr_scan_on_push, environment_only=False),
    Check("no-public-eni", "No public network interfaces", "critical",
          "No network interface in the environment's VPC has a public IPv4 address, except the NAT gateways'.",
          "Release or disassociate the address, or remove what created the interface (a task or instance with "
          "a public IP, an internet-facing load balancer).",
          no_public_eni),
    Check("nat-egress-ips", "NAT egress IPs are the stack's", "high",
          "The NAT gateways egress through exactly the IPs the client allow-lists: the promise recorded in the stack "
          "file (connect:network.egressIps, by zone; tags never count), else the `egressIps` output, the configured "
          "allocation ids, or the Elastic IPs tagged for the stack.",
          "Re-run `pulumi up` so every NAT gateway uses its egress EIP; never release the protected EIPs.",
          nat_egress_ips),
    Check("alb-internal-only", "Load balancers are internal", "critical",
          "Every load balancer in the VPC or tagged for the stack (application, network, gateway and classic) "
          "has the internal scheme.",
          "Delete the internet-facing load balancer; expose services only through the internal load balancer and "
          "the client's private links.",
          alb_internal_only),
    Check("ecs-service-no-public-ip", "ECS services without public IPs", "high",
          "No service of the stack's ECS cluster assigns public IP addresses to its tasks.",
          "Set assignPublicIp DISABLED (the platform does); services run in the app subnets behind NAT.",
          ecs_service_no_public_ip),
    Check("ecs-service-base-capacity", "ECS services at their base capacity", "medium",
          "Every service of the stack file is active and runs (and desires) at least its `capacity.base` tasks.",
          "Find why tasks stop (service events, stopped tasks) or why the desired count dropped (the scalable "
          "target's minimum must be the base).",
          ecs_service_base_capacity),
    Check("vpn-tunnels-up", "Both VPN tunnels up", "high",
          "Every VPN connection of the stack exists and AWS reports both of its tunnels UP.",
          "Check the client's device (its configuration is the vpnDeviceConfigurations output) and the tunnel "
          "logs in /connect/<client>-<env>/vpn-tunnels.",
          vpn_tunnels_up),
    Check("vpc-flow-logs", "VPC flow logs active", "medium",
          "The environment's VPC has an ACTIVE flow log of ALL traffic whose log delivery is not failing.",
          "Re-run `pulumi up` to restore the flow log; if delivery fails, check its role and the log group's key.",
          vpc_flow_logs),
    Check("dr-recovery-point", "DR recovery point within the RPO", "high",
          "The newest completed recovery point in the DR region's backup vault is younger than the RPO "
          "(24 hours: the DR region's documented RPO for databases).",
          "Check the backup plan's jobs and copy jobs (AWS Backup console, both regions) and the selection's role.",
          dr_recovery_point),
    Check("dr-secret-replicas", "DR copies of the services' secrets", "high",
          "With a standby platform in the DR region (connect:dr.mode pilot-light or warm-standby, with "
          "dr.certificateArn), every secret a service reads (connect:services[].secrets) exists there under the "
          "same ARN, where the standby's tasks read it: a Secrets Manager replica in sync, an SSM parameter "
          "written in both regions.",
          "Replicate the secret to the DR region (aws secretsmanager replicate-secret-to-regions) or write the "
          "parameter there under the same name (aws ssm put-parameter); the client's SRE team owns both.",
          dr_secret_replicas),
    *FAILOVER_CHECKS,
    Check("access-roles", "Access roles as the account stack declares them", "critical",
          "Every role the account stack names (connect-sre-*, connect-breakglass, connect-deployer) exists with the "
          "stack's trust policy (who may assume it, MFA conditions), its permissions boundary, and exactly its "
          "inline and managed policies: nothing written or attached out of band.",
          "Run `pulumi up` on the account stack (its exclusive policy resources remove what was added); find who "
          "changed the role in the audit trail.",
          access_roles, environment_only=False, account_only=True),
    Check("audit-trail", "The account's audit trail records", "critical",
          "The account stack's trail exists, is logging, records every region, validates its log files, delivers to "
          "its bucket and has the stack's event selectors (management events and the data events on client data).",
          "Start logging and run `pulumi up` on the account stack; find who stopped it in the trail's last events.",
          audit_trail, environment_only=False, account_only=True),
    Check("default-nacl-closed", "The default network ACL is closed and unused", "high",
          "The environment VPC's default network ACL has no rule but AWS's final deny, and no subnet is associated "
          "with it (every subnet uses its tier's ACL).",
          "Run `pulumi up` (the stack manages the default ACL); a subnet on the default ACL was created out of band.",
          default_nacl_closed),
    Check("unmanaged-resources", "Nothing in the account outside the client's stacks", "high",
          "Lists the account in the stack's regions (Resource Groups Tagging API, and EC2's security-group rules, "
          "instances, network interfaces and Elastic IPs) and reports each resource no stack of the client owns, "
          "judged by what it is against the stack's plan, never by its tags: a hand-made security group or rule, an "
          "instance, a hand-made interface, an Elastic IP anywhere but on a NAT gateway. Environment stacks judge "
          "their VPCs and what is tagged for them; the account stack what lies outside every environment. Reviewed "
          "leftovers in <stack config dir>/audit-allowed.<client>.yaml (reason, reviewer, expiry) are not reported.",
          "Delete the resource, or declare it in the program; to keep a leftover for a while, add it to "
          "audit-allowed.<client>.yaml with its reason, reviewer and expiry date, in a reviewed pull request.",
          unmanaged_resources, environment_only=False),
)
CHECK_IDS = tuple(check.id for check in CHECKS)
