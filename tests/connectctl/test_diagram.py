"""`connectctl diagram`: the picture shows what the plan declares, Mermaid is well formed, Graphviz renders it.

Facts are checked against the plan's stack outputs and the stack file (egress IPs by zone, services'
capacity, VPN links, DR region), not against the diagram's own model.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectctl import diagram
from connectctl.cli import app
from connectctl.diagram import DiagramFormat, architecture, layout, render, to_mermaid
from connectctl.plan import Plan, plan_stack
from tests.components.plans import planned
from tests.connectctl.conftest import connectctl, project_copy

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (Debian: graphviz)")


@cache
def mermaid(stack: str) -> str:
    return to_mermaid(layout(architecture(planned(stack, False))))


# A line-by-line reader of the Mermaid subset the writer emits: any other statement is an error.
ID = r"[A-Za-z][A-Za-z0-9_]*"
LABEL = r'"[^"]*"'
FRONT_MATTER = re.compile(r'^(---|title: "[^"]*")$')
SUBGRAPH = re.compile(rf"^subgraph ({ID})\[{LABEL}\]$")
NODE = re.compile(rf"^({ID})(\[{LABEL}\]|\(\({LABEL}\)\))$")
EDGE = re.compile(rf"^({ID}) (-->|==>|-\.->|~~~)(?:\|({LABEL})\|)? ({ID})$")
CLASS_DEF = re.compile(rf"^classDef ({ID}) [^ ]+$")
CLASS = re.compile(rf"^class ({ID}(?:,{ID})*) ({ID})$")
STYLE = re.compile(rf"^style ({ID}) [^ ]+$")


@dataclass
class Flowchart:
    """What a Mermaid flowchart declares: nodes (with labels and enclosing subgraphs), subgraphs, edges."""

    nodes: dict[str, str] = field(default_factory=dict)  # id -> label
    parents: dict[str, list[str]] = field(default_factory=dict)  # node or subgraph id -> enclosing subgraphs
    subgraphs: dict[str, str] = field(default_factory=dict)  # id -> title
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # (src, arrow, label, dst)
    classes: dict[str, list[str]] = field(default_factory=dict)
    styled: list[str] = field(default_factory=list)

    def label_of(self, node: str) -> str:
        return self.nodes[node].replace("<br/>", "\n").replace("<b>", "").replace("</b>", "")

    def edge(self, src: str, dst: str) -> tuple[str, str, str, str]:
        found = [e for e in self.edges if e[0] == src and e[3] == dst]
        assert found, f"no edge {src} -> {dst}"
        return found[0]


def parse(text: str) -> Flowchart:
    """Parse the writer's Mermaid, failing on anything unexpected: unbalanced subgraphs, unknown statements."""
    lines = text.splitlines()
    assert lines[:3] == ["---", lines[1], "---"] and FRONT_MATTER.match(lines[1]), lines[:3]
    assert lines[3] == "flowchart LR"
    chart, stack = Flowchart(), list[str]()
    for number, raw in enumerate(lines[4:], start=5):
        line = raw.strip()
        if m := SUBGRAPH.match(line):
            assert m[1] not in chart.subgraphs and m[1] not in chart.nodes, f"line {number}: {m[1]} declared twice"
            chart.subgraphs[m[1]] = line.split("[", 1)[1][1:-2]
            chart.parents[m[1]] = list(stack)
            stack.append(m[1])
        elif line == "end":
            assert stack, f"line {number}: end without subgraph"
            stack.pop()
        elif m := NODE.match(line):
            assert m[1] not in chart.nodes and m[1] not in chart.subgraphs, f"line {number}: {m[1]} declared twice"
            chart.nodes[m[1]] = m[2].strip("[]()")[1:-1]
            chart.parents[m[1]] = list(stack)
        elif m := EDGE.match(line):
            assert not stack, f"line {number}: edges come after every subgraph is closed"
            chart.edges.append((m[1], m[2], (m[3] or '""')[1:-1], m[4]))
        elif m := CLASS_DEF.match(line):
            assert not stack
        elif m := CLASS.match(line):
            chart.classes[m[2]] = m[1].split(",")
        elif m := STYLE.match(line):
            chart.styled.append(m[1])
        else:
            raise AssertionError(f"line {number}: unexpected Mermaid statement {raw!r}")
    assert not stack, f"subgraphs never closed: {stack}"
    return chart


