"""The Terraform plan export (`connectctl.tfplan`) and the Checkov second opinion (`connectctl.scan`).

The export's shape, names and references are checked on the real stacks without Checkov. The tests
marked as needing Checkov run it once (start-up costs seconds): acme-prod's plan and a weakened copy
in one directory; each weakening must fail exactly its check on exactly its resource, and the plan as
committed must have nothing outside the reviewed baseline. Without `.tools/checkov` they are skipped,
unless CONNECT_REQUIRE_CHECKOV=1 (what `make test` sets once it installed Checkov).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from connectctl import scan as scan_module
from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import load_project
from connectctl.engine.provider_schema import PropertySchema, resource_schema
from connectctl.plan import Plan, plan_stack
from connectctl.scan import Accepted, Failure, ScanError, checkov_path, compare, load_baseline, run_checkov
from connectctl.tfplan import (
    PROPERTY_EXCEPTIONS,
    PROVIDER_NAME,
    TYPE_EXCEPTIONS,
    _addresses,
    mechanical_property,
    mechanical_type,
    singular,
    terraform_name,
    terraform_property,
    terraform_type,
    to_tfplan,
)
from tests.components.plans import planned

STACKS = load_project().stacks()
ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@functools.cache
def exported(stack: str, preview: bool) -> dict[str, Any]:
    return to_tfplan(planned(stack, preview))


def by_address(doc: dict[str, Any], section: str = "planned") -> dict[str, dict[str, Any]]:
    rows = {
        "planned": doc["planned_values"]["root_module"]["resources"],
        "changes": doc["resource_changes"],
        "config": doc["configuration"]["root_module"]["resources"],
    }[section]
    return {r["address"]: r for r in rows}


def aws_resources(plan: Plan) -> list[CapturedResource]:
    return [r for r in plan.resources if r.custom and not r.external and r.type.startswith("aws:")]


def checkov() -> Path:
    """The installed Checkov, or a skip (a failure when CONNECT_REQUIRE_CHECKOV is set)."""
    try:
        return checkov_path()
    except ScanError as exc:
        if os.environ.get("CONNECT_REQUIRE_CHECKOV"):
            pytest.fail(str(exc))
        pytest.skip(f"{exc} (CONNECT_REQUIRE_CHECKOV=1 makes this a failure)")


# --- the document ------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_document_shape(stack: str, preview: bool) -> None:
    doc = exported(stack, preview)
    assert (doc["format_version"], doc["terraform_version"]) == ("1.2", "1.9.8")
    planned_rows = doc["planned_values"]["root_module"]["resources"]
    addresses = [r["address"] for r in planned_rows]
    assert len(addresses) == len(set(addresses)) == len(aws_resources(planned(stack, preview)))
    for r in planned_rows:
        assert r["address"] == f"{r['type']}.{r['name']}" and NAME.fullmatch(r["name"]), r["address"]
        assert (r["mode"], r["provider_name"], r["schema_version"]) == ("managed", PROVIDER_NAME, 0)
        assert isinstance(r["values"], dict)
    assert [c["address"] for c in doc["resource_changes"]] == addresses
    for change in doc["resource_changes"]:
        assert change["change"]["actions"] == ["create"] and change["change"]["before"] is None
        assert change["change"]["after"] == by_address(doc)[change["address"]]["values"]
    config = doc["configuration"]
    assert [c["address"] for c in config["root_module"]["resources"]] == addresses
    assert {c["provider_config_key"] for c in config["root_module"]["resources"]} <= set(config["provider_config"])
    assert all(p["full_name"] == PROVIDER_NAME for p in config["provider_config"].values())
    assert json.loads(json.dumps(doc)) == doc


def test_types_map_mechanically_with_the_exceptions() -> None:
    assert terraform_type("aws:ec2/vpc:Vpc") == "aws_vpc"
    assert terraform_type("aws:s3/bucketV2:BucketV2") == terraform_type("aws:s3/bucket:Bucket") == "aws_s3_bucket"
    assert terraform_type("aws:ecs/taskDefinition:TaskDefinition") == "aws_ecs_task_definition"
    assert terraform_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == (
        "aws_vpc_security_group_ingress_rule")
    assert terraform_type("aws:lb/loadBalancer:LoadBalancer") == "aws_lb"
    assert terraform_type("aws:rds/subnetGroup:SubnetGroup") == "aws_db_subnet_group"


def test_every_exception_is_needed_and_names_a_real_type_or_property() -> None:
    """A table entry the rule already gets right, or for a type/property pulumi_aws lacks, is dead weight."""
    for token, name in TYPE_EXCEPTIONS.items():
        assert mechanical_type(token) != name, token
        assert resource_schema(token) is not None, token
    for (token, path), name in PROPERTY_EXCEPTIONS.items():
        schema = resource_schema(token)
        assert schema is not None, token
        props: Mapping[str, PropertySchema] = schema.properties
        prop: PropertySchema | None = None
        for part in path.split("."):
            prop = props.get(part)
            assert prop is not None, (token, path)
            props = (prop.items or prop).properties
        assert mechanical_property(path, prop) != name, (token, path)


def test_every_committed_type_is_a_terraform_aws_type() -> None:
    """Checkov's list of Terraform AWS resource types is the oracle: a misnamed type would be skipped silently."""
    python = checkov().parent / "python"
    listed = subprocess.run([str(python), "-c", "import json; from checkov.common.checks_infra.resources_types "
                             "import resources_types; print(json.dumps(resources_types['aws']))"],
                            capture_output=True, text=True, check=True)
    known = set(json.loads(listed.stdout))
    used = {r.type for stack in STACKS for r in aws_resources(planned(stack, False))}
    assert {t: terraform_type(t) for t in used if terraform_type(t) not in known} == {}


