"""The real pack, started the way the CLI starts it, gives the same findings as the in-process run.

`python -m pulumi.policy <engine> policies` serves the pack over Pulumi's analyzer gRPC protocol;
we send it the same requests the offline engine builds and compare with `analyze()`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pulumi_aws as aws
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from connect_guardrails import exemptions, integrity
from connect_guardrails.catalogue import RULES
from connectctl.engine.analyzer import analyze, build_requests, effective_config, load_pack, load_pack_config
from connectctl.engine.project import load_project
from connectctl.plan import pack_config_path, plan_stack
from tests.policies.harness import TAGS, capture, pinned, provider

pytestmark = pytest.mark.wall_clock  # gRPC waits on the real clock (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen([sys.executable, "-m", "pulumi.policy", "127.0.0.1:1", "policies"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)


def over_grpc(stub: analyzer_pb2_grpc.AnalyzerStub, resources: list, pack_config: dict | None) -> set[tuple]:
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=effective_config(load_pack(), pack_config)))
    per_resource, stack = build_requests(resources)
    found = {(d.policyName, d.urn or r.urn, d.message) for r in per_resource for d in stub.Analyze(r).diagnostics}
    found |= {(d.policyName, d.urn, d.message) for d in stub.AnalyzeStack(stack).diagnostics}
    return found


def test_analyzer_info_lists_the_catalogue(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "connect-guardrails"
    assert [p.name for p in info.policies] == [r.id for r in RULES] + list(integrity.NAMES)
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert all(levels[r.id] == analyzer_pb2.MANDATORY for r in RULES if r.level == "mandatory")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", load_project().stacks())
def test_real_stacks_same_verdict(pack: analyzer_pb2_grpc.AnalyzerStub, stack: str, preview: bool) -> None:
    plan = plan_stack(stack, preview=preview)
    pack_config = load_pack_config(pack_config_path(plan.stack_file.project, stack))
    expected = {(v.policy, v.urn, v.message) for v in plan.violations}
    assert over_grpc(pack, plan.resources, pack_config) == expected


def _violating() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.Subnet("public", vpc_id=vpc.id, cidr_block="10.0.0.0/20", map_public_ip_on_launch=True, opts=pinned(p))
    aws.ec2.Eip("loose", domain="vpc", tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_violations_same_over_the_wire(pack: analyzer_pb2_grpc.AnalyzerStub, preview: bool) -> None:
    resources = capture(_violating, preview=preview).resources
    expected = {(v.policy, v.urn, v.message) for v in analyze(resources, None)}
    assert {p for p, _, _ in expected} >= {"subnet-no-auto-public-ip", "tenant-tags", "eip-nat-only",
                                            "vpc-flow-logs", "stateful-resources-protected"}
    assert over_grpc(pack, resources, None) == expected


def _raw(stub: analyzer_pb2_grpc.AnalyzerStub, resources: list, pack_config: dict | None) -> list[tuple]:
    """Diagnostics exactly as the engine would print them: (policy, level, urn, message)."""
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=effective_config(load_pack(), pack_config)))
    per_resource, stack = build_requests(resources)
    found = [(d.policyName, d.enforcementLevel, d.urn or r.urn, d.message)
             for r in per_resource for d in stub.Analyze(r).diagnostics]
    return found + [(d.policyName, d.enforcementLevel, d.urn, d.message) for d in stub.AnalyzeStack(stack).diagnostics]


def test_exemptions_inside_the_engine(pack: analyzer_pb2_grpc.AnalyzerStub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the served pack (as `pulumi preview` runs it) a valid exemption turns the finding into an
    advisory `exempted-findings` note with its reason, an invalid one is a mandatory `exemptions` finding,
    an unused one an advisory `exemptions-unused` note; and nothing leaks into the next run."""
    resources = capture(_violating, preview=False).resources
    eip = next(r.urn for r in resources if r.type == "aws:ec2/eip:Eip")
    reason = "client allow-list migration, EIP kept until OPS-7"
    config = {
        "eip-nat-only": {"exemptions": [{"resource": "loose", "reason": reason, "expires": "2999-12-31",
                                         "ticket": "OPS-7"}]},
        "vpc-flow-logs": {"exemptions": [{"resource": "vpc", "reason": "short", "expires": "2999-12-31"}]},
        "alb-access-logs": {"exemptions": [{"resource": "nothing-*", "reason": reason, "expires": "2999-12-31"}]},
        "subnet-no-auto-public-ip": {"exemptions": [{"resource": "public", "reason": reason,
                                                     "expires": "2999-12-31"}]},
    }
    found = _raw(pack, resources, config)
    assert not [f for f in found if f[0] == "eip-nat-only"]
    (exempt,) = [f for f in found if f[0] == integrity.EXEMPTED]
    assert exempt[1:3] == (analyzer_pb2.ADVISORY, eip)
    assert "eip-nat-only: " in exempt[3] and f"[exempt: {reason} (ticket OPS-7, expires 2999-12-31)]" in exempt[3]
    invalid = sorted(f[3].split("\n", 1)[1] for f in found if f[0] == integrity.INVALID)
    assert [f[1] for f in found if f[0] == integrity.INVALID] == [analyzer_pb2.MANDATORY] * 2
    assert invalid == [
        "subnet-no-auto-public-ip: the exemption for 'public' is not applied: the rule is unwaivable.",
        "vpc-flow-logs: the exemption for 'vpc' is not applied: reason is shorter than 20 characters.",
    ]
    assert [f for f in found if f[0] == "vpc-flow-logs"] and [f for f in found if f[0] == "subnet-no-auto-public-ip"]
    (unused,) = [f for f in found if f[0] == integrity.UNUSED]
    assert unused[1] == analyzer_pb2.ADVISORY and "alb-access-logs: the exemption for 'nothing-*' matched no finding" \
        in unused[3]
    again = _raw(pack, resources, None)  # same process, next run: no exemption state left over
    assert not [f for f in again if f[0] in integrity.NAMES]
    assert [f for f in again if f[0] == "eip-nat-only"]
    assert exemptions.RECORDED == []  # this process never ran the served pack's checks


def test_disabled_unwaivable_rule_is_reported_inside_the_engine(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """`connectctl` refuses such a config; the engine would apply it, so the pack itself says so."""
    resources = capture(_violating, preview=False).resources
    config = effective_config(load_pack(), None)
    config["subnet-no-auto-public-ip"].enforcementLevel = analyzer_pb2.DISABLED
    pack.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=config))
    per_resource, stack = build_requests(resources)
    found = [(d.policyName, d.message) for r in per_resource for d in pack.Analyze(r).diagnostics]
    found += [(d.policyName, d.message) for d in pack.AnalyzeStack(stack).diagnostics]
    assert not [f for f in found if f[0] == "subnet-no-auto-public-ip"]
    assert (integrity.INVALID, "Exemptions must be valid and unwaivable rules must run.\n"
            "subnet-no-auto-public-ip: this unwaivable rule did not run; the pack config must not disable it.") \
        in found


def test_remediate_changes_nothing(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """The pack only validates: Remediate, as the engine calls it before Analyze, returns no change."""
    plan = plan_stack("acme-prod", preview=True)
    pack.Configure(analyzer_pb2.ConfigureAnalyzerRequest(
        policyConfig=effective_config(load_pack(), load_pack_config(pack_config_path(plan.stack_file.project,
                                                                                     "acme-prod")))))
    per_resource, _ = build_requests(plan.resources)
    assert per_resource
    for request in per_resource[:40]:
        response = pack.Remediate(request)
        assert list(response.remediations) == []
