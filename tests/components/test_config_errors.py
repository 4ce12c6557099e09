"""Bad stack config in, one precise issue out: the field path as written and what is allowed instead.

Every case starts from a valid config (the acme-prod stack), changes one thing and checks the
path of the single issue reported and the key phrases of its message.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import StackConfig, StackConfigError, parse_stack_config
from components.limits import LOG_RETENTION_DAYS
from components.regions import REGION_ZONES
from tests.components import config_cases
from tests.components.config_cases import DELETE, SOURCE, assert_issues, issues_of

ACCOUNT = "111111111111"
EIP_A, EIP_B, EIP_C = "eipalloc-0a1b2c3d", "eipalloc-0a1b2c3d4e5f60718", "eipalloc-11112222"
ALL_REGIONS = ", ".join(REGION_ZONES)
RETENTIONS = ", ".join(str(v) for v in LOG_RETENTION_DAYS)
US_EAST_1_ZONES = "us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f"


def valid_config() -> dict[str, Any]:
    """The acme-prod stack file's config, flat by full key as the engine hands it over."""
    return {
        "aws:region": "us-east-1",
        "aws:profile": "ignored-other-namespace",
        "connect:tenant": {
            "client": "acme",
            "environment": "prod",
            "accountId": ACCOUNT,
            "deployRoleArn": f"arn:aws:iam::{ACCOUNT}:role/connect-deployer",
            "drRegion": "us-west-2",
            "costCenter": "acme-platform",
        },
        "connect:network": {
            "cidr": "10.40.0.0/16",
            "availabilityZones": 3,
            "natGateways": "perAz",
            "flowLogs": {"retentionDays": 365},
        },
    }


def with_changes(*changes: tuple[str, Any]) -> dict[str, Any]:
    """A valid config with `("connect:network.cidr", value)`-style changes; DELETE removes the key."""
    return config_cases.with_changes(valid_config(), *changes)


def zones(*letters: str, region: str = "us-east-1") -> list[str]:
    return [f"{region}{letter}" for letter in letters]