def test_names_are_valid_readable_and_unique() -> None:
    assert terraform_name("acme-prod-vpc") == "acme_prod_vpc"
    assert terraform_name("10-rules") == "r_10_rules"
    assert [singular(w) for w in ("rules", "policies", "aliases", "ingress", "client_alias", "statuses")] == [
        "rule", "policy", "alias", "ingress", "client_alias", "status"]
    same = [CapturedResource(urn=f"urn:pulumi:s::p::aws:ec2/vpc:Vpc::{n}", type="aws:ec2/vpc:Vpc", name=n,
                             custom=True, parent="", provider="", protect=False, retain_on_delete=False,
                             dependencies=[], property_dependencies={}, inputs={}) for n in ("a-b", "a_b")]
    addresses = _addresses(same)
    assert len(set(addresses.values())) == 2 and "aws_vpc.a_b" in addresses.values()


def test_nested_objects_become_one_element_lists_and_maps_stay_objects() -> None:
    """Every property the SDK types as a nested object (a MaxItems=1 block) is a list of one; maps stay objects."""
    plan, doc = planned("acme-prod", False), exported("acme-prod", False)
    addresses = _addresses(aws_resources(plan))
    rows = by_address(doc)
    checked = {"object": 0, "map": 0}
    for r in aws_resources(plan):
        schema = resource_schema(r.type)
        assert schema is not None, r.type
        values = rows[addresses[r.urn]]["values"]
        for key, prop in schema.properties.items():
            if key not in r.inputs:
                continue
            name = terraform_property(r.type, key, prop)
            if prop.kind == "object":
                assert isinstance(values[name], list) and len(values[name]) == 1, (r.urn, key)
                assert isinstance(values[name][0], dict), (r.urn, key)
                checked["object"] += 1
            elif prop.kind == "map":
                assert isinstance(values[name], dict), (r.urn, key)
                checked["map"] += 1
    assert checked["object"] > 40 and checked["map"] > 200, checked
    tg = rows["aws_lb_target_group.platform_payments_api_tg"]["values"]
    assert tg["health_check"][0]["path"] == "/health" and tg["tags"]["connect:client"] == "acme"
    sse = rows["aws_s3_bucket_server_side_encryption_configuration.data_documents_encryption"]["values"]
    assert sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"


def _referenced(expressions: Any) -> Iterator[str]:
    if isinstance(expressions, dict):
        if "references" in expressions:
            yield from expressions["references"]
        else:
            for value in expressions.values():
                yield from _referenced(value)
    elif isinstance(expressions, list):
        for value in expressions:
            yield from _referenced(value)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_property_dependencies_are_reference_expressions(preview: bool) -> None:
    plan, doc = planned("acme-prod", preview), exported("acme-prod", preview)
    addresses = _addresses(aws_resources(plan))
    config = by_address(doc, "config")
    linked = 0
    for r in aws_resources(plan):
        fed = {addresses[u] for urns in r.property_dependencies.values() for u in urns if u in addresses}
        refs = set(_referenced(config[addresses[r.urn]]["expressions"]))
        assert {ref for ref in refs if ref.count(".") == 1} == fed, r.urn
        assert all(ref.rpartition(".")[0] in fed for ref in refs if ref.count(".") == 2), r.urn
        linked += bool(fed)
    assert linked > 200
    rule = config["aws_vpc_security_group_ingress_rule.network_sg_endpoints_from_app_443"]["expressions"]
    assert rule["security_group_id"] == {"references": ["aws_security_group.network_sg_endpoints.id",
                                                        "aws_security_group.network_sg_endpoints"]}
    association = config["aws_network_acl_association.network_data_nacl_us_east_1a"]["expressions"]
    assert association["network_acl_id"] == {"references": ["aws_network_acl.network_data_nacl.id",
                                                            "aws_network_acl.network_data_nacl"]}
    if not preview:  # values known: the reference sits on the nested attribute, naming the attribute used
        service = config["aws_ecs_service.platform_payments_api_service"]["expressions"]
        assert service["load_balancer"] == [{"target_group_arn": {"references": [
            "aws_lb_target_group.platform_payments_api_tg.arn", "aws_lb_target_group.platform_payments_api_tg"]}}]


