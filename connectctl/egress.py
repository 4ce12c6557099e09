"""`connectctl egress record STACK`: write the egress IPs the client allow-lists into the stack file, by zone.

Why in the stack file: the audit's `nat-egress-ips` check must hold the live NAT gateways to what the client was
told, with no saved outputs file and without trusting tags (an EIP replaced with its tags copied over is another
address all the same). Recorded once after the first deploy, reviewed in a pull request like any change, the
promise (`connect:network.egressIps`) declares nothing: the program never reads it.

The file is edited in place, keeping every comment and the layout: ruamel.yaml's round-trip parser finds where
`connect:network` and its keys are, and only the lines of `egressIps` are written there. (A full round-trip dump
rewrites some flow styles, e.g. `[{name: invoices}]` as `[name: invoices]`, so the rest of the text is kept as it
was, byte for byte.) The result is then parsed and validated like any stack file; on failure nothing is written.
A recorded IP that would change is refused unless `--replace` says the client allow-listed the new one.
"""

from __future__ import annotations

import io
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from components import clock
from components.config import StackConfig
from connectctl.audit.context import (
    AuditContext,
    aws_errors,
    explain,
    load_outputs,
    load_stack_config,
    open_session,
)
from connectctl.audit.model import AuditError
from connectctl.engine.project import StackFile, load_stack
from connectctl.errors import EXIT_OK, fail, input_errors
from connectctl.plan import validate

KEY = "egressIps"

egress_app = typer.Typer(name="egress", no_args_is_help=True, help="The egress IPs the client allow-lists, recorded "
                         "in the stack file (the audit's promise).")


def from_outputs(path: Path, stack: str, cfg: StackConfig) -> dict[str, str]:
    """`egressIpsByZone` of `pulumi stack output --json` (components/stack.py exports it): zone -> IP."""
    outputs = load_outputs(path, stack, cfg)
    by_zone = outputs.get("egressIpsByZone")
    if not isinstance(by_zone, dict) or not by_zone or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in by_zone.items()):
        raise AuditError(f"{path}: no output 'egressIpsByZone' (a map zone -> IP); expected the unmodified "
                         f"`pulumi stack output --json --stack {stack}` of a deployed environment stack")
    return dict(by_zone)


def from_live(ctx: AuditContext) -> dict[str, str]:
    """Zone -> primary public IP of each NAT gateway of the stack's VPC, read from EC2."""
    nats = ctx.nat_gateways()
    if not nats:
        raise AuditError(f"{ctx.vpc_id()} has no NAT gateway in {ctx.region}: nothing to record (is {ctx.stack} "
                         "deployed?)")
    subnets = sorted({str(n["SubnetId"]) for n in nats})
    zones = {s["SubnetId"]: s["AvailabilityZone"] for s in ctx.ec2().describe_subnets(SubnetIds=subnets)["Subnets"]}
    found: dict[str, str] = {}
    for nat in sorted(nats, key=lambda n: str(n["NatGatewayId"])):
        zone = zones[nat["SubnetId"]]
        addresses = [a for a in nat.get("NatGatewayAddresses", []) if a.get("PublicIp")]
        primary = [a for a in addresses if a.get("IsPrimary", True)] or addresses
        if not primary:
            raise AuditError(f"NAT gateway {nat['NatGatewayId']} in {zone} has no public IP yet ({nat.get('State')}): "
                             "record once it is available")
        if zone in found:
            raise AuditError(f"two NAT gateways in {zone} ({nat['NatGatewayId']} and another): the stack has one per "
                             "zone; find out which is the stack's before recording")
        found[zone] = str(primary[0]["PublicIp"])
    return found


