"""The capability inventory (`data/inventory.json`): current with the SDK, reviewed, and covered by construction.

Covered means, for every inventoried type and each of its capabilities: the type is refused outright by
`allowed-resource-types` (not on the allow-list), or the rules `judged_by` names for it read its type token
(their module's source, helpers they import included), or it is listed in `unjudged` with the reason it is
accepted and the rule that should take it. `pytest -s` prints the coverage per capability.
"""

from __future__ import annotations

from collections import Counter
from typing import cast

import pytest
from pulumi_policy import ResourceValidationArgs

from connect_guardrails.catalogue import RULES
from connect_guardrails.rules import allowed_resource_types as allow
from connectctl import inventory

DOC = inventory.load()
CAPABILITIES = inventory.capabilities(DOC)
BY_CAPABILITY = inventory.by_capability(DOC)
READERS = inventory.rule_readers()
RULE_IDS = {rule.id for rule in RULES}
IN_PROGRESS = {"fargate-only", "data-access-recorded", "database-audit-logging", "iam-no-privilege-escalation"}


def test_mechanical_half_is_current_with_the_installed_sdk() -> None:
    """Fails after a pulumi-aws upgrade: run `.venv/bin/python -m connectctl.inventory`, then review the new types."""
    regenerated = inventory.render(inventory.regenerate(DOC))
    assert regenerated == inventory.OUTPUT.read_text(encoding="utf-8"), \
        "data/inventory.json is stale: run `.venv/bin/python -m connectctl.inventory` and review what it lists"
    assert DOC["sdk"]["package"] == "pulumi_aws" and DOC["modules"] == list(inventory.MODULES)
    assert 800 < len(DOC["types"]) < 1000, "keep the inventory to the platform's modules (a reviewable size)"
    assert all(inventory.module_of(token) in inventory.MODULES for token in DOC["types"])


def test_every_allowed_type_is_inventoried() -> None:
    """The capability classes cover everything a stack may declare: the allow-list lies within the inventory."""
    assert sorted(allow.ALLOWED - set(DOC["types"])) == []


def test_header_says_how_it_was_made_and_reviewed() -> None:
    about = " ".join(DOC["about"])
    for phrase in ("python -m connectctl.inventory", "How it was reviewed", "judged_by", "unjudged"):
        assert phrase in about
    assert list(DOC["capabilities"]) == list(inventory.CAPABILITIES)


def test_review_entries_are_reasoned_disagreements_with_the_candidates() -> None:
    """A review entry exists only where the hand review differs from the heuristics, and says why."""
    assert inventory.stale_reviews(DOC) == []
    for token, entry in DOC["review"].items():
        assert set(entry) == {"capabilities", "reason"}, token
        assert set(entry["capabilities"]) <= set(inventory.CAPABILITIES), token
        assert entry["capabilities"] == sorted(set(entry["capabilities"])), token
        assert set(entry["capabilities"]) != set(DOC["types"][token]["candidates"]), f"{token}: agrees with candidates"
        assert len(entry["reason"]) >= 20, token
    assert len(DOC["review"]) > 150  # the heuristics are a starting point, not the answer


@pytest.mark.parametrize(("token", "expected"), [
    ("aws:ec2/instance:Instance", {"holds-data", "runs-code", "exposes-endpoint"}),
    ("aws:lambda/function:Function", {"runs-code"}),
    ("aws:iam/accessKey:AccessKey", {"grants-access"}),
    ("aws:ram/resourceShare:ResourceShare", {"shares-resource"}),
    ("aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission", {"shares-resource"}),
    ("aws:ec2transitgateway/vpcAttachment:VpcAttachment", {"routes-out", "shares-resource"}),
    ("aws:ec2/route:Route", {"routes-out"}),
    ("aws:lb/loadBalancer:LoadBalancer", {"exposes-endpoint"}),
    ("aws:rds/cluster:Cluster", {"holds-data", "exposes-endpoint"}),
    ("aws:appautoscaling/policy:Policy", set()),
    ("aws:ec2/securityGroup:SecurityGroup", set()),
])
def test_reviewed_capabilities_of_well_known_types(token: str, expected: set[str]) -> None:
    assert set(CAPABILITIES[token]) == expected