def test_unknown_values_are_left_out_and_marked() -> None:
    doc = exported("acme-prod", True)
    subnet = by_address(doc, "changes")["aws_subnet.network_app_us_east_1a"]["change"]
    assert "vpc_id" not in subnet["after"] and subnet["after_unknown"]["vpc_id"] is True
    service = by_address(doc, "changes")["aws_ecs_service.platform_payments_api_service"]["change"]
    assert service["after"]["network_configuration"][0]["subnets"] == [None, None, None]
    assert service["after_unknown"]["network_configuration"][0]["subnets"] == [True, True, True]
    assert "[unknown]" not in json.dumps(doc)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_secrets_are_masked_and_marked_sensitive(preview: bool) -> None:
    plan, doc = planned("acme-prod", preview), exported("acme-prod", preview)
    text = json.dumps(doc)
    assert plan.secrets() and not [s for s in plan.secrets() if s in text]
    # the primary region's link: its keys are the stack file's secrets (the DR end's are AWS's unless
    # `drPresharedKeySecret` names them)
    vpn = by_address(doc)["aws_vpn_connection.vpn_dc_santiago"]
    assert vpn["values"]["tunnel1_preshared_key"] == "[secret]"
    assert vpn["sensitive_values"]["tunnel1_preshared_key"] is True
    change = by_address(doc, "changes")[vpn["address"]]["change"]
    assert change["after_sensitive"]["tunnel1_preshared_key"] is True


# --- the baseline ------------------------------------------------------------------------------


def test_committed_baseline_is_valid_and_explained() -> None:
    entries = load_baseline()
    assert entries
    kinds = ("Checkov cannot see", "Checkov cannot tell", "Accepted", "Open finding")
    assert [a for a in entries if not a.reason.startswith(kinds) or len(a.reason) < 80] == []
    assert len({(a.check, a.resource, a.stack) for a in entries}) == len(entries)


@pytest.mark.parametrize("entry, problem", [
    ({"check": "CKV_AWS_20", "resource": "*", "stack": "*"}, "needs exactly"),
    ({"check": "CKV_AWS_20", "resource": "*", "stack": "*", "reason": " "}, "non-empty"),
    ({"check": "S3_PUBLIC", "resource": "*", "stack": "*", "reason": "x"}, "not a Checkov check id"),
])
def test_invalid_baseline_entries_are_refused(tmp_path: Path, entry: dict[str, str], problem: str) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(json.dumps({"accepted": [entry]}))
    with pytest.raises(ScanError, match=problem):
        load_baseline(path)


def test_compare_reports_new_failures_and_stale_entries() -> None:
    failures = [Failure("acme-prod", "CKV_AWS_378", "aws_lb_target_group.platform_a_tg", "HTTP"),
                Failure("acme-prod", "CKV_AWS_24", "aws_security_group.x", "ssh")]
    baseline = [Accepted("CKV_AWS_378", "aws_lb_target_group.*_tg", "*-prod", "why"),
                Accepted("CKV_AWS_378", "aws_lb_target_group.*_tg", "*-staging", "why"),
                Accepted("CKV_AWS_24", "aws_security_group.y", "*", "why")]
    new, stale = compare(failures, baseline)
    assert new == [failures[1]] and stale == baseline[1:]


def test_scan_without_checkov_is_invalid_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert scan_module.main(["--checkov", str(tmp_path / "no-checkov")]) == scan_module.EXIT_INVALID
    assert "install-checkov.sh" in capsys.readouterr().err


