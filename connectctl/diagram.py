"""`connectctl diagram`: the architecture of one stack as a picture (Mermaid, DOT, PNG or SVG).

The picture is drawn from the offline plan (`plan_stack(stack, preview=False)`), so it shows what
the program really declares and the values AWS would answer (egress IPs, tunnel addresses), not a
re-reading of the stack file; the stack file only adds what the plan cannot say (the data-centre
ranges of BGP links, the DR mode). Three steps keep the two writers in agreement:

    plan resources -> `Architecture` (facts: sites, zones, links, services, stores)
                   -> `Diagram` (clusters, nodes, edges; no layout)
                   -> `to_mermaid` (text for pull requests and the README) or `to_dot` (Graphviz, for PNG/SVG).

Resources the diagram does not draw (roles, log groups, alarms, dashboards...) are ignored, so
new components never break it.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import graphviz
import typer
from rich.console import Console
from rich.markup import escape

from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import Project, load_project_dir
from connectctl.engine.regions import provider_regions, provider_urn
from connectctl.errors import fail, input_errors
from connectctl.plan import Plan, mask, plan_stack

TIERS = ("ingress", "app", "data")
GRAPHVIZ_MISSING = ("Graphviz's `dot` program is not on PATH: install the Debian package `graphviz` "
                    "(apt-get install graphviz), or use --format mermaid or --format dot")


# --------------------------------------------------------------------------------------------
# Facts: what the plan declares, per region.
# --------------------------------------------------------------------------------------------

@dataclass
class Zone:
    """One Availability Zone: a subnet per tier, and the NAT gateway of its ingress subnet if any."""

    name: str
    subnets: dict[str, str] = field(default_factory=dict)  # tier -> CIDR
    nat_ip: str | None = None  # egress IP of this zone's NAT gateway
    own_ip: bool = False  # the client's own Elastic IP (read by id, never created or released)
    egress_zone: str | None = None  # zone whose NAT gateway the app tier's default route uses


@dataclass
class Service:
    """An ECS service: the tasks it keeps between base and max, how the load balancer reaches it."""

    name: str
    base: int
    max: int
    port: int | None = None
    routes: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)


@dataclass
class Store:
    """A data store (`connect:store` tag): a database, file system or bucket, or a DR copy of one."""

    name: str
    kind: str  # database | fileSystem | bucket
    detail: list[str] = field(default_factory=list)
    backed_up: bool = False
    replica_of: str | None = None  # a DR copy: the primary store it follows
    replication: str = ""  # how the copy is kept


@dataclass
class Site:
    """One region of the stack: its VPC, load balancer, services, stores and backup vault."""

    region: str
    vpc_cidr: str | None = None
    zones: list[Zone] = field(default_factory=list)
    load_balancer: list[str] | None = None  # label lines; None: no load balancer here
    cluster: str | None = None
    services: list[Service] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    vault: str | None = None
    resolver: list[str] | None = None  # a Route 53 Resolver inbound endpoint's addresses; None: no endpoint here
    vpn_asn: str | None = None  # the VPN gateway's Amazon-side ASN; None: no VPN gateway here


@dataclass
class VpnLink:
    """An IPsec Site-to-Site VPN link to one client data centre."""

    name: str
    peer_ip: str
    routing: str  # "BGP AS 65010" or "static routes"
    on_prem: list[str]
    tunnels: list[str]  # AWS-side outside addresses
    tiers: list[str]
    https_to_load_balancer: bool


@dataclass
class Architecture:
    """Everything the picture shows about one environment stack."""

    stack: str
    client: str
    environment: str
    primary: Site
    dr: Site | None
    dr_mode: str
    vpn_asn: str | None = None
    links: list[VpnLink] = field(default_factory=list)
    registry: str | None = None  # the account stack whose ECR repositories the services pull from
    dr_links: list[VpnLink] = field(default_factory=list)  # the same links ending in the DR region (issue 19)
    dns_zone: str | None = None  # the private hosted zone the inbound resolvers answer for


class DiagramError(Exception):
    """A stack the diagram cannot draw (an account stack: no environment to show)."""


@dataclass
class _Res:
    """A captured resource reduced to what the diagram reads: secrets masked, inputs and outputs merged."""

    type: str
    name: str
    region: str | None
    props: dict[str, Any]
    external: bool

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.props.get("tags") or {})

    @property
    def ids(self) -> set[str]:
        """Every identifier other resources may use to point at this one."""
        return {str(self.props[k]) for k in ("id", "arn", "allocationId") if self.props.get(k)}


class _Resources:
    """The plan's resources by type and region (the provider a resource uses says its region)."""

    def __init__(self, resources: list[CapturedResource], secrets: set[str]) -> None:
        regions = provider_regions(resources, "")
        self.items = [
            _Res(r.type, r.name, regions.get(provider_urn(r.provider)) if r.provider else None,
                 mask({**r.inputs, **r.outputs}, secrets), r.external)
            for r in resources
        ]

    def of(self, type_: str, region: str | None = None) -> list[_Res]:
        """Resources of one type (in one region), by name: the same plan always draws the same picture."""
        found = [r for r in self.items if r.type == type_ and (region is None or r.region == region)]
        return sorted(found, key=lambda r: r.name)

    def by_id(self, type_: str, region: str | None = None) -> dict[str, _Res]:
        return {i: r for r in self.of(type_, region) for i in r.ids}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _number(value: Any) -> str:
    """0.5 -> "0.5", 8.0 -> "8"."""
    return f"{float(value):g}" if isinstance(value, int | float) else str(value)


