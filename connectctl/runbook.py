"""`connectctl dr runbook STACK`: the ordered steps of a failover of one stack, for the incident channel.

A failover is a change of the stack file (`connect:dr.active: true`, components/dr.py), so what it does is known
before the incident: the stack is planned as it stands and in the active state (the same stack file with `active`
set and the zones named, written to a temporary directory), and the two plans are compared as `connectctl diff`
compares them. The runbook names what comes out of that comparison (the databases restored, the services scaled to
their base, the switch alarm that moves every name, any resource of the primary region or of a global control
plane the change needs), the values people need from the active plan's outputs (the DR region's resolver
addresses, its VPN connections and egress IPs), and the expected time of each step: `pulumi up` from the critical
path of the changed resources with the typical figures of connectctl/critical_path.py, the people's steps from
stated assumptions; their sum is compared with the mode's RTO (the `rtoEstimate` output).

Offline values (IDs, addresses AWS picks) are the plan's stand-ins: each step says which `pulumi stack output` gives
the live one. docs/dr-runbook.md explains failover and failback; its sample is this command's output for acme-prod.

Start-up: this module imports the standard library and typer only; the plan engine is imported when a runbook is
built (`connectctl dr verify` loads this module to register the command, and must not pay for the engine).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from connectctl.engine.regions import PROVIDER_TYPE, provider_regions, provider_urn
from connectctl.errors import write_document

if TYPE_CHECKING:
    from components.config import StackConfig
    from connectctl.critical_path import Duration
    from connectctl.engine.capture import CapturedResource
    from connectctl.engine.project import Project
    from connectctl.plan import Plan

CLUSTER = "aws:rds/cluster:Cluster"
SCALING_TARGET = "aws:appautoscaling/target:Target"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RECORD = "aws:route53/record:Record"
RESOLVER = "aws:route53/resolverEndpoint:ResolverEndpoint"
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_DELETE_DOC = "https://docs.aws.amazon.com/efs/latest/ug/delete-replications.html"
EFS_API_DOC = "https://docs.aws.amazon.com/efs/latest/ug/API_DeleteReplicationConfiguration.html"
ROUTE53_DR_DOC = "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/disaster-recovery-resiliency.html"
RESOLVER_DOC = ("https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
                "resolver-forwarding-inbound-queries.html")
RDS_RESTORE_DOC = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-restore-snapshot.html"

# The people's steps: no AWS waiter measures them, so each figure is an assumption and says so.
ASSUMED: dict[str, tuple[float, str]] = {
    "decide": (900, "assumption: confirm the regional outage (AWS Health Dashboard, the primary's alarms), decide "
                    "and announce"),
    "change": (600, "assumption: edit the stack file, `connectctl diff`, review and merge"),
    "dns": (600, "assumption: the client's DNS team points one conditional forwarder at the DR resolvers; cached "
                 "answers expire with their TTL"),
    "vpn": (900, "assumption: the client's network team loads the DR device configuration and the tunnels come up"),
    "efs": (300, f"AWS: deleting a replication configuration 'can take several minutes' ({EFS_DELETE_DOC})"),
    "verify": (300, "assumption: `connectctl dr verify` and `connectctl audit`, minutes each"),
}
# After `pulumi up` flips the switch alarm: its one evaluation period, Route 53's next read of the alarm, and the
# TTL of the answers clients hold (an alias to a load balancer answers with its 60-second TTL).
NAMES_SWITCH = (180.0, "assumption: the switch alarm's 60-second period, Route 53's next read of it, and the 60-second "
                       "TTL of the load balancer's answers")


class RunbookError(Exception):
    """No runbook can be written (no such stack, an account stack, an active state that does not validate)."""


class RunbookFormat(StrEnum):
    """Output formats of `dr runbook`."""

    markdown = "markdown"
    json = "json"


@dataclass
class Step:
    """One step of the failover: who does it, what, and how long it is expected to take (and why that long)."""

    key: str
    title: str
    who: str
    seconds: float
    basis: str
    lines: list[str] = field(default_factory=list)
    alongside: bool = False  # can run while `pulumi up` does (it waits on nothing the change creates)

    def as_json(self) -> dict[str, Any]:
        """`{"key", "title", "who", "seconds", "basis", "alongsideApply", "markdown"}`."""
        return {"key": self.key, "title": self.title, "who": self.who, "seconds": self.seconds, "basis": self.basis,
                "alongsideApply": self.alongside, "markdown": "\n".join(self.lines)}


@dataclass(frozen=True)
class Restored:
    """A database the failover restores in the DR region."""

    database: str
    cluster: str
    source: str  # `latest` or the snapshot ARN of `connect:dr.restoreFrom`
    snapshot: str  # what the plan restores from (offline, `latest` is a placeholder containing "offline")
    urn: str


@dataclass(frozen=True)
class Scaled:
    """A standby service whose floor the failover raises to the client's base."""

    service: str
    before: int | None  # None: the failover creates the service (backup-restore)
    after: int
    maximum: int


@dataclass(frozen=True)
class Touched:
    """A resource the change touches where a failover should touch nothing (the primary region, a global plane)."""

    action: str
    type: str
    name: str
    where: str
    detail: str = ""