# (changes, expected issue path, phrases the message must contain)
CASES: dict[str, tuple[list[tuple[str, Any]], str, list[str]]] = {
    # --- tenant -------------------------------------------------------------------------------
    "client-bad-chars": (
        [("connect:tenant.client", "Acme_Corp")], "connect:tenant.client",
        ["'Acme_Corp' is not a slug", "2-20 characters", "lowercase letters, digits and single hyphens"],
    ),
    "client-too-short": ([("connect:tenant.client", "a")], "connect:tenant.client", ["'a'", "2-20 characters"]),
    "client-too-long": ([("connect:tenant.client", "a" * 21)], "connect:tenant.client", ["2-20 characters"]),
    "client-leading-digit": (
        [("connect:tenant.client", "1acme")], "connect:tenant.client", ["'1acme'", "starting with a letter"],
    ),
    "client-double-hyphen": (
        [("connect:tenant.client", "ac--me")], "connect:tenant.client", ["single hyphens"],
    ),
    "client-trailing-newline": (
        [("connect:tenant.client", "acme\n")], "connect:tenant.client", ["'acme\\n' is not a slug"],
    ),
    "client-number": ([("connect:tenant.client", 42)], "connect:tenant.client", ["valid string", "got 42"]),
    "environment-bad-chars": (
        [("connect:tenant.environment", "Prod!")], "connect:tenant.environment",
        ["'Prod!' is not a slug", "2-20 characters", "starting with a letter"],
    ),
    "environment-empty": ([("connect:tenant.environment", "")], "connect:tenant.environment", ["2-20 characters"]),
    "account-as-number": (
        [("connect:tenant.accountId", 111111111111)], "connect:tenant.accountId",
        ["is a number", "quoted 12-digit string", '"111111111111"'],
    ),
    "account-number-lost-leading-zero": (
        [("connect:tenant.accountId", 12345678901)], "connect:tenant.accountId",
        ["is a number", '"012345678901"', "leading zeros"],
    ),
    "account-11-digits": (
        [("connect:tenant.accountId", "11111111111")], "connect:tenant.accountId",
        ["'11111111111' is not an AWS account id", "exactly 12 digits"],
    ),
    "account-letters": (
        [("connect:tenant.accountId", "11111111111a")], "connect:tenant.accountId", ["exactly 12 digits"],
    ),
    "account-fullwidth-digits": (
        [("connect:tenant.accountId", "\uff11" * 12), ("connect:tenant.deployRoleArn", DELETE)],
        "connect:tenant.accountId", ["exactly 12 digits"],
    ),
    "account-trailing-newline": (
        [("connect:tenant.accountId", ACCOUNT + "\n"), ("connect:tenant.deployRoleArn", DELETE)],
        "connect:tenant.accountId", ["exactly 12 digits"],
    ),
    "role-arn-malformed": (
        [("connect:tenant.deployRoleArn", f"arn:aws:iam::{ACCOUNT}:user/deployer")], "connect:tenant.deployRoleArn",
        ["is not an IAM role ARN", "arn:aws:iam::<12-digit account>:role/<name>"],
    ),
    "role-arn-short-account": (
        [("connect:tenant.deployRoleArn", "arn:aws:iam::1111:role/x")], "connect:tenant.deployRoleArn",
        ["arn:aws:iam::<12-digit account>:role/<name>"],
    ),
    "role-arn-other-account": (
        [("connect:tenant.deployRoleArn", "arn:aws:iam::222222222222:role/connect-deployer")],
        "connect:tenant.deployRoleArn",
        ["role is in account 222222222222", f"a role in the tenant account {ACCOUNT}"],
    ),
    "dr-region-unknown": (
        [("connect:tenant.drRegion", "us-wst-2")], "connect:tenant.drRegion",
        ["'us-wst-2' is not an AWS region code", "did you mean 'us-west-2'?", ALL_REGIONS],
    ),
    "dr-region-is-primary": (
        [("connect:tenant.drRegion", "us-east-1")], "connect:tenant.drRegion",
        ["'us-east-1' is the primary region", "any other region code"],
    ),
    "cost-center-bad-chars": (
        [("connect:tenant.costCenter", "acme#platform")], "connect:tenant.costCenter",
        ["is not a valid tag value", "1-128 letters, digits, spaces and _ . : / = + @ -"],
    ),
    "cost-center-too-long": (
        [("connect:tenant.costCenter", "c" * 129)], "connect:tenant.costCenter", ["1-128"],
    ),
    "tenant-unknown-key": (
        [("connect:tenant.costCentre", "acme")], "connect:tenant.costCentre",
        ["unknown key", "did you mean 'costCenter'?", "client, environment, accountId, deployRoleArn"],
    ),
    "tenant-not-a-mapping": (
        [("connect:tenant", ["acme", "prod"])], "connect:tenant",
        ["is not a mapping", "client, environment, accountId, deployRoleArn, drRegion, costCenter"],
    ),
    # --- region ---------------------------------------------------------------------------------
    "region-unknown": (
        [("aws:region", "eu-wset-1")], "aws:region",
        ["'eu-wset-1' is not an AWS region code", "did you mean 'eu-west-1'?", ALL_REGIONS],
    ),
    "region-upper-case": ([("aws:region", "US-EAST-1")], "aws:region", ["not an AWS region code", ALL_REGIONS]),
    "region-not-a-string": ([("aws:region", ["us-east-1"])], "aws:region", ["valid string"]),
    # --- network: cidr --------------------------------------------------------------------------
    "cidr-malformed": (
        [("connect:network.cidr", "10.40.0/16")], "connect:network.cidr",
        ["'10.40.0/16' is not an IPv4 CIDR block", "e.g. 10.40.0.0/16"],
    ),
    "cidr-ipv6": ([("connect:network.cidr", "fd00::/48")], "connect:network.cidr", ["not an IPv4 CIDR block"]),
    "cidr-host-bits": (
        [("connect:network.cidr", "10.40.1.0/16")], "connect:network.cidr",
        ["host bits set", "the block is 10.40.0.0/16"],
    ),
    "cidr-no-prefix": (
        [("connect:network.cidr", "10.40.0.0")], "connect:network.cidr",
        ["not written address/prefix-length", "e.g. 10.40.0.0/16"],
    ),
    "cidr-netmask": (
        [("connect:network.cidr", "10.40.0.0/255.255.0.0")], "connect:network.cidr",
        ["not written address/prefix-length"],
    ),
    "cidr-slash-8": (
        [("connect:network.cidr", "10.0.0.0/8")], "connect:network.cidr", ["is a /8", "from /16 to /20"],
    ),
    "cidr-slash-8-with-host-bits": (
        [("connect:network.cidr", "10.40.0.0/8")], "connect:network.cidr", ["is a /8", "from /16 to /20"],
    ),
    "cidr-prefix-leading-zero": (
        [("connect:network.cidr", "10.40.0.0/016")], "connect:network.cidr",
        ["not in canonical form", "write 10.40.0.0/16"],
    ),
    "cidr-slash-24": (
        [("connect:network.cidr", "10.40.0.0/24")], "connect:network.cidr", ["is a /24", "from /16 to /20"],
    ),
    "cidr-public": (
        [("connect:network.cidr", "8.8.0.0/16")], "connect:network.cidr",
        ["not a private block", "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10"],
    ),
    # --- network: zones -------------------------------------------------------------------------
    "zones-count-1": (
        [("connect:network.availabilityZones", 1)], "connect:network.availabilityZones",
        ["1 zones", "a count from 2 to 4, or a list of 2 to 4 zone names"],
    ),
    "zones-count-5": (
        [("connect:network.availabilityZones", 5)], "connect:network.availabilityZones",
        ["5 zones", "a count from 2 to 4"],
    ),
    "zones-word": (
        [("connect:network.availabilityZones", "three")], "connect:network.availabilityZones",
        ["'three' is neither", "a count from 2 to 4, or a list of 2 to 4 zone names"],
    ),
    "zones-boolean": (
        [("connect:network.availabilityZones", True)], "connect:network.availabilityZones",
        ["True is neither", "a count from 2 to 4"],
    ),
    "zones-more-than-region-has": (
        [("aws:region", "us-west-1"), ("connect:network.availabilityZones", 3)],
        "connect:network.availabilityZones", ["us-west-1 has 2 zones", "allowed: 2 to 2"],
    ),
    "zones-unknown-zone": (
        [("connect:network.availabilityZones", ["us-east-1a", "us-east-1z"])],
        "connect:network.availabilityZones[1]", ["'us-east-1z' is not a zone of us-east-1", US_EAST_1_ZONES],
    ),
    "zones-other-region": (
        [("connect:network.availabilityZones", ["us-west-2a", "us-east-1b"])],
        "connect:network.availabilityZones[0]", ["'us-west-2a' is not a zone of us-east-1", US_EAST_1_ZONES],
    ),
    "zones-region-without-zone-letter": (
        [("aws:region", "ap-northeast-1"),
         ("connect:network.availabilityZones", zones("a", "b", region="ap-northeast-1"))],
        "connect:network.availabilityZones[1]",
        ["'ap-northeast-1b' is not a zone of ap-northeast-1", "ap-northeast-1a, ap-northeast-1c, ap-northeast-1d"],
    ),
    "zones-duplicated": (
        [("connect:network.availabilityZones", zones("a", "b", "a"))], "connect:network.availabilityZones",
        ["listed twice: us-east-1a", "each zone once"],
    ),
    "zones-list-of-5": (
        [("connect:network.availabilityZones", zones("a", "b", "c", "d", "e"))], "connect:network.availabilityZones",
        ["5 zones given", "a list of 2 to 4 zone names"],
    ),
    "zones-list-of-1": (
        [("connect:network.availabilityZones", zones("a"))], "connect:network.availabilityZones",
        ["1 zones given", "2 to 4"],
    ),
    "zones-list-with-number": (
        [("connect:network.availabilityZones", ["us-east-1a", 2])], "connect:network.availabilityZones",
        ["is neither", "zone names of the region"],
    ),
    # --- network: NAT and egress IPs ------------------------------------------------------------
    "nat-gateways-bad-value": (
        [("connect:network.natGateways", "perAZ")], "connect:network.natGateways",
        ["'perAz' or 'single'", "got 'perAZ'"],
    ),
    "nat-gateways-number": (
        [("connect:network.natGateways", 2)], "connect:network.natGateways", ["'perAz' or 'single'"],
    ),
    "egress-id-malformed": (
        [("connect:network.egressIpAllocationIds", [EIP_A, "eipalloc-XYZ", EIP_C])],
        "connect:network.egressIpAllocationIds",
        ["'eipalloc-XYZ' is not an EIP allocation id", "eipalloc- followed by 8 or 17 hex digits"],
    ),
    "egress-id-public-ip-instead": (
        [("connect:network.egressIpAllocationIds", ["52.1.2.3", EIP_B, EIP_C])],
        "connect:network.egressIpAllocationIds", ["'52.1.2.3' is not an EIP allocation id"],
    ),
    "egress-ids-duplicated": (
        [("connect:network.egressIpAllocationIds", [EIP_A, EIP_A, EIP_C])], "connect:network.egressIpAllocationIds",
        [f"listed twice: {EIP_A}", "each NAT gateway needs its own"],
    ),
    "egress-count-mismatch-per-az": (
        [("connect:network.egressIpAllocationIds", [EIP_A, EIP_B])], "connect:network.egressIpAllocationIds",
        ["2 allocation id(s) for 3 NAT gateway(s)", "natGateways: perAz", "exactly 3, or none"],
    ),
    "egress-count-mismatch-single": (
        [("connect:network.natGateways", "single"), ("connect:network.egressIpAllocationIds", [EIP_A, EIP_B])],
        "connect:network.egressIpAllocationIds",
        ["2 allocation id(s) for 1 NAT gateway(s)", "natGateways: single", "exactly 1, or none"],
    ),
    "egress-map-zone-not-in-region": (
        [("connect:network.availabilityZones", 2),
         ("connect:network.egressIpAllocationIds", {"us-east-1a": EIP_A, "eu-west-1b": EIP_B})],
        "connect:network.egressIpAllocationIds.eu-west-1b",
        ["'eu-west-1b' is not a zone of us-east-1", US_EAST_1_ZONES],
    ),
    "egress-map-zone-without-nat": (
        [("connect:network.availabilityZones", zones("a", "b")),
         ("connect:network.egressIpAllocationIds", {"us-east-1a": EIP_A, "us-east-1c": EIP_B})],
        "connect:network.egressIpAllocationIds.us-east-1c",
        ["'us-east-1c' holds no NAT gateway", "allowed: us-east-1a, us-east-1b"],
    ),
    "egress-map-single-nat-other-zone": (
        [("connect:network.availabilityZones", zones("c", "a")), ("connect:network.natGateways", "single"),
         ("connect:network.natZone", "us-east-1a"), ("connect:network.egressIpAllocationIds", {"us-east-1c": EIP_A})],
        "connect:network.egressIpAllocationIds.us-east-1c",
        ["natGateways: single", "allowed: us-east-1a"],
    ),
    # --- network: the single NAT gateway's zone ---------------------------------------------------
    "nat-zone-missing-with-named-zones": (
        [("connect:network.availabilityZones", zones("c", "b")), ("connect:network.natGateways", "single")],
        "connect:network.natZone", ["missing", "adding a zone never moves it", "allowed: us-east-1b, us-east-1c"],
    ),
    "nat-zone-with-per-az": (
        [("connect:network.natZone", "us-east-1a")], "connect:network.natZone",
        ["natGateways: perAz", "allowed: natZone only with natGateways: single"],
    ),
    "nat-zone-outside-the-count": (
        [("connect:network.availabilityZones", 2), ("connect:network.natGateways", "single"),
         ("connect:network.natZone", "us-east-1c")],
        "connect:network.natZone", ["'us-east-1c' is not one of the environment's zones", "allowed: us-east-1a, "
                                    "us-east-1b"],
    ),
    "nat-zone-outside-the-names": (
        [("connect:network.availabilityZones", zones("a", "b")), ("connect:network.natGateways", "single"),
         ("connect:network.natZone", "us-east-1d")],
        "connect:network.natZone", ["'us-east-1d' is not one of the environment's zones"],
    ),
    "nat-zone-not-a-string": (
        [("connect:network.natGateways", "single"), ("connect:network.natZone", 3)], "connect:network.natZone",
        ["string"],
    ),
    "egress-ids-a-string": (
        [("connect:network.egressIpAllocationIds", EIP_A)], "connect:network.egressIpAllocationIds",
        ["is neither", "a list of allocation ids in zone order, or a map zone -> allocation id"],
    ),
    # --- network: flow logs ---------------------------------------------------------------------
    "retention-366": (
        [("connect:network.flowLogs.retentionDays", 366)], "connect:network.flowLogs.retentionDays",
        ["366 is not a CloudWatch Logs retention", RETENTIONS, "365, 400"],
    ),
    "retention-0": (
        [("connect:network.flowLogs.retentionDays", 0)], "connect:network.flowLogs.retentionDays", [RETENTIONS],
    ),
    "retention-string-number": (
        [("connect:network.flowLogs.retentionDays", "365")], "connect:network.flowLogs.retentionDays",
        ["'365' is not a CloudWatch Logs retention", RETENTIONS],
    ),
    "retention-string-words": (
        [("connect:network.flowLogs.retentionDays", "one year")], "connect:network.flowLogs.retentionDays",
        ["'one year'", RETENTIONS],
    ),
    "retention-boolean": (
        [("connect:network.flowLogs.retentionDays", True)], "connect:network.flowLogs.retentionDays",
        ["True is not a CloudWatch Logs retention", RETENTIONS],
    ),
    "retention-float": (
        [("connect:network.flowLogs.retentionDays", 365.0)], "connect:network.flowLogs.retentionDays", [RETENTIONS],
    ),
    "flow-logs-unknown-key": (
        [("connect:network.flowLogs.retention", 30)], "connect:network.flowLogs.retention",
        ["unknown key", "did you mean 'retentionDays'?"],
    ),
    "flow-logs-not-a-mapping": (
        [("connect:network.flowLogs", "on")], "connect:network.flowLogs",
        ["'on' is not a mapping", "a mapping with keys retentionDays"],
    ),
    "network-unknown-key": (
        [("connect:network.natGateway", "single")], "connect:network.natGateway",
        ["unknown key", "did you mean 'natGateways'?", "cidr, availabilityZones, natGateways"],
    ),
    "network-not-a-mapping": (
        [("connect:network", "10.40.0.0/16")], "connect:network",
        ["is not a mapping", "cidr, availabilityZones, natGateways, natZone, egressIpAllocationIds, flowLogs"],
    ),
    # --- missing keys ---------------------------------------------------------------------------
    "missing-tenant-client": (
        [("connect:tenant.client", DELETE)], "connect:tenant.client", ["required key is missing"],
    ),
    "missing-tenant-account": (
        [("connect:tenant.accountId", DELETE)], "connect:tenant.accountId", ["required key is missing"],
    ),
    "missing-network-cidr": ([("connect:network.cidr", DELETE)], "connect:network.cidr", ["required key is missing"]),
    "missing-network": ([("connect:network", DELETE)], "connect:network", ["required key is missing"]),
    "missing-region": ([("aws:region", DELETE)], "aws:region", ["required key is missing"]),
    "tenant-null": ([("connect:tenant", None)], "connect:tenant", ["None is not a mapping", "accountId"]),
    # --- unknown top-level key of ours ----------------------------------------------------------
    "unknown-connect-key": (
        [("connect:tenants", {})], "connect:tenants",
        ["unknown key", "did you mean 'connect:tenant'?", "allowed keys: connect:tenant, connect:network"],
    ),
}