def _zones(res: _Resources, region: str) -> list[Zone]:
    """Subnets by tier and zone, each zone's NAT gateway and egress IP, and where each app tier egresses."""
    zones: dict[str, Zone] = {}
    subnet_zone: dict[str, str] = {}
    table_subnet: dict[str, tuple[str, str]] = {}  # route table id -> (zone, tier)
    subnets = res.by_id("aws:ec2/subnet:Subnet", region)
    for subnet in res.of("aws:ec2/subnet:Subnet", region):
        zone, tier = str(subnet.get("availabilityZone", "")), subnet.tags.get("connect:tier", "")
        zones.setdefault(zone, Zone(zone)).subnets[tier] = str(subnet.get("cidrBlock", ""))
        subnet_zone.update(dict.fromkeys(subnet.ids, zone))
    for assoc in res.of("aws:ec2/routeTableAssociation:RouteTableAssociation", region):
        associated = subnets.get(str(assoc.get("subnetId")))
        if associated is not None:
            table_subnet[str(assoc.get("routeTableId"))] = (str(associated.get("availabilityZone")),
                                                          associated.tags.get("connect:tier", ""))
    eips = res.by_id("aws:ec2/eip:Eip", region)
    nat_zone: dict[str, str] = {}
    for nat in res.of("aws:ec2/natGateway:NatGateway", region):
        nat_in = subnet_zone.get(str(nat.get("subnetId")))
        eip = eips.get(str(nat.get("allocationId")))
        if nat_in is None:
            continue
        zones[nat_in].nat_ip = str(eip.get("publicIp", "unknown")) if eip else "unknown"
        zones[nat_in].own_ip = bool(eip and eip.external)
        nat_zone.update(dict.fromkeys(nat.ids, nat_in))
    for route in res.of("aws:ec2/route:Route", region):
        where = table_subnet.get(str(route.get("routeTableId")))
        target = nat_zone.get(str(route.get("natGatewayId")))
        if where and target and where[1] == "app" and route.get("destinationCidrBlock") == "0.0.0.0/0":
            zones[where[0]].egress_zone = target
    return [zones[z] for z in sorted(zones)]


def _load_balancer(res: _Resources, region: str) -> list[str] | None:
    balancers = res.of("aws:lb/loadBalancer:LoadBalancer", region)
    if not balancers:
        return None
    listeners = []
    for listener in res.of("aws:lb/listener:Listener", region):
        port, protocol = _int(listener.get("port")), str(listener.get("protocol", ""))
        redirect = any(a.get("type") == "redirect" for a in listener.get("defaultActions") or [])
        listeners.append((not redirect, port, f"{protocol} :{port}" + (" (redirect to HTTPS)" if redirect else "")))
    internal = all(b.get("internal") for b in balancers)
    kind = ("internal " if internal else "internet-facing ") + "application load balancer"
    return [kind, *(text for *_, text in sorted(listeners, reverse=True))]


def _container_values(task: _Res | None) -> tuple[set[str], set[str]]:
    """Environment values and EFS file system ids of a task definition: how a service names the stores it uses."""
    if task is None:
        return set(), set()
    try:
        containers = json.loads(str(task.get("containerDefinitions") or "[]"))
    except json.JSONDecodeError:
        containers = []
    values = {str(e.get("value")) for c in containers for e in c.get("environment") or []}
    volumes = {str((v.get("efsVolumeConfiguration") or {}).get("fileSystemId")) for v in task.get("volumes") or []}
    return values, volumes


def _services(res: _Resources, region: str, stores: list[_Res]) -> list[Service]:
    """ECS services with their scaling range, listener routes and the stores they reach."""
    target_groups: dict[str, list[str]] = {}
    for rule in res.of("aws:lb/listenerRule:ListenerRule", region):
        routes = []
        for condition in rule.get("conditions") or []:
            for key, prefix in (("pathPattern", ""), ("hostHeader", "host ")):
                routes += [prefix + str(v) for v in (condition.get(key) or {}).get("values") or []]
        for action in rule.get("actions") or []:
            if action.get("targetGroupArn"):
                target_groups.setdefault(str(action["targetGroupArn"]), []).extend(routes)
    scaling = {str(t.get("resourceId", "")).rsplit("/", 1)[-1]: t
               for t in res.of("aws:appautoscaling/target:Target", region) if t.get("serviceNamespace") == "ecs"}
    tasks = res.by_id("aws:ecs/taskDefinition:TaskDefinition", region)
    store_groups = {i: sg.tags["connect:store"] for sg in res.of("aws:ec2/securityGroup:SecurityGroup", region)
                    if "connect:store" in sg.tags for i in sg.ids}
    reached: dict[str, set[str]] = {}  # service security group -> stores whose group admits it
    for ingress in res.of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", region):
        admitting = store_groups.get(str(ingress.get("securityGroupId")))
        if admitting and ingress.get("referencedSecurityGroupId"):
            reached.setdefault(str(ingress.get("referencedSecurityGroupId")), set()).add(admitting)
    services = []
    for svc in res.of("aws:ecs/service:Service", region):
        name = str(svc.get("name") or svc.name)
        target = scaling.get(name)
        base = _int(target.get("minCapacity")) if target else _int(svc.get("desiredCount"))
        top = _int(target.get("maxCapacity"), base) if target else base
        balancers = svc.get("loadBalancers") or []
        routes = [r for lb in balancers for r in target_groups.get(str(lb.get("targetGroupArn")), [])]
        port = _int(balancers[0].get("containerPort")) if balancers else None
        values, volumes = _container_values(tasks.get(str(svc.get("taskDefinition"))))
        groups = (svc.get("networkConfiguration") or {}).get("securityGroups") or []
        uses = {used for group in groups for used in reached.get(group, ())}  # databases, file systems
        uses |= {s.tags["connect:store"] for s in stores  # buckets by name, file systems by volume
                 if s.ids & volumes or (s.type == "aws:s3/bucket:Bucket" and str(s.get("bucket")) in values)}
        services.append(Service(name, base, top, port, routes, sorted(uses)))
    return services