def node_with(chart: Flowchart, *texts: str) -> str:
    """The one node whose label holds every text."""
    found = [n for n in chart.nodes if all(t in chart.label_of(n) for t in texts)]
    assert len(found) == 1, f"{texts}: {found}"
    return found[0]


@pytest.mark.parametrize("stack", ["acme-prod", "globex-prod", "acme-staging"])
def test_mermaid_is_well_formed(stack: str) -> None:
    chart = parse(mermaid(stack))
    declared = set(chart.nodes) | set(chart.subgraphs)
    for src, _, _, dst in chart.edges:
        assert src in declared and dst in declared, f"edge {src} -> {dst} names an undeclared node"
    for kind, ids in chart.classes.items():
        assert set(ids) <= set(chart.nodes), f"class {kind} names undeclared nodes"
    assert set(chart.styled) == set(chart.subgraphs)
    assert all(chart.label_of(n).strip() for n in chart.nodes)


def test_acme_prod_shows_every_zone_with_its_tiers_and_nat_egress_ip() -> None:
    plan, chart = planned("acme-prod", False), parse(mermaid("acme-prod"))
    by_zone = plan.capture.outputs["egressIpsByZone"]
    assert isinstance(by_zone, dict) and len(by_zone) == 3
    for zone, ip in by_zone.items():
        az = f"p_az_{zone.replace('-', '_')}"
        assert chart.subgraphs[az] == f"Availability Zone {zone}"
        assert "p_vpc" in chart.parents[az] and "p_region" in chart.parents[az]
        tiers = {chart.label_of(n).splitlines()[0] for n in chart.nodes if az in chart.parents[n]}
        assert tiers == {"ingress subnet", "app subnet", "data subnet"}
        nat = node_with(chart, "NAT gateway", f"egress IP {ip}")
        assert az in chart.parents[nat]
        assert chart.edge(nat, "internet")  # egress to the internet from this NAT
        app = node_with(chart, "app subnet", zone_cidr(plan, zone, "app"))
        assert chart.edge(app, nat)[2] == "0.0.0.0/0"  # per-AZ NAT: each app tier egresses in its own zone


def zone_cidr(plan: Plan, zone: str, tier: str) -> str:
    subnets = [r for r in plan.resources if r.type == "aws:ec2/subnet:Subnet"
               and r.inputs.get("availabilityZone") == zone and r.inputs.get("tags", {}).get("connect:tier") == tier]
    assert len(subnets) == 1
    return str(subnets[0].inputs["cidrBlock"])


def test_acme_prod_shows_every_service_with_base_and_max_behind_the_internal_load_balancer() -> None:
    plan, chart = planned("acme-prod", False), parse(mermaid("acme-prod"))
    assert "internal application load balancer" in chart.label_of("p_alb")
    assert chart.parents["p_alb"][-1] == "p_ecs"
    for service in plan.config.services:
        node = node_with(chart, service.name, f"{service.capacity.base}..{service.capacity.max} tasks")
        assert chart.parents[node][-1] == "p_ecs"
        routes = chart.edge("p_alb", node)[2]
        for route in [*service.routes.paths, *(f"host {h}" for h in service.routes.hosts)]:
            assert route in routes
        for store in service.uses:
            assert any(e[0] == node and store in chart.label_of(e[3]) for e in chart.edges if e[3] in chart.nodes)