@dataclass
class Change:
    """What `connect:dr.active: true` does, from the two plans."""

    counts: dict[str, int]
    restored: list[Restored]
    scaled: list[Scaled]
    switch: tuple[str, str, str] | None  # alarm name, treatMissingData before and after ("" when created)
    providers: list[str]  # "tenant: stsRegion (none) -> us-west-2"
    primary: list[Touched]  # the primary region's resources the change touches (providers apart)
    global_planes: list[Touched]  # IAM, Route 53 (not its resolvers): control planes outside both regions
    plain_records: list[str]  # names that are plain records before the failover (no failover pair yet)
    created_types: set[str]
    chain: list[tuple[str, str, float, str]]  # the change's critical path: name, type, seconds, why
    apply_seconds: float
    unprotect: list[str]  # URNs `pulumi up` of the reverse change stops at (protected, created by the failover)
    back_counts: dict[str, int]  # the reverse change (failing back), as `connectctl diff` counts it
    mandatory: tuple[int, int]  # the pack's mandatory findings: as it stands, in the active state

    def as_json(self) -> dict[str, Any]:
        """The comparison's findings, in the JSON document."""
        return {
            "counts": self.counts,
            "restoredDatabases": [{"database": r.database, "clusterIdentifier": r.cluster, "restoreFrom": r.source,
                                   "snapshot": r.snapshot, "urn": r.urn} for r in self.restored],
            "scaledServices": [{"service": s.service, "minBefore": s.before, "minAfter": s.after, "max": s.maximum}
                               for s in self.scaled],
            "switchAlarm": ({"name": self.switch[0], "treatMissingDataBefore": self.switch[1] or None,
                             "treatMissingDataAfter": self.switch[2]} if self.switch else None),
            "providers": self.providers,
            "primaryRegion": [asdict(t) for t in self.primary],
            "globalControlPlanes": [asdict(t) for t in self.global_planes],
            "plainRecords": self.plain_records,
            "applyCriticalPath": [{"name": n, "type": t, "seconds": s, "basis": b} for n, t, s, b in self.chain],
            "applySeconds": self.apply_seconds,
            "unprotectOnFailback": self.unprotect,
            "failbackCounts": self.back_counts,
            "mandatoryFindings": {"asItStands": self.mandatory[0], "active": self.mandatory[1]},
        }


@dataclass
class Runbook:
    """The failover of one stack, step by step, and how to fail back."""

    stack: str
    stack_file: str
    primary: str
    dr: str
    mode: str
    already_active: bool
    edits: list[tuple[str, str, str]]  # (config path, as it stands, in the active state)
    change: Change
    steps: list[Step]
    failback: list[str]
    rto: str
    rto_seconds: float | None
    outputs: dict[str, Any]
    diff_command: str = ""

    @property
    def total_seconds(self) -> float:
        """Every step one after the other: an upper bound."""
        return sum(step.seconds for step in self.steps)

    @property
    def overlapped_seconds(self) -> float:
        """The client's steps while `pulumi up` runs (those that wait on nothing it creates): the shortest plan."""
        apply = sum(s.seconds for s in self.steps if s.key == "apply")
        alongside = [s.seconds for s in self.steps if s.alongside]
        return sum(s.seconds for s in self.steps if not s.alongside) + max(0.0, max(alongside, default=0.0) - apply)

    def within_rto(self, seconds: float) -> bool | None:
        """A total against the mode's RTO; None when the RTO states no duration to compare with."""
        return None if self.rto_seconds is None else seconds <= self.rto_seconds

    def verdict(self, seconds: float) -> str:
        """`within the RTO`, `over the RTO`, or why there is nothing to compare with."""
        within = self.within_rto(seconds)
        return "no RTO to compare with" if within is None else "within the RTO" if within else "over the RTO"

    def as_json(self) -> dict[str, Any]:
        """The documented `--format json` document."""
        return {
            "stack": self.stack, "stackFile": self.stack_file, "primaryRegion": self.primary, "drRegion": self.dr,
            "mode": self.mode, "alreadyActive": self.already_active,
            "edits": [{"path": p, "asItStands": old, "active": new} for p, old, new in self.edits],
            "change": self.change.as_json(),
            "steps": [s.as_json() for s in self.steps],
            "totalSeconds": self.total_seconds, "overlappedSeconds": self.overlapped_seconds,
            "rtoEstimate": self.rto, "rtoSeconds": self.rto_seconds,
            "withinRto": {"total": self.within_rto(self.total_seconds),
                          "overlapped": self.within_rto(self.overlapped_seconds)},
            "failback": "\n".join(self.failback),
        }


# --- the two states --------------------------------------------------------------------------------------------


def stack_path(project: Project, argument: str) -> Path:
    """A stack name (`acme-prod`: the project's stack file) or the path of a stack file."""
    from connectctl.engine.project import stack_file_argument

    return stack_file_argument(project, argument, RunbookError)