def _coverage(token: str, capability: str) -> tuple[str, list[str]]:
    """How one (type, capability) is covered: ("refused", []), ("judged", rules) or ("unjudged", [route])."""
    if not allow.allowed(token):
        return "refused", []
    judged = DOC["judged_by"].get(token, {}).get(capability)
    if judged:
        return "judged", list(judged)
    unjudged = DOC["unjudged"].get(token, {}).get(capability)
    return ("unjudged", [unjudged["route"]]) if unjudged else ("uncovered", [])


def test_every_type_of_every_capability_is_refused_judged_or_accepted_with_a_reason() -> None:
    """Coverage by construction; prints, per capability, how many types each way is covered."""
    uncovered = [(token, capability) for capability, tokens in BY_CAPABILITY.items() for token in tokens
                 if _coverage(token, capability)[0] == "uncovered"]
    print("\ninventory coverage per capability (types: refused by allowed-resource-types / judged by a rule / "
          "unjudged, accepted with a route)")
    for capability, tokens in BY_CAPABILITY.items():
        ways = Counter(_coverage(token, capability)[0] for token in tokens)
        print(f"  {capability:17} {len(tokens):4} types: {ways['refused']:4} refused, {ways['judged']:3} judged, "
              f"{ways['unjudged']:2} unjudged")
        for token in tokens:
            way, rules = _coverage(token, capability)
            if way == "unjudged":
                print(f"      unjudged: {token} -> {rules[0]}")
    assert uncovered == [], "allowed types with a capability no rule judges and no `unjudged` reason"


def test_judged_by_names_catalogued_rules_that_read_the_type() -> None:
    """The honest half of "judged": each named rule's module (or a helper it imports) reads the type token."""
    for token, per_capability in DOC["judged_by"].items():
        assert allow.allowed(token), f"{token}: refused by allowed-resource-types; judged_by is for allowed types"
        for capability, rules in per_capability.items():
            assert capability in CAPABILITIES[token], f"{token} has no capability {capability}"
            assert rules == sorted(set(rules)), token
            for rule_id in rules:
                assert rule_id in RULE_IDS, f"{token}: {rule_id} is not a catalogued rule"
                assert token in READERS[rule_id], f"{rule_id} does not read {token}"


def test_unjudged_entries_are_allowed_capabilities_with_a_reason_and_a_route() -> None:
    for token, per_capability in DOC["unjudged"].items():
        assert allow.allowed(token), token
        for capability, entry in per_capability.items():
            assert capability in CAPABILITIES[token], f"{token} has no capability {capability}"
            assert capability not in DOC["judged_by"].get(token, {}), f"{token} {capability}: judged and unjudged"
            assert set(entry) == {"route", "reason"} and len(entry["reason"]) >= 40, token
            assert entry["route"] in RULE_IDS | IN_PROGRESS, f"{token}: route to an unknown rule {entry['route']}"


def test_every_refused_type_gets_a_mandatory_finding_from_the_allow_list_rule() -> None:
    """'Refused' in the coverage is the rule's own decision, not this test's: every inventoried type off the
    allow-list fails its check, every one on it passes."""
    refused = [token for token in DOC["types"] if not allow.allowed(token)]
    reports: list[str] = []

    class Args:
        """What the check reads of its arguments: the type token and the name."""

        def __init__(self, token: str) -> None:
            self.resource_type, self.name = token, "r"

    def report(message: str, urn: str | None = None) -> None:
        reports.append(message)

    for token in DOC["types"]:
        before = len(reports)
        allow.check(cast(ResourceValidationArgs, Args(token)), report)
        assert (len(reports) > before) == (token in refused), token
    assert allow.RULE.level == "mandatory"
    assert len(refused) == len(DOC["types"]) - len(allow.ALLOWED & set(DOC["types"]))
    assert len(refused) > 750


def test_rule_readers_follow_helper_constants() -> None:
    """`private-subnets-only` reads the load balancer alias through `util.SUBNET_ATTACHMENTS`."""
    assert "aws:ecs/service:Service" in READERS["ecs-service-no-public-ip"]
    assert "aws:alb/loadBalancer:LoadBalancer" in READERS["private-subnets-only"]
    assert "aws:s3/bucketV2:BucketV2" in READERS["data-store-encrypted"]  # via util.BUCKET_TYPES
    assert "aws:ec2/instance:Instance" not in READERS["alb-internal-only"]