def test_acme_prod_shows_the_vpn_links_to_the_client_data_centres() -> None:
    plan, chart = planned("acme-prod", False), parse(mermaid("acme-prod"))
    assert plan.config.vpn is not None
    tunnels = plan.capture.outputs["vpnConnections"]
    assert isinstance(tunnels, dict)
    for link in plan.config.vpn.connections:
        dc = node_with(chart, link.name, link.peer_ip, *link.on_prem_cidrs)
        assert chart.parents[dc] == ["clients"]
        assert all(ip in chart.label_of(dc) for ip in tunnels[link.name]["tunnelOutsideIps"])
        _, arrow, label, _ = chart.edge(dc, "p_vgw")
        assert arrow == "==>" and label.startswith("IPsec")
    assert "AS 64512" in chart.label_of("p_vgw")
    assert chart.edge("p_vgw", "p_alb")[2] == "HTTPS 443"


def test_acme_prod_shows_the_dr_region_with_its_vault_copies_and_standby() -> None:
    plan, chart = planned("acme-prod", False), parse(mermaid("acme-prod"))
    assert chart.subgraphs["dr_region"] == f"AWS {plan.config.tenant.dr_region} · DR region · pilot-light"
    dr_ips = plan.capture.outputs["drEgressIps"]
    assert isinstance(dr_ips, list) and len(dr_ips) == 3
    for ip in dr_ips:
        assert "dr_region" in chart.parents[node_with(chart, f"NAT egress IP {ip}")]
    standby = chart.label_of("dr_ecs")
    for service in plan.config.services:  # pilot light: zero tasks, the same maximum
        assert f"{service.name} 0..{service.capacity.max} tasks" in standby
    assert "acme-prod-dr" in chart.label_of("dr_vault")
    assert chart.edge("p_vault", "dr_vault")[1] == "-.->"
    assert chart.edge("p_store_bucket_documents", "dr_store_bucket_documents")[2].startswith("S3 replication")
    assert chart.edge("p_store_database_ledger", "p_vault")


def test_acme_prod_shows_the_inbound_resolvers_with_their_addresses_in_both_regions() -> None:
    """Each region's Route 53 Resolver inbound endpoint, in its VPC, with the addresses of the stack output
    `resolverInboundIps` (what the client's DNS servers forward the zone to), reached over the VPN."""
    plan, chart = planned("acme-prod", False), parse(mermaid("acme-prod"))
    addresses, zone = plan.capture.outputs["resolverInboundIps"], plan.capture.outputs["dnsZone"]
    assert isinstance(addresses, dict) and isinstance(zone, str)
    for prefix, region in (("p", plan.config.region), ("dr", plan.config.tenant.dr_region)):
        assert len(addresses[region]) == 2  # AWS's minimum, in the first two zones' app subnets
        node = node_with(chart, "Route 53 Resolver inbound endpoint", *addresses[region])
        assert node == f"{prefix}_resolver" and f"{prefix}_vpc" in chart.parents[node]
        assert f"forward {zone} here" in chart.label_of(node) and node in chart.classes["resolver"]
        assert chart.edge(f"{prefix}_vgw", node)[2] == "DNS 53"


def test_acme_prod_shows_the_vpn_links_ending_in_the_dr_region_too() -> None:
    plan, chart = planned("acme-prod", False), parse(mermaid("acme-prod"))
    assert plan.config.vpn is not None
    standby = plan.capture.outputs["drVpnConnections"]
    assert isinstance(standby, dict) and set(standby) == {c.name for c in plan.config.vpn.connections}
    assert chart.parents["dr_vgw"] == ["dr_region", "dr_vpc"] and "AS 64512" in chart.label_of("dr_vgw")
    for link in plan.config.vpn.connections:
        dc = node_with(chart, link.name, link.peer_ip)
        assert "DR tunnel ends " + ", ".join(standby[link.name]["tunnelOutsideIps"]) in chart.label_of(dc)
        _, arrow, label, _ = chart.edge(dc, "dr_vgw")
        assert arrow == "==>" and label == "IPsec, 2 tunnels (DR)"
    assert chart.edge("dr_vgw", "dr_ecs")[2] == "HTTPS 443"  # the standby's load balancer admits the same ranges