def _stores(res: _Resources, region: str) -> list[_Res]:
    kinds = ("aws:rds/cluster:Cluster", "aws:efs/fileSystem:FileSystem", "aws:s3/bucket:Bucket")
    return [r for kind in kinds for r in res.of(kind, region) if "connect:store" in r.tags]


def _store(res: _Resources, store: _Res) -> Store:
    """A store with a short description of what it is."""
    name = store.tags["connect:store"]
    backed_up = store.tags.get("connect:backup") == "true"
    if store.type == "aws:rds/cluster:Cluster":
        scaling = store.get("serverlessv2ScalingConfiguration") or {}
        instances = [i for i in res.of("aws:rds/clusterInstance:ClusterInstance", store.region)
                     if i.get("clusterIdentifier") == store.get("clusterIdentifier")]
        engine = "Aurora PostgreSQL" if store.get("engine") == "aurora-postgresql" else str(store.get("engine"))
        detail = [f"{engine} {store.get('engineVersion', '')}".strip()]
        if scaling:
            detail.append(f"Serverless v2 {_number(scaling.get('minCapacity'))}-{_number(scaling.get('maxCapacity'))}"
                          f" ACU")
        if instances:
            zones = ", ".join(sorted(str(i.get("availabilityZone")) for i in instances))
            detail.append(f"{len(instances)} instances ({zones})")
        return Store(name, "database", detail, backed_up)
    if store.type == "aws:efs/fileSystem:FileSystem":
        mounts = [m for m in res.of("aws:efs/mountTarget:MountTarget", store.region)
                  if m.get("fileSystemId") in store.ids]
        return Store(name, "fileSystem", ["EFS file system", f"mount targets in {len(mounts)} zones"], backed_up)
    versioned = any(v.get("bucket") == store.get("bucket") and
                    (v.get("versioningConfiguration") or {}).get("status") == "Enabled"
                    for v in res.of("aws:s3/bucketVersioning:BucketVersioning", store.region))
    detail = ["S3 bucket" + (", versioned" if versioned else "")]
    replica = "connect:replica-of" in store.tags  # a DR copy keeps its primary's store name
    return Store(name, "bucket", detail, backed_up, replica_of=name if replica else None,
                 replication="S3 replication (RTC 15 min)" if replica else "")


def _resolver(res: _Resources, region: str) -> list[str] | None:
    """The inbound endpoint's addresses, sorted (none known in a preview: AWS assigns them at creation)."""
    endpoints = [e for e in res.of("aws:route53/resolverEndpoint:ResolverEndpoint", region)
                 if e.get("direction") == "INBOUND"]
    if not endpoints:
        return None
    addresses = {str(a.get("ip")) for e in endpoints for a in e.get("ipAddresses") or [] if a.get("ip")}
    return sorted(a for a in addresses if re.fullmatch(r"[0-9.]+", a))


def _site(res: _Resources, region: str) -> Site:
    vpcs = res.of("aws:ec2/vpc:Vpc", region)
    stores = _stores(res, region)
    clusters = res.of("aws:ecs/cluster:Cluster", region)
    vaults = res.of("aws:backup/vault:Vault", region)
    gateways = res.of("aws:ec2/vpnGateway:VpnGateway", region)
    return Site(
        region=region,
        vpc_cidr=str(vpcs[0].get("cidrBlock")) if vpcs else None,
        zones=_zones(res, region),
        load_balancer=_load_balancer(res, region),
        cluster=str(clusters[0].get("name")) if clusters else None,
        services=_services(res, region, stores),
        stores=[_store(res, s) for s in stores],
        vault=str(vaults[0].get("name")) if vaults else None,
        resolver=_resolver(res, region),
        vpn_asn=str(gateways[0].get("amazonSideAsn")) if gateways else None,
    )


