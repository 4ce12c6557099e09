"""`connectctl decommission STACK`: what a decommissioned environment keeps, until when, at what monthly cost, and
the ordered manual steps that end it (registered on the main app by `register`).

The stack file says `connect:tenant.lifecycle: decommissioning` and `decommissionNoticeUntil` (docs/operations.md,
Decommissioning). The report plans it as it stays once the notice is over: the clock (components/clock.py's
`CONNECT_NOW`) is set to the day after the notice for the plan, so the load balancer and the VPN connections are
gone whatever today is. What is left is what the program keeps on purpose:

- **what stays**: every resource of that plan that is protected or retained on delete, with the day from which it
  may go. Dates count from the **end date**, the day after the notice: the earliest day the final export can be
  done and the data stores deleted (step 3). Recovery points are made until the stores go (the backup plan stays),
  so a later deletion moves every date by as many days;
- **recovery points**, per vault: the longest lifecycle (`deleteAfter`) of the backup rules and copy actions that
  write to it, and its lock (`VaultLockConfiguration`, from `connect:dr.backup`: no recovery point is deleted
  before `minRetentionDays` nor kept after `maxRetentionDays`). The vault is empty, and may be deleted by the
  break-glass role, the day its last recovery point expires;
- **logs**: each log group's events expire `retentionInDays` after the last one (written at the latest on the end
  date); a bucket whose lifecycle expires its objects (the load balancer's and the S3 access logs) likewise;
- **what it costs per month**: the plan priced with `data/prices.yaml` as `connectctl capacity` prices it
  (`estimate_stack`), including the stated assumptions (backup GB per store);
- **steps**: the ordered manual steps, with the URNs and physical names they need.

Exit codes: 0 = the report; 2 = no such stack, a stack file that is not decommissioning, invalid input.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from components.clock import NOW_ENV
from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import Project, load_project_dir
from connectctl.engine.regions import resource_regions
from connectctl.errors import write_document
from connectctl.plan import Plan, plan_stack

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:rds/cluster:Cluster"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EIP = "aws:ec2/eip:Eip"
KEY = "aws:kms/key:Key"
KINDS = {VAULT: "backup vault", BUCKET: "bucket", LOG_GROUP: "log group", CLUSTER: "database cluster",
         FILE_SYSTEM: "file system", EIP: "Elastic IP", KEY: "KMS key"}
KIND_ORDER = (CLUSTER, FILE_SYSTEM, BUCKET, VAULT, LOG_GROUP, EIP, KEY)
STORES = (CLUSTER, FILE_SYSTEM)


class DecommissionError(Exception):
    """A problem reported to the user (exit 2)."""


@dataclass
class Kept:
    """One resource the decommissioned stack keeps, and from when it may go."""

    urn: str
    type: str
    name: str
    physical: str
    region: str
    protect: bool
    retain_on_delete: bool
    until: datetime.date | None
    detail: str
    in_stack: bool = True  # False: retained on delete, it left the stack with decommissioning and stays in AWS

    @property
    def kind(self) -> str:
        """What it is, as the report names it."""
        return KINDS.get(self.type, self.type.rsplit(":", 1)[-1])

    def as_json(self) -> dict[str, Any]:
        """The documented `stays[]` entry."""
        return {"urn": self.urn, "type": self.type, "kind": self.kind, "name": self.name, "physicalName": self.physical,
                "region": self.region, "protect": self.protect, "retainOnDelete": self.retain_on_delete,
                "until": self.until.isoformat() if self.until else None, "detail": self.detail,
                "inStack": self.in_stack}


@dataclass
class RecoveryPoints:
    """What one vault holds after the end date, and when it is empty."""

    vault: str
    region: str
    retention_days: int
    lock_min_days: int | None
    lock_max_days: int | None

    def last_expires(self, end: datetime.date) -> datetime.date:
        """The day the last recovery point (made on the end date) expires: the vault is empty from then."""
        return end + datetime.timedelta(days=self.retention_days)

    def as_json(self, end: datetime.date) -> dict[str, Any]:
        """The documented `recoveryPoints[]` entry."""
        return {"vault": self.vault, "region": self.region, "retentionDays": self.retention_days,
                "lastExpires": self.last_expires(end).isoformat(), "lockMinRetentionDays": self.lock_min_days,
                "lockMaxRetentionDays": self.lock_max_days}


@dataclass
class Cost:
    """One priced line of what stays (connectctl capacity's line items)."""

    region: str
    category: str
    item: str
    detail: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float

    def as_json(self) -> dict[str, Any]:
        """The documented `cost.lineItems[]` entry."""
        return {"region": self.region, "category": self.category, "item": self.item, "detail": self.detail,
                "quantity": self.quantity, "unit": self.unit, "unitPriceUsd": self.unit_price,
                "monthlyUsd": round(self.monthly, 6)}


@dataclass
class Step:
    """One manual step, in order."""

    title: str
    why: str
    commands: list[str] = field(default_factory=list)

    def as_json(self, number: int) -> dict[str, Any]:
        """The documented `steps[]` entry."""
        return {"step": number, "title": self.title, "why": self.why, "commands": list(self.commands)}


@dataclass
class Report:
    """The whole report of one decommissioning stack."""

    stack: str
    stack_file: str
    client: str
    environment: str
    notice_until: datetime.date
    stays: list[Kept]
    recovery_points: list[RecoveryPoints]
    costs: list[Cost]
    price_file: str
    prices_taken: datetime.date
    steps: list[Step]

    @property
    def end(self) -> datetime.date:
        """The end date: the day after the notice, from which every date of the report counts."""
        return self.notice_until + datetime.timedelta(days=1)

    @property
    def monthly(self) -> float:
        """What the kept resources cost per month, USD."""
        return sum(c.monthly for c in self.costs)

    def as_json(self) -> dict[str, Any]:
        """The documented `--format json` document."""
        return {
            "stack": self.stack, "stackFile": self.stack_file, "client": self.client, "environment": self.environment,
            "noticeUntil": self.notice_until.isoformat(), "endDate": self.end.isoformat(),
            "stays": [k.as_json() for k in self.stays],
            "recoveryPoints": [r.as_json(self.end) for r in self.recovery_points],
            "cost": {"currency": "USD", "priceFile": self.price_file, "pricesTaken": self.prices_taken.isoformat(),
                     "monthlyUsd": round(self.monthly, 6), "lineItems": [c.as_json() for c in self.costs]},
            "steps": [s.as_json(i) for i, s in enumerate(self.steps, 1)],
        }


# --- reading the plan ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def clock_at(day: datetime.date) -> Iterator[None]:
    """`CONNECT_NOW` at the start of `day` (UTC) while planning, restored after."""
    before = os.environ.get(NOW_ENV)
    os.environ[NOW_ENV] = f"{day.isoformat()}T00:00:00Z"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NOW_ENV, None)
        else:
            os.environ[NOW_ENV] = before


