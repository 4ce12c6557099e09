"""Issue #21 parts 2 and 3 on the moto server: resources outside the stacks, and the egress IPs as a promise.

The seed (tests/connectctl/moto_seed.py) leaves acme-prod's security groups and rules exactly as its plan declares
them, so a healthy account passes `unmanaged-resources`; each test adds one thing made outside Pulumi and takes it
away again. The promise tests work on a copy of the project (`--project-dir`): `connectctl egress record` writes
into that copy's stack file, never into the committed one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from moto.ec2.models import ec2_backends

from components import clock
from connectctl.audit.checks import CHECK_IDS
from connectctl.check import check_file
from connectctl.plan import plan_stack
from tests.connectctl import moto_seed, test_audit
from tests.connectctl.conftest import project_copy
from tests.connectctl.state import as_state_resource
from tests.connectctl.test_audit import invoke

seed = test_audit.seed  # the module-scoped moto server of the audit tests, seeded once for this module too
CHECK = "unmanaged-resources"
ACCOUNT, REGION = moto_seed.ACCOUNT, moto_seed.REGION


@functools.cache
def pack_rules() -> tuple[str, ...]:
    """`--skip` for each of the pack's rules judged live (issue #21 part 1, tested in its own module): these tests
    hold the audit's own checks, and their findings only."""
    code, out, _ = invoke("audit", "--list", "--format", "json")
    assert code == 0
    ids = [c["id"] for c in json.loads(out)["checks"] if c.get("source", "audit") != "audit"]
    return tuple(word for check in ids for word in ("--skip", check))


def audit(seed: moto_seed.Seed, stack: str, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = invoke("audit", stack, "--endpoint-url", seed.endpoint, "--format", "json", *pack_rules(), *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def of(doc: dict[str, Any], check: str = CHECK) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["check"] == check]


def status(doc: dict[str, Any], check: str = CHECK) -> dict[str, Any]:
    return next(c for c in doc["checks"] if c["id"] == check)


def ec2(seed: moto_seed.Seed, region: str = REGION) -> Any:
    return moto_seed.aws(seed.session, seed.endpoint, "ec2", region)


def group_of(seed: moto_seed.Seed, description: str) -> str:
    groups = ec2(seed).describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [seed.prod.vpc_id]},
                                                         {"Name": "description", "Values": [description]}])
    (group,) = groups["SecurityGroups"]
    return str(group["GroupId"])


@contextmanager
def instance_in(seed: moto_seed.Seed, subnet: str | None) -> Iterator[str]:
    """A t3.micro started by hand (in `subnet`, or the default VPC); terminated on exit."""
    extra = {"SubnetId": subnet} if subnet else {}
    (started,) = ec2(seed).run_instances(ImageId="ami-0abcdef1234567890", InstanceType="t3.micro", MinCount=1,
                                         MaxCount=1, **extra)["Instances"]
    try:
        yield str(started["InstanceId"])
    finally:
        ec2(seed).terminate_instances(InstanceIds=[started["InstanceId"]])


@contextmanager
def task_interface_with_eip(seed: moto_seed.Seed) -> Iterator[tuple[str, str]]:
    """A Fargate task's interface as ECS makes it (requester-managed, described by its attachment), with an
    Elastic IP someone associated to it; yields (interface id, allocation id), both gone on exit."""
    client = ec2(seed)
    eni = client.create_network_interface(
        SubnetId=seed.prod.subnets["app"][moto_seed.ZONES[1]], Groups=[seed.prod.security_group],
        Description=f"arn:aws:ecs:{REGION}:{ACCOUNT}:attachment/6f1c2a4e-0d1b-4c5e-9f3a-2b7d8e9c0a1f",
    )["NetworkInterface"]["NetworkInterfaceId"]
    # ECS marks the interfaces of its tasks requester-managed; moto cannot be asked to, so the test does.
    ec2_backends[ACCOUNT][REGION].get_network_interface(eni).requester_managed = True
    eip = client.allocate_address(Domain="vpc")["AllocationId"]
    association = client.associate_address(AllocationId=eip, NetworkInterfaceId=eni)["AssociationId"]
    try:
        yield eni, eip
    finally:
        client.disassociate_address(AssociationId=association)
        client.release_address(AllocationId=eip)
        client.delete_network_interface(NetworkInterfaceId=eni)


# --- a healthy account ---------------------------------------------------------------------------------------