def _links(res: _Resources, plan: Plan, region: str) -> list[VpnLink]:
    """VPN links: customer gateway and connection from the plan; BGP links' ranges from the stack file."""
    configured = {c.name: c for c in (plan.config.vpn.connections if plan.config.vpn else [])}
    gateways = res.by_id("aws:ec2/customerGateway:CustomerGateway", region)
    static: dict[str, list[str]] = {}
    connections = res.by_id("aws:ec2/vpnConnection:VpnConnection", region)
    for route in res.of("aws:ec2/vpnConnectionRoute:VpnConnectionRoute", region):
        conn = connections.get(str(route.get("vpnConnectionId")))
        if conn is not None:
            static.setdefault(conn.name, []).append(str(route.get("destinationCidrBlock")))
    ingress = res.of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", region)
    alb_from = {str(r.get("cidrIpv4")) for r in ingress if r.get("cidrIpv4") and _int(r.get("fromPort")) == 443}
    links = []
    for conn in res.of("aws:ec2/vpnConnection:VpnConnection", region):
        cgw = gateways.get(str(conn.get("customerGatewayId")))
        if cgw is None:
            continue
        name = str(cgw.get("deviceName") or cgw.name)
        config = configured.get(name)
        is_static = bool(conn.get("staticRoutesOnly"))
        asn = cgw.get("bgpAsn") or cgw.get("bgpAsnExtended")
        on_prem = sorted(static.get(conn.name, [])) or (list(config.on_prem_cidrs) if config else [])
        links.append(VpnLink(
            name=name,
            peer_ip=str(cgw.get("ipAddress")),
            routing="static routes" if is_static else f"BGP AS {asn}",
            on_prem=on_prem,
            tunnels=[str(conn.get(f"tunnel{n}Address")) for n in (1, 2) if conn.get(f"tunnel{n}Address")],
            tiers=list(config.reachable_tiers) if config else [],
            https_to_load_balancer=bool(on_prem) and all(c in alb_from for c in on_prem),
        ))
    return links


def architecture(plan: Plan) -> Architecture:
    """The facts of an environment stack's plan (best with `preview=False`: IPs are then known)."""
    cfg = plan.config
    if cfg.is_account:
        raise DiagramError(f"{plan.stack_file.display_path}: {plan.capture.stack} is an account stack "
                           f"(connect:tenant.scope: account): it declares the client's registry, not an "
                           f"environment; draw an environment stack of the client instead")
    res = _Resources(plan.resources, plan.secrets())
    outputs = plan.capture.outputs
    region, dr_region = cfg.region, cfg.tenant.dr_region
    primary, dr = _site(res, region), _site(res, dr_region)
    file_systems = res.by_id("aws:efs/fileSystem:FileSystem", region)
    for replication in res.of("aws:efs/replicationConfiguration:ReplicationConfiguration", region):
        source = file_systems.get(str(replication.get("sourceFileSystemId")))
        to_dr = (replication.get("destination") or {}).get("region") == dr_region
        if source and "connect:store" in source.tags and to_dr:
            name = source.tags["connect:store"]  # AWS makes the replica: drawn from the replication, not a resource
            dr.stores.append(Store(name, "fileSystem", ["EFS replica"], replica_of=name, replication="EFS replication"))
    references = res.of("pulumi:pulumi:StackReference")
    zones = res.of("aws:route53/zone:Zone")
    return Architecture(
        stack=plan.capture.stack,
        client=cfg.tenant.client,
        environment=cfg.tenant.environment_name,
        primary=primary,
        dr=dr if (dr.vault or dr.vpc_cidr or dr.stores) else None,
        dr_mode=str(outputs.get("drMode") or cfg.dr.mode),
        vpn_asn=primary.vpn_asn,
        links=_links(res, plan, region),
        registry=str(references[0].get("name")).rsplit("/", 1)[-1] if references and primary.services else None,
        dr_links=_links(res, plan, dr_region) if dr_region != region else [],
        dns_zone=str(zones[0].get("name")) if zones else None,
    )


# --------------------------------------------------------------------------------------------
# Diagram: clusters, nodes and edges, shared by both writers.
# --------------------------------------------------------------------------------------------

@dataclass
class Node:
    """A box: a bold title and detail lines; `kind` picks its colours."""

    id: str
    title: str
    lines: list[str]
    kind: str


@dataclass
class Cluster:
    """A nested group (region, VPC, zone, ECS cluster...)."""

    id: str
    title: str
    kind: str
    nodes: list[Node] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)

    def walk(self) -> Iterator[Cluster]:
        yield self
        for child in self.clusters:
            yield from child.walk()


@dataclass
class Edge:
    """An arrow: `flow` (requests), `egress` (to the internet), `vpn` (IPsec), `copy` (images, backups,
    replication), or `align`: invisible, only to order boxes. `src`/`dst` may name a cluster; labels may
    hold newlines."""

    src: str
    dst: str
    label: str = ""
    kind: str = "flow"
    backward: bool = False  # Graphviz lays it out from dst to src (egress: the internet left of the zones)


@dataclass
class Diagram:
    """What both writers draw: top-level clusters and nodes, and the edges between nodes."""

    title: str
    clusters: list[Cluster]
    nodes: list[Node]
    edges: list[Edge]
    stacked: list[tuple[str, str]] = field(default_factory=list)  # pairs in one column (Graphviz only)

    def all_nodes(self) -> list[Node]:
        return [*self.nodes, *(n for top in self.clusters for c in top.walk() for n in c.nodes)]


