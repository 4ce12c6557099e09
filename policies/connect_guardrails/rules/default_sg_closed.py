"""default-sg-closed: each VPC's default security group is managed, with no rules.

The default group is managed by an `aws:ec2/defaultSecurityGroup:DefaultSecurityGroup` whose `vpcId`
the VPC fed (property dependency). Its `ingress` and `egress` are empty or absent (the provider then
removes every rule), and no separate rule resource (`SecurityGroupIngressRule`/`EgressRule`,
`SecurityGroupRule`) targets it.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, is_known, plain
from connect_guardrails.util import depends_on, of_type

VPC_TYPES = ("aws:ec2/vpc:Vpc", "aws:ec2/defaultVpc:DefaultVpc")
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
RULE_TYPES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """A DefaultSecurityGroup per VPC, with no inline rules and no rule resources."""
    pending = Pending()
    groups = list(of_type(args.resources, DEFAULT_SG))
    rules = list(of_type(args.resources, *RULE_TYPES))
    for vpc in of_type(args.resources, *VPC_TYPES):
        mine = [g for g in groups if depends_on(g, "vpcId", vpc)]
        if not mine:
            report_violation(
                f"VPC '{vpc.name}' does not manage its default security group; declare "
                f"aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], egress=[])",
                vpc.urn,
            )
        for group in mine:
            for key in ("ingress", "egress"):
                value = pending.read(group.props, key)
                if is_known(value) and plain(value):
                    report_violation(
                        f"default security group '{group.name}' of VPC '{vpc.name}' has {len(plain(value))} "
                        f"{key} rule(s); set {key}=[] (the default group admits and sends nothing)",
                        group.urn,
                    )
            for rule in rules:
                if depends_on(rule, "securityGroupId", group):
                    report_violation(
                        f"{rule.resource_type} '{rule.name}' adds a rule to default security group "
                        f"'{group.name}' of VPC '{vpc.name}'; the default group has no rules",
                        rule.urn,
                    )
    pending.settle()


RULE = Rule(
    id="default-sg-closed", severity="high", check=check,
    description="Each VPC's default security group is managed with no rules.",
    anchors=("FSBP EC2.2", "CKV2_AWS_12"), iso27001=("A.8.9", "A.8.20"), ccm=("IVS-03", "IVS-04"),
    remediation=(
        "Declare aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id, ingress=[], egress=[]) for every VPC and attach "
        "no rules to it; give workloads their own security groups."
    ),
)
