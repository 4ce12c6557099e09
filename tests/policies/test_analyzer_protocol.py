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

from connect_guardrails.catalogue import RULES
from connectctl.engine.analyzer import analyze, build_requests, effective_config, load_pack, load_pack_config
from connectctl.engine.project import load_project
from connectctl.plan import pack_config_path, plan_stack
from tests.policies.harness import TAGS, capture, pinned, provider

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
    assert [p.name for p in info.policies] == [r.id for r in RULES]
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