def test_a_healthy_seeding_owns_everything(seed: moto_seed.Seed) -> None:
    code, prod = audit(seed, "acme-prod")
    assert code == 0 and prod["findings"] == []
    check = status(prod)
    # 8 groups, their 11 rules, 3 NAT interfaces and their 3 Elastic IPs, 5 default-less groups' worth of rules...
    assert check["status"] == "passed" and check["examined"] >= 20
    assert check["note"].startswith("regions us-east-1, us-west-2")
    assert "no VPC 10.42.0.0/16 in us-west-2" in check["note"]  # pilot-light's DR VPC is not seeded
    code, account = audit(seed, "acme-account")
    assert status(account)["status"] == "passed" and of(account) == []
    assert CHECK in CHECK_IDS


# --- the three kinds the issue names -------------------------------------------------------------------------


def test_a_hand_made_rule_on_the_ledger_group_is_reported(seed: moto_seed.Seed) -> None:
    ledger = group_of(seed, "Aurora PostgreSQL ledger: only from the services that use it")
    client = ec2(seed)
    added = client.authorize_security_group_ingress(GroupId=ledger, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    rule = added["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    try:
        code, doc = audit(seed, "acme-prod")
    finally:
        client.revoke_security_group_ingress(GroupId=ledger, SecurityGroupRuleIds=[rule])
    assert code == 1
    (finding,) = of(doc)
    assert (finding["resourceId"], finding["resourceType"], finding["severity"]) == (
        rule, "AWS::EC2::SecurityGroupRule", "critical")  # open to the world
    assert finding["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group-rule/{rule}"
    assert f"of {ledger} (Aurora PostgreSQL ledger: only from the services that use it)" in finding["message"]
    assert "ingress tcp 5432 from 0.0.0.0/0, which no stack of acme declares (a hand-made rule)" in finding["message"]
    assert [f["check"] for f in doc["findings"]] == [CHECK]  # the declared rules are all the stack's


def test_a_copy_of_a_declared_rule_on_another_group_is_not_the_stacks(seed: moto_seed.Seed) -> None:
    """The app tier may reach everything (its declared egress); the same rule on the ledger's group is not declared."""
    ledger = group_of(seed, "Aurora PostgreSQL ledger: only from the services that use it")
    client = ec2(seed)
    added = client.authorize_security_group_egress(GroupId=ledger, IpPermissions=[{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    rule = added["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    try:
        _, doc = audit(seed, "acme-prod")
    finally:
        client.revoke_security_group_egress(GroupId=ledger, SecurityGroupRuleIds=[rule])
    (finding,) = of(doc)
    assert finding["resourceId"] == rule and finding["severity"] == "high"
    assert "egress all traffic to 0.0.0.0/0" in finding["message"]


def test_an_instance_is_reported_by_the_audit_whose_scope_it_is_in(seed: moto_seed.Seed) -> None:
    with instance_in(seed, seed.prod.subnets["app"][moto_seed.ZONES[0]]) as inside, instance_in(seed, None) as stray:
        _, prod = audit(seed, "acme-prod")
        _, account = audit(seed, "acme-account")
        _, staging = audit(seed, "acme-staging")
    assert {(f["resourceId"], f["resourceType"]) for f in of(prod)} == {(inside, "AWS::EC2::Instance")}
    (finding,) = of(prod)
    assert finding["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{inside}"
    assert "t3.micro from ami-0abcdef1234567890" in finding["message"] and "the platform runs no instance" in \
        finding["message"]
    # the one in the default VPC is the account stack's to report, with the default VPC named
    assert [(f["resourceId"], f["resourceType"]) for f in of(account)] == [(stray, "AWS::EC2::Instance")]
    assert stray not in json.dumps(staging) and inside not in json.dumps(staging)


def test_an_eip_on_a_tasks_interface_is_reported_and_the_interface_is_not(seed: moto_seed.Seed) -> None:
    with task_interface_with_eip(seed) as (eni, eip):
        code, doc = audit(seed, "acme-prod")
    assert code == 1
    (finding,) = of(doc)
    assert (finding["resourceId"], finding["resourceType"], finding["severity"]) == (eip, "AWS::EC2::EIP", "critical")
    assert finding["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:elastic-ip/{eip}"
    assert f"is on network interface {eni} (arn:aws:ecs:{REGION}:{ACCOUNT}:attachment/" in finding["message"]
    assert "gives public addresses to its NAT gateways only" in finding["message"]
    assert {f["check"] for f in doc["findings"]} == {CHECK, "no-public-eni"}  # the interface itself is ECS's


def test_tags_copied_onto_a_hand_made_group_do_not_make_it_the_stacks(seed: moto_seed.Seed) -> None:
    client = ec2(seed)
    tags = [{"Key": "connect:client", "Value": "acme"}, {"Key": "connect:environment", "Value": "prod"},
            {"Key": "connect:managed-by", "Value": "connect"}]
    group = client.create_security_group(GroupName="debug", Description="temporary debugging", VpcId=seed.prod.vpc_id,
                                         TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}])
    elsewhere = client.create_security_group(GroupName="acme-prod-copy", Description="copied tags",
                                             TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}])
    try:
        _, prod = audit(seed, "acme-prod")
        _, account = audit(seed, "acme-account")
    finally:
        client.delete_security_group(GroupId=group["GroupId"])
        client.delete_security_group(GroupId=elsewhere["GroupId"])
    found = {f["resourceId"]: f["message"] for f in of(prod)}
    assert set(found) == {group["GroupId"], elsewhere["GroupId"]}
    assert "is declared by no stack of acme" in found[group["GroupId"]]
    assert "is tagged for acme-prod but lies outside its VPCs" in found[elsewhere["GroupId"]]
    assert elsewhere["GroupId"] not in {f["resourceId"] for f in of(account)}  # judged once: by the stack it claims


# --- the reviewed list of allowed leftovers --------------------------------------------------------------------


def allowed(project: Path, *entries: dict[str, Any]) -> Path:
    path = project / "stacks" / "audit-allowed.acme.yaml"
    path.write_text("# reviewed leftovers of acme's account\n" + yaml.safe_dump({"allowed": list(entries)},
                                                                                 sort_keys=False))
    return path


def test_an_allowed_leftover_with_its_reason_is_not_reported_until_it_expires(seed: moto_seed.Seed,
                                                                              tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    today = clock.now().date()
    with instance_in(seed, seed.prod.subnets["app"][moto_seed.ZONES[0]]) as kept:
        entry = {"type": "AWS::EC2::Instance", "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{kept}",
                 "reason": "forensic copy of the box of INC-4711, kept for the investigation",
                 "reviewedBy": "sre-lead@modyo.example", "expires": (today + timedelta(days=30)).isoformat()}
        allowed(project, entry, {**entry, "arn": "arn:aws:ec2:*:*:instance/i-gone*"})
        code, doc = audit(seed, "acme-prod", "--project-dir", str(project))
        assert code == 0 and of(doc) == []
        assert "1 allowed by audit-allowed.acme.yaml" in status(doc)["note"]
        assert "allowed[1] match nothing (remove them)" in status(doc)["note"]

        allowed(project, {**entry, "expires": (today - timedelta(days=1)).isoformat()})
        code, doc = audit(seed, "acme-prod", "--project-dir", str(project))
        assert code == 1
        (finding,) = of(doc)
        assert finding["resourceId"] == kept
        assert f"expired on {(today - timedelta(days=1)).isoformat()}" in finding["message"]

        other_type = {k: v for k, v in entry.items() if k != "arn"} | {"id": "i-*", "type": "AWS::EC2::EIP"}
        allowed(project, other_type)  # another type: not allowed
        assert of(audit(seed, "acme-prod", "--project-dir", str(project))[1])[0]["resourceId"] == kept


@pytest.mark.parametrize(("content", "expected"), [
    ("allowed: [1]", "allowed[0]: int, expected a mapping"),
    ("allowed:\n  - {type: AWS::EC2::Instance, id: i-1, reviewedBy: sre-lead, expires: 2030-01-01}",
     "allowed[0].reason: required"),
    ("allowed:\n  - {type: AWS::S3::Bucket, id: b, reason: why not, reviewedBy: sre-lead, expires: 2030-01-01}",
     "allowed[0].type: 'AWS::S3::Bucket'; allowed: AWS::EC2::Instance, AWS::EC2::EIP"),
    ("allowed:\n  - {type: AWS::EC2::Instance, id: i-1, reason: why not, reviewedBy: sre-lead, expires: soon}",
     "allowed[0].expires: 'soon'; allowed: a date, YYYY-MM-DD"),
    ("allowed:\n  - {type: AWS::EC2::Instance, id: '*', reason: why not, reviewedBy: sre-lead, expires: 2030-01-01}",
     "allowed[0].id: '*'; allowed: an id or a pattern"),
    ("allowed:\n  - {type: AWS::EC2::Instance, reason: why not, reviewedBy: sre-lead, expires: 2030-01-01}",
     "allowed[0]: give arn or id"),
    ("allowed:\n  - {type: AWS::EC2::Instance, id: i-1, why: x, reason: y, reviewedBy: sre-lead, expires: 2030-01-01}",
     "allowed[0].why: unknown key"),
    ("leftovers: []", "expected a mapping with `allowed:`"),
    ("allowed: [\n", "not YAML (line 2)"),
])
def test_a_bad_allowed_list_is_one_message_naming_file_and_field(seed: moto_seed.Seed, tmp_path: Path,
                                                                 content: str, expected: str) -> None:
    project = project_copy(tmp_path)
    path = project / "stacks" / "audit-allowed.acme.yaml"
    path.write_text(content)
    code, out, err = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--project-dir", str(project),
                            *pack_rules())
    assert (code, out) == (2, "")
    message = " ".join(err.split())
    assert str(path) in message and expected in message and "Traceback" not in err


# --- egress IPs as a promise ---------------------------------------------------------------------------------


@contextmanager
def replaced_eip(seed: moto_seed.Seed, zone: str) -> Iterator[tuple[str, str]]:
    """The NAT gateway of `zone` replaced by one egressing through a new EIP that carries the old one's tags, the
    old EIP released (as someone "fixing" a NAT gateway by hand would); yields (old IP, new IP). On exit the old
    address is allocated again, with its tags, on a NAT gateway of its own."""
    client = ec2(seed)

    def delete_nat(nat_id: str) -> None:  # AWS deletes a NAT gateway's interface with it; moto keeps it
        (gateway,) = client.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
        client.delete_nat_gateway(NatGatewayId=nat_id)
        for address in gateway["NatGatewayAddresses"]:
            if address.get("AssociationId"):
                client.disassociate_address(AssociationId=address["AssociationId"])
            client.delete_network_interface(NetworkInterfaceId=address["NetworkInterfaceId"])

    index = moto_seed.ZONES.index(zone)
    old_ip, old_nat = seed.prod.egress_ips[index], seed.prod.nat_ids[index]
    (old,) = client.describe_addresses(PublicIps=[old_ip])["Addresses"]
    tags = [{"ResourceType": "elastic-ip", "Tags": old["Tags"]}]
    new = client.allocate_address(Domain="vpc", TagSpecifications=tags)
    nat = client.create_nat_gateway(SubnetId=seed.prod.subnets["ingress"][zone], AllocationId=new["AllocationId"])
    delete_nat(old_nat)
    client.release_address(AllocationId=old["AllocationId"])
    try:
        yield old_ip, new["PublicIp"]
    finally:
        delete_nat(nat["NatGateway"]["NatGatewayId"])
        client.release_address(AllocationId=new["AllocationId"])
        again = client.allocate_address(Domain="vpc", Address=old_ip, TagSpecifications=tags)
        restored = client.create_nat_gateway(SubnetId=seed.prod.subnets["ingress"][zone],
                                             AllocationId=again["AllocationId"])["NatGateway"]
        seed.prod.nat_ids[index] = restored["NatGatewayId"]


def test_egress_record_writes_the_promise_and_keeps_the_file(seed: moto_seed.Seed, tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    stack_file = project / "stacks" / "Pulumi.acme-prod.yaml"
    before = stack_file.read_text()
    code, out, err = invoke("egress", "record", "acme-prod", "--live", "--endpoint-url", seed.endpoint,
                            "--project-dir", str(project))
    assert code == 0, err
    promised = dict(zip(moto_seed.ZONES, seed.prod.egress_ips, strict=True))
    assert promised == {"us-east-1a": "3.40.0.10", "us-east-1b": "3.40.1.10", "us-east-1c": "3.40.2.10"}
    after = stack_file.read_text()
    added = ["    egressIps:\n", *(f"      {zone}: {ip}\n" for zone, ip in promised.items())]
    lines = before.splitlines(keepends=True)
    at = lines.index("    flowLogs:\n") + 2  # after connect:network's last key and its block
    assert after == "".join(lines[:at] + added + lines[at:])  # every other byte, comments included, as it was
    assert yaml.safe_load(after)["config"]["connect:network"]["egressIps"] == promised
    assert "us-east-1a: 3.40.0.10 (new)" in out and "review and commit the stack file" in out

    # the same again: nothing to change; from an outputs file: the same promise
    assert invoke("egress", "record", "acme-prod", "--live", "--endpoint-url", seed.endpoint,
                  "--project-dir", str(project))[1].endswith("; unchanged\n")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({**seed.prod.outputs("acme", "prod"), "egressIpsByZone": promised}))
    code, out, _ = invoke("egress", "record", "acme-prod", "--from-outputs", str(outputs),
                          "--project-dir", str(project))
    assert code == 0 and stack_file.read_text() == after

    # a recorded IP never changes silently
    outputs.write_text(json.dumps({**seed.prod.outputs("acme", "prod"),
                                   "egressIpsByZone": {**promised, "us-east-1b": "3.40.9.10"}}))
    code, out, err = invoke("egress", "record", "acme-prod", "--from-outputs", str(outputs), "--project-dir",
                            str(project))
    assert (code, out) == (2, "") and stack_file.read_text() == after
    assert "us-east-1b: 3.40.1.10 -> 3.40.9.10" in " ".join(err.split()) and "--replace" in err
    code, out, _ = invoke("egress", "record", "acme-prod", "--from-outputs", str(outputs), "--replace",
                          "--project-dir", str(project))
    assert code == 0 and "us-east-1b: 3.40.9.10 (was 3.40.1.10)" in out
    assert "      us-east-1b: 3.40.9.10\n" in stack_file.read_text()
    assert stack_file.read_text().count("egressIps:") == 1


@pytest.mark.parametrize(("args", "expected"), [
    (["acme-prod"], "give --from-outputs FILE or --live"),
    (["acme-prod", "--live", "--from-outputs", "x.json"], "give --from-outputs FILE or --live"),
    (["acme-account", "--live"], "acme-account is an account stack: it has no NAT gateways"),
    (["acme-prod", "--from-outputs", "/nonexistent/outputs.json"], "cannot read the outputs file"),
])
def test_egress_record_bad_usage(args: list[str], expected: str) -> None:
    code, out, err = invoke("egress", "record", *args)
    assert (code, out) == (2, "") and expected in " ".join(err.split())


def test_an_outputs_file_without_ips_by_zone_is_refused(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"client": "acme", "environment": "prod", "egressIps": ["3.40.0.10"]}))
    code, _, err = invoke("egress", "record", "acme-prod", "--from-outputs", str(outputs),
                          "--project-dir", str(project_copy(tmp_path)))
    assert code == 2 and "no output 'egressIpsByZone'" in " ".join(err.split())


def test_a_replaced_eip_is_a_critical_finding_whatever_its_tags(seed: moto_seed.Seed, tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    assert invoke("egress", "record", "acme-prod", "--live", "--endpoint-url", seed.endpoint,
                  "--project-dir", str(project))[0] == 0
    with replaced_eip(seed, "us-east-1b") as (old_ip, new_ip):
        _, unrecorded = audit(seed, "acme-prod")  # the committed file records no promise: tags decide, and pass
        code, doc = audit(seed, "acme-prod", "--project-dir", str(project))  # no --outputs
    assert status(unrecorded, "nat-egress-ips")["status"] == "passed"
    assert "no promise recorded" in status(unrecorded, "nat-egress-ips")["note"]
    assert code == 1
    found = of(doc, "nat-egress-ips")
    by_type = {f["resourceType"]: f for f in found}
    assert len(found) == 2 and {(f["severity"], f["configPath"]) for f in found} == {
        ("critical", "connect:network.egressIps.us-east-1b")}
    assert f"egresses through {new_ip}, which the client does not allow-list: the IP promised for us-east-1b is " \
           f"{old_ip}, whatever the address's tags say" in by_type["AWS::EC2::NatGateway"]["message"]
    assert by_type["AWS::EC2::EIP"]["resourceId"] == old_ip
    assert "promised to the client for us-east-1b" in by_type["AWS::EC2::EIP"]["message"]
    assert status(doc, "nat-egress-ips")["note"] == (
        "expected: the promise in the stack file (connect:network.egressIps)")
    assert of(doc) == []  # on a NAT gateway of the stack: the promise, not ownership, is what it breaks
    code, doc = audit(seed, "acme-prod", "--project-dir", str(project))
    assert (code, doc["findings"]) == (0, [])  # put back


# --- fleet assure --------------------------------------------------------------------------------------------


def test_fleet_assure_audits_each_stack_and_checks_its_state(seed: moto_seed.Seed, tmp_path: Path) -> None:
    states = tmp_path / "states"
    states.mkdir()
    resources = [as_state_resource(r) for r in plan_stack("acme-prod", preview=False).capture.resources]
    (states / "acme-prod.json").write_text(json.dumps({"version": 3, "deployment": {
        "manifest": {"time": "2026-11-27T00:00:00Z", "magic": "0" * 64, "version": "v3.272.0"},
        "resources": resources}}))
    code, out, err = invoke("fleet", "assure", "--stacks", "acme-*", "--endpoint-url", seed.endpoint,
                            "--state-dir", str(states), "--format", "json", *pack_rules())
    assert code == 1, err
    doc = json.loads(out)
    rows = {s["stack"]: s for s in doc["stacks"]}
    assert [s["stack"] for s in doc["stacks"]] == ["acme-account", "acme-prod", "acme-staging"]
    # the state is judged by the pack as `connectctl check --state` judges it
    violations = len(check_file(states / "acme-prod.json", "state", stack="acme-prod").mandatory)
    assert (rows["acme-prod"]["auditFindings"], rows["acme-prod"]["drFindings"],
            rows["acme-prod"]["stateViolations"]) == (0, 0, violations)
    assert rows["acme-prod"]["result"] == ("failed" if violations else "passed")
    assert rows["acme-prod"]["stateFile"] == str(states / "acme-prod.json")
    for stack in ("acme-account", "acme-staging"):  # each row is what `connectctl audit STACK` finds
        _, alone = audit(seed, stack)
        failing = [f for f in alone["findings"] if f.get("level", "mandatory") == "mandatory"]
        assert rows[stack]["auditFindings"] + rows[stack]["drFindings"] == len(failing)
        assert rows[stack]["result"] == ("failed" if failing else "passed")
        assert [(f["command"], f["check"], f["resourceId"]) for f in rows[stack]["findings"]] == [
            ("dr verify" if f["check"].startswith("dr-") else "audit", f["check"], f["resourceId"])
            for f in alone["findings"]]
    assert rows["acme-staging"]["result"] == "failed" and rows["acme-staging"]["stateViolations"] is None
    assert {f["check"] for f in rows["acme-staging"]["findings"]} >= {CHECK, "no-public-eni"}
    results = [s["result"] for s in doc["stacks"]]
    assert doc["summary"] == {"stacks": 3, "passed": results.count("passed"), "failed": results.count("failed"),
                              "error": 0, "findings": sum(len(s["findings"]) for s in doc["stacks"])}
    assert f"acme-prod: {rows['acme-prod']['result']}: 0 audit finding(s), 0 DR finding(s), {violations} mandatory " \
           "violation(s) in the state" in " ".join(err.split())  # progress: a line per stack (stderr not a terminal)

    code, out, _ = invoke("fleet", "assure", "--stacks", "acme-prod", "--endpoint-url", seed.endpoint, *pack_rules())
    assert code == 0
    assert "PASS: 1 stack(s): 1 passed, 0 with findings, 0 not checked" in " ".join(out.split())


def test_fleet_assure_says_which_stack_could_not_be_checked(seed: moto_seed.Seed) -> None:
    code, out, _ = invoke("fleet", "assure", "--stacks", "acme-prod,globex-prod", "--endpoint-url", seed.endpoint,
                          "--format", "json", *pack_rules())
    assert code == 2  # globex's account holds no deployment here: the night is incomplete, not a pass
    doc = json.loads(out)
    (globex,) = [s for s in doc["stacks"] if s["stack"] == "globex-prod"]
    assert globex["result"] == "error" and globex["auditFindings"] is None
    assert "no VPC tagged connect:client=globex, connect:environment=prod in eu-west-1" in globex["error"]
    assert doc["summary"] | {"findings": 0} == {"stacks": 2, "passed": 1, "failed": 0, "error": 1, "findings": 0}
    code, out, _ = invoke("fleet", "assure", "--stacks", "acme-prod,globex-prod", "--endpoint-url", seed.endpoint,
                          *pack_rules())
    assert code == 2 and "FAIL: 2 stack(s): 1 passed, 0 with findings, 1 not checked" in " ".join(out.split())
    code, _, err = invoke("fleet", "assure", "--stacks", "nobody-*")
    assert code == 2 and "no stack matches 'nobody-*'" in err
