"""dr-region-self-contained: a DR-region resource takes nothing from another region but its replication/copy source."""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi_aws as aws
import pytest

from tests.policies.data_programs import DR_REGION, key, providers
from tests.policies.harness import ACCOUNT, REGION, TAGS, evaluate, findings, notes, pinned

POLICY = "dr-region-self-contained"
CONFIG = {POLICY: {"drRegion": DR_REGION}}
PRIMARY_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:acme/prod/db-AbCdEf"
DR_SECRET = f"arn:aws:secretsmanager:{DR_REGION}:{ACCOUNT}:secret:acme/prod/db-AbCdEf"


def _task(p: aws.Provider, secret: str, registry_region: str = DR_REGION) -> None:
    containers = [{"name": "api", "image": f"{ACCOUNT}.dkr.ecr.{registry_region}.amazonaws.com/api:1.0",
                   "essential": True, "secrets": [{"name": "DB_PASSWORD", "valueFrom": secret}]}]
    aws.ecs.TaskDefinition("api", family="acme-prod-api", cpu="256", memory="512", network_mode="awsvpc",
                           requires_compatibilities=["FARGATE"], container_definitions=json.dumps(containers),
                           tags=TAGS, opts=pinned(p))


def _self_contained() -> None:
    """The standby reads its own region's secret, image and key; its replica key names the primary key (a source);
    the primary region's backup plan names the DR vault (not a DR resource: not checked); IAM is global."""
    primary, dr = providers()
    primary_key = key(primary, "primary-key")
    dr_key = key(dr, "dr-key")
    _task(dr, DR_SECRET)
    aws.kms.ReplicaKey("replica", primary_key_arn=primary_key.arn, tags=TAGS, opts=pinned(dr))
    aws.cloudwatch.LogGroup("dr-logs", name="/connect/dr", kms_key_id=dr_key.arn, retention_in_days=365, tags=TAGS,
                            opts=pinned(dr))
    role = aws.iam.Role("role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}), tags=TAGS,
                        opts=pinned(primary))
    aws.iam.RolePolicyAttachment("dr-attach", role=role.name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                                 opts=pinned(dr))
    vault = aws.backup.Vault("dr-vault", name="acme-dr", kms_key_arn=dr_key.arn, tags=TAGS, opts=pinned(dr))
    aws.backup.Plan("plan", name="acme-all", rules=[aws.backup.PlanRuleArgs(
        rule_name="daily", target_vault_name="acme-primary", schedule="cron(0 5 * * ? *)",
        copy_actions=[aws.backup.PlanRuleCopyActionArgs(destination_vault_arn=vault.arn)])], tags=TAGS,
        opts=pinned(primary))


@pytest.mark.parametrize("preview", [True, False])
def test_self_contained_standby_passes(preview: bool) -> None:
    found = evaluate(_self_contained, preview=preview, pack_config=CONFIG)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _primary_secret() -> None:
    _, dr = providers()
    _task(dr, PRIMARY_SECRET)


def _primary_image() -> None:
    _, dr = providers()
    _task(dr, DR_SECRET, registry_region=REGION)


def _primary_key() -> None:
    primary, dr = providers()
    primary_key = key(primary, "primary-key")
    aws.cloudwatch.LogGroup("dr-logs", name="/connect/dr", kms_key_id=primary_key.arn, retention_in_days=365,
                            tags=TAGS, opts=pinned(dr))


CASES: list[tuple[Callable[[], None], str, str]] = [
    (_primary_secret, "aws:ecs/taskDefinition:TaskDefinition::api",
     f"TaskDefinition 'api' is in the DR region {DR_REGION} but depends on another region: "
     f"containerDefinitions[0].secrets[0].valueFrom -> {PRIMARY_SECRET} ({REGION}). A standby must keep working while "
     f"the primary region is out: use the {DR_REGION} counterpart (a replica secret or key, a parameter written in "
     f"{DR_REGION}, the replicated image, resources of the DR provider)"),
    (_primary_image, "aws:ecs/taskDefinition:TaskDefinition::api",
     f"depends on another region: containerDefinitions[0].image -> {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com "
     f"({REGION})."),
    (_primary_key, "aws:cloudwatch/logGroup:LogGroup::dr-logs",
     f"LogGroup 'dr-logs' is in the DR region {DR_REGION} but depends on another region: "
     f"kmsKeyId <- Key 'primary-key' ({REGION})."),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("program", "urn_suffix", "phrase"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_reference_to_another_region_is_mandatory_finding(preview: bool, program: Callable[[], None],
                                                          urn_suffix: str, phrase: str) -> None:
    found = findings(evaluate(program, preview=preview, pack_config=CONFIG), POLICY)
    assert len(found) == 1, found
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith(urn_suffix), found[0].urn
    assert phrase in found[0].message, found[0].message
    assert notes(evaluate(program, preview=preview, pack_config=CONFIG), POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_without_a_dr_region_the_rule_checks_nothing(preview: bool) -> None:
    assert findings(evaluate(_primary_secret, preview=preview), POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_primary_region_resources_may_name_the_dr_region(preview: bool) -> None:
    """The rule is about the standby: the primary's task reading a DR-region secret is not its concern."""
    def program() -> None:
        primary, _ = providers()
        _task(primary, DR_SECRET, registry_region=REGION)

    assert findings(evaluate(program, preview=preview, pack_config=CONFIG), POLICY) == []
