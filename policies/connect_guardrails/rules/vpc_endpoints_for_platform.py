"""vpc-endpoints-for-platform: VPCs that run services reach ECR, CloudWatch Logs and S3 privately.

A VPC runs services when an `aws:ecs/service:Service` or a load balancer attaches to one of its subnets
(attachment -> subnet -> `vpcId`, all through property dependencies). Such a VPC needs
`aws:ec2/vpcEndpoint:VpcEndpoint` resources whose `vpcId` it fed, with `serviceName`
`com.amazonaws.<region>.<service>`:

- `Interface` endpoints for `ecr.api`, `ecr.dkr` and `logs`, with `privateDnsEnabled` true (without
  private DNS the tasks still resolve the public service names and leave through the NAT gateway);
- a `Gateway` endpoint for `s3` (`vpcEndpointType` absent means Gateway), where ECR keeps image layers.

When the endpoint's region and the VPC provider's region are both known they must agree. Unknown
values count as set for `privateDnsEnabled`; an unknown service name or type is noted only when it
decides the outcome.
"""

from __future__ import annotations

import re

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Deciding, Pending, get_raw, is_unknown
from connect_guardrails.util import attached_subnets, depends_on, deps_of_type, of_type, provider_region

ECS_SERVICE = "aws:ecs/service:Service"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
VPC_TYPES = ("aws:ec2/vpc:Vpc", "aws:ec2/defaultVpc:DefaultVpc")
REQUIRED = (("ecr.api", "Interface"), ("ecr.dkr", "Interface"), ("logs", "Interface"), ("s3", "Gateway"))
SERVICE_NAME = re.compile(r"^com\.amazonaws\.([a-z0-9-]+)\.(.+)$")


def _service_vpcs(resources: list[PolicyResource]) -> dict[str, PolicyResource]:
    """VPCs holding an ECS service or load balancer, by URN."""
    found: dict[str, PolicyResource] = {}
    for resource in of_type(resources, ECS_SERVICE, *LOAD_BALANCERS):
        for subnet in attached_subnets(resource):
            for vpc in deps_of_type(subnet, "vpcId", *VPC_TYPES):
                found.setdefault(vpc.urn, vpc)
    return found


def _provides(endpoint: PolicyResource, region: str | None) -> tuple[set[tuple[str, str]], Deciding]:
    """The (service, type) pairs an endpoint provides, and the unknown reads that could add one."""
    name = get_raw(endpoint.props, "serviceName")
    kind = get_raw(endpoint.props, "vpcEndpointType") or "Gateway"
    if is_unknown(name):
        return set(), [(endpoint.props, ("serviceName",))]
    if is_unknown(kind):
        return set(), [(endpoint.props, ("vpcEndpointType",))]
    match = SERVICE_NAME.match(name) if isinstance(name, str) else None
    if not match or (region and match.group(1) != region):
        return set(), []
    if kind == "Interface" and get_raw(endpoint.props, "privateDnsEnabled") in (None, False):
        return set(), []
    return {(match.group(2), kind)}, []


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per VPC running services: interface endpoints ecr.api, ecr.dkr, logs (private DNS) and an s3 gateway."""
    pending = Pending()
    resources = list(args.resources)
    endpoints = list(of_type(resources, ENDPOINT))
    for vpc in _service_vpcs(resources).values():
        region = provider_region(vpc.provider)
        provided: set[tuple[str, str]] = set()
        unknowns: Deciding = []
        for endpoint in endpoints:
            if depends_on(endpoint, "vpcId", vpc):
                found, undecided = _provides(endpoint, region)
                provided |= found
                unknowns += undecided
        missing = [f"{kind.lower()} {service}" for service, kind in REQUIRED if (service, kind) not in provided]
        if not missing:
            continue
        if unknowns:
            pending.add_all(unknowns)
            continue
        report_violation(
            f"VPC '{vpc.name}' runs ECS services or load balancers but lacks VPC endpoints: {', '.join(missing)}; "
            f"add aws.ec2.VpcEndpoint resources (interface endpoints with private_dns_enabled=True in the app "
            f"subnets, the s3 gateway endpoint on the app route tables)",
            vpc.urn,
        )
    pending.settle()


RULE = Rule(
    id="vpc-endpoints-for-platform", level="advisory", severity="low", check=check,
    description="VPCs running services have ECR api/dkr and Logs interface endpoints and an S3 gateway endpoint.",
    anchors=("FSBP EC2.55-57",), iso27001=("A.8.20", "A.8.21"), ccm=("IVS-03",),
    remediation=(
        "In each VPC with ECS services or load balancers, add interface endpoints (private_dns_enabled=True, app "
        "subnets) for com.amazonaws.<region>.ecr.api, .ecr.dkr and .logs, and a Gateway endpoint for "
        "com.amazonaws.<region>.s3 associated with the app route tables."
    ),
)