@pytest.mark.parametrize(("changes", "path", "phrases"), list(CASES.values()), ids=list(CASES))
def test_bad_input_names_field_and_allowed_values(
    changes: list[tuple[str, Any]], path: str, phrases: list[str]
) -> None:
    assert_issues(issues_of(with_changes(*changes)), [path], phrases)


def test_misspelled_network_key_suggests_the_right_one_and_reports_it_missing() -> None:
    config = valid_config()
    config["connect:netwrok"] = config.pop("connect:network")
    issues = issues_of(config)
    by_path = {issue.path: issue.message for issue in issues}
    assert list(by_path) == ["connect:netwrok", "connect:network"]
    assert "did you mean 'connect:network'?" in by_path["connect:netwrok"]
    assert "allowed keys: connect:tenant, connect:network" in by_path["connect:netwrok"]
    assert by_path["connect:network"].startswith("required key is missing")


def test_several_problems_are_reported_together() -> None:
    config = with_changes(
        ("aws:region", "us-est-9"),
        ("connect:tenant.client", "Acme"),
        ("connect:tenant.accountId", 111111111111),
        ("connect:tenant.colour", "blue"),
        ("connect:network.cidr", "10.40.0.0/24"),
        ("connect:network.availabilityZones", 7),
        ("connect:network.natGateways", "many"),
        ("connect:network.flowLogs.retentionDays", 366),
        ("connect:extra", True),
    )
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(config, SOURCE)
    paths = [issue.path for issue in caught.value.issues]
    assert sorted(paths) == sorted([
        "connect:extra",
        "aws:region",
        "connect:tenant.client",
        "connect:tenant.accountId",
        "connect:tenant.colour",
        "connect:network.cidr",
        "connect:network.availabilityZones",
        "connect:network.natGateways",
        "connect:network.flowLogs.retentionDays",
    ])
    assert len(caught.value.issues) == 9
    report = str(caught.value)
    assert report.startswith(f"{SOURCE}: invalid stack configuration (9 problem(s))")
    assert len(report.splitlines()) == 10
    assert "  connect:network.cidr: '10.40.0.0/24' is a /24" in report


