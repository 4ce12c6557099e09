"""stateful-resources-protected: EIPs, keys, repositories, vaults, log groups and data stores are protected or
retained."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "stateful-resources-protected"

Declare = Callable[[pulumi.ResourceOptions], pulumi.CustomResource]
STATEFUL: list[tuple[str, Declare]] = [
    ("aws:ec2/eip:Eip", lambda o: aws.ec2.Eip("stateful", domain="vpc", tags=TAGS, opts=o)),
    ("aws:kms/key:Key", lambda o: aws.kms.Key("stateful", enable_key_rotation=True, tags=TAGS, opts=o)),
    ("aws:ecr/repository:Repository", lambda o: aws.ecr.Repository("stateful", tags=TAGS, opts=o)),
    ("aws:backup/vault:Vault", lambda o: aws.backup.Vault("stateful", tags=TAGS, opts=o)),
    ("aws:cloudwatch/logGroup:LogGroup", lambda o: aws.cloudwatch.LogGroup("stateful", tags=TAGS, opts=o)),
    ("aws:s3/bucket:Bucket", lambda o: aws.s3.Bucket("stateful", tags=TAGS, opts=o)),
    ("aws:efs/fileSystem:FileSystem", lambda o: aws.efs.FileSystem("stateful", encrypted=True, tags=TAGS, opts=o)),
    ("aws:rds/cluster:Cluster",
     lambda o: aws.rds.Cluster("stateful", engine="aurora-postgresql", storage_encrypted=True, tags=TAGS, opts=o)),
]


@pytest.mark.parametrize("preview", [True, False])
def test_protected_stateful_resources_pass(preview: bool) -> None:
    def program() -> None:
        p = provider()
        for _, declare in STATEFUL:
            declare(pinned(p, protect=True, retain_on_delete=True))
        aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))  # not stateful

    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("token", "declare"), STATEFUL, ids=[t for t, _ in STATEFUL])
def test_unprotected_stateful_resource_is_violation(preview: bool, token: str, declare: Declare) -> None:
    """retain_on_delete alone does not reach the analyzer: only protect is seen."""
    def program() -> None:
        declare(pinned(provider(), retain_on_delete=True))

    found = findings(evaluate(program, preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith(f"{token}::stateful")
    assert "is neither protected nor declared retained" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_declared_retained_log_group_passes(preview: bool) -> None:
    """A service's log group goes with the service but keeps its data: retain_on_delete plus the tag."""
    def program() -> None:
        aws.cloudwatch.LogGroup("service-logs", tags={**TAGS, "connect:retain-on-delete": "true"},
                                opts=pinned(provider(), retain_on_delete=True))

    assert findings(evaluate(program, preview=preview), POLICY) == []
