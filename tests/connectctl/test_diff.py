"""`connectctl diff`: what a stack-file change does, from the real plans of the real stacks.

Each scenario edits a copy of a committed stack file (same file name, so its account stack and pack config
resolve as for the original) and compares the two update-mode plans. Plans are cached by file content, for the
CLI too (`plan_stack` is patched with the cache), so each stack file is planned once per test worker.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from connectctl import cli
from connectctl.diff import FORCE_NEW, REGIONLESS, Action, StackDiff, diff_plans, force_new
from connectctl.diff import stackfiles as diff_stackfiles
from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import load_project, stand_in
from connectctl.engine.provider_schema import resource_schemas
from connectctl.plan import Plan
from tests.components.plans import cached_plan_stack, planned

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
PROD = "urn:pulumi:acme-prod::connect::"
LEDGER = f"{PROD}connect:data:DataStores$aws:rds/cluster:Cluster::data-ledger"
VPC = f"{PROD}connect:network:TenantNetwork$aws:ec2/vpc:Vpc::network-vpc"
NEW_PSK = "v1:bmV3LWNpcGhlcnRleHQ="  # another ciphertext for connect:vpnPskSantiago1

def planned_update(stack: str) -> Plan:
    """The committed stack's plan in update mode (every value known), as `connectctl diff` plans."""
    return planned(stack, False)


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, Callable[[dict[str, Any]], None]], Path]:
    """Edited copies of committed stack files, kept for the module (cached plans read their secrets back)."""
    made: dict[tuple[str, str], Path] = {}

    def make(stack: str, label: str, edit: Callable[[dict[str, Any]], None]) -> Path:
        if (stack, label) not in made:
            doc = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
            edit(doc["config"])
            directory = tmp_path_factory.mktemp(label)
            path = directory / f"Pulumi.{stack}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
            made[(stack, label)] = path
        return made[(stack, label)]

    return make


def compare(stack: str, path: Path) -> StackDiff:
    return diff_plans(planned_update(stack), cached_plan_stack(config_file=path, preview=False))


