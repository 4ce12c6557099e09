"""`connectctl dr verify`: what a declared failover needs of the live account, against a moto server.

`dr-restore-source` resolves `connect:dr.restoreFrom` as `pulumi up` would (`latest`: the newest AWS Backup copy in
the DR region) and `dr-certificate-names` holds the load balancers' certificates to the service names. The seed
(tests/connectctl/moto_seed.py `seed_failover_sources`) gives acme-prod two copies of its database in us-west-2 and
certificates for `*.prod.acme.connect.internal` at the stack file's ARNs in both regions; each test that breaks one
puts it back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from components import clock
from connectctl import cli
from connectctl.audit.checks import CHECK_IDS, DR_CHECK_IDS, DR_RPO
from connectctl.audit.context import AuditContext, load_stack_config, registry_location
from connectctl.audit.failover import covers, dr_certificate_names, dr_restore_source
from tests.connectctl import moto_seed
from tests.connectctl.moto_server import moto_server, seeded_acme

PRIMARY_CERT = "arn:aws:acm:us-east-1:111111111111:certificate/0d7e3c1a-5b2f-4c8e-9a61-3f2b7c9d1e40"
DR_CERT = "arn:aws:acm:us-west-2:111111111111:certificate/2b6f4c8a-1d3e-4f5a-9b7c-8e0d1f2a3b4c"
ZONE = "prod.acme.connect.internal"
NAMES = [f"{service}.{ZONE}" for service in ("accounts-api", "notifications-worker", "payments-api")]
OURS = ("dr-restore-source", "dr-certificate-names")


@pytest.fixture(scope="module")
def seed() -> Iterator[moto_seed.Seed]:
    """moto on 127.0.0.1 (a free port), extended as tests/connectctl/test_audit.py extends it, seeded once."""
    with moto_server() as (endpoint, extensions):
        yield seeded_acme(endpoint, extensions)


def verify(seed: moto_seed.Seed) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | moto_seed.FAKE_CREDENTIALS | {
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}
    result = CliRunner().invoke(cli.app, ["dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint, "--format",
                                          "json"], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout)


def ours(doc: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """This module's checks as reported, and their findings."""
    return ({c["id"]: c for c in doc["checks"] if c["id"] in OURS},
            [f for f in doc["findings"] if f["check"] in OURS])


def live_context(seed: moto_seed.Seed, stack: str = "acme-prod", **dr: Any) -> AuditContext:
    """The audit's context on the moto server, the stack's `connect:dr` changed by `dr` (to run one check)."""
    stack_file, cfg = load_stack_config(stack)
    if dr:
        cfg = cfg.model_copy(update={"dr": cfg.dr.model_copy(update=dr)})
    registry_region, repositories, _ = registry_location(cfg, stack_file)
    return AuditContext(stack=stack, cfg=cfg, account_id=moto_seed.ACCOUNT, region=cfg.region,
                        dr_region=cfg.tenant.dr_region, registry_region=registry_region, repositories=repositories,
                        client=lambda service, region: moto_seed.aws(seed.session, seed.endpoint, service, region),
                        now=clock.now(), rpo=DR_RPO)


def test_dr_verify_runs_both_and_reports_the_copy_latest_restores(seed: moto_seed.Seed) -> None:
    assert ("dr-recovery-point", "dr-secret-replicas", *OURS) == DR_CHECK_IDS and set(OURS) <= set(CHECK_IDS)
    code, doc = verify(seed)
    checks, findings = ours(doc)
    assert findings == [], doc["findings"]
    assert [c["id"] for c in doc["checks"]][:4] == list(DR_CHECK_IDS)
    restore, names = checks["dr-restore-source"], checks["dr-certificate-names"]
    assert (restore["status"], restore["examined"]) == ("passed", 1)
    newest = seed.prod.restore_copies["ledger"]
    assert newest.startswith("arn:aws:rds:us-west-2:111111111111:cluster-snapshot:awsbackup:copyjob-acme-prod-ledger-")
    assert restore["note"] == f"restore sources in us-west-2: ledger: latest = {newest} (2.0 h old)"
    assert (names["status"], names["examined"], names["note"]) == ("passed", 2, f"3 name(s) in {ZONE}")
    assert code == (1 if doc["findings"] else 0)


def test_no_copy_in_the_dr_region_fails_a_failover_before_it_is_declared(seed: moto_seed.Seed) -> None:
    with moto_seed.dr_copies_of(seed, "ledger", []):
        code, doc = verify(seed)
    assert code == 1
    checks, (finding,) = ours(doc)
    assert checks["dr-restore-source"]["status"] == "failed"
    assert (finding["resourceId"], finding["region"], finding["configPath"]) == (
        "acme-prod-ledger", "us-west-2", "connect:dr.restoreFrom.ledger")
    assert finding["message"].startswith(
        "database ledger (restoreFrom: latest): no AWS Backup copy of cluster acme-prod-ledger in us-west-2, so a "
        "failover (connect:dr.active) would have nothing to restore it from")
    assert finding["location"] == {"file": "stacks/Pulumi.acme-prod.yaml", "line": 67}  # connect:dr
    _, doc = verify(seed)
    assert ours(doc)[1] == []  # the seeded copies are back