def _days(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fed_by(resources: list[CapturedResource], type_: str, prop: str, target: CapturedResource) -> list[
        CapturedResource]:
    return [r for r in resources if r.type == type_ and target.urn in r.property_dependencies.get(prop, [])]


def _bucket_detail(bucket: CapturedResource, resources: list[CapturedResource], end: datetime.date) -> tuple[
        datetime.date | None, str]:
    versioned = any((v.inputs.get("versioningConfiguration") or {}).get("status") == "Enabled"
                    for v in _fed_by(resources, VERSIONING, "bucket", bucket))
    expiry = [d for c in _fed_by(resources, LIFECYCLE, "bucket", bucket) for rule in c.inputs.get("rules") or []
              if rule.get("status") == "Enabled" and (d := _days((rule.get("expiration") or {}).get("days")))]
    versions = "versioned: every version is kept" if versioned else "not versioned"
    if expiry:
        days = max(expiry)
        return end + datetime.timedelta(days=days), (f"logs: objects expire {days} days after they are written; "
                                                      f"{versions}")
    replica = (bucket.inputs.get("tags") or {}).get("connect:replica-of")
    what = f"DR replica of {replica}" if replica else "data"
    return None, f"{what}; {versions} until the bucket is emptied by hand, after the final export"


def _kept(resource: CapturedResource, region: str, resources: list[CapturedResource], end: datetime.date,
          vault_end: dict[str, datetime.date]) -> Kept:
    inputs = resource.inputs
    until: datetime.date | None = None
    physical = str(inputs.get("name") or inputs.get("bucket") or inputs.get("clusterIdentifier") or
                   (inputs.get("tags") or {}).get("Name") or resource.name)
    if resource.type == VAULT:
        until = vault_end.get(resource.urn)
        detail = "empty when its last recovery point expires; then deleted by the break-glass role"
    elif resource.type == LOG_GROUP:
        days = _days(inputs.get("retentionInDays"))
        until = end + datetime.timedelta(days=days) if days else None
        detail = f"events kept {days} days" if days else "events kept until the group is deleted"
    elif resource.type == BUCKET:
        until, detail = _bucket_detail(resource, resources, end)
    elif resource.type == CLUSTER:
        detail = (f"final snapshot {inputs.get('finalSnapshotIdentifier')} when deleted (kept until deleted by "
                  f"hand); automated backups {_days(inputs.get('backupRetentionPeriod'))} days")
    elif resource.type == FILE_SYSTEM:
        detail = "kept until deleted by hand, after the final export (its recovery points stay in the vaults)"
    elif resource.type == EIP:
        detail = "the client's allow-listed egress address: kept until released by agreement"
    elif resource.type == KEY:
        detail = "kept while anything it encrypts stays; then scheduled for deletion (7-30 days' waiting period)"
    else:
        detail = "retained with the resource it serves"
    return Kept(resource.urn, resource.type, resource.name, physical, region, resource.protect,
                resource.retain_on_delete, until, detail)


def _recovery_points(resources: list[CapturedResource], regions: dict[str, str]) -> list[RecoveryPoints]:
    vaults = [r for r in resources if r.type == VAULT]
    found = []
    for vault in sorted(vaults, key=lambda v: (regions[v.urn], v.name)):
        name = str(vault.inputs.get("name"))
        days: list[int] = []
        for plan in (r for r in resources if r.type == PLAN):
            for rule in plan.inputs.get("rules") or []:
                kept = _days((rule.get("lifecycle") or {}).get("deleteAfter"))
                if rule.get("targetVaultName") == name and kept:
                    days.append(kept)
                for copy in rule.get("copyActions") or []:
                    if str(copy.get("destinationVaultArn", "")).endswith(f":backup-vault:{name}") and (
                            d := _days((copy.get("lifecycle") or {}).get("deleteAfter"))):
                        days.append(d)
        locks = _fed_by(resources, LOCK, "backupVaultName", vault)
        lock = locks[0].inputs if locks else {}
        found.append(RecoveryPoints(name, regions[vault.urn], max(days, default=0),
                                    _days(lock.get("minRetentionDays")), _days(lock.get("maxRetentionDays"))))
    return found


def _regions(plan: Plan) -> dict[str, str]:
    """Resource URN -> the region of its provider (the stack's region when it has no explicit one)."""
    return resource_regions(plan.resources, plan.config.region)


def _costs(plan: Plan, price_file: Path | None) -> tuple[list[Cost], str, datetime.date]:
    from connectctl.capacity import estimate_stack
    from connectctl.pricing import DEFAULT_PRICE_FILE, load_prices, shown_path

    path = price_file or DEFAULT_PRICE_FILE
    prices = load_prices(path)
    estimate = estimate_stack(plan.config, plan.capture.stack, plan.resources, prices, shown_path(path))
    costs = [Cost(it.region, it.category, it.item, it.detail, it.quantity_base, it.unit, it.unit_price,
                  it.monthly_base) for it in estimate.items]
    return costs, shown_path(path), prices.taken


def _steps(report: Report) -> list[Step]:
    """The ordered manual steps, naming what each acts on."""
    by_type: dict[str, list[Kept]] = {}
    for kept in report.stays:
        by_type.setdefault(kept.type, []).append(kept)
    stores = [k for t in (*STORES, BUCKET) for k in by_type.get(t, []) if t != BUCKET or k.until is None]
    logs = [*by_type.get(LOG_GROUP, []), *(k for k in by_type.get(BUCKET, []) if k.until is not None)]
    n, end = report.notice_until, report.end

    def forget(kept: Kept) -> str:
        """Out of the state (never `pulumi up` again: the program would declare it anew)."""
        if not kept.in_stack:
            return ""
        unprotect = f"pulumi state unprotect --yes '{kept.urn}' && " if kept.protect else ""
        return f"{unprotect}pulumi state delete --yes '{kept.urn}'"

    def delete(kept: Kept) -> str:
        if kept.type == CLUSTER:
            return (f"aws rds modify-db-cluster --region {kept.region} --db-cluster-identifier {kept.physical} "
                    f"--no-deletion-protection --apply-immediately; delete its instances; aws rds delete-db-cluster "
                    f"--region {kept.region} --db-cluster-identifier {kept.physical} --final-db-snapshot-identifier "
                    f"{kept.physical}-final")
        if kept.type == BUCKET:
            return f"delete every object version of s3://{kept.physical}, then aws s3 rb s3://{kept.physical}"
        if kept.type == LOG_GROUP:
            return f"aws logs delete-log-group --region {kept.region} --log-group-name {kept.physical}"
        if kept.type == FILE_SYSTEM:
            return f"delete the mount targets and replication of {kept.physical}, then aws efs delete-file-system"
        return f"delete {kept.physical} ({kept.kind}) in {kept.region}"

    return [
        Step("During the notice: pulumi up", f"Until {n} the load balancer (its deletion protection turned off) and "
             "the VPN connections stay; services, NAT gateways, DNS names go. `connectctl diff` shows it first, with "
             "no stateful resource deleted or replaced.",
             [f"connectctl diff stacks/Pulumi.{report.stack}.yaml <the decommissioning stack file>", "pulumi up"]),
        Step("After the notice: pulumi up again", f"From {end} the plan also removes the load balancer, the VPN "
             "connections and the interface endpoints. It is the last `pulumi up` of the stack: from here on a "
             "resource taken out of the state would be declared anew.", ["pulumi up"]),
        Step("Final export, then delete the data stores", "Hand the client its data (every bucket version, a dump "
             "or an exported snapshot of each database, a copy of each file system) and get its signed receipt. "
             "Then take each store out of the state and delete it in AWS; a database cluster keeps its final "
             "snapshot. The backup plan finds nothing more to back up: the dates of this report count from here.",
             [*(forget(k) for k in stores), *(delete(k) for k in stores)]),
        Step("Release the Elastic IPs, by agreement", "Only once the client confirms in writing that the addresses "
             "are off its allow-lists (another AWS customer may get them next).",
             [*(f"{forget(k)} && aws ec2 release-address --region {k.region} --allocation-id <allocation id of "
                f"{k.physical}>" for k in by_type.get(EIP, []))]),
        Step("Let the logs expire, then delete them", "Each log group and log bucket on its date (What stays).",
             [f"{k.until or 'when agreed'}: {' && '.join(c for c in (forget(k), delete(k)) if c)}" for k in logs]),
        Step("Delete the emptied vaults, as break-glass", "A vault is empty the day its last recovery point expires "
             "(its lock keeps every recovery point at least its minimum days and no longer than its maximum). Only "
             "the connect-breakglass role may delete a vault (the vault's access policy).",
             [f"{r.last_expires(end)}: {forget(v)} && aws backup delete-backup-vault --region {r.region} "
              f"--backup-vault-name {r.vault}" for r in report.recovery_points
              for v in by_type.get(VAULT, []) if v.physical == r.vault and v.region == r.region]),
        Step("Last: the keys and the rest of the stack", "Once nothing they encrypt is left (after every date "
             "above): schedule the keys' deletion; `pulumi destroy` removes what is left (network, alarms, backup "
             "plan) and leaves the retained resources alone; then remove the stack.",
             [*(f"{forget(k)} && aws kms schedule-key-deletion --region {k.region} --key-id <id of {k.name}> "
                "--pending-window-in-days 30" for k in by_type.get(KEY, [])),
              "pulumi state unprotect --all --yes && pulumi destroy", "pulumi stack rm"]),
    ]


def _active_plan(project: Project, path: Path) -> Plan:
    """The same stack file with lifecycle active (a copy beside nothing: same name, so the same account stack and
    pack config): what the environment declared before decommissioning."""
    import tempfile

    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    tenant = doc["config"]["connect:tenant"]
    tenant.pop("lifecycle", None)
    tenant.pop("decommissionNoticeUntil", None)
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / path.name
        copy.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        account = path.parent / f"Pulumi.{tenant['client']}-account.yaml"
        return plan_stack(config_file=copy, preview=False, project=project,
                          account_file=account if account.is_file() else None)


def decommission_report(project: Project, argument: str, price_file: Path | None = None) -> Report:
    """Plan the stack file as it stays after the notice and describe what it keeps."""
    from connectctl.diff import DiffError, display_path, stack_file_path
    from connectctl.engine.project import load_stack
    from connectctl.plan import validate

    try:
        path = stack_file_path(project, argument)
    except DiffError as exc:
        raise DecommissionError(str(exc)) from None
    cfg = validate(load_stack(project, None, path))
    tenant = cfg.tenant
    if cfg.is_account or not tenant.decommissioning or tenant.decommission_notice_until is None:
        raise DecommissionError(f"{display_path(project, path)}: connect:tenant.lifecycle is {tenant.lifecycle}; "
                                "a report needs an environment stack file with lifecycle: decommissioning and "
                                "decommissionNoticeUntil (docs/operations.md, Decommissioning)")
    end = tenant.decommission_notice_until + datetime.timedelta(days=1)
    with clock_at(end):
        plan = plan_stack(config_file=path, preview=False, project=project)
        active = _active_plan(project, path)
    regions = _regions(plan) | _regions(active)
    resources = plan.resources
    points = _recovery_points(resources, regions)
    vault_end = {v.urn: p.last_expires(end) for v in resources if v.type == VAULT
                 for p in points if p.vault == str(v.inputs.get("name")) and p.region == regions[v.urn]}
    kept = [_kept(r, regions[r.urn], resources, end, vault_end) for r in resources
            if r.custom and (r.protect or r.retain_on_delete) and not r.type.startswith("pulumi:")]
    declared = {r.urn for r in resources}
    for left in active.resources:  # retained on delete: out of the stack, still in AWS (the VPN's tunnel logs)
        if left.custom and left.retain_on_delete and left.urn not in declared:
            gone = _kept(left, regions[left.urn], active.resources, end, {})
            gone.in_stack = False
            gone.detail = f"left the stack after the notice, kept in AWS (retained on delete); {gone.detail}"
            kept.append(gone)
    order = {t: i for i, t in enumerate(KIND_ORDER)}
    kept.sort(key=lambda k: (order.get(k.type, len(order)), k.region, k.name))
    costs, shown_prices, taken = _costs(plan, price_file)
    report = Report(plan.capture.stack, display_path(project, path), tenant.client, tenant.environment_name,
                    tenant.decommission_notice_until, kept, points, costs, shown_prices, taken, [])
    report.steps = _steps(report)
    return report


# --- rendering ------------------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: Report) -> str:
    """The report as Markdown (a ticket, a pull request, the client's letter)."""
    end = report.end
    lines = [
        f"# Decommissioning {report.stack}", "",
        f"Stack file: `{report.stack_file}`. Notice until **{report.notice_until}**; end date **{end}** (the "
        "earliest final export and deletion of the data stores: every date below counts from it, a later "
        "deletion moves them by as many days).", "",
        "## What stays, until when", "",
        "| Kind | Resource | Region | Until | Detail |", "|---|---|---|---|---|",
        *(f"| {k.kind} | `{_md(k.physical)}` ({_md(k.name)}) | {k.region} | {k.until or 'by hand'} | {_md(k.detail)} |"
          for k in report.stays),
        "", "## Recovery points", "",
        "| Vault | Region | Kept (days) | Vault lock min / max (days) | Last one expires (vault empty) |",
        "|---|---|---|---|---|",
        *(f"| `{r.vault}` | {r.region} | {r.retention_days} | "
          f"{r.lock_min_days if r.lock_min_days is not None else '-'} / "
          f"{r.lock_max_days if r.lock_max_days is not None else '-'} | {r.last_expires(end)} |"
          for r in report.recovery_points),
        "", f"## What it costs per month: ${report.monthly:,.2f}", "",
        f"List prices of `{report.price_file}` (taken {report.prices_taken}), as `connectctl capacity` prices a plan; "
        "an estimate, not a quote.", "",
        "| Region | Item | Detail | Quantity | Unit price (USD) | Monthly (USD) |", "|---|---|---|---|---|---|",
        *(f"| {c.region} | {_md(c.item)} | {_md(c.detail)} | {c.quantity:g} | {c.unit_price:g} / {c.unit} | "
          f"{c.monthly:,.2f} |" for c in report.costs),
        "", "## Steps, in order", "",
    ]
    for number, step in enumerate(report.steps, 1):
        lines += [f"{number}. **{step.title}.** {step.why}"]
        lines += [f"   - `{command}`" for command in step.commands]
    return "\n".join(lines) + "\n"


class DecommissionFormat(StrEnum):
    """`--format` of `connectctl decommission`."""

    markdown = "markdown"
    json = "json"


def decommission(
    stack: Annotated[str, typer.Argument(
        metavar="STACK", help="Stack name (stacks/Pulumi.<stack>.yaml) or stack file, in lifecycle: decommissioning.")],
    output: Annotated[DecommissionFormat, typer.Option(
        "--format", help="markdown (default) or json (the documented document).")] = DecommissionFormat.markdown,
    prices: Annotated[Path | None, typer.Option(
        "--prices", help="Price file (default: data/prices.yaml).")] = None,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.")] = None,
) -> None:
    """What a decommissioned environment keeps, until when, at what monthly cost, and the steps that end it."""
    from connectctl.pricing import PriceFileError

    raise write_document(lambda: decommission_report(load_project_dir(project_dir), stack, prices), render_markdown,
                         output is DecommissionFormat.json, DecommissionError, PriceFileError)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(name="decommission")(decommission)