@pytest.fixture(autouse=True)
def cached_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diff_stackfiles, "plan_stack", cached_plan_stack)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["diff", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def of(result: StackDiff, action: Action) -> set[str]:
    return {r.name for r in result.resources if r.action is action}


# --- the scenarios of the issue -------------------------------------------------------------------------------


def set_cidr(config: dict[str, Any]) -> None:
    config["connect:network"]["cidr"] = "10.50.0.0/16"


def test_a_cidr_change_replaces_protected_resources(variants: Any) -> None:
    result = compare("acme-prod", variants("acme-prod", "cidr", set_cidr))
    by_urn = {r.urn: r for r in result.resources}
    vpc = by_urn[VPC]
    assert vpc.action is Action.replace and vpc.reasons == ["cidrBlock forces replacement"]
    [cidr] = [c for c in vpc.changes if c.path == "cidrBlock"]
    assert (cidr.old, cidr.new, cidr.forces_replacement) == ("10.40.0.0/16", "10.50.0.0/16", True)
    for zone in ("us-east-1a", "us-east-1b", "us-east-1c"):  # the VPC-dependent network, rebuilt
        for name in (f"Subnet::network-app-{zone}", f"Subnet::network-data-{zone}", f"NatGateway::network-nat-{zone}"):
            urn = next(u for u in by_urn if u.endswith(name))
            assert by_urn[urn].action is Action.replace, urn
    # The protected cluster goes with its subnet group, which AWS cannot move to the new VPC.
    assert [r.urn for r in result.blocked] == [LEDGER]
    assert result.resources[0].urn == LEDGER  # flagged first
    assert any("dbSubnetGroupName forces replacement" in reason for reason in by_urn[LEDGER].reasons)
    group = next(r for r in result.resources if r.name == "data-ledger-subnets")
    assert group.action is Action.replace and "which AWS does not do in place" in group.reasons[0]
    # What is protected and outside the VPC stays: egress IPs (the client allow-lists them), keys, flow logs.
    untouched = {"network-egress-ip-us-east-1a", "environment-key", "network-flow-logs", "data-documents"}
    assert untouched.isdisjoint(of(result, Action.replace) | of(result, Action.delete))
    # In place, not replaced: the internet and VPN gateways re-attach, services move subnets.
    assert {"network-igw", "vpn-gateway", "platform-payments-api-service"} <= of(result, Action.update)
    assert not of(result, Action.create) and not of(result, Action.delete)


def test_the_cli_flags_the_cidr_change_with_exit_1(variants: Any) -> None:
    code, output = run("acme-prod", str(variants("acme-prod", "cidr", set_cidr)))
    assert code == 1
    lines = output.splitlines()
    protected = next(i for i, line in enumerate(lines) if line.startswith("Protected resources replaced or deleted"))
    assert "data-ledger aws:rds/cluster:Cluster (protected, retained on delete)" in lines[protected + 1]
    assert protected < next(i for i, line in enumerate(lines) if line.startswith("Replaced ("))
    assert 'cidrBlock: "10.40.0.0/16" -> "10.50.0.0/16" [forces replacement]' in output
    assert lines[-1].startswith("BLOCKED: 1 protected resource(s) replaced or deleted")


def zones_a_and_c(config: dict[str, Any]) -> None:
    config["connect:network"]["availabilityZones"] = ["us-east-1c", "us-east-1a"]


def test_removing_the_zone_of_a_database_instance_is_flagged(variants: Any) -> None:
    """acme-prod's reader was created in us-east-1b and is kept there (ignoreChanges): dropping us-east-1b would
    delete the subnet it sits in, which AWS refuses; the diff says so and exits 1 (as for the zone's protected
    egress IPs, in both regions)."""
    result = compare("acme-prod", variants("acme-prod", "zones-a-c", zones_a_and_c))
    assert {r.type for r in result.blocked} == {"aws:ec2/eip:Eip"} and result.failing
    [message] = result.stranded
    assert message.startswith("data-ledger-instance-2 stays in us-east-1b") and "keep the zone" in message
    # Its computed zone moved to us-east-1c, which ignoreChanges keeps from being a change of the instance.
    assert "data-ledger-instance-2" not in {r.name for r in result.resources}
    assert "network-data-us-east-1b" in of(result, Action.delete)
    code, output = run("acme-prod", str(variants("acme-prod", "zones-a-c", zones_a_and_c)))
    assert code == 1 and "Instances left in a removed zone (1)" in output
    assert re.match(r"BLOCKED: \d+ protected resource\(s\) replaced or deleted, 1 instance\(s\) left in a removed zone",
                    output.splitlines()[-1])
    code, output = run("acme-prod", str(variants("acme-prod", "zones-a-c", zones_a_and_c)), "--format", "markdown")
    assert code == 1 and "> - data-ledger-instance-2 stays in us-east-1b" in output


def test_removing_a_zone_no_instance_sits_in_is_not_flagged(variants: Any) -> None:
    """Three zones to two (a count): us-east-1c goes, the writer (a) and reader (b) stay."""
    def two(config: dict[str, Any]) -> None:
        config["connect:network"]["availabilityZones"] = 2

    result = compare("acme-prod", variants("acme-prod", "zones-2", two))
    assert result.stranded == [] and "network-data-us-east-1c" in of(result, Action.delete)


def test_adding_a_service_creates_only_its_resources(variants: Any) -> None:
    def add(config: dict[str, Any]) -> None:
        config["connect:services"].append({
            "name": "ledger-api", "image": {"repository": "accounts-api", "tag": "1.0.0"}, "cpu": 256, "memory": 512,
            "port": 8080, "routes": {"paths": ["/ledger/*"]}, "capacity": {"base": 1, "max": 2}})

    result = compare("acme-staging", variants("acme-staging", "add-service", add))
    created = of(result, Action.create)
    assert {"platform-ledger-api-service", "platform-ledger-api-task-definition", "platform-ledger-api-tg",
            "platform-ledger-api-rule", "platform-ledger-api-scaling"} <= created
    assert all("ledger-api" in name for name in created), created
    assert not of(result, Action.delete) and not of(result, Action.replace) and not result.blocked
    assert all("ledger-api" not in r.name for r in result.of(Action.update))  # the others only mention it


def test_removing_a_vpn_link_deletes_only_its_resources(variants: Any) -> None:
    def drop_bogota(config: dict[str, Any]) -> None:
        links = config["connect:vpn"]["connections"]
        config["connect:vpn"]["connections"] = [link for link in links if link["name"] != "dc-bogota"]

    result = compare("globex-prod", variants("globex-prod", "drop-vpn", drop_bogota))
    deleted = of(result, Action.delete)
    assert {"vpn-dc-bogota", "vpn-dc-bogota-cgw", "dr-vpn-dc-bogota", "dr-vpn-dc-bogota-cgw"} <= deleted
    # its end in each region, and the inbound resolvers' DNS rules from its range (10.101.0.0/16)
    resolver_rules = re.compile(r"dns-resolver-(primary|dr)-sg-(tcp|udp)-(53-from|replies-to)-dc-bogota-10-101-0-0-16")
    assert all(name.startswith(("vpn-dc-bogota", "dr-vpn-dc-bogota")) or resolver_rules.fullmatch(name)
               for name in deleted), deleted
    assert len([name for name in deleted if resolver_rules.fullmatch(name)]) == 2 * 2 * 2
    assert not of(result, Action.create) and not of(result, Action.replace) and not result.blocked
    assert all("dc-lima" not in r.name for r in result.resources)  # the other link is untouched


def test_changing_a_service_capacity_is_an_update_not_a_replacement(variants: Any) -> None:
    def scale(config: dict[str, Any]) -> None:
        config["connect:services"][0]["capacity"] = {"base": 2, "max": 5}  # payments-api

    result = compare("acme-staging", variants("acme-staging", "capacity", scale))
    assert not of(result, Action.replace) and not of(result, Action.create) and not of(result, Action.delete)
    target = next(r for r in result.resources if r.name == "platform-payments-api-scaling")
    assert {c.path: (c.old, c.new) for c in target.changes} == {"minCapacity": (1, 2), "maxCapacity": (3, 5)}
    assert not any(c.forces_replacement for r in result.resources for c in r.changes)
    assert "platform-payments-api-service" not in of(result, Action.update)  # desiredCount is ignoreChanges


def test_reordering_services_changes_nothing(variants: Any) -> None:
    def reverse(config: dict[str, Any]) -> None:
        config["connect:services"].reverse()

    result = compare("acme-staging", variants("acme-staging", "reorder", reverse))
    assert result.resources == [] and result.unchanged == len(planned_update("acme-staging").resources)
    code, output = run("acme-staging", str(variants("acme-staging", "reorder", reverse)), "--format", "markdown")
    assert code == 0 and "No changes." in output


def test_two_stack_files_of_different_names_compare_resource_by_resource(tmp_path: Path) -> None:
    """URNs carry the stack name: the old plan's are read under the new name, so a renamed copy is the same."""
    copy_ = tmp_path / "Pulumi.acme-qa.yaml"
    shutil.copy(STACKS / "Pulumi.acme-staging.yaml", copy_)
    result = diff_plans(planned_update("acme-staging"), cached_plan_stack(config_file=copy_, preview=False))
    assert result.stack == "acme-qa" and not result.blocked
    assert not of(result, Action.create) and not of(result, Action.delete)


def edited(plan: Plan, edit: Callable[[list[CapturedResource]], None]) -> Plan:
    """A copy of a plan whose captured resources were edited (the engine's rules without another planning run)."""
    resources = copy.deepcopy(plan.capture.resources)
    edit(resources)
    return dataclasses.replace(plan, capture=dataclasses.replace(plan.capture, resources=resources))


def test_a_provider_whose_region_changes_replaces_everything_it_manages() -> None:
    def move_dr(resources: list[CapturedResource]) -> None:
        next(r for r in resources if r.urn.endswith("pulumi:providers:aws::dr")).inputs["region"] = "eu-west-1"

    old = planned_update("acme-staging")
    result = diff_plans(old, edited(old, move_dr))
    dr_managed = {r.urn for r in old.resources if "pulumi:providers:aws::dr::" in r.provider}
    replaced = {r.urn for r in result.resources if r.action is Action.replace}
    assert dr_managed and dr_managed < replaced  # and the provider itself
    vault = next(r for r in result.resources if r.name == "dr-vault-dr")
    assert vault.blocked and vault.reasons == ["its provider dr is replaced"]  # protected: flagged


def test_a_type_missing_from_the_table_is_taken_as_replaced_and_a_deletion_of_a_protected_resource_flagged() -> None:
    def edit(resources: list[CapturedResource]) -> None:
        vpc = next(r for r in resources if r.name == "network-vpc")
        vpc.type, vpc.inputs["enableDnsSupport"] = "aws:example/new:Type", False
        resources.remove(next(r for r in resources if r.name == "network-flow-logs"))

    result = diff_plans(planned_update("acme-staging"), edited(planned_update("acme-staging"), edit))
    vpc = next(r for r in result.resources if r.name == "network-vpc")
    assert vpc.action is Action.replace and "not in the force-new table" in vpc.reasons[0]
    [flow_logs] = result.blocked
    assert (flow_logs.name, flow_logs.action, flow_logs.retain_on_delete) == ("network-flow-logs", Action.delete, True)


# --- replacement table --------------------------------------------------------------------------------------


def test_the_force_new_table_covers_every_type_the_stacks_declare() -> None:
    declared = {r.type for stack in load_project().stacks() for r in planned_update(stack).resources}
    assert sorted(declared - set(FORCE_NEW)) == [], "add these types to connectctl.diff.FORCE_NEW"
    assert (force_new("aws:ec2/subnet:Subnet") or frozenset()) >= {"vpcId", "cidrBlock", "region"}
    assert "region" not in (force_new("aws:iam/role:Role") or set())  # IAM is global
    assert force_new("aws:example/unknown:Unknown") is None


def test_every_table_property_is_a_camel_case_input_name() -> None:
    for type_, properties in FORCE_NEW.items():
        for prop in properties:
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", prop), (type_, prop)


def test_every_table_property_is_an_input_of_the_provider_schema() -> None:
    """The installed SDK's input schema (what `pulumi preview` checks) has each listed property, and a `region`
    argument exactly for the types the table does not call global: a typo or a property the provider dropped
    would otherwise never force anything."""
    aws_types = sorted(t for t in FORCE_NEW if t.startswith("aws:"))
    schemas = resource_schemas(aws_types)
    for type_ in aws_types:
        schema = schemas[type_]
        assert schema is not None, type_
        assert sorted(FORCE_NEW[type_] - set(schema.properties)) == [], type_
        assert ("region" in schema.properties) == (type_ not in REGIONLESS_TYPES), type_


REGIONLESS_TYPES = {t for t in FORCE_NEW if t.startswith(REGIONLESS)}


def test_route53_replacement_rules() -> None:
    """Zone, records and health checks are global; a record is keyed by zone and name only (type and set
    identifier change in one batch), a zone's VPCs and a resolver's addresses change in place."""
    assert force_new("aws:route53/zone:Zone") == {"name", "delegationSetId"}
    assert force_new("aws:route53/record:Record") == {"name", "zoneId"}
    assert force_new("aws:route53/healthCheck:HealthCheck") == {
        "type", "referenceName", "measureLatency", "requestInterval", "routingControlArn"}
    assert force_new("aws:route53/resolverEndpoint:ResolverEndpoint") == {"direction", "securityGroupIds", "region"}
    assert force_new("connect:dns:ServiceNames") == frozenset()


# --- the declared failover (issue 19) -------------------------------------------------------------------------


def declare_failover(config: dict[str, Any]) -> None:
    """`connect:dr.active`, with the zones named as the output `zones` lists them (a failover asks nothing of the
    primary region)."""
    config["connect:dr"]["active"] = True
    zones = planned_update("acme-prod").capture.outputs["zones"]
    assert isinstance(zones, list)
    config["connect:network"]["availabilityZones"] = zones


def test_declaring_the_failover_touches_the_dr_region_only(variants: Any) -> None:
    """Databases restored in the DR region, standby services scaled to their base, the switch alarm flipped; no
    resource of the primary region, no Route 53 record or health check (their control plane is us-east-1's)."""
    result = compare("acme-prod", variants("acme-prod", "failover", declare_failover))
    new = cached_plan_stack(config_file=variants("acme-prod", "failover", declare_failover), preview=False)
    providers = {r.urn: r for r in new.resources if r.type == "pulumi:providers:aws"}
    dr_region = new.config.tenant.dr_region

    def region(urn: str) -> str:
        resource = next(r for r in new.resources if r.urn == urn)
        provider = providers.get(resource.provider.rsplit("::", 1)[0])
        return str(provider.inputs.get("region")) if provider is not None else ""

    touched = [r for r in result.resources if r.type != "pulumi:providers:aws"]
    assert touched and not result.blocked and not of(result, Action.delete)
    assert {r.name: region(r.urn) for r in touched if region(r.urn) != dr_region} == {}
    assert not [r.name for r in touched if r.type.startswith("aws:route53/")]
    assert [r.name for r in touched if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm" and r.action is
            Action.update] == ["dns-failover-declared"]
    for database in new.config.data.databases:
        restored = next(r for r in new.resources if r.name == f"dr-restore-{database.name}")
        assert restored.type == "aws:rds/cluster:Cluster" and restored.inputs.get("snapshotIdentifier")
        assert restored.urn in {r.urn for r in touched if r.action is Action.create}
    scaled = {r.name: r.changes for r in touched if r.type == "aws:appautoscaling/target:Target"}
    assert len(scaled) == len(new.config.services)
    assert all([c.path for c in changes] == ["minCapacity"] for changes in scaled.values())


# --- formats and secrets --------------------------------------------------------------------------------------


def test_json_document_shape(variants: Any) -> None:
    code, output = run("acme-prod", str(variants("acme-prod", "cidr", set_cidr)), "--format", "json")
    assert code == 1
    doc = json.loads(output)
    assert list(doc) == ["project", "stack", "old", "new", "resources", "stranded", "summary"]
    assert (doc["project"], doc["stack"], doc["old"]) == ("connect", "acme-prod", "stacks/Pulumi.acme-prod.yaml")
    assert list(doc["summary"]) == ["replace", "delete", "update", "create", "same", "protected", "stranded"]
    assert doc["stranded"] == [] and doc["summary"]["stranded"] == 0
    assert doc["summary"]["protected"] == 1 and doc["summary"]["replace"] > 50
    first = doc["resources"][0]
    assert list(first) == ["urn", "type", "name", "action", "protect", "retainOnDelete", "protectedViolation",
                           "reasons", "changes"]
    assert (first["urn"], first["action"], first["protectedViolation"]) == (LEDGER, "replace", True)
    vpc = next(r for r in doc["resources"] if r["urn"] == VPC)
    assert vpc["changes"] == [{"path": "cidrBlock", "kind": "update", "old": "10.40.0.0/16", "new": "10.50.0.0/16",
                               "forcesReplacement": True, "waitsFor": []}]
    subnet = next(r for r in doc["resources"] if r["name"] == "network-app-us-east-1a")
    cascade = next(c for c in subnet["changes"] if c["path"] == "vpcId")
    assert cascade["new"] == "[unknown]" and cascade["waitsFor"] == [VPC] and cascade["forcesReplacement"]


def test_markdown_for_the_pull_request(variants: Any) -> None:
    code, output = run("acme-prod", str(variants("acme-prod", "cidr", set_cidr)), "--format", "markdown")
    assert code == 1
    lines = output.splitlines()
    assert lines[0] == "### `connectctl diff` of `acme-prod`: 1 protected resource(s) replaced or deleted"
    assert "| replace | delete | update | create | unchanged |" in lines
    caution = lines.index("> [!CAUTION]")
    ledger = next(i for i, line in enumerate(lines) if line.startswith("| replace | `data-ledger` (protected"))
    replaced = next(i for i, line in enumerate(lines) if line.startswith("<details><summary>Replaced ("))
    assert caution < ledger < replaced
    assert "`cidrBlock`: `\"10.40.0.0/16\"` → `\"10.50.0.0/16\"` **forces replacement**" in output
    assert len(output) < 20000  # fits beside the preview in one comment
    for line in lines:
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) in (5, 6), line  # 4 or 5 cells: no value breaks the table