def _id(*parts: str) -> str:
    """A node id both Mermaid and DOT accept as is: letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_")


def _zone_cluster(site: Site, zone: Zone, prefix: str) -> tuple[Cluster, list[Edge]]:
    """A zone with a node per tier subnet; the ingress subnet's node is its NAT gateway with the egress IP."""
    cluster = Cluster(_id(prefix, "az", zone.name), f"Availability Zone {zone.name}", "az")
    details = {
        "ingress": ["NAT gateway", f"egress IP {zone.nat_ip}" + (" (client's own)" if zone.own_ip else "")]
        if zone.nat_ip else ["no NAT gateway"],
        "app": ["Fargate tasks, load balancer"] if site.cluster else [],
        "data": ["no route to the internet"],
    }
    for tier in TIERS:
        if tier in zone.subnets:
            cluster.nodes.append(Node(_id(prefix, zone.name, tier), f"{tier} subnet",
                                      [zone.subnets[tier], *details[tier]], f"subnet_{tier}"))
    edges = []  # columns: internet | ingress | app | data, one row per zone
    app, data = _id(prefix, zone.name, "app"), _id(prefix, zone.name, "data")
    if zone.egress_zone and "app" in zone.subnets:
        edges.append(Edge(app, _id(prefix, zone.egress_zone, "ingress"), "0.0.0.0/0", "egress", backward=True))
    if zone.nat_ip:
        edges.append(Edge(_id(prefix, zone.name, "ingress"), "internet", "", "egress", backward=True))
    if "app" in zone.subnets and "data" in zone.subnets:
        edges.append(Edge(app, data, kind="align"))
    return cluster, edges


def _primary_cluster(arch: Architecture, site: Site) -> tuple[Cluster, list[Edge]]:
    """The primary region: VPC (VPN gateway, ECS cluster, data tier, zones), regional stores, vault, registry."""
    region = Cluster("p_region", f"AWS {site.region} · primary region", "region")
    edges: list[Edge] = []
    if site.vpc_cidr:
        vpc = Cluster("p_vpc", f"VPC {arch.stack} {site.vpc_cidr}", "vpc")
        region.clusters.append(vpc)
        if arch.vpn_asn:
            vpc.nodes.append(Node("p_vgw", "VPN gateway", [f"AS {arch.vpn_asn}"], "vpn"))
        if site.resolver is not None:
            vpc.nodes.append(_resolver_node("p", arch, site))
        if site.cluster:
            ecs = Cluster("p_ecs", f"ECS Fargate cluster {site.cluster}", "ecs")
            vpc.clusters.append(ecs)
            if site.load_balancer:
                ecs.nodes.append(Node("p_alb", "load balancer", site.load_balancer, "alb"))
            for service in site.services:
                svc = _id("p_svc", service.name)
                tasks = f"{service.base}..{service.max} tasks" + (f" · port {service.port}" if service.port else "")
                ecs.nodes.append(Node(svc, service.name, [tasks], "service"))
                if site.load_balancer:
                    edges.append(Edge("p_alb", svc, "\n".join(service.routes)))
                kinds = {s.name: s.kind for s in site.stores if not s.replica_of}
                edges += [Edge(svc, _id("p_store", kinds[used], used)) for used in service.uses if used in kinds]
        in_vpc = [s for s in site.stores if s.kind != "bucket"]
        if in_vpc:
            vpc.clusters.append(Cluster("p_datatier", "data tier", "data", [_store_node("p", s) for s in in_vpc]))
        for zone in site.zones:
            cluster, zone_edges = _zone_cluster(site, zone, "p")
            vpc.clusters.append(cluster)
            edges += zone_edges
    region.nodes += [_store_node("p", s) for s in site.stores if s.kind == "bucket"]
    if site.vault:
        region.nodes.append(Node("p_vault", "AWS Backup vault", [site.vault, "continuous and daily, locked"], "vault"))
        edges += [Edge(_id("p_store", s.kind, s.name), "p_vault", "", "copy") for s in site.stores if s.backed_up]
    if arch.registry and site.services:
        region.nodes.append(Node("p_ecr", "ECR repositories", [f"account stack {arch.registry}"], "ecr"))
        edges.append(Edge("p_ecr", "p_ecs", "images", "copy"))
    return region, edges


def _dr_cluster(arch: Architecture, site: Site) -> tuple[Cluster, list[Edge]]:
    """The DR region, compact: one node per zone, the standby services in one node, the copies and the vault."""
    region = Cluster("dr_region", f"AWS {site.region} · DR region · {arch.dr_mode}", "region")
    row: list[str] = []  # zones and standby side by side
    if site.vpc_cidr:
        vpc = Cluster("dr_vpc", f"standby VPC {site.vpc_cidr}", "vpc")
        region.clusters.append(vpc)
        if site.vpn_asn:
            vpc.nodes.append(Node("dr_vgw", "VPN gateway", [f"AS {site.vpn_asn}", "the same links, standby"], "vpn"))
        if site.resolver is not None:
            vpc.nodes.append(_resolver_node("dr", arch, site))
        for zone in site.zones:
            lines = [f"{tier} {zone.subnets[tier]}" for tier in TIERS if tier in zone.subnets]
            if zone.nat_ip:
                lines.append(f"NAT egress IP {zone.nat_ip}")
            vpc.nodes.append(Node(_id("dr", zone.name), f"Availability Zone {zone.name}", lines, "zone"))
            row.append(_id("dr", zone.name))
        if site.cluster:
            standby = [f"{s.name} {s.base}..{s.max} tasks" for s in site.services]
            title = "standby services" + (" behind an internal load balancer" if site.load_balancer else "")
            vpc.nodes.append(Node("dr_ecs", title, [f"ECS cluster {site.cluster}", *standby], "service"))
            row.append("dr_ecs")
    region.nodes += [_store_node("dr", s) for s in site.stores]
    if site.vault:
        region.nodes.append(Node("dr_vault", "AWS Backup vault", [site.vault, "copies of every recovery point"],
                                 "vault"))
    return region, [Edge(a, b, kind="align") for a, b in itertools.pairwise(row)]