def _block(lines: list[str], start: int, column: int) -> int:
    """The line after the block of the key at line `start` (0-based): deeper-indented lines and blank lines belong
    to it, trailing blank and comment lines do not (they introduce what follows)."""
    end = start + 1
    while end < len(lines):
        text = lines[end]
        stripped = text.strip()
        if stripped and len(text) - len(text.lstrip()) <= column:
            break
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def spliced(text: str, ips: dict[str, str]) -> str:
    """`text` with `connect:network.egressIps` set to `ips`, every other byte kept."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    parser = YAML(typ="rt")
    data = parser.load(text)
    config = data.get("config") if isinstance(data, CommentedMap) else None
    network = config.get("connect:network") if isinstance(config, CommentedMap) else None
    if not isinstance(network, CommentedMap) or not network or network.fa.flow_style():
        raise ValueError("connect:network is not a block mapping (key: value lines); write egressIps by hand")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    keys = list(network)
    column = network.lc.key(keys[0])[1]
    block = [f"{' ' * column}{KEY}:\n"] + [f"{' ' * (column + 2)}{zone}: {ip}\n" for zone, ip in sorted(ips.items())]
    if KEY in network:
        start = network.lc.key(KEY)[0]
        end = _block(lines, start, column)
    else:
        last = network.lc.key(keys[-1])[0]
        start = end = _block(lines, last, column)
    return "".join(lines[:start] + block + lines[end:])


def record(stack_file: StackFile, ips: dict[str, str], replace: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Write the promise; returns (before, after). Refuses to change a recorded IP without `replace`."""
    cfg = validate(stack_file)
    if cfg.network is None:
        raise AuditError(f"{stack_file.display_path}: {stack_file.stack} is an account stack: it has no NAT gateways")
    before = dict(cfg.network.egress_ips)
    changed = {zone: (before[zone], ip) for zone, ip in ips.items() if zone in before and before[zone] != ip}
    if changed and not replace:
        shown = "; ".join(f"{zone}: {old} -> {new}" for zone, (old, new) in sorted(changed.items()))
        raise AuditError(f"{stack_file.display_path}: connect:network.egressIps would change ({shown}): the client "
                         "allow-lists the recorded IPs. Once the client allow-lists the new ones, pass --replace; "
                         "otherwise restore the recorded EIPs (connectctl audit reports them)")
    after = {**before, **ips} if not replace else dict(ips)
    original = stack_file.path.read_text(encoding="utf-8")
    try:
        text = spliced(original, after)
    except ValueError as exc:
        raise AuditError(f"{stack_file.display_path}: {exc}") from None
    stack_file.path.write_text(text, encoding="utf-8")
    try:
        reread = validate(load_stack(stack_file.project, stack_file.stack))
    except input_errors(plan=False) as exc:
        stack_file.path.write_text(original, encoding="utf-8")
        raise AuditError(f"not recorded, the stack file would not validate: {exc}") from None
    assert reread.network is not None
    if dict(reread.network.egress_ips) != after:  # the splice wrote what was meant, and nothing else moved
        stack_file.path.write_text(original, encoding="utf-8")
        raise AuditError(f"{stack_file.display_path}: not recorded: the edit did not read back as written")
    return before, after


@egress_app.command("record")
def record_command(
    stack: Annotated[str, typer.Argument(help="Environment stack, e.g. acme-prod (stacks/Pulumi.<stack>.yaml)")],
    from_outputs_file: Annotated[Path | None, typer.Option(
        "--from-outputs", help="`pulumi stack output --json` of the deployed stack, saved to a file "
        "(its egressIpsByZone).")] = None,
    live: Annotated[bool, typer.Option(
        "--live", help="Read the NAT gateways' IPs from the account (read-only).")] = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace recorded IPs that differ (only once the client allow-lists the new ones).")] = False,
    endpoint_url: Annotated[str | None, typer.Option(
        "--endpoint-url", help="With --live: send AWS calls here.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="With --live: the primary region.")] = None,
    assume_role: Annotated[bool, typer.Option("--assume-role/--no-assume-role",
                                              help="With --live: assume the stack's deployRoleArn (default).")] = True,
    profile: Annotated[str | None, typer.Option("--profile", help="With --live: AWS profile.")] = None,
    project_dir: Annotated[Path | None, typer.Option("--project-dir", help="The project holding STACK.")] = None,
) -> None:
    """Record the egress IPs the client allow-lists in the stack file (connect:network.egressIps, by zone)."""
    if (from_outputs_file is None) == (not live):
        raise fail("give --from-outputs FILE or --live (one of them)")
    try:
        stack_file, cfg = load_stack_config(stack, project_dir)
        if cfg.network is None:
            raise AuditError(f"{stack_file.display_path}: {stack} is an account stack: it has no NAT gateways")
        if from_outputs_file is not None:
            ips, source = from_outputs(from_outputs_file, stack, cfg), str(from_outputs_file)
        else:
            primary = region or cfg.region
            client, identity = open_session(cfg, stack, profile=profile, assume_role=assume_role, region=primary,
                                            endpoint_url=endpoint_url)
            ctx = AuditContext(stack=stack, cfg=cfg, account_id=identity["account"], region=primary,
                               dr_region=cfg.tenant.dr_region, registry_region=primary, repositories=[],
                               client=client, now=clock.now(), rpo=timedelta(0),
                               partition=identity["arn"].split(":")[1])
            try:
                ips = from_live(ctx)
            except aws_errors() as exc:
                raise explain(exc, "reading the NAT gateways") from None
            source = f"the NAT gateways of {ctx.vpc_id()} ({identity['account']}, {primary})"
        before, after = record(stack_file, ips, replace)
    except (AuditError, clock.ClockError) as exc:
        raise fail(str(exc)) from None
    out = io.StringIO()
    added = sorted(z for z in after if z not in before)
    replaced = sorted(z for z in after if z in before and before[z] != after[z])
    if not added and not replaced:
        out.write(f"{stack_file.display_path}: connect:network.egressIps already holds {source}'s IPs; unchanged\n")
    else:
        out.write(f"{stack_file.display_path}: connect:network.egressIps recorded from {source}:\n")
        for zone in sorted(after):
            mark = " (new)" if zone in added else f" (was {before[zone]})" if zone in replaced else ""
            out.write(f"  {zone}: {after[zone]}{mark}\n")
        out.write("review and commit the stack file: connectctl audit holds the NAT gateways to these IPs\n")
    sys.stdout.write(out.getvalue())
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the `egress` command group to `app`."""
    app.add_typer(egress_app, name="egress")