def set_psk(config: dict[str, Any]) -> None:
    config["connect:vpnPskSantiago1"] = {"secure": NEW_PSK}


def test_a_changed_pre_shared_key_shows_as_changed_and_never_printed(variants: Any) -> None:
    path = variants("acme-prod", "psk", set_psk)
    result = compare("acme-prod", path)
    [connection] = result.resources
    assert (connection.name, connection.action) == ("vpn-dc-santiago", Action.update)  # keys change in place
    assert [(c.path, c.old, c.new) for c in connection.changes] == [("tunnel1PresharedKey", "[secret]", "[secret]")]
    old_ciphertext = yaml.safe_load((STACKS / "Pulumi.acme-prod.yaml").read_text())["config"]["connect:vpnPskSantiago1"]
    never = [NEW_PSK, old_ciphertext["secure"], stand_in("connect:vpnPskSantiago1"),
             stand_in("connect:vpnPskSantiago2")]
    for output_format in ("text", "json", "markdown"):
        code, output = run("acme-prod", str(path), "--format", output_format)
        assert code == 0 and "tunnel1PresharedKey" in output, output_format
        assert "[secret]" in output
        for value in never:
            assert value not in output, (output_format, value)


# --- git revisions and bad input ------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
                    "-C", str(repo), *args], capture_output=True, text=True, check=True)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """A repository holding the project file, the program entry point and the stack files, committed."""
    project = tmp_path / "repo"
    shutil.copytree(STACKS, project / "stacks")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    yield project