def _resolver_node(prefix: str, arch: Architecture, site: Site) -> Node:
    """The inbound endpoint the client's DNS servers forward the zone to; its addresses when the plan knows them."""
    lines = [f"forward {arch.dns_zone} here" if arch.dns_zone else "inbound", "DNS 53 from the data centres only"]
    lines += site.resolver or ["addresses assigned at creation"]
    return Node(f"{prefix}_resolver", "Route 53 Resolver inbound endpoint", lines, "resolver")


def _store_node(prefix: str, store: Store) -> Node:
    title = store.name + (" (DR copy)" if store.replica_of else "")
    return Node(_id(prefix, "store", store.kind, store.name), title, store.detail, store.kind)


def layout(arch: Architecture) -> Diagram:
    """Client data centres -> VPN -> load balancer -> services -> data, egress through each zone's NAT, DR below."""
    clusters: list[Cluster] = []
    edges: list[Edge] = []
    standby_links = {link.name: link for link in arch.dr_links} if arch.dr is not None else {}
    if arch.links or standby_links:
        clients = Cluster("clients", f"{arch.client} data centres", "clients")
        primary_links = {link.name: link for link in arch.links}
        for name in [*primary_links, *(n for n in standby_links if n not in primary_links)]:
            link = primary_links.get(name) or standby_links[name]
            standby = standby_links.get(name)
            dc = _id("dc", link.name)
            lines = [*link.on_prem, f"device {link.peer_ip} · {link.routing}"]
            if name in primary_links and link.tunnels:
                lines.append("AWS tunnel ends " + ", ".join(link.tunnels))
            if standby is not None and standby.tunnels:
                lines.append("DR tunnel ends " + ", ".join(standby.tunnels))
            if link.tiers:
                lines.append("routes to the " + ", ".join(link.tiers) + " tier" + ("s" if len(link.tiers) > 1 else ""))
            clients.nodes.append(Node(dc, link.name, lines, "dc"))
            if name in primary_links:
                edges.append(Edge(dc, "p_vgw", f"IPsec, {len(link.tunnels) or 2} tunnels", "vpn"))
            if standby is not None:
                edges.append(Edge(dc, "dr_vgw", f"IPsec, {len(standby.tunnels) or 2} tunnels (DR)", "vpn"))
        clusters.append(clients)
    primary, primary_edges = _primary_cluster(arch, arch.primary)
    clusters.append(primary)
    edges += primary_edges
    if arch.primary.load_balancer and any(link.https_to_load_balancer for link in arch.links):
        edges.append(Edge("p_vgw", "p_alb", "HTTPS 443"))
    if arch.primary.resolver is not None and arch.vpn_asn:
        edges.append(Edge("p_vgw", "p_resolver", "DNS 53"))
    nodes, stacked = [], []  # stacked: each DR copy in its original's column, so the DR region stays narrow
    if any(z.nat_ip for z in arch.primary.zones):
        nodes.append(Node("internet", "Internet", ["egress from the fixed IPs", "the client allow-lists"],
                          "internet"))
    if arch.dr is not None:
        dr, dr_edges = _dr_cluster(arch, arch.dr)
        clusters.append(dr)
        edges += dr_edges
        if arch.dr.vpn_asn and standby_links:
            if arch.dr.resolver is not None:
                edges.append(Edge("dr_vgw", "dr_resolver", "DNS 53"))
            if arch.dr.load_balancer and arch.dr.cluster and any(
                    link.https_to_load_balancer for link in standby_links.values()):
                edges.append(Edge("dr_vgw", "dr_ecs", "HTTPS 443"))
        if arch.primary.vault and arch.dr.vault:
            edges.append(Edge("p_vault", "dr_vault", "copy of every\nrecovery point", "copy"))
            stacked.append(("p_vault", "dr_vault"))
        for store in arch.dr.stores:
            source = next((s for s in arch.primary.stores if s.name == store.replica_of and s.kind == store.kind), None)
            if source is not None:
                pair = (_id("p_store", source.kind, source.name), _id("dr_store", store.kind, store.name))
                edges.append(Edge(*pair, store.replication, "copy"))
                stacked.append(pair)
    title = f"{arch.stack}: client {arch.client}, environment {arch.environment} (from the offline plan)"
    return Diagram(title, clusters, nodes, edges, stacked)


# --------------------------------------------------------------------------------------------
# Writers.
# --------------------------------------------------------------------------------------------

