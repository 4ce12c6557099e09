"""Mutants of the real program's output, each breaking one mandatory guardrail; the pack must kill them all.

Two kinds of mutant:

- stack-file mutants: a copy of a committed stack file with one setting weakened, planned from scratch
  (`plan_stack(config_file=...)`; the copy keeps the stack's file name, so the account stack reference and
  the per-stack pack config resolve as for the original);
- capture mutants: what the engine recorded for a committed stack (`plan_stack(<stack>)`, once per stack
  and mode), deep-copied and edited the way a program variant would register it: a property changed in
  both inputs (what resource policies read) and outputs (what stack policies read), a resource dropped
  (with every graph edge to it), a resource added under the same parent and provider, property
  dependencies re-pointed.

A mutant is analysed by the real pack with the stack's own pack config in which every policy but the one
under test is disabled: policies never see each other, and the servicer skips disabled ones entirely,
which makes one analysis ~20x cheaper than the whole pack. The rule under test keeps the level the
stack's config (or the catalogue) gives it, so "killed" means what `pulumi preview` would do: a
mandatory finding of that rule.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from connect_guardrails import integrity
from connect_guardrails.catalogue import RULES
from connectctl.engine.analyzer import Violation, analyze, load_pack_config
from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import PROJECT_ROOT
from connectctl.plan import Plan, plan_stack

STACKS_DIR = PROJECT_ROOT / "stacks"
STACK_TYPE = "pulumi:pulumi:Stack"
PREVIEW_NOTE = "can't run policy"
FOREIGN_ACCOUNT = "999999999999"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel (an id in preview)


# --- the real program's output, planned once per stack and mode -------------------------------------------


@cache
def baseline(stack: str, preview: bool) -> Plan:
    """The committed stack's plan (whole pack, stack's own pack config), shared by every mutant of it."""
    return plan_stack(stack, preview=preview)


@cache
def pack_config(stack: str) -> dict[str, Any]:
    """The stack's committed pack config (`stacks/policy.<stack>.json`)."""
    return load_pack_config(STACKS_DIR / f"policy.{stack}.json") or {}


