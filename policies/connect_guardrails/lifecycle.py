"""A wound-down environment as the pack sees it: by what the stack declares, never by the stack file.

`connect:tenant.lifecycle: decommissioning` (docs/operations.md, Decommissioning) reaches the pack only as the
resources the program declares: an environment is **wound down** when nothing in it runs and nothing leaves it,
that is, the stack declares no ECS service or cluster, no Lambda function, no EC2 instance and no NAT gateway.

Three rules read it:
- `eip-nat-only`: a protected Elastic IP that no NAT gateway uses is the client's kept egress address (released
  only by agreement), not a stray one;
- `private-egress-via-nat`: an app-tier route table without a default route has nothing to carry;
- `decommission-keeps-recovery-points` applies only to it.

An account stack (registry, roles, trail) also runs nothing: it holds no Elastic IP, route table or data store,
so none of the three changes anything for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import PolicyResource

RUNS = (
    "aws:ecs/service:Service",
    "aws:ecs/cluster:Cluster",
    "aws:lambda/function:Function",
    "aws:ec2/instance:Instance",
    "aws:ec2/natGateway:NatGateway",
)


def wound_down(resources: Iterable[PolicyResource]) -> bool:
    """The stack runs nothing and has no NAT gateway: a decommissioned environment (or an account stack)."""
    return not any(r.resource_type in RUNS for r in resources)