# kind -> (fill, border)
NODE_COLOURS = {
    "dc": ("#eceff1", "#546e7a"),
    "vpn": ("#ede7f6", "#5e35b1"),
    "alb": ("#ede7f6", "#5e35b1"),
    "resolver": ("#ede7f6", "#5e35b1"),
    "subnet_ingress": ("#e8f5e9", "#2e7d32"),
    "subnet_app": ("#e3f2fd", "#1565c0"),
    "subnet_data": ("#e8eaf6", "#283593"),
    "service": ("#fff3e0", "#e65100"),
    "ecr": ("#fff3e0", "#e65100"),
    "database": ("#e8eaf6", "#283593"),
    "fileSystem": ("#e0f2f1", "#00695c"),
    "bucket": ("#e0f2f1", "#00695c"),
    "vault": ("#fce4ec", "#ad1457"),
    "internet": ("#ffffff", "#424242"),
    "zone": ("#f7fbff", "#1565c0"),
}
# kind -> (fill, border, style)
CLUSTER_COLOURS = {
    "clients": ("#fafafa", "#546e7a", "rounded"),
    "region": ("#ffffff", "#37474f", "dashed"),
    "vpc": ("#f5fbf5", "#2e7d32", "rounded"),
    "az": ("#f7fbff", "#1565c0", "dashed"),
    "ecs": ("#fffaf3", "#e65100", "rounded"),
    "data": ("#f6f7fd", "#283593", "rounded"),
}
MERMAID_ARROWS = {"flow": "-->", "egress": "-->", "vpn": "==>", "copy": "-.->", "align": "~~~"}
DOT_EDGES: dict[str, dict[str, str]] = {
    "flow": {},
    "egress": {"color": "#2e7d32", "fontcolor": "#2e7d32"},
    "vpn": {"color": "#5e35b1", "fontcolor": "#5e35b1", "penwidth": "2.2"},
    "copy": {"style": "dashed", "color": "#ad1457", "fontcolor": "#ad1457"},
    "align": {"style": "invis"},
}


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes and angle brackets as entities."""
    return html.escape(text, quote=True).replace("&quot;", "#quot;").replace("&#x27;", "'")


def to_mermaid(diagram: Diagram) -> str:
    """A Mermaid `flowchart LR`: one statement per line, subgraphs for the clusters."""
    out = ["---", f"title: {json.dumps(diagram.title)}", "---", "flowchart LR"]  # front matter is YAML

    def node(n: Node, indent: str) -> None:
        label = "<br/>".join([f"<b>{_mermaid_text(n.title)}</b>", *(_mermaid_text(line) for line in n.lines)])
        shape = ("((", "))") if n.kind == "internet" else ("[", "]")
        out.append(f'{indent}{n.id}{shape[0]}"{label}"{shape[1]}')

    def cluster(c: Cluster, indent: str) -> None:
        out.append(f'{indent}subgraph {c.id}["{_mermaid_text(c.title)}"]')
        for child in c.clusters:
            cluster(child, indent + "  ")
        for n in c.nodes:
            node(n, indent + "  ")
        out.append(f"{indent}end")

    for c in diagram.clusters:
        cluster(c, "  ")
    for n in diagram.nodes:
        node(n, "  ")
    for e in diagram.edges:
        text = "<br/>".join(_mermaid_text(line) for line in e.label.split("\n"))
        label = f'|"{text}"|' if e.label else ""
        out.append(f"  {e.src} {MERMAID_ARROWS[e.kind]}{label} {e.dst}")
    for kind, (fill, stroke) in NODE_COLOURS.items():
        out.append(f"  classDef {kind} fill:{fill},stroke:{stroke},color:#212121")
    by_kind: dict[str, list[str]] = {}
    for n in diagram.all_nodes():
        by_kind.setdefault(n.kind, []).append(n.id)
    for kind, ids in by_kind.items():
        out.append(f"  class {','.join(ids)} {kind}")
    for top in diagram.clusters:
        for c in top.walk():
            fill, stroke, _ = CLUSTER_COLOURS.get(c.kind, ("#ffffff", "#9e9e9e", "rounded"))
            out.append(f"  style {c.id} fill:{fill},stroke:{stroke}")
    return "\n".join(out) + "\n"


def _html(node: Node) -> str:
    """A Graphviz HTML-like label: bold title, smaller detail lines."""
    lines = "".join(f'<BR/><FONT POINT-SIZE="10">{html.escape(line)}</FONT>' for line in node.lines)
    return f"<<B>{html.escape(node.title)}</B>{lines}>"


def to_dot(diagram: Diagram) -> graphviz.Digraph:
    """The same diagram for Graphviz: left to right, clusters as nested boxes, compound edges allowed."""
    graph = graphviz.Digraph(
        "connect",
        graph_attr={"rankdir": "LR", "compound": "true", "newrank": "true", "fontname": "Helvetica",
                    "fontsize": "16", "label": diagram.title, "labelloc": "t", "nodesep": "0.25",
                    "ranksep": "0.6", "pad": "0.3", "dpi": "96", "bgcolor": "white"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "12",
                   "margin": "0.15,0.06"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10", "color": "#455a64", "fontcolor": "#37474f"},
    )

    def add_node(target: graphviz.Digraph, n: Node) -> None:
        fill, border = NODE_COLOURS.get(n.kind, ("#ffffff", "#9e9e9e"))
        shape = "ellipse" if n.kind == "internet" else ("cylinder" if n.kind in ("database", "fileSystem") else "box")
        margin = "0.2,0.18" if shape == "cylinder" else "0.15,0.06"  # room for the cylinder's lid
        target.node(n.id, _html(n), fillcolor=fill, color=border, shape=shape, margin=margin)

    def add_cluster(target: graphviz.Digraph, c: Cluster) -> None:
        fill, border, style = CLUSTER_COLOURS.get(c.kind, ("#ffffff", "#9e9e9e", "rounded"))
        with target.subgraph(name=f"cluster_{c.id}") as sub:
            sub.attr(label=c.title, style=f"{style},filled", fillcolor=fill, color=border, fontcolor=border,
                     fontname="Helvetica", fontsize="13", labeljust="l")
            for child in c.clusters:
                add_cluster(sub, child)
            for n in c.nodes:
                add_node(sub, n)

    for c in diagram.clusters:
        add_cluster(graph, c)
    for n in diagram.nodes:
        add_node(graph, n)
    anchors = {c.id: (c, _first_node(c)) for top in diagram.clusters for c in top.walk()}
    for e in diagram.edges:
        attrs = dict(DOT_EDGES[e.kind])
        src, dst = (e.dst, e.src) if e.backward else (e.src, e.dst)
        if e.backward:
            attrs["dir"] = "back"
        if src in anchors:
            attrs["ltail"], src = f"cluster_{src}", anchors[src][1]
        if dst in anchors:
            attrs["lhead"], dst = f"cluster_{dst}", anchors[dst][1]
        if e.label:  # xlabel: placed after layout, so labels do not double the columns
            attrs["xlabel"] = graphviz.nohtml(e.label.replace("\n", "\\n"))
        graph.edge(src, dst, **attrs)
    for first, second in diagram.stacked:
        graph.body.append(f"\t{{rank=same; {first}; {second}}}\n")
    return graph


def _first_node(cluster: Cluster) -> str:
    for c in cluster.walk():
        if c.nodes:
            return c.nodes[0].id
    raise ValueError(f"cluster {cluster.id} has no node to anchor an edge")


# --------------------------------------------------------------------------------------------
# Command.
# --------------------------------------------------------------------------------------------

class DiagramFormat(StrEnum):
    """Output formats of `diagram`."""

    mermaid = "mermaid"
    dot = "dot"
    png = "png"
    svg = "svg"


def stack_diagram(stack: str | None = None, *, config_file: Path | None = None, project: Project | None = None,
                  account_file: Path | None = None) -> tuple[str, Diagram]:
    """A stack's name and diagram (by name or stack file), from its offline plan with every value known."""
    plan = plan_stack(stack, config_file=config_file, preview=False, project=project, account_file=account_file)
    return plan.stack_file.stack, layout(architecture(plan))