def focused_config(stack: str, rule: str) -> dict[str, Any]:
    """The stack's pack config with every other policy (integrity policies included) disabled; `rule`'s own
    entry is left as it is. Only tests may do this: `load_pack_config` refuses it in a config file."""
    config = copy.deepcopy(pack_config(stack))
    for other in [r.id for r in RULES] + list(integrity.NAMES):
        if other == rule:
            continue
        entry = config.get(other, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        entry["enforcementLevel"] = "disabled"
        config[other] = entry
    return config


def findings(violations: Iterable[Violation], rule: str) -> list[Violation]:
    """A rule's findings, the engine's "can't run policy during preview" notes excluded."""
    return [v for v in violations if v.policy == rule and PREVIEW_NOTE not in v.message]


def mandatory(violations: Iterable[Violation], rule: str) -> list[Violation]:
    """A rule's findings that fail `pulumi preview`/`up`."""
    return [v for v in findings(violations, rule) if v.level == "mandatory"]


# --- editing a capture the way a program variant would register it ----------------------------------------


class Variant:
    """A deep copy of a plan's resources, edited in place by a mutant."""

    def __init__(self, resources: list[CapturedResource]) -> None:
        self.resources = copy.deepcopy(resources)

    def find(self, type_: str, name: str) -> CapturedResource:
        """The one resource of that type token and name."""
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        assert len(found) == 1, f"{type_} '{name}': {len(found)} resource(s) in the plan"
        return found[0]

    def of_type(self, type_: str) -> list[CapturedResource]:
        """Every resource of that type token."""
        return [r for r in self.resources if r.type == type_]

    @staticmethod
    def set(resource: CapturedResource, key: str, value: Any) -> None:
        """Set a top-level property in inputs and outputs alike."""
        resource.inputs[key] = copy.deepcopy(value)
        resource.outputs[key] = copy.deepcopy(value)

    @staticmethod
    def edit(resource: CapturedResource, change: Callable[[dict[str, Any]], None]) -> None:
        """Apply `change` to the inputs and to the outputs (same edit, both views)."""
        change(resource.inputs)
        change(resource.outputs)

    @staticmethod
    def edit_json(resource: CapturedResource, key: str, change: Callable[[Any], None]) -> None:
        """Edit a JSON-string property (a policy document, container definitions) in both views."""
        for props in (resource.inputs, resource.outputs):
            doc = json.loads(props[key])
            change(doc)
            props[key] = json.dumps(doc)

    @staticmethod
    def delete(resource: CapturedResource, key: str) -> None:
        """Remove a property (and its property dependencies) as if the program never set it."""
        resource.inputs.pop(key, None)
        resource.outputs.pop(key, None)
        Variant.depend(resource, key)
        resource.property_dependencies.pop(key)

    def by_urn(self, urn: str) -> CapturedResource:
        """The resource with that URN."""
        return next(r for r in self.resources if r.urn == urn)

    @staticmethod
    def depend(resource: CapturedResource, key: str, *targets: CapturedResource) -> None:
        """`targets` (alone) fed `key`: the property dependencies a program passing their outputs records,
        and the resource's dependencies updated to match."""
        old = set(resource.property_dependencies.get(key, []))
        resource.property_dependencies[key] = [t.urn for t in targets]
        elsewhere = {u for k, urns in resource.property_dependencies.items() if k != key for u in urns}
        kept = [u for u in resource.dependencies if u not in old or u in elsewhere]
        resource.dependencies = [*kept, *(t.urn for t in targets if t.urn not in kept)]

    def drop(self, resource: CapturedResource) -> None:
        """The program no longer declares `resource`: remove it and every edge to it."""
        children = [r.name for r in self.resources if r.parent == resource.urn]
        assert not children, f"{resource.name} has children {children}; drop them first"
        self.resources.remove(resource)
        for other in self.resources:
            other.dependencies = [u for u in other.dependencies if u != resource.urn]
            other.property_dependencies = {
                k: [u for u in v if u != resource.urn] for k, v in other.property_dependencies.items()
            }

    def add(
        self,
        like: CapturedResource,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        deps: dict[str, list[CapturedResource]] | None = None,
        outputs: dict[str, Any] | None = None,
        protect: bool = False,
    ) -> CapturedResource:
        """Declare a new resource beside `like` (same parent and provider), URN built as the engine does."""
        parent = like.parent
        parent_type = parent.split("::")[2] if parent else STACK_TYPE
        chain = type_ if parent_type == STACK_TYPE else f"{parent_type}${type_}"
        urn = f"{like.urn.split('::')[0]}::{like.urn.split('::')[1]}::{chain}::{name}"
        property_dependencies = {k: [t.urn for t in v] for k, v in (deps or {}).items()}
        resource = CapturedResource(
            urn=urn, type=type_, name=name, custom=True, parent=parent, provider=like.provider,
            protect=protect, retain_on_delete=False,
            dependencies=sorted({u for urns in property_dependencies.values() for u in urns}),
            property_dependencies=property_dependencies,
            inputs=copy.deepcopy(inputs),
            outputs=copy.deepcopy(outputs if outputs is not None else {**inputs, "id": f"{name}-0mutant"}),
            id=f"{name}-0mutant",
        )
        self.resources.append(resource)
        return resource


# --- the mutants -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One mutant: the rule it breaks, how, and on which stack (and plan mode)."""

    rule: str
    description: str
    stack: str
    preview: bool
    kind: str  # "capture" or "stack-file"
    apply: Callable[[Any], None]  # a CaptureEdit or a StackFileEdit, by kind

    @property
    def id(self) -> str:
        mode = "preview" if self.preview else "up"
        return f"{self.rule}/{self.apply.__name__}[{self.stack},{mode}]"


MUTATIONS: list[Mutation] = []


CaptureEdit = Callable[[Variant], None]
StackFileEdit = Callable[[dict[str, Any]], None]


def capture(rule: str, stack: str, preview: bool, description: str) -> Callable[[CaptureEdit], CaptureEdit]:
    """Register a capture mutant of `stack`'s plan (preview or not)."""
    def register(apply: CaptureEdit) -> CaptureEdit:
        MUTATIONS.append(Mutation(rule, description, stack, preview, "capture", apply))
        return apply
    return register


def stack_file(rule: str, stack: str, preview: bool, description: str) -> Callable[[StackFileEdit], StackFileEdit]:
    """Register a stack-file mutant: `apply` edits the stack file's `config:` mapping."""
    def register(apply: StackFileEdit) -> StackFileEdit:
        MUTATIONS.append(Mutation(rule, description, stack, preview, "stack-file", apply))
        return apply
    return register


@cache
def run(mutation: Mutation) -> list[Violation]:
    """The rule's diagnostics over the mutant (focused pack config: the rule alone, at its stack's level)."""
    config = focused_config(mutation.stack, mutation.rule)
    if mutation.kind == "stack-file":
        doc = yaml.safe_load((STACKS_DIR / f"Pulumi.{mutation.stack}.yaml").read_text(encoding="utf-8"))
        mutation.apply(doc["config"])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"Pulumi.{mutation.stack}.yaml"
            path.write_text(yaml.safe_dump(doc), encoding="utf-8")
            return plan_stack(config_file=path, preview=mutation.preview, pack_config=config).violations
    variant = Variant(baseline(mutation.stack, mutation.preview).capture.resources)
    mutation.apply(variant)
    return analyze(variant.resources, config)


def killed(mutation: Mutation) -> bool:
    """The pack reports a mandatory finding of the mutated rule."""
    return bool(mandatory(run(mutation), mutation.rule))


# Type tokens used below.
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
EIP = "aws:ec2/eip:Eip"
LISTENER = "aws:lb/listener:Listener"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PROVIDER = "pulumi:providers:aws"
RECORD = "aws:route53/record:Record"
REPOSITORY = "aws:ecr/repository:Repository"
RESOLVER_ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint"
ROLE = "aws:iam/role:Role"
ROUTE = "aws:ec2/route:Route"
SERVICE = "aws:ecs/service:Service"
SUBNET = "aws:ec2/subnet:Subnet"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
VPN = "aws:ec2/vpnConnection:VpnConnection"
ZONE = "aws:route53/zone:Zone"

ACME = "acme-prod"
ACCOUNT = "acme-account"
GLOBEX = "globex-prod"
PREVIEW, UP = True, False


def _id(resource: CapturedResource) -> str:
    """The resource's id as the program would pass it on: the id, or the unknown sentinel in preview."""
    return str(resource.outputs.get("id") or UNKNOWN)


def _tags(resource: CapturedResource) -> dict[str, Any]:
    return dict(resource.inputs.get("tags") or {})


def _containers(variant: Variant, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit the first container of a task definition's `containerDefinitions`."""
    def edit(containers: Any) -> None:
        change(containers[0])
    variant.edit_json(variant.find(TASK_DEFINITION, name), "containerDefinitions", edit)


def _statement(statement: dict[str, Any]) -> Callable[[Any], None]:
    def add(doc: Any) -> None:
        doc["Statement"].append(statement)
    return add


# Tenant isolation ------------------------------------------------------------------------------------------


@capture("tenant-single-account", ACME, UP, "the VPN gateway is declared without the tenant provider "
         "(the engine's default provider, pinned to no account)")
def vpn_gateway_on_default_provider(v: Variant) -> None:
    tenant = v.find(PROVIDER, "tenant")
    default = v.add(tenant, PROVIDER, "default_7_0_0", {"region": "us-east-1", "version": "7.0.0"})
    v.find("aws:ec2/vpnGateway:VpnGateway", "vpn-gateway").provider = f"{default.urn}::{default.id}"


@capture("tenant-single-account", ACME, PREVIEW, "the DR provider is pinned to another account")
def dr_provider_in_another_account(v: Variant) -> None:
    v.set(v.find(PROVIDER, "dr"), "allowedAccountIds", json.dumps([FOREIGN_ACCOUNT]))


@capture("tenant-tags", ACME, PREVIEW, "an app subnet loses its connect:client tag")
def subnet_without_client_tag(v: Variant) -> None:
    subnet = v.find(SUBNET, "network-app-us-east-1a")
    v.set(subnet, "tags", {k: t for k, t in _tags(subnet).items() if k != "connect:client"})


@capture("tenant-tags", ACME, UP, "the database cluster is tagged with another environment")
def database_tagged_staging(v: Variant) -> None:
    cluster = v.find("aws:rds/cluster:Cluster", "data-ledger")
    v.set(cluster, "tags", {**_tags(cluster), "connect:environment": "staging"})


@capture("no-cross-tenant-sharing", ACME, UP, "the documents bucket policy allows reads by another account")
def bucket_readable_by_foreign_account(v: Variant) -> None:
    v.edit_json(v.find(BUCKET_POLICY, "data-documents-policy"), "policy", _statement({
        "Sid": "PartnerReads", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-prod-documents-111111111111/*",
    }))


@capture("no-cross-tenant-sharing", ACME, UP, "the environment key policy lets any principal decrypt")
def key_usable_by_anyone(v: Variant) -> None:
    v.edit_json(v.find("aws:kms/key:Key", "environment-key"), "policy", _statement({
        "Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
    }))


@capture("no-cross-tenant-sharing", ACME, PREVIEW, "the app subnets are shared through AWS RAM")
def subnets_shared_through_ram(v: Variant) -> None:
    vpc = v.find("aws:ec2/vpc:Vpc", "network-vpc")
    v.add(vpc, "aws:ram/resourceShare:ResourceShare", "network-share",
          {"name": "acme-prod-subnets", "allowExternalPrincipals": True, "tags": _tags(vpc)})


# Design: only the resource types the platform uses -----------------------------------------------------------


@capture("allowed-resource-types", ACME, UP, "a private EC2 instance (no public IP) in an app subnet")
def private_instance_in_app_subnet(v: Variant) -> None:
    subnet = v.find(SUBNET, "network-app-us-east-1c")
    v.add(subnet, "aws:ec2/instance:Instance", "network-jump-box",
          {"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro", "subnetId": _id(subnet),
           "tags": _tags(subnet)}, deps={"subnetId": [subnet]})


@capture("allowed-resource-types", GLOBEX, PREVIEW, "a Lambda function outside the VPC")
def function_outside_the_vpc(v: Variant) -> None:
    like = v.find("aws:cloudwatch/logGroup:LogGroup", "platform-billing-api-logs")
    v.add(like, "aws:lambda/function:Function", "platform-pdf-renderer",
          {"role": "arn:aws:iam::222222222222:role/pdf-renderer", "runtime": "python3.12", "handler": "app.handler",
           "s3Bucket": "globex-artifacts", "s3Key": "pdf-renderer.zip", "tags": _tags(like)})


# Registry (the account stack) ------------------------------------------------------------------------------


@capture("ecr-scan-on-push", ACCOUNT, PREVIEW, "the registry scanning rule is set to manual scans")
def registry_scans_manually(v: Variant) -> None:
    scanning = v.find("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", "registry-scanning")
    v.edit(scanning, lambda p: p["rules"][0].update(scanFrequency="MANUAL"))


@capture("ecr-scan-on-push", ACCOUNT, PREVIEW, "the registry scanning filter matches none of the repositories")
def registry_scan_filter_misses(v: Variant) -> None:
    scanning = v.find("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", "registry-scanning")
    v.edit(scanning, lambda p: p["rules"][0]["repositoryFilters"][0].update(filter="legacy-*"))


@capture("ecr-immutable-tags", ACCOUNT, PREVIEW, "the payments-api repository lets tags be overwritten")
def repository_with_mutable_tags(v: Variant) -> None:
    v.set(v.find(REPOSITORY, "registry-payments-api"), "imageTagMutability", "MUTABLE")


# Private subnets only --------------------------------------------------------------------------------------


def _into_ingress_subnets(v: Variant, resource: CapturedResource, key: str,
                          set_ids: Callable[[dict[str, Any], list[str]], None]) -> None:
    """The program passes the public (ingress-tier) subnets where it passed the app subnets."""
    public = [v.find(SUBNET, f"network-ingress-us-east-1{zone}") for zone in "abc"]
    others = [v.by_urn(u) for u in resource.property_dependencies.get(key, []) if v.by_urn(u).type != SUBNET]
    v.depend(resource, key, *others, *public)
    for props in (resource.inputs, resource.outputs):
        set_ids(props, [_id(s) for s in public])


@capture("private-subnets-only", ACME, UP, "the internal load balancer is placed in the public (ingress) subnets")
def load_balancer_in_public_subnets(v: Variant) -> None:
    alb = v.find(LOAD_BALANCER, "platform-alb")
    _into_ingress_subnets(v, alb, "subnets", lambda p, ids: p.update(subnets=ids))


@capture("private-subnets-only", ACME, PREVIEW, "the payments-api service runs in the public (ingress) subnets")
def service_in_public_subnets(v: Variant) -> None:
    service = v.find(SERVICE, "platform-payments-api-service")
    _into_ingress_subnets(v, service, "networkConfiguration",
                          lambda p, ids: p["networkConfiguration"].update(subnets=ids))


@capture("subnet-no-auto-public-ip", ACME, PREVIEW, "an app subnet maps public IPs on launch")
def app_subnet_maps_public_ips(v: Variant) -> None:
    v.set(v.find(SUBNET, "network-app-us-east-1a"), "mapPublicIpOnLaunch", True)


@capture("subnet-no-auto-public-ip", ACME, UP, "a DR data subnet maps public IPs on launch")
def dr_data_subnet_maps_public_ips(v: Variant) -> None:
    v.set(v.find(SUBNET, "dr-network-data-us-west-2b"), "mapPublicIpOnLaunch", True)


@capture("ecs-service-no-public-ip", ACME, PREVIEW, "the payments-api tasks get public IP addresses")
def service_assigns_public_ip(v: Variant) -> None:
    v.edit(v.find(SERVICE, "platform-payments-api-service"),
           lambda p: p["networkConfiguration"].update(assignPublicIp=True))


@capture("alb-internal-only", ACME, PREVIEW, "the load balancer is internet-facing")
def load_balancer_internet_facing(v: Variant) -> None:
    v.set(v.find(LOAD_BALANCER, "platform-alb"), "internal", False)


@capture("alb-internal-only", ACME, UP, "the DR load balancer omits `internal` (AWS default: internet-facing)")
def dr_load_balancer_without_internal(v: Variant) -> None:
    v.delete(v.find(LOAD_BALANCER, "dr-platform-alb"), "internal")


@capture("eip-nat-only", ACME, UP, "an egress EIP is bound to an instance")
def eip_bound_to_instance(v: Variant) -> None:
    v.set(v.find(EIP, "network-egress-ip-us-east-1b"), "instance", "i-0123456789abcdef0")


@capture("eip-nat-only", ACME, PREVIEW, "an extra EIP no NAT gateway uses (a bastion's address)")
def eip_without_nat(v: Variant) -> None:
    like = v.find(EIP, "network-egress-ip-us-east-1a")
    v.add(like, EIP, "network-bastion-ip", {"domain": "vpc", "tags": _tags(like)}, protect=True)


@capture("eip-nat-only", ACME, PREVIEW, "an EipAssociation binds an egress EIP to a network interface")
def eip_association(v: Variant) -> None:
    eip = v.find(EIP, "network-egress-ip-us-east-1c")
    v.add(eip, "aws:ec2/eipAssociation:EipAssociation", "network-egress-ip-us-east-1c-assoc",
          {"allocationId": _id(eip), "networkInterfaceId": "eni-0123456789abcdef0"},
          deps={"allocationId": [eip]})


@capture("private-egress-via-nat", ACME, PREVIEW, "an app route table's default route goes to the internet gateway")
def app_default_route_to_igw(v: Variant) -> None:
    route, igw = v.find(ROUTE, "network-app-default-route-us-east-1a"), v.find(
        "aws:ec2/internetGateway:InternetGateway", "network-igw")
    v.delete(route, "natGatewayId")
    v.set(route, "gatewayId", _id(igw))
    v.depend(route, "gatewayId", igw)


@capture("private-egress-via-nat", ACME, UP, "a data route table gets a default route to a NAT gateway")
def data_default_route(v: Variant) -> None:
    table = v.find("aws:ec2/routeTable:RouteTable", "network-data-rt-us-east-1b")
    nat = v.find("aws:ec2/natGateway:NatGateway", "network-nat-us-east-1b")
    v.add(table, ROUTE, "network-data-default-route-us-east-1b",
          {"destinationCidrBlock": "0.0.0.0/0", "routeTableId": _id(table), "natGatewayId": _id(nat)},
          deps={"routeTableId": [table], "natGatewayId": [nat]})


@capture("private-egress-via-nat", ACME, UP, "an app subnet's default route uses another zone's NAT gateway")
def app_route_crosses_zones(v: Variant) -> None:
    route = v.find(ROUTE, "network-app-default-route-us-east-1a")
    nat = v.find("aws:ec2/natGateway:NatGateway", "network-nat-us-east-1c")
    v.set(route, "natGatewayId", _id(nat))
    v.depend(route, "natGatewayId", nat)


@capture("no-public-compute", ACME, PREVIEW, "an EC2 instance in an app subnet asks for a public IP")
def instance_with_public_ip(v: Variant) -> None:
    subnet = v.find(SUBNET, "network-app-us-east-1a")
    v.add(subnet, "aws:ec2/instance:Instance", "network-debug-box",
          {"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro", "associatePublicIpAddress": True,
           "subnetId": _id(subnet), "tags": _tags(subnet)}, deps={"subnetId": [subnet]})


@capture("no-public-compute", ACME, UP, "a launch template's network interface asks for a public IP")
def launch_template_with_public_ip(v: Variant) -> None:
    subnet = v.find(SUBNET, "network-app-us-east-1b")
    v.add(subnet, "aws:ec2/launchTemplate:LaunchTemplate", "network-workers",
          {"imageId": "ami-0123456789abcdef0", "instanceType": "t3.micro", "tags": _tags(subnet),
           "networkInterfaces": [{"associatePublicIpAddress": "true", "subnetId": _id(subnet)}]},
          deps={"networkInterfaces": [subnet]})


@capture("dns-private-only", GLOBEX, UP, "the environment's hosted zone is public (its VPC associations removed)")
def public_zone(v: Variant) -> None:
    v.delete(v.find(ZONE, "dns-zone"), "vpcs")


@capture("dns-private-only", ACME, PREVIEW, "the primary region's Resolver endpoint is OUTBOUND")
def outbound_resolver(v: Variant) -> None:
    v.set(v.find(RESOLVER_ENDPOINT, "dns-resolver-primary"), "direction", "OUTBOUND")


@capture("dns-private-only", ACME, UP, "the DR Resolver's security group admits DNS over UDP from 0.0.0.0/0")
def resolver_open_to_the_world(v: Variant) -> None:
    rule = next(r for r in v.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r.name.startswith("dns-resolver-dr-sg-udp-53"))
    v.set(rule, "cidrIpv4", "0.0.0.0/0")


# Network hygiene -------------------------------------------------------------------------------------------


@capture("vpc-flow-logs", ACME, PREVIEW, "the primary VPC has no flow log")
def vpc_without_flow_log(v: Variant) -> None:
    v.drop(v.find("aws:ec2/flowLog:FlowLog", "network-flow-log"))


@capture("vpc-flow-logs", ACME, UP, "the DR VPC's flow log records rejected traffic only")
def dr_flow_log_rejects_only(v: Variant) -> None:
    v.set(v.find("aws:ec2/flowLog:FlowLog", "dr-network-flow-log"), "trafficType", "REJECT")


@capture("vpc-flow-logs", ACME, PREVIEW, "the flow log's log group is not KMS-encrypted")
def flow_log_group_unencrypted(v: Variant) -> None:
    v.delete(v.find(LOG_GROUP, "network-flow-logs"), "kmsKeyId")


@capture("default-sg-closed", ACME, PREVIEW, "the default security group admits the VPC's own range")
def default_sg_open_to_vpc(v: Variant) -> None:
    v.set(v.find(DEFAULT_SG, "network-default-sg"), "ingress",
          [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.40.0.0/16"], "self": False}])


@capture("default-sg-closed", ACME, UP, "the DR VPC's default security group is left unmanaged")
def dr_default_sg_unmanaged(v: Variant) -> None:
    v.drop(v.find(DEFAULT_SG, "dr-network-default-sg"))


@capture("sg-no-world-ingress", ACME, PREVIEW, "a standalone ingress rule opens the load balancer to 0.0.0.0/0")
def alb_open_to_world(v: Variant) -> None:
    like = v.find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "platform-alb-from-app-443")
    sg = v.find("aws:ec2/securityGroup:SecurityGroup", "platform-alb-sg")
    v.add(like, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "platform-alb-from-world-443",
          {"description": "HTTPS from anywhere", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
           "cidrIpv4": "0.0.0.0/0",
           "securityGroupId": _id(sg), "tags": _tags(like)},
          deps={"securityGroupId": [sg]})


@capture("sg-no-world-ingress", ACME, UP, "the app security group gets an inline ingress from ::/0")
def app_sg_open_to_world_v6(v: Variant) -> None:
    v.set(v.find("aws:ec2/securityGroup:SecurityGroup", "network-sg-app"), "ingress",
          [{"description": "SSH from anywhere", "protocol": "tcp", "fromPort": 22, "toPort": 22,
            "ipv6CidrBlocks": ["::/0"], "self": False}])


# Client connectivity (VPN) ---------------------------------------------------------------------------------


@capture("vpn-tunnel-logging", ACME, PREVIEW, "the second tunnel of dc-santiago has no log options")
def vpn_tunnel_without_logs(v: Variant) -> None:
    v.delete(v.find(VPN, "vpn-dc-santiago"), "tunnel2LogOptions")


@capture("vpn-tunnel-logging", ACME, UP, "the first tunnel of dc-santiago has logging disabled")
def vpn_tunnel_logging_disabled(v: Variant) -> None:
    v.edit(v.find(VPN, "vpn-dc-santiago"),
           lambda p: p["tunnel1LogOptions"]["cloudwatchLogOptions"].update(logEnabled=False))


@capture("vpn-tunnel-logging", GLOBEX, PREVIEW, "the second link (dc-bogota) logs no tunnel")
def second_link_without_logs(v: Variant) -> None:
    link = v.find(VPN, "vpn-dc-bogota")
    v.delete(link, "tunnel1LogOptions")
    v.delete(link, "tunnel2LogOptions")


@stack_file("vpn-strong-crypto", ACME, PREVIEW, "stack file: dc-santiago's phase 1 encryption is [AES128]")
def weak_phase1_encryption(config: dict[str, Any]) -> None:
    config["connect:vpn"]["connections"][0]["crypto"] = {"phase1Encryption": ["AES128"]}


@capture("vpn-strong-crypto", ACME, UP, "the second tunnel also offers IKEv1")
def vpn_offers_ikev1(v: Variant) -> None:
    v.set(v.find(VPN, "vpn-dc-santiago"), "tunnel2IkeVersions", ["ikev1", "ikev2"])


@capture("vpn-strong-crypto", GLOBEX, PREVIEW, "dc-lima's first tunnel leaves its phase 2 DH groups to AWS")
def vpn_default_dh_groups(v: Variant) -> None:
    v.delete(v.find(VPN, "vpn-dc-lima"), "tunnel1Phase2DhGroupNumbers")


# Load balancer ---------------------------------------------------------------------------------------------


@capture("alb-tls-listeners", ACME, PREVIEW, "the HTTPS listener accepts TLS 1.0 (ELBSecurityPolicy-2016-08)")
def https_listener_old_tls(v: Variant) -> None:
    v.set(v.find(LISTENER, "platform-https"), "sslPolicy", "ELBSecurityPolicy-2016-08")


@capture("alb-tls-listeners", ACME, UP, "the HTTP listener forwards to a service instead of redirecting")
def http_listener_forwards(v: Variant) -> None:
    group = v.find("aws:lb/targetGroup:TargetGroup", "platform-payments-api-tg")
    v.set(v.find(LISTENER, "platform-http-redirect"), "defaultActions",
          [{"type": "forward", "targetGroupArn": group.outputs["arn"]}])


@capture("alb-access-logs", ACME, PREVIEW, "the load balancer's access logs are disabled")
def alb_access_logs_disabled(v: Variant) -> None:
    v.edit(v.find(LOAD_BALANCER, "platform-alb"), lambda p: p["accessLogs"].update(enabled=False))


@capture("alb-access-logs", ACME, UP, "the DR load balancer declares no access logs")
def dr_alb_without_access_logs(v: Variant) -> None:
    v.delete(v.find(LOAD_BALANCER, "dr-platform-alb"), "accessLogs")


# Containers ------------------------------------------------------------------------------------------------


@capture("ecs-task-no-privileged", ACME, PREVIEW, "the payments-api container runs privileged")
def privileged_container(v: Variant) -> None:
    _containers(v, "platform-payments-api-task-definition", lambda c: c.update(privileged=True))


@capture("ecs-task-no-privileged", ACME, UP, "the accounts-api container adds CAP_SYS_ADMIN")
def container_adds_sys_admin(v: Variant) -> None:
    _containers(v, "platform-accounts-api-task-definition",
                lambda c: c.update(linuxParameters={"capabilities": {"add": ["CAP_SYS_ADMIN"]}}))


@capture("ecs-task-no-privileged", ACME, UP, "the notifications-worker task uses host networking")
def task_host_network(v: Variant) -> None:
    v.set(v.find(TASK_DEFINITION, "platform-notifications-worker-task-definition"), "networkMode", "host")


@capture("ecs-no-plaintext-secrets", ACME, PREVIEW, "a password is passed as a plain environment variable")
def password_in_environment(v: Variant) -> None:
    _containers(v, "platform-payments-api-task-definition",
                lambda c: c["environment"].append({"name": "LEDGER_DB_PASSWORD", "value": "hunter2-but-longer"}))


@capture("ecs-no-plaintext-secrets", ACME, UP, "a secret is read from another account's Secrets Manager")
def secret_from_foreign_account(v: Variant) -> None:
    _containers(v, "platform-payments-api-task-definition", lambda c: c["secrets"][0].update(
        valueFrom=f"arn:aws:secretsmanager:us-east-1:{FOREIGN_ACCOUNT}:secret:shared/payments-db"))


@capture("ecs-container-logging", ACME, PREVIEW, "the accounts-api container has no log configuration")
def container_without_logs(v: Variant) -> None:
    _containers(v, "platform-accounts-api-task-definition", lambda c: c.pop("logConfiguration"))


@capture("ecs-container-logging", ACME, UP, "the DR payments-api container logs to the json-file driver")
def container_logs_to_json_file(v: Variant) -> None:
    _containers(v, "dr-platform-payments-api-task-definition",
                lambda c: c.update(logConfiguration={"logDriver": "json-file"}))


@capture("ecs-service-autoscaling", ACME, PREVIEW, "payments-api scales down to 1 task in production")
def scaling_floor_one(v: Variant) -> None:
    v.set(v.find("aws:appautoscaling/target:Target", "platform-payments-api-scaling"), "minCapacity", 1)


@capture("ecs-service-autoscaling", ACME, UP, "accounts-api has a scalable target but no scaling policy")
def service_without_scaling_policy(v: Variant) -> None:
    for suffix in ("cpu", "requests"):
        v.drop(v.find("aws:appautoscaling/policy:Policy", f"platform-accounts-api-scale-on-{suffix}"))


@capture("ecs-service-autoscaling", ACME, PREVIEW, "the DR standby's payments-api target has no scaling policy "
         "(failover could raise the floor, nothing would scale it)")
def standby_without_scaling_policy(v: Variant) -> None:
    for suffix in ("cpu", "requests"):
        v.drop(v.find("aws:appautoscaling/policy:Policy", f"dr-platform-payments-api-scale-on-{suffix}"))


@capture("ecs-service-autoscaling", ACME, UP, "the DR notifications-worker has no scalable target at all")
def standby_without_target(v: Variant) -> None:
    for suffix in ("cpu", "requests"):
        v.drop(v.find("aws:appautoscaling/policy:Policy", f"dr-platform-notifications-worker-scale-on-{suffix}"))
    v.drop(v.find("aws:appautoscaling/target:Target", "dr-platform-notifications-worker-scaling"))


# Keys, logs, backups, DR -----------------------------------------------------------------------------------


@capture("kms-key-rotation", ACME, PREVIEW, "the environment key does not rotate")
def key_without_rotation(v: Variant) -> None:
    v.set(v.find("aws:kms/key:Key", "environment-key"), "enableKeyRotation", False)


@capture("kms-key-rotation", ACCOUNT, PREVIEW, "the registry key omits enableKeyRotation (AWS default: off)")
def account_key_rotation_absent(v: Variant) -> None:
    v.delete(v.find("aws:kms/key:Key", "account-key"), "enableKeyRotation")


@stack_file("log-group-encrypted-retained", ACME, PREVIEW, "stack file: flow logs kept 30 days")
def flow_logs_kept_30_days(config: dict[str, Any]) -> None:
    config["connect:network"]["flowLogs"]["retentionDays"] = 30


@capture("log-group-encrypted-retained", ACME, UP, "a service log group is not KMS-encrypted")
def service_log_group_unencrypted(v: Variant) -> None:
    v.delete(v.find(LOG_GROUP, "platform-payments-api-logs"), "kmsKeyId")


@capture("backup-cross-region-copy", ACME, UP, "the daily-snapshots rule copies nothing")
def backup_rule_without_copy(v: Variant) -> None:
    v.edit(v.find("aws:backup/plan:Plan", "dr-plan"), lambda p: p["rules"][1].pop("copyActions"))


@capture("backup-cross-region-copy", ACME, PREVIEW, "copies go to the primary vault (same region), not the DR one")
def backup_copies_to_primary_vault(v: Variant) -> None:
    plan = v.find("aws:backup/plan:Plan", "dr-plan")
    v.depend(plan, "rules", v.find("aws:backup/vault:Vault", "dr-vault-primary"))


@capture("backup-plan-baseline", ACME, PREVIEW, "the backup plan selects nothing (no Selection)")
def backup_plan_without_selection(v: Variant) -> None:
    v.drop(v.find("aws:backup/selection:Selection", "dr-selection"))


@stack_file("backup-plan-baseline", ACME, PREVIEW, "stack file: recovery points kept 7 days")
def backups_kept_7_days(config: dict[str, Any]) -> None:
    config["connect:dr"]["backup"]["retentionDays"] = 7


@capture("backup-plan-baseline", ACME, UP, "the snapshot rule runs weekly and continuous backup is off")
def weekly_backups(v: Variant) -> None:
    def weekly(props: dict[str, Any]) -> None:
        for rule in props["rules"]:
            rule.pop("enableContinuousBackup", None)
            rule["schedule"] = "cron(0 5 ? * SUN *)"
    v.edit(v.find("aws:backup/plan:Plan", "dr-plan"), weekly)


@capture("backup-vault-encrypted-locked", ACME, PREVIEW, "the primary vault has no vault lock (production)")
def vault_without_lock(v: Variant) -> None:
    v.drop(v.find("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "dr-vault-primary-lock"))


@capture("backup-vault-encrypted-locked", ACME, UP, "the DR vault uses the AWS managed backup key")
def vault_with_aws_managed_key(v: Variant) -> None:
    vault = v.find("aws:backup/vault:Vault", "dr-vault-dr")
    v.set(vault, "kmsKeyArn", "arn:aws:kms:us-west-2:111111111111:alias/aws/backup")
    v.depend(vault, "kmsKeyArn")


@capture("data-store-encrypted", ACME, UP, "the ledger database is not storage-encrypted")
def database_unencrypted(v: Variant) -> None:
    v.set(v.find("aws:rds/cluster:Cluster", "data-ledger"), "storageEncrypted", False)


@capture("data-store-encrypted", ACME, PREVIEW, "the documents bucket falls back to SSE-S3 (AES256)")
def bucket_sse_s3(v: Variant) -> None:
    sse = v.find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                 "data-documents-encryption")
    v.set(sse, "rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])
    v.depend(sse, "rules")


@capture("data-store-encrypted", GLOBEX, PREVIEW, "the report-files file system is not encrypted")
def file_system_unencrypted(v: Variant) -> None:
    fs = v.find("aws:efs/fileSystem:FileSystem", "data-report-files")
    v.set(fs, "encrypted", False)
    v.delete(fs, "kmsKeyId")


@capture("data-store-no-public-access", ACME, PREVIEW, "the access-logs bucket does not restrict public buckets")
def access_logs_bucket_public(v: Variant) -> None:
    block = v.find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "platform-access-logs-public-access-block")
    v.set(block, "restrictPublicBuckets", False)


@capture("data-store-no-public-access", ACME, UP, "a database instance is publicly accessible")
def database_instance_public(v: Variant) -> None:
    v.set(v.find("aws:rds/clusterInstance:ClusterInstance", "data-ledger-instance-2"), "publiclyAccessible", True)


@capture("data-store-no-public-access", ACME, UP, "the DR documents bucket has no public access block")
def dr_bucket_without_public_access_block(v: Variant) -> None:
    v.drop(v.find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                  "data-documents-dr-public-access-block"))


@capture("data-store-tls-only", ACME, UP, "the documents bucket policy loses its TLS-only statement")
def bucket_policy_without_tls(v: Variant) -> None:
    v.edit_json(v.find(BUCKET_POLICY, "data-documents-policy"), "policy",
                lambda doc: doc.update(Statement=[s for s in doc["Statement"] if s.get("Sid") != "TlsOnly"]))


@capture("data-store-tls-only", ACME, PREVIEW, "the access-logs bucket has no bucket policy")
def access_logs_bucket_without_policy(v: Variant) -> None:
    v.drop(v.find(BUCKET_POLICY, "platform-access-logs-policy"))


@capture("data-store-dr-replication", ACME, PREVIEW, "the documents bucket is not replicated")
def bucket_not_replicated(v: Variant) -> None:
    v.drop(v.find("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-documents-replication-config"))


@capture("data-store-dr-replication", ACME, UP, "the backup selection no longer matches the database's tag")
def database_not_selected(v: Variant) -> None:
    v.set(v.find("aws:backup/selection:Selection", "dr-selection"), "selectionTags",
          [{"type": "STRINGEQUALS", "key": "connect:backup", "value": "weekly"}])


@capture("data-store-dr-replication", GLOBEX, PREVIEW, "the report-files file system is not replicated")
def file_system_not_replicated(v: Variant) -> None:
    v.drop(v.find("aws:efs/replicationConfiguration:ReplicationConfiguration", "data-report-files-replication"))


@capture("dr-region-self-contained", GLOBEX, UP, "the standby's billing-api reads its secret in the primary region")
def standby_reads_the_primary_region(v: Variant) -> None:
    _containers(v, "dr-platform-billing-api-task-definition", lambda c: c["secrets"][0].update(
        valueFrom="arn:aws:secretsmanager:eu-west-1:222222222222:secret:globex/orders-db-Lq93Ts"))


@capture("dr-region-self-contained", ACME, PREVIEW, "the standby's cluster logs to the primary region's key")
def standby_uses_the_primary_key(v: Variant) -> None:
    primary_key = v.find("aws:kms/key:Key", "environment-key")
    cluster = v.find("aws:ecs/cluster:Cluster", "dr-platform-cluster")
    cluster.property_dependencies = {**cluster.property_dependencies, "configuration": [primary_key.urn]}


@stack_file("dr-reachable", ACME, PREVIEW, "stack file: connect:dr.vpn false (dc-santiago ends in us-east-1 only)")
def standby_without_vpn(config: dict[str, Any]) -> None:
    config["connect:dr"]["vpn"] = False


@capture("dr-reachable", GLOBEX, UP, "orders-api's name loses its SECONDARY record (no failover to the standby)")
def name_without_secondary(v: Variant) -> None:
    v.drop(v.find(RECORD, "dns-orders-api-dr"))


@capture("dr-reachable", ACME, UP, "payments-api's PRIMARY record is checked by an HTTPS probe of a private address")
def name_probed_from_the_internet(v: Variant) -> None:
    record = v.find(RECORD, "dns-payments-api-primary")
    check = v.by_urn(record.property_dependencies["healthCheckId"][0])
    v.edit(check, lambda props: props.update(type="HTTPS", ipAddress="10.40.0.10", port=443, resourcePath="/health"))


@capture("decommission-keeps-recovery-points", ACME, UP, "wound down by hand (services, clusters and NAT gateways "
         "dropped) with the primary backup vault unprotected")
def wound_down_with_unprotected_vault(v: Variant) -> None:
    for type_ in ("aws:appautoscaling/policy:Policy", "aws:appautoscaling/target:Target", "aws:ecs/service:Service",
                  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "aws:ecs/cluster:Cluster",
                  "aws:ec2/natGateway:NatGateway"):
        for resource in v.of_type(type_):
            v.drop(resource)
    v.find("aws:backup/vault:Vault", "dr-vault-primary").protect = False


@capture("data-access-recorded", ACME, PREVIEW, "the documents bucket's DR copy logs no object access")
def dr_copy_access_not_logged(v: Variant) -> None:
    v.drop(v.find("aws:s3/bucketLogging:BucketLogging", "data-documents-dr-access-logging"))


@capture("database-audit-logging", GLOBEX, UP, "the orders-db parameter group no longer loads pgaudit")
def orders_db_without_pgaudit(v: Variant) -> None:
    group = v.find("aws:rds/clusterParameterGroup:ClusterParameterGroup", "data-orders-db-parameters")
    v.edit(group, lambda props: props.update(parameters=[
        p for p in props["parameters"] if p["name"] != "shared_preload_libraries"]))


# Identity and data safety ----------------------------------------------------------------------------------


@capture("iam-no-privilege-escalation", ACCOUNT, UP, "the deployer may write any role's policies, boundary or not")
def deployer_role_changes_unbounded(v: Variant) -> None:
    def unbound(doc: Any) -> None:
        for statement in doc["Statement"]:
            if statement.get("Sid") == "RolesOnlyWithTheWorkloadBoundary":
                del statement["Condition"]
    for policy in v.of_type("aws:iam/policy:Policy"):
        if policy.name.startswith("access-deployer-policy-") and \
                "RolesOnlyWithTheWorkloadBoundary" in policy.inputs["policy"]:
            v.edit_json(policy, "policy", unbound)


@capture("iam-no-privilege-escalation", ACCOUNT, PREVIEW, "the operator may pass connect-breakglass to AWS Backup")
def operator_passes_breakglass(v: Variant) -> None:
    v.edit_json(v.find("aws:iam/rolePolicy:RolePolicy", "access-sre-operator-day-to-day-operations"), "policy",
                lambda doc: doc.update(Statement=[s for s in doc["Statement"]
                                                  if s.get("Sid") != "NoPassingTheAccessRoles"]))


@capture("iam-no-privilege-escalation", ACCOUNT, UP, "connect-deployer gets AdministratorAccess")
def deployer_gets_administrator_access(v: Variant) -> None:
    exclusive = v.find("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                       "access-deployer-managed-policies")
    v.set(exclusive, "policyArns", [*exclusive.inputs["policyArns"], "arn:aws:iam::aws:policy/AdministratorAccess"])


@capture("iam-no-wildcard-admin", ACME, UP, "the backup role gets AdministratorAccess")
def backup_role_admin(v: Variant) -> None:
    attachment = v.find("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                        "dr-backup-role-AWSBackupServiceRolePolicyForRestores")
    v.set(attachment, "policyArn", "arn:aws:iam::aws:policy/AdministratorAccess")


@capture("iam-no-wildcard-admin", ACME, PREVIEW, "the payments-api task policy allows * on *")
def task_policy_star(v: Variant) -> None:
    v.edit_json(v.find("aws:iam/rolePolicy:RolePolicy", "platform-payments-api-task-policy"), "policy",
                _statement({"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}))


@capture("iam-trust-tenant-scoped", ACME, PREVIEW, "the payments-api task role trusts a public identity provider")
def role_trusts_public_idp(v: Variant) -> None:
    v.edit_json(v.find(ROLE, "platform-payments-api-task"), "assumeRolePolicy", _statement({
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }))


@capture("iam-trust-tenant-scoped", ACME, UP, "the backup role trusts another account's root")
def role_trusts_foreign_account(v: Variant) -> None:
    v.edit_json(v.find(ROLE, "dr-backup-role"), "assumeRolePolicy", _statement({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"}, "Action": "sts:AssumeRole",
    }))


@capture("stateful-resources-protected", ACME, PREVIEW, "an egress EIP is not protected")
def eip_unprotected(v: Variant) -> None:
    v.find(EIP, "network-egress-ip-us-east-1a").protect = False


@capture("stateful-resources-protected", ACME, UP, "the environment KMS key is not protected")
def key_unprotected(v: Variant) -> None:
    v.find("aws:kms/key:Key", "environment-key").protect = False


@capture("stateful-resources-protected", ACCOUNT, PREVIEW, "an ECR repository is not protected")
def repository_unprotected(v: Variant) -> None:
    v.find(REPOSITORY, "registry-accounts-api").protect = False


@capture("stateful-resources-protected", GLOBEX, PREVIEW, "the report-files file system is not protected")
def file_system_unprotected(v: Variant) -> None:
    v.find("aws:efs/fileSystem:FileSystem", "data-report-files").protect = False


# The outside reader's misconfigurations (issue #20) --------------------------------------------------------
# Each is one of the 12 that passed the pack before; each must now be killed on the real plans.


@capture("fargate-only", ACME, UP, "payments-api runs on the EC2 launch type")
def service_on_ec2_launch_type(v: Variant) -> None:
    v.set(v.find(SERVICE, "platform-payments-api-service"), "launchType", "EC2")


@capture("fargate-only", ACME, PREVIEW, "a debug EC2 instance in an app subnet (no public IP)")
def debug_instance(v: Variant) -> None:
    subnet = v.find(SUBNET, "network-app-us-east-1a")
    v.add(subnet, "aws:ec2/instance:Instance", "network-debug-box",
          {"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro", "subnetId": _id(subnet),
           "tags": _tags(subnet)}, deps={"subnetId": [subnet]})


@capture("fargate-only", GLOBEX, UP, "the cluster gets an EC2 capacity provider")
def cluster_with_ec2_capacity(v: Variant) -> None:
    providers = v.find("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "platform-capacity-providers")
    ec2 = v.add(providers, "aws:ecs/capacityProvider:CapacityProvider", "platform-ec2",
                {"name": "globex-prod-ec2", "autoScalingGroupProvider": {
                    "autoScalingGroupArn": "arn:aws:autoscaling:eu-west-1:222222222222:autoScalingGroup:x:"
                                           "autoScalingGroupName/globex-prod-ec2"}})
    v.set(providers, "capacityProviders", [*providers.inputs["capacityProviders"], "globex-prod-ec2"])
    v.depend(providers, "capacityProviders", ec2)


@capture("data-store-egress-contained", ACME, PREVIEW, "the ledger's security group may open connections to the "
         "whole internet")
def ledger_egress_to_world(v: Variant) -> None:
    group = v.find("aws:ec2/securityGroup:SecurityGroup", "data-ledger-sg")
    v.add(group, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "data-ledger-egress",
          {"securityGroupId": _id(group), "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0", "tags": _tags(group)},
          deps={"securityGroupId": [group]})


@capture("data-store-egress-contained", GLOBEX, UP, "the report-files group loses its tier tag and gets ::/0 egress")
def report_files_egress_untagged(v: Variant) -> None:
    group = v.find("aws:ec2/securityGroup:SecurityGroup", "data-report-files-sg")
    v.set(group, "tags", {k: t for k, t in _tags(group).items() if k != "connect:tier"})
    group.outputs["tagsAll"] = dict(group.outputs["tags"])
    v.set(group, "egress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}])


@capture("no-cross-tenant-sharing", ACME, PREVIEW, "a KMS grant lets another account's role use the environment key")
def key_granted_to_foreign_role(v: Variant) -> None:
    key = v.find("aws:kms/key:Key", "environment-key")
    v.add(key, "aws:kms/grant:Grant", "environment-key-partner",
          {"keyId": _id(key), "granteePrincipal": f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/partner",
           "operations": ["Decrypt"]}, deps={"keyId": [key]})


@capture("no-cross-tenant-sharing", ACME, UP, "the backup plan also copies to a vault of another account")
def backup_copied_to_foreign_vault(v: Variant) -> None:
    foreign = {"destinationVaultArn": f"arn:aws:backup:us-west-2:{FOREIGN_ACCOUNT}:backup-vault:central",
               "lifecycle": {"deleteAfter": 35}}
    v.edit(v.find("aws:backup/plan:Plan", "dr-plan"), lambda p: p["rules"][0]["copyActions"].append(foreign))


@capture("no-cross-tenant-sharing", ACME, PREVIEW, "the VPC attaches to another account's transit gateway hub")
def vpc_on_foreign_transit_gateway(v: Variant) -> None:
    vpc = v.find("aws:ec2/vpc:Vpc", "network-vpc")
    subnet = v.find(SUBNET, "network-app-us-east-1a")
    v.add(vpc, "aws:ec2transitgateway/vpcAttachment:VpcAttachment", "network-hub",
          {"transitGatewayId": "tgw-0a1b2c3d4e5f67890", "vpcId": _id(vpc), "subnetIds": [_id(subnet)],
           "tags": _tags(vpc)}, deps={"vpcId": [vpc], "subnetIds": [subnet]})


@capture("no-cross-tenant-sharing", GLOBEX, UP, "a snapshot of the orders database is shared with another account")
def database_snapshot_shared(v: Variant) -> None:
    cluster = v.find("aws:rds/cluster:Cluster", "data-orders-db")
    v.add(cluster, "aws:rds/clusterSnapshot:ClusterSnapshot", "data-orders-db-export",
          {"dbClusterIdentifier": cluster.outputs.get("id", UNKNOWN), "dbClusterSnapshotIdentifier": "export-1",
           "sharedAccounts": [FOREIGN_ACCOUNT], "tags": _tags(cluster)}, deps={"dbClusterIdentifier": [cluster]})


@capture("data-store-dr-replication", ACME, PREVIEW, "the documents bucket loses its backup tag (no backup selects it)")
def documents_bucket_untagged(v: Variant) -> None:
    bucket = v.find("aws:s3/bucket:Bucket", "data-documents")
    v.set(bucket, "tags", {k: t for k, t in _tags(bucket).items() if k != "connect:backup"})
    bucket.outputs.pop("tagsAll", None)


@capture("data-store-dr-replication", GLOBEX, UP, "the report-files file system loses its backup tag")
def file_system_untagged(v: Variant) -> None:
    fs = v.find("aws:efs/fileSystem:FileSystem", "data-report-files")
    v.set(fs, "tags", {k: t for k, t in _tags(fs).items() if k != "connect:backup"})
    fs.outputs["tagsAll"] = dict(fs.outputs["tags"])


@capture("data-store-encrypted", ACME, UP, "a plain RDS instance (not Aurora) without encryption")
def rds_instance_unencrypted(v: Variant) -> None:
    cluster = v.find("aws:rds/cluster:Cluster", "data-ledger")
    v.add(cluster, "aws:rds/instance:Instance", "data-reports",
          {"engine": "postgres", "instanceClass": "db.t4g.micro", "allocatedStorage": 20, "username": "connect",
           "manageMasterUserPassword": True, "storageEncrypted": False, "tags": _tags(cluster)}, protect=True)


@capture("data-store-encrypted", GLOBEX, PREVIEW, "the invoices bucket, its backup tag dropped, falls back to SSE-S3")
def untagged_bucket_sse_s3(v: Variant) -> None:
    bucket = v.find("aws:s3/bucket:Bucket", "data-invoices")
    v.set(bucket, "tags", {k: t for k, t in _tags(bucket).items() if k != "connect:backup"})
    sse = v.find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                 "data-invoices-encryption")
    v.set(sse, "rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])
    v.depend(sse, "rules")


@capture("private-egress-via-nat", ACME, PREVIEW, "an app route table sends ::/0 to an egress-only gateway")
def app_ipv6_to_egress_only_gateway(v: Variant) -> None:
    vpc, table = v.find("aws:ec2/vpc:Vpc", "network-vpc"), v.find("aws:ec2/routeTable:RouteTable",
                                                                  "network-app-rt-us-east-1b")
    eigw = v.add(vpc, "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "network-eigw",
                 {"vpcId": _id(vpc), "tags": _tags(vpc)}, deps={"vpcId": [vpc]})
    v.add(table, ROUTE, "network-app-v6-us-east-1b",
          {"routeTableId": _id(table), "destinationIpv6CidrBlock": "::/0", "egressOnlyGatewayId": _id(eigw)},
          deps={"routeTableId": [table], "egressOnlyGatewayId": [eigw]})


@capture("private-egress-via-nat", ACME, UP, "the app security group also allows egress to ::/0")
def app_sg_egress_v6(v: Variant) -> None:
    rule = v.find("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "network-sg-app-egress")
    v.add(rule, rule.type, "network-sg-app-egress-v6",
          {**{k: val for k, val in rule.inputs.items() if k != "cidrIpv4"}, "cidrIpv6": "::/0"},
          deps={"securityGroupId": [v.by_urn(rule.property_dependencies["securityGroupId"][0])]})


@capture("private-subnets-only", ACME, PREVIEW, "an app subnet assigns IPv6 addresses on creation")
def app_subnet_assigns_ipv6(v: Variant) -> None:
    subnet = v.find(SUBNET, "network-app-us-east-1c")
    v.set(subnet, "assignIpv6AddressOnCreation", True)
    v.set(subnet, "ipv6CidrBlock", "2600:1f18:1234:5600::/64")


@capture("private-subnets-only", ACME, UP, "a Lambda function sits in the ingress subnets")
def function_in_ingress_subnets(v: Variant) -> None:
    subnet, group = v.find(SUBNET, "network-ingress-us-east-1a"), v.find("aws:ec2/securityGroup:SecurityGroup",
                                                                        "network-sg-app")
    v.add(subnet, "aws:lambda/function:Function", "network-resizer",
          {"role": "arn:aws:iam::111111111111:role/resizer", "runtime": "python3.12", "handler": "app.handler",
           "s3Bucket": "acme-prod-code", "s3Key": "resizer.zip", "tags": _tags(subnet),
           "vpcConfig": {"subnetIds": [_id(subnet)], "securityGroupIds": [_id(group)]}},
          deps={"vpcConfig": [subnet, group]})


@capture("ecs-service-autoscaling", ACME, UP, "a scheduled action sets payments-api to 0 tasks every night")
def nightly_scale_to_zero(v: Variant) -> None:
    target = v.find("aws:appautoscaling/target:Target", "platform-payments-api-scaling")
    v.add(target, "aws:appautoscaling/scheduledAction:ScheduledAction", "platform-payments-api-night",
          {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
           "resourceId": target.outputs.get("resourceId", UNKNOWN), "schedule": "cron(0 22 * * ? *)",
           "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}},
          deps={"resourceId": [target], "scalableDimension": [target], "serviceNamespace": [target]})


@capture("iam-no-wildcard-admin", ACME, PREVIEW, "a task role may do everything but IAM (NotAction on *)")
def task_policy_not_action(v: Variant) -> None:
    v.edit_json(v.find("aws:iam/rolePolicy:RolePolicy", "platform-payments-api-task-policy"), "policy", _statement({
        "Sid": "AlmostEverything", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}))


@capture("ecs-no-plaintext-secrets", ACME, UP, "the ledger URL, password included, is a plain environment variable")
def database_url_with_password(v: Variant) -> None:
    _containers(v, "platform-payments-api-task-definition", lambda c: c["environment"].append(
        {"name": "LEDGER_URL", "value": "postgres://payments_api:s3cr3t-pw@acme-prod-ledger.internal:5432/ledger"}))


# The adversarial corpus' last misses (issue #20: recall >= 98%) ---------------------------------------------
# Each extension of a rule (or new rule) that closed one is killed here on another resource or stack.


@capture("ecs-task-no-privileged", ACME, UP, "the DR payments-api container adds SYS_PTRACE (Fargate allows it)")
def dr_container_adds_ptrace(v: Variant) -> None:
    _containers(v, "dr-platform-payments-api-task-definition",
                lambda c: c.update(linuxParameters={"capabilities": {"add": ["SYS_PTRACE"]}}))


@capture("ecs-images-from-tenant-registry", ACME, PREVIEW, "payments-api runs nginx:latest from Docker Hub")
def image_from_docker_hub(v: Variant) -> None:
    _containers(v, "platform-payments-api-task-definition", lambda c: c.update(image="nginx:latest"))


@capture("ecs-images-from-tenant-registry", GLOBEX, UP, "the standby's billing-api pulls from another account's ECR")
def image_from_foreign_registry(v: Variant) -> None:
    _containers(v, "dr-platform-billing-api-task-definition", lambda c: c.update(
        image=f"{FOREIGN_ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/billing-api:4.0.3"))


@capture("ecs-images-from-tenant-registry", ACME, UP, "accounts-api's image is no longer pinned (no tag: latest)")
def image_not_pinned(v: Variant) -> None:
    _containers(v, "platform-accounts-api-task-definition",
                lambda c: c.update(image=c["image"].split("@")[0].split(":")[0]))


@capture("audit-trail-integrity", ACCOUNT, PREVIEW, "the audit trail no longer validates its log files")
def trail_without_validation(v: Variant) -> None:
    v.set(v.find("aws:cloudtrail/trail:Trail", "audit-trail"), "enableLogFileValidation", False)


@capture("audit-trail-integrity", ACCOUNT, UP, "the audit trail records the home region only")
def trail_single_region(v: Variant) -> None:
    v.set(v.find("aws:cloudtrail/trail:Trail", "audit-trail"), "isMultiRegionTrail", False)


@capture("audit-trail-integrity", ACCOUNT, UP, "the audit trail's log files lose their KMS key")
def trail_without_key(v: Variant) -> None:
    v.delete(v.find("aws:cloudtrail/trail:Trail", "audit-trail"), "kmsKeyId")


@capture("iam-trust-tenant-scoped", ACCOUNT, UP, "connect-deployer trusts GitHub Actions of any repository (repo:*)")
def deployer_trusts_any_repository(v: Variant) -> None:
    github = "token.actions.githubusercontent.com"
    v.edit_json(v.find(ROLE, "access-deployer"), "assumeRolePolicy", _statement({
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{github}"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {f"{github}:sub": "repo:*"}}}))


@capture("iam-no-privilege-escalation", GLOBEX, PREVIEW, "the backup role's boundary becomes AdministratorAccess")
def backup_role_boundless(v: Variant) -> None:
    v.set(v.find(ROLE, "dr-backup-role"), "permissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess")


@capture("iam-no-privilege-escalation", ACME, UP, "the flow-log role loses its permissions boundary")
def flow_log_role_without_boundary(v: Variant) -> None:
    v.delete(v.find(ROLE, "network-flow-logs-role"), "permissionsBoundary")


@capture("iam-workload-least-privilege", ACME, PREVIEW, "an execution role reads every secret of the account")
def execution_role_reads_every_secret(v: Variant) -> None:
    v.edit_json(v.find("aws:iam/rolePolicy:RolePolicy", "platform-accounts-api-execution-policy"), "policy",
                _statement({"Sid": "AnySecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                            "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceAccount": "111111111111"}}}))


@capture("iam-workload-least-privilege", GLOBEX, UP, "the invoices replication role may do anything to any bucket")
def replication_role_any_bucket(v: Variant) -> None:
    v.edit_json(v.find("aws:iam/rolePolicy:RolePolicy", "data-invoices-replication-policy"), "policy",
                _statement({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}))


@capture("iam-workload-least-privilege", ACME, UP, "the backup role gets AmazonS3FullAccess")
def backup_role_s3_full_access(v: Variant) -> None:
    v.set(v.find("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                 "dr-backup-role-AWSBackupServiceRolePolicyForRestores"), "policyArn",
          "arn:aws:iam::aws:policy/AmazonS3FullAccess")


@capture("stateful-resources-protected", ACME, PREVIEW, "the ledger database can be deleted (deletionProtection off)")
def ledger_deletable(v: Variant) -> None:
    v.set(v.find("aws:rds/cluster:Cluster", "data-ledger"), "deletionProtection", False)


@capture("stateful-resources-protected", GLOBEX, UP, "the orders database is deleted without a final snapshot")
def orders_db_without_final_snapshot(v: Variant) -> None:
    v.set(v.find("aws:rds/cluster:Cluster", "data-orders-db"), "skipFinalSnapshot", True)


@capture("data-store-dr-replication", GLOBEX, PREVIEW, "a lifecycle rule expires the invoices' old versions after a "
         "week")
def invoices_versions_expire(v: Variant) -> None:
    bucket = v.find("aws:s3/bucket:Bucket", "data-invoices")
    v.add(bucket, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "data-invoices-lifecycle",
          {"bucket": _id(bucket), "rules": [{"id": "trim", "status": "Enabled", "filter": {"prefix": ""},
                                             "noncurrentVersionExpiration": {"noncurrentDays": 7}}]},
          deps={"bucket": [bucket]})


@capture("data-store-no-public-access", ACME, PREVIEW, "the documents bucket is served as a static website")
def documents_bucket_website(v: Variant) -> None:
    v.set(v.find("aws:s3/bucket:Bucket", "data-documents"), "website", {"indexDocument": "index.html"})


MANDATORY_RULES = [rule.id for rule in RULES if rule.level == "mandatory"]
