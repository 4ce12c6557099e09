"""stateful-resources-protected: EIPs, keys, repositories, vaults, log groups and data stores are protected or
retained; databases refuse deletion and keep a final snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

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
     lambda o: aws.rds.Cluster("stateful", engine="aurora-postgresql", storage_encrypted=True, deletion_protection=True,
                               tags=TAGS, opts=o)),
    ("aws:rds/instance:Instance",
     lambda o: aws.rds.Instance("stateful", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20,
                                storage_encrypted=True, deletion_protection=True, skip_final_snapshot=False,
                                final_snapshot_identifier="stateful-final", tags=TAGS, opts=o)),
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


# --- databases: AWS refuses the deletion, whoever asks ------------------------------------------------------


def _cluster(**kwargs: Any) -> Callable[[], None]:
    def program() -> None:
        args: dict[str, Any] = {"engine": "aurora-postgresql", "storage_encrypted": True, "deletion_protection": True,
                                "skip_final_snapshot": False, "final_snapshot_identifier": "ledger-final",
                                "tags": TAGS}
        aws.rds.Cluster("ledger", **{**args, **kwargs}, opts=pinned(provider(), protect=True))
    return program


DATABASE_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "deletion-protection-off": ({"deletion_protection": False}, "deletionProtection is off"),
    "deletion-protection-left-to-the-default": ({"deletion_protection": None}, "deletionProtection is off"),
    "no-final-snapshot": ({"skip_final_snapshot": True, "final_snapshot_identifier": None},
                          "skipFinalSnapshot is on: a deletion keeps no final snapshot"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(DATABASE_CASES))
def test_a_database_aws_would_delete_is_violation(case: str, preview: bool) -> None:
    """pulumi protect holds, but rds:DeleteDBCluster (or a replacement) would drop it with no final snapshot."""
    changes, phrase = DATABASE_CASES[case]
    found = findings(evaluate(_cluster(**changes), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:rds/cluster:Cluster::ledger", phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_a_protected_database_with_a_final_snapshot_passes(preview: bool) -> None:
    found = evaluate(_cluster(), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []
