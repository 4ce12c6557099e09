"""ecr-dr-replication: repositories are replicated to a region other than their own (drRegion when configured)."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import ACCOUNT, TAGS, evaluate, findings, notes, pinned, provider

POLICY = "ecr-dr-replication"
REPLICATION_URN = "aws:ecr/repository:Repository::api"


def _program(destinations: tuple[str, ...] | None = ("us-west-2",), prefix: str | None = None,
             repositories: bool = True) -> None:
    p = provider()  # us-east-1
    if repositories:
        aws.ecr.Repository("api", name="connect/api", image_tag_mutability="IMMUTABLE", tags=TAGS,
                           opts=pinned(p, protect=True))
    if destinations is not None:
        filters = None if prefix is None else [
            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                filter=prefix, filter_type="PREFIX_MATCH")]
        aws.ecr.ReplicationConfiguration(
            "replication",
            replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(rules=[
                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                    destinations=[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                        region=region, registry_id=ACCOUNT) for region in destinations],
                    repository_filters=filters,
                ),
            ]),
            opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("kwargs", "config"), [
    ({}, None),
    ({"prefix": "connect/"}, None),
    ({"destinations": ("us-east-1", "eu-west-1")}, {POLICY: {"drRegion": "eu-west-1"}}),
    ({"destinations": None, "repositories": False}, None),
], ids=["other-region", "prefix-covers", "configured-dr-region", "no-repositories"])
def test_replicated_repositories_pass(preview: bool, kwargs: dict[str, Any], config: dict[str, Any] | None) -> None:
    found = evaluate(lambda: _program(**kwargs), preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("kwargs", "config", "phrase"), [
    ({"destinations": None}, None, "is not replicated to another region"),
    ({"destinations": ("us-east-1",)}, None, "is not replicated to another region"),
    ({"prefix": "web/"}, None, "is not replicated to another region"),
    ({}, {POLICY: {"drRegion": "eu-west-1"}}, "replicated to us-west-2 but not to the DR region eu-west-1"),
], ids=["no-configuration", "same-region", "filter-misses", "not-the-dr-region"])
def test_unreplicated_repository_is_advisory_finding(preview: bool, kwargs: dict[str, Any],
                                                     config: dict[str, Any] | None, phrase: str) -> None:
    found = findings(evaluate(lambda: _program(**kwargs), preview=preview, pack_config=config), POLICY)
    assert len(found) == 1, found
    assert found[0].level == "advisory"
    assert found[0].urn.endswith(REPLICATION_URN)
    assert phrase in found[0].message