def test_a_preview_draws_the_resolvers_without_addresses() -> None:
    """In a preview AWS has not assigned the addresses yet: the node says so instead of showing unknowns."""
    chart = parse(to_mermaid(layout(architecture(plan_stack("acme-staging", preview=True)))))
    label = chart.label_of("p_resolver")
    assert "addresses assigned at creation" in label and "unknown" not in label
    assert "dr_vgw" not in chart.nodes and "dr_resolver" not in chart.nodes  # backup-restore without dr.vpn


@needs_dot
def test_dot_and_svg_show_the_resolvers_and_the_dr_vpn() -> None:
    plan = planned("acme-prod", False)
    drawing = layout(architecture(plan))
    source = render(drawing, DiagramFormat.dot).decode()
    declared = {line.split(" [", 1)[0] for line in source.splitlines() if line.startswith("\t\t\t")}
    assert {"\t\t\tp_resolver", "\t\t\tdr_resolver", "\t\t\tdr_vgw"} <= declared  # inside region and VPC
    for edge in ("dc_dc_santiago -> dr_vgw", "p_vgw -> p_resolver", "dr_vgw -> dr_resolver"):
        assert f"\t{edge} [" in source, edge
    svg = html.unescape(render(drawing, DiagramFormat.svg).decode())
    addresses = plan.capture.outputs["resolverInboundIps"]
    assert isinstance(addresses, dict)
    assert "Route 53 Resolver inbound endpoint" in svg and "IPsec, 2 tunnels (DR)" in svg
    assert all(ip in svg for ips in addresses.values() for ip in ips)


def test_globex_prod_shows_own_egress_ips_efs_replication_two_links_and_warm_standby() -> None:
    chart = parse(mermaid("globex-prod"))
    assert sum("(client's own)" in chart.label_of(n) for n in chart.nodes) == 3
    assert chart.edge("p_store_fileSystem_report_files", "dr_store_fileSystem_report_files")[2] == "EFS replication"
    assert chart.edge("p_svc_reports_worker", "p_store_fileSystem_report_files")
    assert chart.edge("p_svc_reports_worker", "p_store_bucket_invoices")
    assert {"dc_dc_lima", "dc_dc_bogota"} <= set(chart.nodes)
    assert chart.edge("dc_dc_lima", "dr_vgw") and chart.edge("dc_dc_bogota", "dr_vgw")  # warm standby: links in DR
    assert "routes to the app, data tiers" in chart.label_of("dc_dc_lima")
    assert "web-gateway 1..12 tasks" in chart.label_of("dr_ecs")
    assert "warm-standby" in chart.subgraphs["dr_region"]


def test_acme_staging_single_nat_static_link_and_backup_restore() -> None:
    chart = parse(mermaid("acme-staging"))
    nats = [n for n in chart.nodes if "egress IP" in chart.label_of(n)]
    assert nats == ["p_us_east_1a_ingress"]
    assert chart.edge("p_us_east_1b_app", "p_us_east_1a_ingress")[2] == "0.0.0.0/0"  # crosses zones to the one NAT
    assert "static routes" in chart.label_of("dc_dc_santiago")
    assert "172.17.0.0/16" in chart.label_of("dc_dc_santiago")
    assert "dr_vpc" not in chart.subgraphs and "backup-restore" in chart.subgraphs["dr_region"]
    assert chart.edge("p_vgw", "p_resolver")[2] == "DNS 53" and "dr_vgw" not in chart.nodes


def test_committed_mermaid_is_current() -> None:
    committed = (DOCS / "diagram-acme-prod.mmd").read_text()
    assert committed == mermaid("acme-prod"), "regenerate: connectctl diagram acme-prod > docs/diagram-acme-prod.mmd"