def test_base_head_of_an_unchanged_tree_shows_no_changes(repo: Path) -> None:
    code, output = run("acme-staging", "--base", "HEAD", "--project-dir", str(repo))
    assert code == 0, output
    assert "stacks/Pulumi.acme-staging.yaml at HEAD -> stacks/Pulumi.acme-staging.yaml (working tree)" in output
    assert output.splitlines()[-1].startswith("OK: 0 to replace, 0 to delete, 0 to update, 0 to create")


def test_base_without_the_stack_file_creates_everything(repo: Path) -> None:
    for kind in ("Pulumi.{}.yaml", "policy.{}.json"):
        shutil.copy(repo / "stacks" / kind.format("acme-staging"), repo / "stacks" / kind.format("acme-qa"))
    code, output = run("acme-qa", "--base", "main", "--project-dir", str(repo), "--format", "json")
    assert code == 0, output
    doc = json.loads(output)
    assert doc["old"] == "stacks/Pulumi.acme-qa.yaml at main (absent)"
    assert doc["resources"] and {r["action"] for r in doc["resources"]} == {"create"}


def test_base_reads_the_revision_not_the_working_tree(repo: Path) -> None:
    stack_file = repo / "stacks" / "Pulumi.acme-staging.yaml"
    original = stack_file.read_text()
    stack_file.write_text(original.replace("cidr: 10.41.0.0/16", "cidr: 10.42.0.0/16"))
    git(repo, "commit", "-qam", "new range")
    code, output = run("acme-staging", "--base", "HEAD~1", "--project-dir", str(repo), "--format", "json")
    assert code == 0, output  # staging has no protected resource inside its VPC
    vpc = next(r for r in json.loads(output)["resources"] if r["name"] == "network-vpc")
    [cidr] = [c for c in vpc["changes"] if c["path"] == "cidrBlock"]
    assert (cidr["old"], cidr["new"], cidr["forcesReplacement"]) == ("10.41.0.0/16", "10.42.0.0/16", True)


