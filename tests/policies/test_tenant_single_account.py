"""tenant-single-account: providers pinned to the one tenant account; no AWS resource on a default provider."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import (
    ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    TAGS,
    assert_one_mandatory,
    evaluate,
    findings,
    notes,
    pinned,
    provider,
)

POLICY = "tenant-single-account"


def _pinned_program() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.Subnet("app-a", vpc_id=vpc.id, cidr_block="10.0.0.0/20", availability_zone="us-east-1a",
                   tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [None, {POLICY: {"accountId": ACCOUNT}}])
def test_pinned_provider_passes(preview: bool, pack_config: dict[str, object] | None) -> None:
    found = evaluate(_pinned_program, preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_default_provider_is_violation(preview: bool) -> None:
    def program() -> None:
        p = provider()
        aws.ec2.Vpc("pinned-vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
        aws.ec2.Vpc("stray-vpc", cidr_block="10.1.0.0/16", tags=TAGS)

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ec2/vpc:Vpc::stray-vpc", "default AWS provider")


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("accounts", [[ACCOUNT, OTHER_ACCOUNT], []])
def test_provider_not_pinned_to_exactly_one_account(preview: bool, accounts: list[str]) -> None:
    def program() -> None:
        p = aws.Provider("loose", region=REGION, allowed_account_ids=accounts or None)
        aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "pulumi:providers:aws::loose", f"pins {len(accounts)} account(s)")


@pytest.mark.parametrize("preview", [True, False])
def test_provider_outside_the_majority_account(preview: bool) -> None:
    def program() -> None:
        tenant, dr = provider(), provider(name="tenant-dr")
        other = provider(OTHER_ACCOUNT, name="other")
        for index, p in enumerate((tenant, dr, other)):
            aws.ec2.Vpc(f"vpc-{index}", cidr_block=f"10.{index}.0.0/16", tags=TAGS, opts=pinned(p))

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "pulumi:providers:aws::other", "every provider of a stack pins the same tenant account")


@pytest.mark.parametrize("preview", [True, False])
def test_providers_split_evenly_are_all_reported(preview: bool) -> None:
    def program() -> None:
        for index, p in enumerate((provider(), provider(OTHER_ACCOUNT, name="other"))):
            aws.ec2.Vpc(f"vpc-{index}", cidr_block=f"10.{index}.0.0/16", tags=TAGS, opts=pinned(p))

    found = findings(evaluate(program, preview=preview), POLICY)
    assert sorted(v.urn.rsplit("::", 1)[1] for v in found) == ["other", "tenant"]
    assert all("disagree" in v.message for v in found)


@pytest.mark.parametrize("preview", [True, False])
def test_provider_pinned_to_another_account_than_configured(preview: bool) -> None:
    found = findings(
        evaluate(_pinned_program, preview=preview, pack_config={POLICY: {"accountId": OTHER_ACCOUNT}}), POLICY
    )
    assert_one_mandatory(found, "pulumi:providers:aws::tenant", f"not the tenant account {OTHER_ACCOUNT}")