DIAGRAMS_DIR = Path("out") / "diagrams"


def default_output(project: Project, stack: str, output_format: DiagramFormat) -> Path:
    """Where a PNG or SVG goes without --output: `out/diagrams/<stack>.<format>` under the project.

    Not the current directory (the old default): from anywhere else it scattered pictures wherever the command
    ran, and in the checkout it left untracked files. `out/` is git-ignored and the same place whatever the
    directory; `docs/diagram-acme-prod.png` and other committed pictures are written only when named with --output.
    """
    return project.root / DIAGRAMS_DIR / f"{stack}.{output_format.value}"


def render(diagram: Diagram, output_format: DiagramFormat) -> bytes:
    """The diagram in one format; PNG and SVG are rendered by Graphviz's `dot`."""
    if output_format is DiagramFormat.mermaid:
        return to_mermaid(diagram).encode()
    graph = to_dot(diagram)
    if output_format is DiagramFormat.dot:
        return str(graph.source).encode()
    return bytes(graph.pipe(format=output_format.value))


def diagram(
    stack: Annotated[str | None, typer.Argument(
        help="Stack name, e.g. acme-prod (stacks/Pulumi.<stack>.yaml)", show_default=False)] = None,
    config_file: Annotated[Path | None, typer.Option(
        "--config-file", help="Draw this stack file instead (its account stack and policy.<stack>.json are looked "
        "for beside it first).", show_default=False)] = None,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.", show_default=False)] = None,
    account_file: Annotated[Path | None, typer.Option(
        "--account-file", help="The client's account stack file. Default: Pulumi.<client>-account.yaml beside the "
        "stack file, else in the project's stacks.", show_default=False)] = None,
    output_format: Annotated[DiagramFormat, typer.Option(
        "--format", help="mermaid (flowchart text), dot (Graphviz source), png or svg (rendered by Graphviz's dot)."
    )] = DiagramFormat.mermaid,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here. Default: stdout for mermaid and dot, out/diagrams/<stack>.png / .svg "
        "under the project otherwise."
    )] = None,
) -> None:
    """Draw a stack's architecture from its offline plan: zones and tiers, NAT egress IPs, VPN links,
    load balancer and services, data stores and the DR region."""
    named = "name a stack (connectctl diagram acme-prod) or a stack file (--config-file PATH)"
    if stack is None and config_file is None:
        raise fail(named)
    if stack is not None and config_file is not None:
        raise fail(f"{named}, not both")
    if output_format in (DiagramFormat.png, DiagramFormat.svg) and shutil.which("dot") is None:
        raise fail(GRAPHVIZ_MISSING)
    try:
        project = load_project_dir(project_dir)
        name, drawing = stack_diagram(stack, config_file=config_file, project=project, account_file=account_file)
        data = render(drawing, output_format)
    except input_errors(DiagramError) as exc:
        raise fail(str(exc)) from None
    except graphviz.ExecutableNotFound:
        raise fail(GRAPHVIZ_MISSING) from None
    except graphviz.CalledProcessError as exc:
        raise fail(f"Graphviz's dot failed: {exc.stderr.decode(errors='replace').strip()}") from None
    if output is None and output_format in (DiagramFormat.png, DiagramFormat.svg):
        output = default_output(project, name, output_format)
    if output is None:
        sys.stdout.write(data.decode())
        return
    try:
        if output.parent == project.root / DIAGRAMS_DIR:
            output.parent.mkdir(parents=True, exist_ok=True)  # the default place; a named one must exist
        output.write_bytes(data)
    except OSError as exc:
        raise fail(f"{output}: cannot write the diagram: {exc.strerror}") from None
    Console(emoji=False, stderr=True, highlight=False, soft_wrap=True).print(
        f"wrote {escape(str(output))} ({len(data):,} bytes)")


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(name="diagram")(diagram)