def active_text(text: str, keys: tuple[str, str], zones: list[str] | None, active: bool = True) -> str:
    """The stack file's text with `connect:dr.active` set, every other value as written; `zones` (a count written
    as names): `availabilityZones` by name, and a single NAT gateway's `natZone` where the count put it (the first).
    `keys`: the stack file's spelling of the DR and network config keys (`connect:dr`, `connect:network`)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    parser = YAML(typ="rt")
    parser.preserve_quotes = True  # flow mappings with `cron(... ? *)` must keep their quotes
    parser.width = 4096
    data = parser.load(text)
    config = data["config"]
    dr_key, network_key = keys
    dr = config.get(dr_key)
    if not isinstance(dr, dict):
        dr = config[dr_key] = CommentedMap()
    dr["active"] = active
    if zones is not None:
        network = config[network_key]
        network["availabilityZones"] = zones
        if network.get("natGateways", "perAz") == "single" and not network.get("natZone") and zones:
            network["natZone"] = zones[0]
    written = io.StringIO()
    parser.dump(data, written)
    return written.getvalue()


def _copy_companions(source: Path, stack: str, client: str, into: Path) -> None:
    """The account stack file and pack config beside a stack file go beside its active copy too (the plan looks for
    them beside the stack file first)."""
    for name in (f"Pulumi.{client}-account.yaml", f"policy.{stack}.json"):
        if (source.parent / name).is_file():
            shutil.copyfile(source.parent / name, into / name)


def _plan(project: Project, path: Path) -> Plan:
    from connectctl.plan import plan_stack

    return plan_stack(config_file=path, preview=False, project=project)


def _active_issues(project: Project, path: Path) -> list[str]:
    """Why the active state does not validate: `path: message` per issue (empty when it does)."""
    from components.config import StackConfigError, parse_stack_config
    from connectctl.engine.project import load_stack

    stack_file = load_stack(project, path=path)
    try:
        parse_stack_config(stack_file.config, str(path), stack_file.secret_keys)
    except StackConfigError as exc:
        return [f"{issue.path}: {issue.message}" for issue in exc.issues]
    return []


# --- reading the comparison -------------------------------------------------------------------------------------


def _region_of(resource: CapturedResource, providers: dict[str, str], default: str) -> str:
    """Where a resource lives: its provider's region, `global` for IAM and Route 53 (not its resolvers)."""
    from connectctl.engine.mocks import global_type

    if resource.type == PROVIDER_TYPE:
        return str(resource.inputs.get("region") or default)
    if global_type(resource.type):
        return "global"
    return providers.get(provider_urn(resource.provider), default)


def _providers(*plans: Plan) -> dict[str, str]:
    """The explicit providers' regions, over the plans (a provider without one is left to the caller's default)."""
    return {urn: region for plan in plans for urn, region in provider_regions(plan.resources, "").items() if region}


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _service_of(resource_id: Any) -> str:
    """`service/acme-prod/payments-api` -> `payments-api`."""
    return str(resource_id).rsplit("/", 1)[-1]


def _chain(plan: Plan, touched: set[str]) -> tuple[float, list[tuple[str, str, float, str]]]:
    """The change's critical path: every resource it creates, replaces or updates takes its typical creation time
    (connectctl/critical_path.py), the rest is there already (0 s)."""
    from connectctl.critical_path import COMPONENT, critical_path, duration_of

    def duration(resource: CapturedResource) -> Duration:
        return duration_of(resource) if resource.urn in touched else COMPONENT

    path = critical_path(plan.capture.resources, duration)
    by_urn = {r.urn: r for r in plan.capture.resources}
    chain = [(s.name, s.type, s.seconds, duration(by_urn[s.urn]).note) for s in path.chain if s.seconds]
    return path.total, chain


