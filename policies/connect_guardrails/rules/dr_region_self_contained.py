"""dr-region-self-contained: nothing in the DR region depends on another region, except replication and copy sources.

A standby that reads a secret, a parameter, a key, an image or a subnet of the primary region fails exactly when it is
needed: when the primary region is out. For every resource in the configured `drRegion` (its provider's `region`, or its
own `region` input), the rule follows its inputs:
- every resource that fed them (property dependencies, known in preview) and lives in another region;
- every ARN with another region, and every ECR registry host (`<account>.dkr.ecr.<region>.amazonaws.com`), inside them
  (JSON documents such as policies and container definitions included).
The declared replication and copy sources (`SOURCES`: a replica key's primary, a cross-region read replica's source, a
snapshot or AMI copy's source, a DynamoDB replica's global table) are the only references allowed. Global services (IAM,
Route 53, CloudFront...) belong to no region: depending on them is fine. Without `drRegion` the rule cannot tell the
standby from the primary and checks nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import get_raw, is_unknown, plain
from connect_guardrails.util import config_of, provider_region

REGION = r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)"
ARN = re.compile(rf"(?<![\w-])arn:aws[a-z-]*:[a-z0-9-]+:{REGION}:[^\s\"',]*")
ECR_HOST = re.compile(rf"(?<![\w-])\d{{12}}\.dkr\.ecr\.{REGION}\.amazonaws\.com")
GLOBAL_MODULES = frozenset({"iam", "cloudfront", "organizations", "waf", "shield", "globalaccelerator", "budgets",
                            "costexplorer", "account", "route53domains", "networkmanager", "cur"})
# (type, top-level property) -> the types its source may have: the replication and copy sources a DR resource may name.
SOURCES: dict[tuple[str, str], tuple[str, ...]] = {
    ("aws:kms/replicaKey:ReplicaKey", "primaryKeyArn"): ("aws:kms/key:Key",),
    ("aws:kms/replicaExternalKey:ReplicaExternalKey", "primaryKeyArn"): ("aws:kms/externalKey:ExternalKey",),
    ("aws:rds/cluster:Cluster", "replicationSourceIdentifier"): ("aws:rds/cluster:Cluster",),
    ("aws:rds/instance:Instance", "replicateSourceDb"): ("aws:rds/instance:Instance",),
    ("aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy", "sourceDbClusterSnapshotIdentifier"):
        ("aws:rds/clusterSnapshot:ClusterSnapshot",),
    ("aws:rds/snapshotCopy:SnapshotCopy", "sourceDbSnapshotIdentifier"): ("aws:rds/snapshot:Snapshot",),
    ("aws:ebs/snapshotCopy:SnapshotCopy", "sourceSnapshotId"): ("aws:ebs/snapshot:Snapshot",),
    ("aws:ec2/amiCopy:AmiCopy", "sourceAmiId"): ("aws:ec2/ami:Ami",),
    ("aws:dynamodb/tableReplica:TableReplica", "globalTableArn"): ("aws:dynamodb/table:Table",),
}


def _regional(resource_type: str) -> bool:
    if not resource_type.startswith("aws:"):
        return False
    module = resource_type.split(":")[1].split("/")[0]
    if module == "route53":
        return resource_type.split("/")[1].startswith("resolver")
    return module not in GLOBAL_MODULES


def _region(resource: PolicyResource) -> str | None:
    """Where a regional resource lives: its own known `region` input, else its explicit provider's region."""
    if not _regional(resource.resource_type):
        return None
    own = get_raw(resource.props, "region")
    if isinstance(own, str) and own and not is_unknown(own):
        return own
    return provider_region(resource.provider)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for every known string inside a plain value, JSON documents parsed."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str) and not is_unknown(value):
        if value.lstrip().startswith(("{", "[")):
            try:
                yield from _strings(json.loads(value), path)
                return
            except json.JSONDecodeError:
                pass
        yield path, value


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _references(resource: PolicyResource, dr_region: str) -> list[str]:
    """What the DR-region resource takes from other regions: `<property> <- <what> (<region>)`, sources excluded."""
    found: list[str] = []
    fed_from_elsewhere: set[str] = set()
    for prop, sources in (resource.property_dependencies or {}).items():
        allowed = SOURCES.get((resource.resource_type, prop), ())
        for source in sources:
            region = _region(source)
            if region and region != dr_region and source.resource_type not in allowed:
                fed_from_elsewhere.add(prop)
                found.append(f"{prop} <- {source.resource_type.rsplit(':', 1)[-1]} '{source.name}' ({region})")
    for path, text in _strings(plain(resource.props)):
        prop = _top(path)
        if prop in fed_from_elsewhere or (resource.resource_type, prop) in SOURCES:
            continue  # already reported through the resource that fed it, or a declared source
        for match in [*ARN.finditer(text), *ECR_HOST.finditer(text)]:
            if match["region"] != dr_region:
                found.append(f"{path} -> {match[0]} ({match['region']})")
    return list(dict.fromkeys(found))


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Each resource in the DR region takes nothing from another region but its declared replication or copy source."""
    dr_region = config_of(args).get("drRegion") or None
    if not dr_region:
        return
    for resource in args.resources:
        if _region(resource) != dr_region:
            continue
        references = _references(resource, dr_region)
        if references:
            report_violation(
                f"{resource.resource_type.rsplit(':', 1)[-1]} '{resource.name}' is in the DR region {dr_region} but "
                f"depends on another region: {'; '.join(references)}. A standby must keep working while the primary "
                f"region is out: use the {dr_region} counterpart (a replica secret or key, a parameter written in "
                f"{dr_region}, the replicated image, resources of the DR provider)", resource.urn)


RULE = Rule(
    id="dr-region-self-contained", severity="high", check=check,
    description="Resources in the DR region depend on no other region, except their declared replication or copy "
                "sources.",
    iso27001=("A.5.30", "A.8.14"), ccm=("BCR-11",),
    remediation=(
        "Create the standby's resources with the DR provider and feed them only from DR-region resources: secrets "
        "through Secrets Manager replicas (same name and suffix, DR region in the ARN), parameters written in the DR "
        "region, images from the replicated registry (<account>.dkr.ecr.<drRegion>.amazonaws.com), the DR region's KMS "
        "key. Only replication and copy sources (aws.kms.ReplicaKey primary_key_arn, a cross-region read replica's "
        "source, snapshot and AMI copies) may name the primary region."
    ),
    config={
        "drRegion": {
            "type": "string",
            "description": "The DR region whose resources must be self-contained; unset: the rule checks nothing.",
        },
    },
)
