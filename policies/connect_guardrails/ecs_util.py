"""Helpers the ECS rules share: container definitions and ECS names.

`containerDefinitions` is a JSON string. Built from other resources' outputs it is unknown in
preview as a whole; then nothing about the containers can be said, and the rules record it with
`Pending` (a deciding unknown) after reporting what they can prove from the other inputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from connect_guardrails.unknowns import Pending, is_unknown, plain

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/(.+)$")


def containers(args: ResourceValidationArgs, pending: Pending) -> list[dict[str, Any]] | None:
    """The task definition's containers, parsed from `containerDefinitions`.

    None when the value is unknown (recorded in `pending`), absent or not a JSON list (the provider
    rejects that); non-object entries are dropped.
    """
    return containers_of(args.props, pending)


def containers_of(props: Any, pending: Pending) -> list[dict[str, Any]] | None:
    """`containers` for a task definition's properties (a stack policy's `PolicyResource.props`)."""
    value = pending.read(props, "containerDefinitions")
    if is_unknown(value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    value = plain(value)
    if not isinstance(value, list):
        return None
    return [dict(c) for c in value if isinstance(c, Mapping)]


def container_label(container: Mapping[str, Any], index: int) -> str:
    """`container 'app'`, or `container #2` when it has no name."""
    name = container.get("name")
    return f"container '{name}'" if isinstance(name, str) and name else f"container #{index + 1}"


def cluster_name_of(value: Any) -> str | None:
    """The cluster name in a service's `cluster` value (a name or a cluster ARN); None when not known."""
    if not isinstance(value, str) or not value or is_unknown(value):
        return None
    match = CLUSTER_ARN.match(value)
    return match.group(1) if match else value