def test_cross_field_problems_are_reported_together() -> None:
    config = with_changes(
        ("connect:tenant.drRegion", "us-east-1"),
        ("connect:tenant.deployRoleArn", "arn:aws:iam::222222222222:role/x"),
        ("connect:network.availabilityZones", zones("a", "z")),
        ("connect:network.egressIpAllocationIds", [EIP_A]),
    )
    paths = [issue.path for issue in issues_of(config)]
    assert paths == [
        "connect:tenant.drRegion",
        "connect:tenant.deployRoleArn",
        "connect:network.availabilityZones[1]",
        "connect:network.egressIpAllocationIds",
    ]


def test_valid_config_parses_to_the_expected_model() -> None:
    cfg = parse_stack_config(valid_config(), SOURCE)
    assert isinstance(cfg, StackConfig)
    assert cfg.region == "us-east-1"
    assert cfg.tenant.client == "acme"
    assert cfg.tenant.account_id == ACCOUNT
    assert cfg.tenant.dr_region == "us-west-2"
    assert cfg.tenant.is_production
    assert cfg.name_prefix == "acme-prod"
    assert str(cfg.net.network) == "10.40.0.0/16"


def test_defaults_of_a_minimal_config() -> None:
    cfg = parse_stack_config(
        {
            "aws:region": "eu-west-1",
            "connect:tenant": {"client": "globex", "environment": "staging", "accountId": "012345678901",
                               "drRegion": "eu-central-1"},
            "connect:network": {"cidr": "172.20.0.0/20"},
        },
        SOURCE,
    )
    assert cfg.net.availability_zones == 3
    assert cfg.zone_count() == 3
    assert cfg.explicit_zones() is None
    assert cfg.net.nat_gateways == "perAz"
    assert cfg.net.egress_ip_allocation_ids == []
    assert cfg.net.flow_logs.retention_days == 365
    assert cfg.tenant.account_id == "012345678901"
    assert cfg.tenant.deploy_role_arn is None
    assert cfg.tenant.cost_center is None
    assert not cfg.tenant.is_production


