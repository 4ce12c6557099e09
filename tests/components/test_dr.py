"""DataStores and DisasterRecovery as planned from the real stack files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.components.plans import of_type, plan, plan_copy


def by_urn(doc: dict) -> dict[str, dict]:
    return {r["urn"]: r for r in doc["resources"]}


def primary_plans(doc: dict) -> list[dict]:
    """The primary region's backup plan (a standby also holds the DR region's own, `dr-plan-dr`, for a failover)."""
    return [p for p in of_type(doc, "aws:backup/plan:Plan") if p["name"] == "dr-plan"]


def provider_region(doc: dict, resource: dict) -> str:
    provider = by_urn(doc)[resource["provider"].rsplit("::", 1)[0]]
    return str(provider["inputs"]["region"])


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ["acme-prod", "acme-staging", "globex-prod"])
def test_every_backup_rule_copies_to_the_dr_vault(stack: str, preview: bool) -> None:
    doc = plan(stack, preview)
    resources = by_urn(doc)
    (backup_plan,) = primary_plans(doc)
    primary_region = provider_region(doc, backup_plan)
    vaults = {u for u in backup_plan["propertyDependencies"]["rules"]
              if resources[u]["type"] == "aws:backup/vault:Vault"}
    dr_vaults = {u for u in vaults if provider_region(doc, resources[u]) != primary_region}
    assert len(dr_vaults) == 1
    assert provider_region(doc, resources[next(iter(dr_vaults))]) == doc["outputs"]["drRegion"]
    for rule in backup_plan["inputs"]["rules"]:
        assert rule["copyActions"], rule["ruleName"]
        if not preview:
            assert rule["copyActions"][0]["destinationVaultArn"].startswith(
                f"arn:aws:backup:{doc['outputs']['drRegion']}:")
    (selection,) = [s for s in of_type(doc, "aws:backup/selection:Selection") if s["name"] == "dr-selection"]
    assert selection["inputs"]["selectionTags"] == [{"key": "connect:backup", "type": "STRINGEQUALS", "value": "true"}]
    assert "resources" not in selection["inputs"]  # tags alone: only what is tagged, nothing else


def test_continuous_backup_and_vault_lock_in_production() -> None:
    doc = plan("acme-prod")
    (backup_plan,) = primary_plans(doc)
    rules = {r["ruleName"]: r for r in backup_plan["inputs"]["rules"]}
    assert rules["continuous"]["enableContinuousBackup"] is True
    assert rules["continuous"]["lifecycle"]["deleteAfter"] <= 35
    assert len(of_type(doc, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")) == 2
    assert not of_type(plan("acme-staging"), "aws:backup/vaultLockConfiguration:VaultLockConfiguration")



def _denied(policy: dict[str, Any], principal: str, action: str) -> bool:
    """Whether the vault policy denies `action` to a session of the role `principal` (Deny + ArnNotEquals only)."""
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] != "Deny" or action not in actions:
            continue
        assert set(statement.get("Condition", {})) <= {"ArnNotEquals"}, statement  # the only form used
        excepted = statement.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn", [])
        if principal not in (excepted if isinstance(excepted, list) else [excepted]):
            return True
    return False


@pytest.mark.parametrize(("role", "action", "denied"), [
    ("connect-deployer", "backup:PutBackupVaultAccessPolicy", False),  # the next `pulumi up` can change the policy
    ("connect-deployer", "backup:DeleteBackupVaultAccessPolicy", False),
    ("connect-deployer", "backup:DeleteRecoveryPoint", True),  # nobody erases a backup
    ("connect-deployer", "backup:UpdateRecoveryPointLifecycle", True),
    ("connect-deployer", "backup:DeleteBackupVault", True),
    ("connect-breakglass", "backup:DeleteBackupVault", False),  # decommissioning an emptied vault
    ("connect-breakglass", "backup:DeleteRecoveryPoint", True),
    ("connect-sre-operator", "backup:PutBackupVaultAccessPolicy", True),
    ("connect-sre-operator", "backup:DeleteBackupVault", True),
    ("someone-else", "backup:DeleteBackupVaultAccessPolicy", True),
])
def test_the_vault_policy_lets_the_deployer_work_and_nobody_erase_a_backup(role: str, action: str,
                                                                          denied: bool) -> None:
    doc = plan("acme-prod")
    policies = [json.loads(p["inputs"]["policy"]) for p in of_type(doc, "aws:backup/vaultPolicy:VaultPolicy")]
    assert len(policies) == 2
    principal = f"arn:aws:iam::111111111111:role/{role}"
    assert all(_denied(policy, principal, action) is denied for policy in policies)


def test_globex_warm_standby_runs_in_the_dr_region() -> None:
    doc = plan("globex-prod", False)
    dr_services = [s for s in of_type(doc, "aws:ecs/service:Service") if provider_region(doc, s) == "eu-central-1"]
    assert len(dr_services) == 6 and all(s["inputs"]["desiredCount"] == 1 for s in dr_services)
    dr_subnets = [s for s in of_type(doc, "aws:ec2/subnet:Subnet") if provider_region(doc, s) == "eu-central-1"]
    assert len(dr_subnets) == 9 and all(s["inputs"]["availabilityZone"].startswith("eu-central-1") for s in dr_subnets)
    assert all(s["inputs"]["cidrBlock"].startswith("10.61.") for s in dr_subnets)
    dr_eips = [e for e in of_type(doc, "aws:ec2/eip:Eip") if provider_region(doc, e) == "eu-central-1"]
    assert len(dr_eips) == 3 and all(e["protect"] for e in dr_eips)  # allow-listable in advance
    assert sorted(doc["outputs"]["drEgressIps"]) == sorted(e["outputs"]["publicIp"] for e in dr_eips)
    definitions = [json.loads(t["inputs"]["containerDefinitions"])[0]
                   for t in of_type(doc, "aws:ecs/taskDefinition:TaskDefinition")
                   if provider_region(doc, t) == "eu-central-1"]
    assert all(".dkr.ecr.eu-central-1.amazonaws.com/" in d["image"] for d in definitions)  # replicated images
    assert doc["outputs"]["drMode"] == "warm-standby" and doc["outputs"]["rtoEstimate"].startswith("90 minutes")


def test_pilot_light_services_wait_at_zero() -> None:
    doc = plan("acme-prod")
    dr = [t for t in of_type(doc, "aws:appautoscaling/target:Target") if provider_region(doc, t) == "us-west-2"]
    assert len(dr) == 3 and all(t["inputs"]["minCapacity"] == 0 for t in dr)
    assert not [t for t in of_type(plan("acme-staging"), "aws:ecs/service:Service")
                if provider_region(plan("acme-staging"), t) == "us-west-2"]  # backup-restore runs nothing


def test_data_stores_encrypted_protected_replicated() -> None:
    doc = plan("globex-prod")
    resources = by_urn(doc)
    stores = [r for r in doc["resources"] if (r["inputs"].get("tags") or {}).get("connect:backup") == "true"]
    assert sorted(r["type"] for r in stores) == [
        "aws:efs/fileSystem:FileSystem", "aws:rds/cluster:Cluster", "aws:s3/bucket:Bucket"]
    assert all(r["protect"] and r["retainOnDelete"] for r in stores)
    (cluster,) = of_type(doc, "aws:rds/cluster:Cluster")
    assert cluster["inputs"]["storageEncrypted"] and cluster["inputs"]["deletionProtection"]
    assert cluster["inputs"]["manageMasterUserPassword"] is True
    instances = of_type(doc, "aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 2 and all(i["inputs"]["publiclyAccessible"] is False for i in instances)
    (file_system,) = of_type(doc, "aws:efs/fileSystem:FileSystem")
    assert file_system["inputs"]["encrypted"] is True
    (efs_replication,) = of_type(doc, "aws:efs/replicationConfiguration:ReplicationConfiguration")
    assert efs_replication["inputs"]["destination"]["region"] == "eu-central-1"
    (s3_replication,) = of_type(doc, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    (replica_urn,) = [u for u in s3_replication["propertyDependencies"]["rules"]
                      if resources[u]["type"] == "aws:s3/bucket:Bucket"]
    assert provider_region(doc, resources[replica_urn]) == "eu-central-1"
    subnets = {u for u, r in resources.items() if r["type"] == "aws:ec2/subnet:Subnet"
               and r["inputs"]["tags"]["connect:tier"] == "data" and provider_region(doc, r) == "eu-west-1"}
    mounts = of_type(doc, "aws:efs/mountTarget:MountTarget")
    assert {u for m in mounts for u in m["propertyDependencies"]["subnetId"]} == subnets


def test_a_service_gets_exactly_the_stores_it_uses() -> None:
    doc = plan("acme-prod")
    resources = by_urn(doc)
    task_policies = {r["name"]: json.loads(r["inputs"]["policy"])
                     for r in of_type(doc, "aws:iam/rolePolicy:RolePolicy")
                     if r["name"].endswith("-task-policy") and r["name"].startswith("platform-")}
    assert set(task_policies) == {"platform-payments-api-task-policy", "platform-accounts-api-task-policy"}
    payments = json.dumps(task_policies["platform-payments-api-task-policy"])
    accounts = json.dumps(task_policies["platform-accounts-api-task-policy"])
    assert "acme-prod-documents-111111111111" in payments and "rds-db:connect" in payments
    assert "documents" not in accounts and "rds-db:connect" in accounts
    ledger_sg = next(r["urn"] for r in of_type(doc, "aws:ec2/securityGroup:SecurityGroup")
                     if r["name"] == "data-ledger-sg")
    sources = sorted(resources[r["propertyDependencies"]["referencedSecurityGroupId"][0]]["name"]
                     for r in of_type(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                     if r["propertyDependencies"]["securityGroupId"] == [ledger_sg])
    assert sources == ["platform-accounts-api-sg", "platform-payments-api-sg"]  # not notifications-worker
    worker = next(json.loads(t["inputs"]["containerDefinitions"])[0]
                  for t in of_type(doc, "aws:ecs/taskDefinition:TaskDefinition")
                  if t["inputs"]["family"] == "acme-prod-notifications-worker"
                  and provider_region(doc, t) == "us-east-1")
    assert not any("LEDGER" in e["name"] or "DOCUMENTS" in e["name"] for e in worker["environment"] + worker["secrets"])


@pytest.mark.parametrize("mode", ["backup-restore", "warm-standby"])
def test_switching_dr_mode_never_touches_the_primary_region(tmp_path: Path, mode: str) -> None:
    def switch(config: dict) -> None:
        config["connect:dr"]["mode"] = mode

    pilot = plan_copy(tmp_path, "pilot", lambda config: None)
    other = plan_copy(tmp_path, mode, switch)
    # The standby's own parts, and the names that fail over to it (global: Route 53), follow the mode by design.
    dr_provider = next(u for u, r in pilot.items() if r["type"] == "pulumi:providers:aws" and r["name"] == "dr")
    primary = {u: r for u, r in pilot.items() if "connect:dr:DisasterRecovery$connect:" not in u
               and "connect:dns:ServiceNames$" not in u and not (r.get("provider") or "").startswith(dr_provider)
               and not r["name"].startswith(("dr-", "dns-"))}
    for urn, resource in primary.items():
        assert urn in other, urn
        assert other[urn]["inputs"] == resource["inputs"], urn


def test_removing_a_data_store_leaves_it_retained(tmp_path: Path) -> None:
    def without_documents(config: dict) -> None:
        config["connect:data"]["buckets"] = []
        for service in config["connect:services"]:
            service["uses"] = [u for u in service.get("uses", []) if u != "documents"]

    before = plan_copy(tmp_path, "before", lambda config: None)
    after = plan_copy(tmp_path, "after", without_documents)
    gone = [r for u, r in before.items() if u not in after]
    buckets = [r for r in gone if r["type"] == "aws:s3/bucket:Bucket"]
    assert len(buckets) == 2  # the bucket and its DR replica
    assert all(b["protect"] and b["retainOnDelete"] for b in buckets)  # pulumi refuses to delete; AWS keeps it
    assert all("documents" in r["name"] or r["type"] == "aws:iam/rolePolicy:RolePolicy" for r in gone)


def test_adding_a_store_changes_no_existing_store(tmp_path: Path) -> None:
    def more(config: dict) -> None:
        config["connect:data"]["buckets"] = [*config["connect:data"]["buckets"], {"name": "exports"}]

    before = plan_copy(tmp_path, "before", lambda config: None)
    after = plan_copy(tmp_path, "after", more)
    assert set(before) < set(after)
    assert all(after[u]["inputs"] == r["inputs"] for u, r in before.items())



def _region_of(doc: dict, resource: dict, default: str) -> str:
    return provider_region(doc, resource) if resource["provider"] else default


@pytest.mark.parametrize(("stack", "primary", "dr"), [("acme-prod", "us-east-1", "us-west-2"),
                                                      ("globex-prod", "eu-west-1", "eu-central-1")])
def test_every_task_reads_secrets_of_its_own_region_through_arns_that_match_them(stack: str, primary: str,
                                                                                 dr: str) -> None:
    """The standby reads the replicas (same name and suffix, its region): a primary outage cannot stop it.

    The stack file gives complete ARNs (ECS takes no other), which IAM then matches as written.
    """
    doc = plan(stack, False)
    seen = {primary: 0, dr: 0}
    for task in of_type(doc, "aws:ecs/taskDefinition:TaskDefinition"):
        region = _region_of(doc, task, primary)
        for secret in json.loads(task["inputs"]["containerDefinitions"])[0]["secrets"]:
            assert secret["valueFrom"].split(":")[3] == region, (task["urn"], secret)
            seen[region] += 1
    assert seen[primary] and seen[dr], seen  # both regions run tasks that read secrets
    roles = {r["urn"]: r for r in of_type(doc, "aws:iam/role:Role")}
    for policy in of_type(doc, "aws:iam/rolePolicy:RolePolicy"):
        statements = json.loads(policy["inputs"]["policy"])["Statement"]
        for statement in statements:
            if statement.get("Sid") == "ReadSecrets":
                region = _region_of(doc, policy, primary)
                assert all(arn.split(":")[3] == region and re.search(r"-[A-Za-z0-9]{6}$", arn)
                           for arn in statement["Resource"])
            if statement.get("Sid") == "ReadParameters":
                region = _region_of(doc, policy, primary)
                assert all(arn.split(":")[3] == region for arn in statement["Resource"])
    assert roles


def test_a_complete_secret_arn_is_granted_as_written() -> None:
    from components.platform import secret_policy_resource

    full = "arn:aws:secretsmanager:us-east-1:111111111111:secret:acme/prod/payments-db-AbC123"
    partial = "arn:aws:secretsmanager:us-east-1:111111111111:secret:acme/prod/payments-db"
    assert secret_policy_resource(full) == full
    assert secret_policy_resource(partial) == f"{partial}-??????"