def test_a_newest_copy_still_being_made_names_the_newest_available_one(seed: moto_seed.Seed) -> None:
    with moto_seed.dr_copies_of(seed, "ledger", ["available", "creating"]) as (older, newest):
        outcome = dr_restore_source(live_context(seed))
    (finding,) = outcome.findings
    assert finding.arn == newest and finding.resource_id == newest.rsplit(":", 1)[-1]
    assert f"the newest AWS Backup copy in us-west-2, {newest}, is creating" in finding.message
    assert finding.message.endswith(f"pin connect:dr.restoreFrom.ledger to {older} (the newest available one)")


def test_a_pinned_snapshot_must_exist_in_the_dr_region(seed: moto_seed.Seed) -> None:
    pinned = seed.prod.restore_copies["ledger"]
    outcome = dr_restore_source(live_context(seed, restore_from={"ledger": pinned}))
    assert outcome.findings == [] and outcome.examined == 1
    assert outcome.note.startswith(f"restore sources in us-west-2: ledger: {pinned} (")
    gone = "arn:aws:rds:us-west-2:111111111111:cluster-snapshot:awsbackup:copyjob-acme-prod-ledger-gone"
    (finding,) = dr_restore_source(live_context(seed, restore_from={"ledger": gone})).findings
    assert finding.message.startswith(f"database ledger: connect:dr.restoreFrom.ledger names {gone}, which does not "
                                      "exist in us-west-2: a failover would fail to restore it")
    assert (finding.resource_id, finding.config_path) == ("awsbackup:copyjob-acme-prod-ledger-gone",
                                                          "connect:dr.restoreFrom.ledger")


def test_a_stack_without_databases_has_nothing_to_restore(seed: moto_seed.Seed) -> None:
    outcome = dr_restore_source(live_context(seed, "acme-staging"))
    assert outcome.not_applicable == "no databases declared: a failover restores none"


def test_a_certificate_missing_a_name_is_a_finding_in_its_region(seed: moto_seed.Seed) -> None:
    with moto_seed.certificate_covering(seed, DR_CERT, NAMES[::2]):  # notifications-worker left out
        code, doc = verify(seed)
    assert code == 1
    _, (finding,) = ours(doc)
    assert (finding["check"], finding["resourceId"], finding["region"], finding["arn"], finding["configPath"]) == (
        "dr-certificate-names", "2b6f4c8a-1d3e-4f5a-9b7c-8e0d1f2a3b4c", "us-west-2", DR_CERT,
        "connect:dr.certificateArn")
    assert finding["message"] == (
        f"the standby load balancer's certificate {DR_CERT} in us-west-2 covers {NAMES[0]}, {NAMES[2]}, not "
        f"{NAMES[1]}: clients of those names get a TLS error when they answer from us-west-2; issue or import a "
        f"certificate for *.{ZONE} (or each name) and set connect:dr.certificateArn")


def test_each_name_or_the_zones_wildcard_covers_and_another_zone_does_not(seed: moto_seed.Seed) -> None:
    with moto_seed.certificate_covering(seed, PRIMARY_CERT, NAMES):
        assert dr_certificate_names(live_context(seed)).findings == []
    with moto_seed.certificate_covering(seed, PRIMARY_CERT, ["*.staging.acme.connect.internal", f"*.x.{ZONE}"]):
        (finding,) = dr_certificate_names(live_context(seed)).findings
    assert finding.region == "us-east-1" and finding.config_path == "connect:platform.certificateArn"
    assert f"covers *.staging.acme.connect.internal, *.x.{ZONE}, not {', '.join(NAMES)}:" in finding.message
    assert dr_certificate_names(live_context(seed)).findings == []  # `*.<zone>` again


def test_a_certificate_that_does_not_exist_is_a_finding(seed: moto_seed.Seed) -> None:
    other = DR_CERT.replace("2b6f4c8a", "00000000")
    (finding,) = dr_certificate_names(live_context(seed, certificate_arn=other)).findings
    assert finding.message == (f"the standby load balancer's certificate {other} does not exist in us-west-2: its "
                               f"HTTPS listener cannot serve {ZONE}; set connect:dr.certificateArn to a certificate "
                               f"of us-west-2 that covers *.{ZONE}")


def test_wildcards_cover_one_label() -> None:
    assert covers(f"*.{ZONE}", f"payments-api.{ZONE}") and covers(f"PAYMENTS-API.{ZONE}", f"payments-api.{ZONE}.")
    assert not covers(f"*.{ZONE}", ZONE) and not covers(f"*.{ZONE}", f"a.payments-api.{ZONE}")
    assert not covers(f"*.{ZONE}", "payments-api.staging.acme.connect.internal")


def test_the_seed_has_the_stack_files_certificates_in_both_regions(seed: moto_seed.Seed) -> None:
    for arn in (PRIMARY_CERT, DR_CERT):
        acm = moto_seed.aws(seed.session, seed.endpoint, "acm", arn.split(":")[3])
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        assert (certificate["SubjectAlternativeNames"], certificate["Status"]) == ([f"*.{ZONE}"], "ISSUED")