@pytest.mark.parametrize("days", [1, 400, 3653])
def test_allowed_retention_values_pass(days: int) -> None:
    cfg = parse_stack_config(with_changes(("connect:network.flowLogs.retentionDays", days)), SOURCE)
    assert cfg.net.flow_logs.retention_days == days


def test_explicit_zones_and_allocation_map_pass() -> None:
    cfg = parse_stack_config(
        with_changes(
            ("connect:network.availabilityZones", zones("c", "a")),
            ("connect:network.egressIpAllocationIds", {"us-east-1a": EIP_A, "us-east-1c": EIP_B}),
        ),
        SOURCE,
    )
    assert cfg.explicit_zones() == ["us-east-1a", "us-east-1c"]
    assert cfg.zone_count() == 2
    assert cfg.net.egress_ip_allocation_ids == {"us-east-1a": EIP_A, "us-east-1c": EIP_B}


def test_single_nat_with_one_allocation_passes() -> None:
    cfg = parse_stack_config(
        with_changes(("connect:network.natGateways", "single"), ("connect:network.egressIpAllocationIds", [EIP_C])),
        SOURCE,
    )
    assert cfg.net.nat_gateways == "single"
    assert cfg.net.egress_ip_allocation_ids == [EIP_C]


# --- robustness: any value in any field gives StackConfigError, never another exception ----------

ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 2, 5, 365, 1.5, -0.0, float("nan"), float("inf"), 10**40, -(10**40),
    "", " ", "\n", "\t", "\x00", "x" * 100_000, "a" * 21, "ünïcödé", "🚀🚀", "\uff11" * 12, "٠١٢٣٤٥٦٧٨٩٠١",
    "111111111111\n", "acme\n", "10.0.0.0", "10.0.0.0/255.255.0.0", "::/0", "10.40.0.0/16\n", "us-east-1",
    "perAz", "eipalloc-0a1b2c3d", "arn:aws:iam::111111111111:role/" + "r" * 200, "None", "null", "[]",
    [], {}, [None], [[]], [{}], ["a"] * 5, [1, 2], {"a": None}, {"": ""}, {"us-east-1a": 1},
    {"retentionDays": []}, {"client": {"client": {}}}, b"bytes", (1, 2), frozenset(), [[[["deep"]]]],
]