def compare(base: Plan, active: Plan) -> Change:
    """What the active state changes, read from the two plans (and the reverse diff, for failing back)."""
    from connectctl.diff import Action, diff_plans

    cfg = active.config
    diff = diff_plans(base, active, old_source="as it stands", new_source="active")
    back = diff_plans(active, base, old_source="active", new_source="as it stands")
    providers = _providers(base, active)
    news = {r.urn: r for r in active.resources}
    olds = {r.urn: r for r in base.resources}
    restored: list[Restored] = []
    scaled: list[Scaled] = []
    switch: tuple[str, str, str] | None = None
    provider_changes: list[str] = []
    primary: list[Touched] = []
    planes: list[Touched] = []
    touched: set[str] = set()
    created_types: set[str] = set()
    switch_name = f"{cfg.name_prefix}-failover-declared"
    for item in diff.resources:
        resource = news.get(item.urn) or olds[item.urn]
        if not resource.custom:
            continue
        if item.action is not Action.delete:
            touched.add(item.urn)
        if item.action is Action.create:
            created_types.add(item.type)
        where = _region_of(resource, providers, cfg.region)
        inputs = resource.inputs
        if item.type == PROVIDER_TYPE:
            provider_changes += [f"{item.name}: {_change_line(c.path, c.old, c.new)}" for c in item.changes]
            continue
        if where == "global":
            planes.append(Touched(item.action.value, item.type, item.name, where))
        elif where == cfg.region:
            paths = sorted({c.top for c in item.changes})
            primary.append(Touched(item.action.value, item.type, item.name, where,
                                   ", ".join(paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")))
        if where != cfg.tenant.dr_region:
            continue
        if item.type == CLUSTER and item.action is Action.create and inputs.get("snapshotIdentifier"):
            database = str((inputs.get("tags") or {}).get("connect:store") or item.name)
            restored.append(Restored(database, str(inputs.get("clusterIdentifier")), cfg.dr.restore_source(database),
                                     str(inputs.get("snapshotIdentifier")), item.urn))
        elif item.type == SCALING_TARGET and item.action in (Action.create, Action.update):
            before = olds[item.urn].inputs.get("minCapacity") if item.urn in olds else None
            scaled.append(Scaled(_service_of(inputs.get("resourceId")), None if before is None else _int(before),
                                 _int(inputs.get("minCapacity")), _int(inputs.get("maxCapacity"))))
        elif item.type == ALARM and inputs.get("name") == switch_name:
            old = olds[item.urn].inputs.get("treatMissingData") if item.urn in olds else ""
            switch = (switch_name, str(old or ""), str(inputs.get("treatMissingData")))
    apply_seconds, chain = _chain(active, touched)
    records_change = any(t.type == RECORD for t in planes)  # a failover that moves names by their records
    plain = sorted({str(r.inputs.get("name")) for r in base.resources
                    if r.type == RECORD and not r.inputs.get("failoverRoutingPolicies")}) if records_change else []
    counts = {k: v for k, v in diff.counts().items() if k in ("create", "update", "replace", "delete", "same")}
    change = Change(
        counts=counts, restored=sorted(restored, key=lambda r: r.database),
        scaled=sorted(scaled, key=lambda s: s.service), switch=switch, providers=provider_changes,
        primary=primary, global_planes=planes, plain_records=plain, created_types=created_types, chain=chain,
        apply_seconds=apply_seconds, unprotect=[r.urn for r in back.blocked],
        back_counts={k: v for k, v in back.counts().items() if k in ("create", "update", "replace", "delete")},
        mandatory=(len(base.mandatory), len(active.mandatory)))
    return change


def _change_line(path: str, old: Any, new: Any) -> str:
    from connectctl.diff import ABSENT

    def shown(value: Any) -> str:
        return "(none)" if value is ABSENT or value is None else json.dumps(value) if not isinstance(value, str) \
            else value

    return f"{path} {shown(old)} -> {shown(new)}"


# --- building the runbook --------------------------------------------------------------------------------------


def build(argument: str, project: Project) -> Runbook:
    """Plan the stack as it stands and in the active state, compare them, and write the steps."""
    from connectctl.engine.project import load_stack
    from connectctl.engine.runner import ProgramError
    from connectctl.plan import validate

    path = stack_path(project, argument)
    stack_file = load_stack(project, path=path)
    cfg = validate(stack_file)
    if cfg.is_account:
        raise RunbookError(f"{stack_file.display_path}: {stack_file.stack} is an account stack: it has no region to "
                           "fail over (its environments do: connectctl dr runbook <client>-<env>)")
    raw = _raw_keys(path)
    keys = (next((k for k in raw if project.full_key(k) == project.full_key("dr")), project.full_key("dr")),
            next((k for k in raw if project.full_key(k) == project.full_key("network")), project.full_key("network")))
    with tempfile.TemporaryDirectory(prefix="connectctl-runbook-") as tmp:
        directory = Path(tmp)
        _copy_companions(path, stack_file.stack, cfg.tenant.client, directory)
        text = path.read_text(encoding="utf-8")
        zones_needed = cfg.explicit_zones() is None
        if cfg.dr.active:  # the failover is declared already: compare with the stack as it was before
            base_path = directory / path.name
            base_path.write_text(active_text(text, keys, None, active=False), encoding="utf-8")
            base, active_path = _plan(project, base_path), path
        else:
            base = _plan(project, path)
            listed = base.capture.outputs.get("zones")
            zones = [str(z) for z in listed] if zones_needed and isinstance(listed, list) else None
            active_path = directory / path.name
            active_path.write_text(active_text(text, keys, zones), encoding="utf-8")
            issues = _active_issues(project, active_path)
            if issues:
                raise RunbookError(f"{stack_file.display_path}: {stack_file.stack} cannot fail over as its stack file "
                                   f"stands: with connect:dr.active: true, " + "; ".join(issues)
                                   + ". Add what is missing now, not during the incident")
        try:
            active = _plan(project, active_path)
        except ProgramError as exc:
            raise RunbookError(f"{stack_file.display_path}: the active state (connect:dr.active: true) does not plan: "
                               f"{str(exc).replace(str(directory), '<active copy>')}") from None
        change = compare(base, active)
    zones = active.config.explicit_zones() or []
    edits = [("connect:dr.active", "true" if cfg.dr.active else "false (or absent)", "true")]
    if zones_needed and not cfg.dr.active:
        edits.append(("connect:network.availabilityZones", str(cfg.net.availability_zones), f"[{', '.join(zones)}]"))
        if cfg.net.nat_gateways == "single" and not cfg.net.nat_zone and zones:
            edits.append(("connect:network.natZone", "(absent: the first zone)", zones[0]))
    outputs = dict(active.capture.outputs)
    base_outputs = dict(base.capture.outputs)
    book = Runbook(
        stack=stack_file.stack, stack_file=stack_file.display_path, primary=cfg.region, dr=cfg.tenant.dr_region,
        mode=cfg.dr.mode, already_active=cfg.dr.active, edits=edits, change=change, steps=[], failback=[],
        rto=str(base_outputs.get("rtoEstimate") or outputs.get("rtoEstimate") or ""),
        rto_seconds=rto_seconds(str(base_outputs.get("rtoEstimate") or "")), outputs=outputs)
    in_project = path.resolve().parent == project.stack_config_dir.resolve()
    book.diff_command = (f"connectctl diff {book.stack} --base HEAD" if in_project else
                         f"connectctl diff <{path.name} before the edit> {book.stack_file}")
    book.steps = steps(book, active.config, base_outputs, active)
    book.failback = failback(book, active.config, active)
    return book


def _raw_keys(path: Path) -> list[str]:
    """The config keys as the stack file spells them (`connect:dr`, or `dr` in the project's namespace)."""
    from connectctl.engine.project import read_yaml

    data, _ = read_yaml(path)
    return [str(k) for k in ((data or {}).get("config") or {})]


def rto_seconds(text: str) -> float | None:
    """`1 hour: ...` -> 3600; `15 minutes: ...` -> 900; None when the text starts with no duration."""
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(minute|minutes|hour|hours)\b", text)
    if not match:
        return None
    return float(match.group(1)) * (3600 if match.group(2).startswith("hour") else 60)


def minutes(seconds: float) -> str:
    """`1230` -> `20 min 30 s`; under a minute, seconds only."""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _names(items: list[str]) -> str:
    return ", ".join(_code(i) for i in items) or "none"


def steps(book: Runbook, cfg: StackConfig, base_outputs: dict[str, Any], active: Plan) -> list[Step]:
    """The failover, in order: decide, change, apply, the client's DNS and VPN, file systems, verify."""
    decide = Step("decide", "Decide and announce", "incident lead", *ASSUMED["decide"])
    book.steps = [decide, _change_step(book, cfg), _apply(book, cfg), *_client_steps(book, cfg, active),
                  _verify(book)]
    decide.lines = _decide(book, base_outputs)  # the announcement states the total
    return book.steps


def _decide(book: Runbook, outputs: dict[str, Any]) -> list[str]:
    rpo = (outputs.get("rpo") or {}).get("drRegion") or {}
    lost = "; ".join(f"{kind}: {text}" for kind, text in sorted(rpo.items())) or "see the `rpo` output"
    first = f"databases: {rpo['databases']}" if "databases" in rpo else lost.split(";", 1)[0]
    expected = (f"{minutes(book.overlapped_seconds)} to {minutes(book.total_seconds)}"
                if book.overlapped_seconds < book.total_seconds else minutes(book.total_seconds))
    return [
        f"- Fail over when AWS cannot restore {book.primary} in a time the client accepts: the AWS Health Dashboard "
        f"reports the regional event and the stack's alarms (alerts topic in {book.primary}) confirm it. A failover is "
        "a decision of the incident lead, never an automatic one: the standby serves only once the stack file declares "
        "it.",
        f"- What is lost: the writes after the newest copy in {book.dr} ({lost}).",
        f"- Announce in the incident channel: *{book.stack} fails over to {book.dr} ({book.mode}). Expected in "
        f"{expected} (RTO: {book.rto.split(':', 1)[0] or 'not stated'}). Writes after the newest copy in {book.dr} "
        f"are lost ({first}).*",
    ]


def _change_step(book: Runbook, cfg: StackConfig) -> Step:
    seconds, basis = ASSUMED["change"]
    change = book.change
    block = ["~~~yaml"]  # not backticks: the runbook may itself be shown inside a ``` block (docs/dr-runbook.md)
    if any(path == "connect:network.availabilityZones" for path, _, _ in book.edits):
        zones = next(new for path, _, new in book.edits if path == "connect:network.availabilityZones")
        block += ["  connect:network:", f"    availabilityZones: {zones}  # was a count: as `pulumi stack output "
                  "zones` lists them (zone names differ between accounts)"]
        block += [f"    natZone: {new}  # the single NAT gateway's zone, where the count put it"
                  for path, _, new in book.edits if path == "connect:network.natZone"]
    block += ["  connect:dr:", "    active: true"]
    if cfg.data.databases:
        sources = ", ".join(f"{d.name}: {cfg.dr.restore_source(d.name)}" for d in cfg.data.databases)
        block.append(f"    restoreFrom: {{{sources}}}  # or a snapshot ARN in {book.dr} per database")
    block.append("~~~")
    lines = []
    if book.already_active:
        lines.append(f"- {book.stack_file} already declares the failover (`connect:dr.active: true`): this step is "
                     "done; what follows compares it with the stack before the change.")
    if cfg.data.databases:
        lines.append(f"- First `connectctl dr verify {book.stack}`: it resolves `restoreFrom: latest` to the newest "
                     f"AWS Backup copy of each database in {book.dr} (and fails if there is none) and checks that "
                     "the load balancers' certificates cover the service names.")
    lines += [f"- In `{book.stack_file}`:", "", *block, ""]
    if cfg.data.databases:
        lines.append(f"- `restoreFrom`: `latest` restores the newest copy AWS Backup made in {book.dr} (what `dr "
                     "verify` just reported); pin a snapshot ARN to restore an older copy (a corrupted newest one) or "
                     "to keep a retried `pulumi up` on the same copy.")
    counts = change.counts
    lines.append(f"- Confirm with `{book.diff_command}` (the stack file before the edit against the edited "
                 f"one): {counts.get('create', 0)} to create, {counts.get('update', 0)} to update, "
                 f"{counts.get('replace', 0)} to replace, {counts.get('delete', 0)} to delete.")
    lines += ["", "What the change does (from the plans as the stack stands and in the active state):", ""]
    lines += _effects(book)
    return Step("change", "Declare the failover in the stack file", "SRE on call", seconds, basis, lines)


def _effects(book: Runbook) -> list[str]:
    change, dr = book.change, book.dr
    lines: list[str] = []
    if change.restored:
        for r in change.restored:
            what = "the newest AWS Backup copy" if r.source == "latest" else _code(r.source)
            lines.append(f"- **Database restored** in {dr}: {_code(r.database)} as cluster {_code(r.cluster)}, from "
                         f"{what} (protected and retained on delete).")
    else:
        lines.append("- No database to restore: the stack declares none.")
    for s in change.scaled:
        before = "created with a floor of" if s.before is None else f"{s.before} →"
        lines.append(f"- **Service scaled to its base** in {dr}: {_code(s.service)} {before} {s.after} task(s) "
                     f"(up to {s.maximum}).")
    if change.switch:
        name, old, new = change.switch
        state = f"`{old}` → `{new}`" if old else f"created with `{new}`"
        lines.append(f"- **Switch alarm** {_code(name)} in {dr}: missing data {state}: it goes to ALARM, every "
                     f"PRIMARY record's health check fails, and each service name answers with {dr}.")
    if change.plain_records:
        lines.append(f"- **The names are plain records** ({_names(change.plain_records)}) pointing at {book.primary}: "
                     f"the change replaces them with failover pairs and health checks, which needs Route 53's control "
                     f"plane (in us-east-1). If that is the region out, the names do not move until it is back "
                     f"({ROUTE53_DR_DOC}); meanwhile clients can use the DR load balancer's own name "
                     f"({_code(str(book.outputs.get('drLoadBalancerDnsName') or 'drLoadBalancerDnsName'))}).")
    if change.global_planes:
        kinds = sorted({t.type.split(":")[1].split("/")[0] for t in change.global_planes})
        listed = ", ".join(f"{t.action} {t.name}" for t in change.global_planes[:8])
        more = f" and {len(change.global_planes) - 8} more" if len(change.global_planes) > 8 else ""
        lines.append(f"- **Global control planes**: {len(change.global_planes)} resource(s) of "
                     f"{', '.join(kinds)} ({listed}{more}). Their control planes live in us-east-1: the change needs "
                     "them to answer.")
    if change.primary:
        listed = "; ".join(f"{t.action} {t.name} ({t.detail})" if t.detail else f"{t.action} {t.name}"
                           for t in change.primary[:8])
        lines.append(f"- **Resources of {book.primary} touched** ({len(change.primary)}): {listed}. With the region "
                     "out, `pulumi up` fails on them: expect it, and run it again once they are the only errors.")
    else:
        providers = "; ".join(change.providers) or "nothing"
        lines.append(f"- **Nothing in {book.primary} changes** except the providers' configuration ({providers}): the "
                     "change works with that region down.")
    active_count, base_count = change.mandatory[1], change.mandatory[0]
    if active_count:
        lines.append(f"- The policy pack finds {active_count} mandatory finding(s) in the active state (as it stands: "
                     f"{base_count}); `pulumi up --policy-pack policies` refuses them: `connectctl check` lists them.")
    return lines


def _apply(book: Runbook, cfg: StackConfig) -> Step:
    change = book.change
    seconds = change.apply_seconds + (NAMES_SWITCH[0] if change.switch else 0.0)
    rows = ["| resource | type | typical time | why that long |", "|---|---|---:|---|"]
    for name, type_, duration, why in change.chain:
        rows.append(f"| {_code(name)} | {_code(type_)} | {minutes(duration)} | {why} |")
    if change.switch:
        rows.append(f"| names answer from {book.dr} | DNS | {minutes(NAMES_SWITCH[0])} | {NAMES_SWITCH[1]} |")
    lines = [f"- `pulumi up --stack {book.stack} --policy-pack policies --policy-pack-config "
             f"stacks/policy.{book.stack}.json`, with credentials that reach {book.dr} (the primary's provider asks "
             f"{book.dr}'s STS once the failover is declared)."]
    if change.restored:
        lines.append("- A restore from a snapshot takes longer than creating an empty cluster, and longer as the data "
                     "grows; AWS gives no figure, so the cluster's below is an assumption: watch it in the RDS "
                     f"console ({RDS_RESTORE_DOC}).")
    lines += ["- Its longest chain (the change's critical path; what is there already takes no time):", "", *rows]
    basis = (f"critical path of the change (connectctl/critical_path.py figures) {minutes(change.apply_seconds)}"
             + (f", plus the names' switch {minutes(NAMES_SWITCH[0])}" if change.switch else ""))
    return Step("apply", "Apply the change", "SRE on call", seconds, basis, lines)


def _dr_resolver_ips(book: Runbook) -> list[str]:
    return [str(ip) for ip in (book.outputs.get("resolverInboundIps") or {}).get(book.dr) or []]


def _client_steps(book: Runbook, cfg: StackConfig, active: Plan) -> list[Step]:
    result: list[Step] = []
    created = book.change.created_types
    connections = cfg.vpn.connections if cfg.vpn else []
    zone = str(book.outputs.get("dnsZone") or cfg.dns_zone_name)
    names = book.outputs.get("serviceDnsNames") or {}
    if names:
        ips = _dr_resolver_ips(book)
        seconds, basis = ASSUMED["dns"]
        lines = [f"- The service names: {_names(sorted(str(n) for n in names.values()))}."]
        if ips:
            when = ("created by the change: read them after `pulumi up`" if RESOLVER in created
                    else "there since the standby was built: forward to them in advance, beside the primary's")
            lines += [
                f"- The client's DNS servers forward the zone {_code(zone)} to the Route 53 Resolver inbound endpoints "
                f"of {book.dr}: {_names(ips)} ({when}; live values: `pulumi stack output resolverInboundIps`). "
                f"Queries arrive over the VPN; the endpoints admit DNS from the on-premises ranges only "
                f"({RESOLVER_DOC}).",
                f"- Check from the data centre: `dig +short {next(iter(sorted(names.values())))} @{ips[0]}` answers "
                f"with addresses of {cfg.dr.cidr or cfg.net.cidr}."]
        else:
            lines.append(f"- The active state has no resolver inbound endpoint in {book.dr}: the names resolve only "
                         f"inside the VPCs, and the client's DNS cannot look them up there (a resolver needs a VPN "
                         "link that reaches the app tier).")
        egress = [str(ip) for ip in book.outputs.get("drEgressIps") or []]
        if egress:
            lines.append(f"- The services' egress IPs in {book.dr} ({_names(egress)}; `pulumi stack output "
                         "drEgressIps`) must be on the client's allow-lists.")
        result.append(Step("dns", "Client DNS: the zone answers from the DR region", "client's DNS team", seconds,
                           basis, lines, alongside=RESOLVER not in created))
    if connections:
        seconds, basis = ASSUMED["vpn"]
        links = book.outputs.get("drVpnConnections") or {}
        lines = []
        for name in sorted(links):
            link = links[name] or {}
            lines.append(f"- {_code(name)}: VPN connection {_code(str(link.get('vpnConnectionId')))}, tunnels to "
                         f"{_names([str(ip) for ip in link.get('tunnelOutsideIps') or []])}.")
        if links:
            when = ("created by the change: its tunnel addresses are known after `pulumi up`"
                    if VPN_CONNECTION in created else "there since the standby was built: its tunnels can be up "
                    "before any failover")
            lines += [f"- The client's device brings up the tunnels to {book.dr} ({when}). Its configuration: "
                      "`pulumi stack output --show-secrets drVpnDeviceConfigurations`; live addresses: `pulumi stack "
                      "output drVpnConnections`.",
                      f"- Routes: the data centres reach {cfg.dr.cidr or cfg.net.cidr} over these tunnels."]
        else:
            lines.append(f"- The VPN links do not end in {book.dr} (connect:dr.vpn): the client has no path to the "
                         "standby; set `connect:dr.vpn: true` before an incident.")
        result.append(Step("vpn", "VPN device: the tunnels to the DR region", "client's network team", seconds, basis,
                           lines, alongside=VPN_CONNECTION not in created))
    if cfg.data.file_systems:
        seconds, basis = ASSUMED["efs"]
        systems = ", ".join(_code(f.name) for f in cfg.data.file_systems)
        lines = [
            f"- File systems {systems}: their replicas in {book.dr} are read-only while replication runs, and the "
            "failover change leaves them so (the standby's services do not mount them).",
            f"- To write to a replica, delete its replication in {book.dr}: `aws efs "
            f"describe-replication-configurations --region {book.dr}` lists each with its source file system, then "
            f"`aws efs delete-replication-configuration --region {book.dr} --source-file-system-id <source id>` (add "
            f"`--deletion-mode LOCAL_CONFIGURATION_ONLY` when {book.primary} does not answer). The replica becomes "
            f"writeable within minutes; changes after the last replicated one are lost ({EFS_DELETE_DOC}, "
            f"{EFS_API_DOC}).",
            "- Failing back then needs a new replication from the replica to a new file system in the primary region.",
        ]
        result.append(Step("efs", "File systems: make the replicas writeable", "SRE on call", seconds, basis, lines,
                           alongside=True))
    return result


def _verify(book: Runbook) -> Step:
    seconds, basis = ASSUMED["verify"]
    names = sorted(str(n) for n in (book.outputs.get("serviceDnsNames") or {}).values())
    lines = [f"- `connectctl dr verify {book.stack}`: the DR vault's copies, the secrets' DR copies, the restore "
             "sources and the certificates of both regions.",
             f"- `connectctl audit {book.stack} --region {book.dr}`: the standby's VPC, load balancer, services (at "
             "their base now) and tunnels, read as the primary's (its `nat-egress-ips` compares with the primary's "
             f"promise: expect findings there). The audit of {book.primary} waits until the region is back."]
    if names:
        lines.append(f"- From the client's network: {_code('curl -sS https://' + names[0] + '/…')} answers, served "
                     f"from {book.dr}.")
    lines.append(f"- Announce: *{book.stack} serves from {book.dr}.*")
    return Step("verify", "Verify and announce", "SRE on call", seconds, basis, lines)


def failback(book: Runbook, cfg: StackConfig, active: Plan) -> list[str]:
    """The reverse change with its data steps, once the primary region is back (untimed: it is planned)."""
    dr, primary, stack = book.dr, book.primary, book.stack
    back = book.change.back_counts
    lines = [f"When {primary} is back and healthy, in a maintenance window the client agrees to (writes stop while the "
             "data moves back):", ""]
    number = 1

    def step(text: str) -> None:
        nonlocal number
        lines.append(f"{number}. {text}")
        number += 1

    targets = sorted((r.inputs.get("resourceId"), r.inputs.get("maxCapacity")) for r in active.resources
                     if r.type == SCALING_TARGET and _region_of(r, _providers(active), cfg.region) == dr)
    if targets:
        first = str(targets[0][0])
        step(f"Stop the writes in {dr}: scale the standby's services to zero (`aws application-autoscaling "
             f"register-scalable-target --region {dr} --service-namespace ecs --scalable-dimension ecs:service:"
             f"DesiredCount --min-capacity 0 --max-capacity 0 --resource-id {first}`, for each of "
             f"{_names([str(t[0]) for t in targets])}); the reverse change sets them back.")
    for r in book.change.restored:
        snapshot = f"{r.cluster}-failback"
        step(f"Move {_code(r.database)} back: snapshot the restored cluster and copy it to {primary} under the "
             f"primary's key: `aws rds create-db-cluster-snapshot --region {dr} --db-cluster-identifier {r.cluster} "
             f"--db-cluster-snapshot-identifier {snapshot}`, `aws rds wait db-cluster-snapshot-available --region {dr} "
             f"--db-cluster-snapshot-identifier {snapshot}`, then `aws rds copy-db-cluster-snapshot --region {primary} "
             f"--source-region {dr} --source-db-cluster-snapshot-identifier arn:aws:rds:{dr}:{cfg.tenant.account_id}:"
             f"cluster-snapshot:{snapshot} --target-db-cluster-snapshot-identifier {snapshot} --kms-key-id "
             f"$(pulumi stack output kmsKeyArn --stack {stack})`.")
        step(f"Restore the primary {_code(r.cluster)} from it under its own identifiers, so that the stack's resources "
             f"(whose IDs are those identifiers) find it: rename the cluster of {primary} and its instances out of the "
             f"way (`aws rds modify-db-cluster --region {primary} --db-cluster-identifier {r.cluster} "
             f"--new-db-cluster-identifier {r.cluster}-before-failback --apply-immediately`, and `aws rds "
             f"modify-db-instance ... --new-db-instance-identifier` for each instance), `aws rds "
             f"restore-db-cluster-from-snapshot --region {primary} --db-cluster-identifier {r.cluster} "
             f"--snapshot-identifier {snapshot}` with the renamed cluster's engine, version, subnet group, security "
             "group, parameter group and key, the instances again with `aws rds create-db-instance` under their old "
             f"identifiers, then `pulumi refresh --stack {stack}`; the reverse change's `pulumi up` puts back the "
             f"settings a restore does not carry ({RDS_RESTORE_DOC}). Keep `{r.cluster}-before-failback` until the "
             "client confirms the data: it holds the writes that never reached the DR copy.")
    if book.change.unprotect:
        urns = " ".join(f"'{urn}'" for urn in book.change.unprotect)
        step(f"Unprotect what the failover created protected, or `pulumi up` stops at it: `pulumi state unprotect "
             f"--stack {stack} {urns}`. They are retained on delete: the reverse change removes them from the stack "
             f"and leaves them in {dr}.")
    step(f"The reverse change: `connect:dr.active: false` in `{book.stack_file}` (keep the zones by name; "
         f"`restoreFrom` may stay). `{book.diff_command}` shows {back.get('delete', 0)} to delete (what is retained "
         f"stays in {dr}), {back.get('update', 0)} to update (the services back to the standby's floor, the switch "
         f"alarm back to `notBreaching`) and {back.get('replace', 0)} to replace; then "
         f"`pulumi up --stack {stack} --policy-pack policies --policy-pack-config stacks/policy.{stack}.json`. The "
         f"names answer from {primary} again once its load balancer's targets are healthy.")
    step(f"The client points the zone's forwarder back at {primary}'s resolvers (`pulumi stack output "
         f"resolverInboundIps`; or keeps both regions' listed) and keeps the tunnels of both regions up.")
    if book.change.restored:
        step(f"When the client confirms the data, delete what was retained in {dr} and the renamed clusters of "
             f"{primary} (`aws rds modify-db-cluster --no-deletion-protection`, then `aws rds delete-db-instance` and "
             f"`aws rds delete-db-cluster --final-db-snapshot-identifier ...`): a next failover restores under the "
             f"same identifiers in {dr}.")
    step(f"`connectctl dr verify {stack}` and `connectctl audit {stack}`: clean again.")
    return lines


# --- output ----------------------------------------------------------------------------------------------------


def render_markdown(book: Runbook) -> str:
    """The runbook for the incident channel: steps in order, failing back, and the times against the RTO."""
    rto = book.rto.split(":", 1)[0] or "not stated"
    total, overlapped = book.total_seconds, book.overlapped_seconds
    expected = f"**{minutes(total)}** one step after the other ({book.verdict(total)})"
    if overlapped < total:
        expected = (f"**{minutes(overlapped)}** with the client's steps done while `pulumi up` runs "
                    f"({book.verdict(overlapped)}), {expected}")
    lines = [f"# Failover runbook: {book.stack} ({book.primary} → {book.dr})", "",
             f"Mode {_code(book.mode)}; RTO (`rtoEstimate`): {book.rto or 'not stated'}.", "",
             f"Expected: {expected}; RTO {rto}.", "",
             f"Generated by `connectctl dr runbook {book.stack}` from offline plans of `{book.stack_file}` as it "
             "stands and with `connect:dr.active: true`: IDs and addresses are the plan's stand-ins unless a step "
             "names the `pulumi stack output` that gives the live value. Explained in docs/dr-runbook.md.", ""]
    for index, step in enumerate(book.steps, 1):
        lines += [f"## {index}. {step.title} ({step.who}, ~{minutes(step.seconds)})", "", *step.lines, ""]
    lines += ["## Failing back", "", *book.failback, ""]
    lines += ["## Expected times", "", "| # | step | who | expected | alongside `pulumi up` | basis |",
              "|---:|---|---|---:|---|---|"]
    for index, step in enumerate(book.steps, 1):
        lines.append(f"| {index} | {step.title} | {step.who} | {minutes(step.seconds)} | "
                     f"{'yes' if step.alongside else ''} | {step.basis} |")
    lines.append(f"| | **one after the other** | | **{minutes(total)}** | | RTO {rto}: {book.verdict(total)} |")
    if overlapped < total:
        lines.append(f"| | **alongside `pulumi up`** | | **{minutes(overlapped)}** | | RTO {rto}: "
                     f"{book.verdict(overlapped)} |")
    return "\n".join([*lines, ""])


def runbook(
    stack: Annotated[str, typer.Argument(help="Stack name, e.g. acme-prod (stacks/Pulumi.<stack>.yaml), or a stack "
                                              "file.")],
    output: Annotated[RunbookFormat, typer.Option(
        "--format", help="markdown (for the incident channel) or json (the documented document).")] = (
        RunbookFormat.markdown),
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) whose stack config directory holds STACK; default: this "
        "checkout.")] = None,
) -> None:
    """Print the ordered steps of a failover of a stack (Markdown for the incident channel): the stack-file change
    and what it does, what people do, failing back, and the expected time of each step against the RTO."""

    from connectctl.engine.project import load_project_dir

    raise write_document(lambda: build(stack, load_project_dir(project_dir)), render_markdown,
                         output is RunbookFormat.json, RunbookError)


__all__ = ["Runbook", "RunbookError", "RunbookFormat", "build", "render_markdown", "runbook"]