def test_registered_command_hands_its_arguments_to_main(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a second command, so `scan` stays a subcommand
    scan_module.register(app)
    result = CliRunner().invoke(app, ["scan", "--checkov", str(tmp_path / "no-checkov")])
    assert result.exit_code == scan_module.EXIT_INVALID


# --- Checkov, once ----------------------------------------------------------------------------

#: Each weakening of acme-prod, and the (check, address) failures it must add: nothing else.
WEAKENED: dict[str, tuple[dict[str, Any], set[tuple[str, str]]]] = {
    "data-documents-public-access-block": (
        {"blockPublicAcls": False, "blockPublicPolicy": False, "ignorePublicAcls": False,
         "restrictPublicBuckets": False},
        {("CKV_AWS_53", "aws_s3_bucket_public_access_block.data_documents_public_access_block"),
         ("CKV_AWS_54", "aws_s3_bucket_public_access_block.data_documents_public_access_block"),
         ("CKV_AWS_55", "aws_s3_bucket_public_access_block.data_documents_public_access_block"),
         ("CKV_AWS_56", "aws_s3_bucket_public_access_block.data_documents_public_access_block"),
         ("CKV2_AWS_6", "aws_s3_bucket.data_documents")}),  # the bucket, through the reference: a graph check
    "data-documents-encryption": (
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        {("CKV_AWS_145", "aws_s3_bucket.data_documents")}),
    "network-sg-endpoints": (
        {"ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"],
                      "description": "SSH from anywhere"}]},
        {("CKV_AWS_24", "aws_security_group.network_sg_endpoints")}),
    "data-ledger": ({"storageEncrypted": False}, {("CKV_AWS_96", "aws_rds_cluster.data_ledger")}),
    "environment-key": ({"enableKeyRotation": False}, {("CKV_AWS_7", "aws_kms_key.environment_key")}),
}


def _weakened(plan: Plan) -> Plan:
    def weaken(r: CapturedResource) -> CapturedResource:
        if r.name not in WEAKENED:
            return r
        return dataclasses.replace(r, inputs={**r.inputs, **WEAKENED[r.name][0]})

    resources = [weaken(r) for r in plan.capture.resources]
    assert len({r.name for r in resources} & set(WEAKENED)) == len(WEAKENED)
    return dataclasses.replace(plan, capture=dataclasses.replace(plan.capture, resources=resources))


def failover_plan(directory: Path) -> Plan:
    """acme-prod with `connect:dr.active` (zones named, as a failover requires): failing over is a commit of the
    stack file, which `make scan` then reads, so that state must not add a failure outside the baseline."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text(encoding="utf-8"))
    doc["config"]["connect:dr"]["active"] = True
    zones = planned("acme-prod", False).capture.outputs["zones"]
    assert isinstance(zones, list)
    doc["config"]["connect:network"]["availabilityZones"] = zones
    directory.mkdir()
    stack_file = directory / "Pulumi.acme-prod.yaml"
    stack_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return plan_stack(config_file=stack_file, preview=False)


def test_checkov_fails_each_weakening_and_nothing_outside_the_baseline(tmp_path: Path) -> None:
    """One Checkov run (one test, so xdist cannot split it into two) over acme-prod, its weakened copy and its
    declared failover."""
    executable = checkov()
    plan = planned("acme-prod", False)
    exported_count = 0
    plans = (("acme-prod", plan), ("weakened", _weakened(plan)), ("failover", failover_plan(tmp_path / "stack")))
    for name, one in plans:
        doc = to_tfplan(one)
        (tmp_path / f"{name}{scan_module.PLAN_SUFFIX}").write_text(json.dumps(doc))
        exported_count += len(doc["planned_values"]["root_module"]["resources"])
    _, read, failures = run_checkov(tmp_path, executable)
    assert read == exported_count  # a resource Checkov cannot read is a resource it does not check
    found: dict[str, set[tuple[str, str]]] = {"acme-prod": set(), "weakened": set(), "failover": set()}
    for f in failures:
        found[f.stack].add((f.check, f.address))

    expected = set().union(*(added for _, added in WEAKENED.values()))
    assert found["weakened"] - found["acme-prod"] == expected
    assert found["acme-prod"] - found["weakened"] == set()

    as_committed = [Failure("acme-prod", check, address, "") for check, address in sorted(found["acme-prod"])]
    new, _ = compare(as_committed, load_baseline())
    assert new == []
    restored = {address for _, address in found["failover"] - found["acme-prod"]}
    assert "aws_rds_cluster.dr_restore_ledger" in restored  # the databases a failover restores are checked
    failed_over = [Failure("acme-prod", check, address, "") for check, address in sorted(found["failover"])]
    new, _ = compare(failed_over, load_baseline())
    assert new == []