def _field_paths() -> list[str]:
    valid = valid_config()
    paths = ["aws:region", "connect:tenant", "connect:network", "connect:other"]
    paths += [f"connect:tenant.{key}" for key in valid["connect:tenant"]]
    paths += [f"connect:network.{key}" for key in ("cidr", "availabilityZones", "natGateways",
                                                    "egressIpAllocationIds", "flowLogs", "unknownKey")]
    paths += ["connect:network.flowLogs.retentionDays"]
    return paths


def test_there_are_about_fifty_odd_values() -> None:
    assert len(ODD_VALUES) >= 50


@pytest.mark.parametrize("path", _field_paths())
def test_odd_values_only_ever_raise_stack_config_error(path: str) -> None:
    for value in ODD_VALUES:
        try:
            parse_stack_config(with_changes((path, value)), SOURCE)
        except StackConfigError as exc:
            assert exc.issues, (path, value)
            report = str(exc)
            assert all(issue.path.split(".")[0] in report for issue in exc.issues)
            assert all(issue.path.startswith(("connect:", "aws:region")) for issue in exc.issues)


@pytest.mark.parametrize("path", ["connect:network.availabilityZones", "connect:network.egressIpAllocationIds"])
def test_odd_list_items_only_ever_raise_stack_config_error(path: str) -> None:
    for value in ODD_VALUES:
        for container in ([value, value], ["us-east-1a", value], {"us-east-1a": value}, {str(value)[:30]: EIP_A}):
            with pytest.raises(StackConfigError):
                parse_stack_config(with_changes((path, container)), SOURCE)