def test_committed_png_is_a_small_png() -> None:
    data = (DOCS / "diagram-acme-prod.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE) and 50_000 < len(data) < 400_000


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@needs_dot
def test_dot_renders_png_and_svg() -> None:
    drawing = layout(architecture(planned("acme-prod", False)))
    png = render(drawing, DiagramFormat.png)
    width, height = png_size(png)
    assert 50_000 < len(png) < 400_000 and 1000 < width < 4000 and 600 < height < 3000
    svg = html.unescape(render(drawing, DiagramFormat.svg).decode())
    assert "<svg" in svg and "payments-api" in svg and "Availability Zone us-east-1a" in svg
    source = render(drawing, DiagramFormat.dot).decode()
    assert source.startswith("digraph connect {") and "rankdir=LR" in source and "cluster_dr_region" in source


@needs_dot
def test_cli_writes_a_png(tmp_path: Path) -> None:
    project, cwd = project_copy(tmp_path), tmp_path / "cwd"
    cwd.mkdir()
    result = connectctl("diagram", "acme-prod", "--format", "png", "--project-dir", str(project), cwd=cwd)
    assert result.returncode == 0, result.stderr
    written = project / "out" / "diagrams" / "acme-prod.png"  # default: under the project, never the cwd
    assert f"wrote {written}" in " ".join(result.stderr.split()) and not any(cwd.iterdir())
    png_size(written.read_bytes())


def test_png_and_svg_go_under_the_project_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --output a picture goes to out/diagrams/<stack>.<format> of the project (git-ignored), created when
    missing: not the current directory, which scattered pictures wherever the command ran."""
    monkeypatch.setattr(diagram, "plan_stack", lambda stack, **_: planned(stack, False))
    monkeypatch.setattr(diagram.shutil, "which", lambda _: "/usr/bin/dot")
    monkeypatch.setattr(diagram, "render", lambda drawing, output_format: b"picture")
    monkeypatch.chdir(tmp_path)
    project = project_copy(tmp_path)
    result = CliRunner().invoke(app, ["diagram", "acme-prod", "--format", "svg", "--project-dir", str(project)])
    assert result.exit_code == 0, result.stderr
    assert (project / "out" / "diagrams" / "acme-prod.svg").read_bytes() == b"picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]
    assert "/out/" in (ROOT / ".gitignore").read_text().splitlines()


def test_cli_text_formats_go_to_stdout_or_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram, "plan_stack", lambda stack, **_: planned(stack, False))  # in process, planned once
    runner = CliRunner()
    result = runner.invoke(app, ["diagram", "acme-prod"])
    assert result.exit_code == 0 and result.stdout == mermaid("acme-prod")
    result = runner.invoke(app, ["diagram", "acme-prod", "--format", "dot", "--output", str(tmp_path / "acme.dot")])
    assert result.exit_code == 0 and result.stdout == ""
    assert (tmp_path / "acme.dot").read_text().startswith("digraph connect {")
    result = runner.invoke(app, ["diagram", "acme-prod", "--output", str(tmp_path / "missing" / "acme.mmd")])
    assert result.exit_code == 2 and "cannot write the diagram" in result.stderr


def test_unknown_stack_is_an_error_without_traceback() -> None:
    result = connectctl("diagram", "nope-prod")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "nope-prod" in result.stderr and "Traceback" not in result.stderr


def test_account_stack_is_refused_with_a_reason() -> None:
    result = connectctl("diagram", "acme-account")
    assert result.returncode == 2
    assert "account stack" in result.stderr and "Traceback" not in result.stderr


def test_missing_graphviz_names_the_debian_package(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no dot (nor anything else) on PATH
    result = connectctl("diagram", "acme-prod", "--format", "svg", env=env)
    assert result.returncode == 2
    assert "Debian package `graphviz`" in result.stderr and "Traceback" not in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    result = connectctl("diagram", "acme-prod", "--format", "jpeg")
    assert result.returncode == 2 and "jpeg" in result.stderr