@pytest.mark.parametrize(("args", "message"), [
    (["acme-staging", "--base", "no-such-rev"], "--base 'no-such-rev': no such commit"),
    (["acme-staging", "--base", "--oops"], "not a git revision"),
    (["acme-staging", "acme-prod", "--base", "HEAD"], "with --base REV name one stack"),
    (["acme-staging"], "name two stack files"),
    (["acme-nowhere", "--base", "HEAD"], "no stack file stacks/Pulumi.acme-nowhere.yaml for stack 'acme-nowhere'"),
    (["acme-staging", "/no/such/Pulumi.x.yaml"], "/no/such/Pulumi.x.yaml: no such stack file"),
])
def test_bad_input_exits_2_with_a_message(repo: Path, args: list[str], message: str) -> None:
    code, output = run(*args, "--project-dir", str(repo))
    assert code == 2 and message in " ".join(output.split()), output


def test_outside_a_git_repository_exits_2(repo: Path) -> None:
    shutil.rmtree(repo / ".git")
    code, output = run("acme-staging", "--base", "HEAD", "--project-dir", str(repo))
    assert code == 2 and "is not inside a git repository; --base needs one" in " ".join(output.split())


def test_an_invalid_base_stack_file_exits_2_naming_the_revision(repo: Path) -> None:
    stack_file = repo / "stacks" / "Pulumi.acme-staging.yaml"
    good = stack_file.read_text()
    stack_file.write_text(good.replace("cidr: 10.41.0.0/16", "cidr: 8.8.0.0/16"))
    git(repo, "commit", "-qam", "broken")
    stack_file.write_text(good)
    code, output = run("acme-staging", "--base", "HEAD", "--project-dir", str(repo))
    assert code == 2
    flat = " ".join(output.split())
    assert "stacks/Pulumi.acme-staging.yaml at HEAD:" in flat and "connect:network.cidr" in flat
    assert "connectctl-diff-" not in flat  # the temporary copy's path is not shown


def test_a_copy_with_invalid_config_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "Pulumi.acme-staging.yaml"
    broken.write_text("config:\n  connect:network: [not, a, mapping\n")
    code, output = run("acme-staging", str(broken))
    assert code == 2 and "YAML error" in output


def test_diff_is_a_registered_command_with_its_options() -> None:
    code, output = run("--help")
    assert code == 0
    for option in ("--base", "--format", "--project-dir"):
        assert option in output