# --- found by the stack-file fuzzer (tests/fuzz/): secrets quoted back, reports flooded by one value ---------


@pytest.mark.parametrize(("path", "secret"), [
    ("connect:tenant.client", "hunter2-Correct-Horse"),
    ("connect:network.cidr", "10.99.0.0/8 is my secret " + "s" * 100),  # longer than `shown` shows
    ("connect:network.availabilityZones", ["us-east-1a", "s3cr3t-zone-name-" + "z" * 80]),
])
def test_a_secret_value_in_the_wrong_place_is_never_quoted(path: str, secret: Any) -> None:
    """`pulumi config set --secret --path connect:tenant.client ...` makes the whole key secret: the program
    gets the plaintext, and a bad value must not be quoted back (not even cut short)."""
    config = with_changes((path, secret))
    key = path.split(".")[0]
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(config, SOURCE, secret_keys=[key])
    report = str(caught.value)
    texts = [secret] if isinstance(secret, str) else [text for text in secret if len(text) > 20]
    assert not any(text in report or text[:20] in report for text in texts), report
    assert "[secret]" in report and path in report


def test_a_secret_is_quoted_when_it_is_not_a_secret() -> None:
    """Control: the same value set in plain text is shown, so the test above is about masking."""
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(with_changes(("connect:tenant.client", "hunter2-Correct-Horse")), SOURCE)
    assert "hunter2-Correct-Horse" in str(caught.value)


@pytest.mark.parametrize("path", ["connect:tenant.client", "connect:tenant.costCenter", "connect:network.cidr",
                                  "connect:network.flowLogs.retentionDays", "connect:tenant.deployRoleArn"])
def test_a_megabyte_value_gives_a_short_report(path: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(with_changes((path, "x" * 1_000_000)), SOURCE)
    assert len(str(caught.value)) < 2_000
    assert caught.value.issues[0].path == path
    assert "allowed" in caught.value.issues[0].message  # the useful end of the message survives


def test_a_huge_unknown_key_gives_a_short_path() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({**valid_config(), "connect:" + "k" * 100_000: 1}, SOURCE)
    assert len(str(caught.value)) < 2_000
