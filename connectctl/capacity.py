"""`connectctl capacity`: tasks, vCPU, memory and the monthly cost of each stack, from what it declares.

Every quantity is counted from the offline plan (the real program under the mocks, `--no-preview`),
not re-derived from the stack file: the report then follows the program's own rules (NAT gateways
per zone or single, interface endpoints times zones, the DR standby's reduced base) and cannot
drift from them. Prices come from `data/prices.yaml` (`connectctl/pricing.py`); the report is an
estimate from list prices and says so, with the date they were taken.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from components.config import StackConfig
from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import Project, ProjectError, StackFile, load_project, load_project_dir, load_stack
from connectctl.engine.regions import PROVIDER_TYPE, resource_regions
from connectctl.engine.runner import main_program, run_program
from connectctl.errors import fail, input_errors
from connectctl.plan import ConfigReport, stack_references, validate
from connectctl.pricing import DEFAULT_PRICE_FILE, PriceFileError, PriceList, RegionPrices, load_prices, shown_path

Site = Literal["primary", "dr"]
Per = Literal["hour", "month"]
Basis = Literal["declared", "assumed"]
# Line item order within a region, and the categories that are not Fargate ("fixed": they cost the
# same at base and at max).
CATEGORIES = ("fargate", "nat-gateway", "public-ipv4", "load-balancer", "load-balancer-lcu", "vpn-connection",
              "resolver-endpoint", "interface-endpoint", "kms-key", "backup-storage", "hosted-zone", "health-check",
              "cloudwatch-alarm", "cloudwatch-dashboard")
CSV_COLUMNS = ("client", "stack", "site", "region", "category", "item", "detail", "basis", "unit", "per",
               "unitPriceUsd", "quantityBase", "quantityMax", "taskVcpu", "taskMemoryGb", "vcpuBase", "vcpuMax",
               "memoryGbBase", "memoryGbMax", "monthlyUsdBase", "monthlyUsdMax")
NOT_COUNTED = ("data transfer and NAT/endpoint/load balancer data processing beyond the LCU assumption",
               "Aurora capacity units, storage and I/O", "S3, EFS and ECR storage and requests (and their replicas)",
               "CloudWatch Logs ingestion and storage, flow logs", "Secrets Manager secrets, SNS, Inspector scanning",
               "Route 53 queries (alias queries to the load balancers are free) and Resolver endpoint queries",
               "free tiers, Savings Plans, Fargate Spot, taxes")
TYPES = {
    "service": "aws:ecs/service:Service",
    "task": "aws:ecs/taskDefinition:TaskDefinition",
    "target": "aws:appautoscaling/target:Target",
    "nat": "aws:ec2/natGateway:NatGateway",
    "eip": "aws:ec2/eip:Eip",
    "lb": "aws:lb/loadBalancer:LoadBalancer",
    "vpn": "aws:ec2/vpnConnection:VpnConnection",
    "resolver": "aws:route53/resolverEndpoint:ResolverEndpoint",
    "zone": "aws:route53/zone:Zone",
    "health_check": "aws:route53/healthCheck:HealthCheck",
    "endpoint": "aws:ec2/vpcEndpoint:VpcEndpoint",
    "key": "aws:kms/key:Key",
    "vault": "aws:backup/vault:Vault",
    "backup_plan": "aws:backup/plan:Plan",
    "alarm": "aws:cloudwatch/metricAlarm:MetricAlarm",
    "dashboard": "aws:cloudwatch/dashboard:Dashboard",
    "provider": PROVIDER_TYPE,
}


@dataclass(frozen=True)
class LineItem:
    """One priced quantity of one stack in one region: monthly = quantity x unit price (x hours if hourly)."""

    client: str
    stack: str
    site: Site
    region: str
    category: str
    item: str
    detail: str
    basis: Basis
    unit: str
    per: Per
    unit_price: float
    quantity_base: float
    quantity_max: float
    monthly_base: float
    monthly_max: float
    task_vcpu: float | None = None
    task_memory_gb: float | None = None

    @property
    def vcpu(self) -> tuple[float, float]:
        """vCPU at base and at max (Fargate rows; zero otherwise)."""
        per_task = self.task_vcpu or 0.0
        return self.quantity_base * per_task, self.quantity_max * per_task

    @property
    def memory_gb(self) -> tuple[float, float]:
        """Memory (GB, as Fargate bills it: 1 GB = 1024 MiB) at base and at max."""
        per_task = self.task_memory_gb or 0.0
        return self.quantity_base * per_task, self.quantity_max * per_task

    def as_json(self) -> dict[str, Any]:
        """The documented line item: the CSV columns, numbers rounded to 9 decimals (float noise only)."""
        fargate = self.category == "fargate"
        values: dict[str, Any] = {
            "client": self.client, "stack": self.stack, "site": self.site, "region": self.region,
            "category": self.category, "item": self.item, "detail": self.detail, "basis": self.basis,
            "unit": self.unit, "per": self.per,
            "unitPriceUsd": self.unit_price, "quantityBase": self.quantity_base, "quantityMax": self.quantity_max,
            "taskVcpu": self.task_vcpu, "taskMemoryGb": self.task_memory_gb,
            "vcpuBase": self.vcpu[0] if fargate else None, "vcpuMax": self.vcpu[1] if fargate else None,
            "memoryGbBase": self.memory_gb[0] if fargate else None,
            "memoryGbMax": self.memory_gb[1] if fargate else None,
            "monthlyUsdBase": self.monthly_base, "monthlyUsdMax": self.monthly_max,
        }
        return {k: _round(v) for k, v in values.items()}


def _round(value: Any) -> Any:
    if isinstance(value, float):
        rounded = round(value, 9)
        return int(rounded) if rounded.is_integer() else rounded
    return value


@dataclass(frozen=True)
class Totals:
    """Sums over line items: capacity at base and at max, Fargate and fixed cost, the DR share."""

    tasks_base: float = 0
    tasks_max: float = 0
    vcpu_base: float = 0
    vcpu_max: float = 0
    memory_gb_base: float = 0
    memory_gb_max: float = 0
    fargate_base: float = 0
    fargate_max: float = 0
    fixed: float = 0
    dr_base: float = 0
    dr_max: float = 0

    @classmethod
    def of(cls, items: Iterable[LineItem]) -> Totals:
        """Totals of these line items."""
        sums = dict.fromkeys(cls.__dataclass_fields__, 0.0)
        for it in items:
            if it.category == "fargate":
                sums["tasks_base"] += it.quantity_base
                sums["tasks_max"] += it.quantity_max
                sums["vcpu_base"] += it.vcpu[0]
                sums["vcpu_max"] += it.vcpu[1]
                sums["memory_gb_base"] += it.memory_gb[0]
                sums["memory_gb_max"] += it.memory_gb[1]
                sums["fargate_base"] += it.monthly_base
                sums["fargate_max"] += it.monthly_max
            else:
                sums["fixed"] += it.monthly_base
            if it.site == "dr":
                sums["dr_base"] += it.monthly_base
                sums["dr_max"] += it.monthly_max
        return cls(**sums)

    @property
    def monthly_base(self) -> float:
        """Everything at base: Fargate at base plus the fixed items."""
        return self.fargate_base + self.fixed

    @property
    def monthly_max(self) -> float:
        """Everything at max: Fargate at max plus the fixed items."""
        return self.fargate_max + self.fixed

    def as_json(self) -> dict[str, Any]:
        """The documented totals object."""
        values = {
            "tasksBase": self.tasks_base, "tasksMax": self.tasks_max, "vcpuBase": self.vcpu_base,
            "vcpuMax": self.vcpu_max, "memoryGbBase": self.memory_gb_base, "memoryGbMax": self.memory_gb_max,
            "fargateMonthlyUsdBase": self.fargate_base, "fargateMonthlyUsdMax": self.fargate_max,
            "fixedMonthlyUsd": self.fixed, "drMonthlyUsdBase": self.dr_base, "drMonthlyUsdMax": self.dr_max,
            "monthlyUsdBase": self.monthly_base, "monthlyUsdMax": self.monthly_max,
        }
        return {k: _round(float(v)) for k, v in values.items()}


@dataclass
class StackEstimate:
    """One stack's line items, with what the reader needs to interpret them."""

    stack: str
    client: str
    scope: str
    environment: str | None
    region: str
    dr_region: str
    dr_mode: str | None
    items: list[LineItem] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        """Totals of this stack."""
        return Totals.of(self.items)

    def as_json(self) -> dict[str, Any]:
        """The documented stack object."""
        return {"stack": self.stack, "scope": self.scope, "environment": self.environment, "region": self.region,
                "drRegion": self.dr_region, "drMode": self.dr_mode,
                "lineItems": [it.as_json() for it in self.items], "totals": self.totals.as_json()}


class _Items:
    """Builds the line items of one stack: one price list, one stack, many regions."""

    def __init__(self, estimate: StackEstimate, prices: PriceList, price_file: str) -> None:
        self.estimate, self.prices, self.price_file = estimate, prices, price_file

    def prices_of(self, region: str) -> RegionPrices:
        return self.prices.region(region, self.price_file, f"stack {self.estimate.stack} runs there")

    def add(self, region: str, category: str, item: str, detail: str, unit: str, per: Per, unit_price: float,
            base: float, top: float | None = None, *, basis: Basis = "declared",
            task: tuple[float, float] | None = None) -> None:
        """One line item; `top` (the quantity at max) defaults to `base` for fixed items."""
        top = base if top is None else top
        hours = self.prices.hours_per_month if per == "hour" else 1.0
        est = self.estimate
        est.items.append(LineItem(
            client=est.client, stack=est.stack, site="primary" if region == est.region else "dr", region=region,
            category=category, item=item, detail=detail, basis=basis, unit=unit, per=per, unit_price=unit_price,
            quantity_base=base, quantity_max=top, monthly_base=base * unit_price * hours,
            monthly_max=top * unit_price * hours, task_vcpu=task[0] if task else None,
            task_memory_gb=task[1] if task else None,
        ))


def estimate_stack(cfg: StackConfig, stack: str, resources: list[CapturedResource], prices: PriceList,
                   price_file: str = "data/prices.yaml") -> StackEstimate:
    """Price what one stack's plan declares (resources of `--no-preview`: every input known)."""
    estimate = StackEstimate(
        stack=stack, client=cfg.tenant.client, scope=cfg.tenant.scope,
        environment=None if cfg.is_account else cfg.tenant.environment_name, region=cfg.region,
        dr_region=cfg.tenant.dr_region, dr_mode=None if cfg.is_account else cfg.dr.mode,
    )
    builder = _Items(estimate, prices, price_file)
    regions = resource_regions(resources, cfg.region)
    by_region: dict[str, list[CapturedResource]] = {}
    for r in resources:
        if r.custom and r.type != TYPES["provider"] and not r.type.startswith("pulumi:"):
            by_region.setdefault(regions[r.urn], []).append(r)
    by_urn = {r.urn: r for r in resources}
    stores = _backed_up_stores(by_region.get(cfg.region, []))
    for region in sorted(by_region, key=lambda code: (code != cfg.region, code)):
        _price_region(builder, region, by_region[region], by_urn, stores)
    estimate.items.sort(key=lambda it: (it.site != "primary", it.region, CATEGORIES.index(it.category), it.item))
    return estimate


def _backed_up_stores(resources: list[CapturedResource]) -> int:
    """Stores the backup selection picks (tag `connect:backup: "true"`) in the region of the backup plan."""
    if not any(r.type == TYPES["backup_plan"] for r in resources):
        return 0
    return sum(1 for r in resources if (r.inputs.get("tags") or {}).get("connect:backup") == "true")


def _price_region(builder: _Items, region: str, resources: list[CapturedResource],
                  by_urn: dict[str, CapturedResource], stores: int) -> None:
    """The line items of one region of one stack."""
    p, assume = builder.prices_of(region), builder.prices.assumptions

    def of(kind: str) -> list[CapturedResource]:
        return [r for r in resources if r.type == TYPES[kind]]

    targets = {urn: r for r in of("target") for urn in r.property_dependencies.get("resourceId", [])}
    for service in sorted(of("service"), key=lambda r: str(r.inputs.get("name"))):
        task = next(by_urn[u] for u in service.property_dependencies.get("taskDefinition", [])
                    if by_urn[u].type == TYPES["task"])
        vcpu, gb = int(task.inputs["cpu"]) / 1024, int(task.inputs["memory"]) / 1024
        target = targets.get(service.urn)
        base = int(target.inputs["minCapacity"]) if target else int(service.inputs.get("desiredCount", 0))
        top = int(target.inputs["maxCapacity"]) if target else base
        builder.add(region, "fargate", str(service.inputs.get("name")), f"{vcpu:g} vCPU, {gb:g} GB",
                    "task-hour", "hour", vcpu * p.fargate_vcpu_hour + gb * p.fargate_gb_hour, base, top,
                    task=(vcpu, gb))
    nats = [r for r in of("nat") if r.inputs.get("connectivityType", "public") != "private"]
    eips = of("eip")
    owned = sum(1 for r in eips if r.external)
    albs = [r for r in of("lb") if r.inputs.get("loadBalancerType", "application") == "application"]
    interface = [r for r in of("endpoint") if r.inputs.get("vpcEndpointType") == "Interface"]
    endpoint_azs = sum(len(r.inputs.get("subnetIds") or []) for r in interface)
    resolvers = of("resolver")  # Route 53 Resolver bills each endpoint's network interfaces, one per address
    resolver_enis = sum(len(r.inputs.get("ipAddresses") or []) for r in resolvers)
    checks = of("health_check")
    by_kind: dict[str, int] = {}
    for check in checks:
        kind = str(check.inputs.get("type", ""))
        kind = {"CLOUDWATCH_METRIC": "on CloudWatch alarms", "CALCULATED": "calculated"}.get(kind, kind.lower())
        by_kind[kind] = by_kind.get(kind, 0) + 1
    fixed: list[tuple[str, str, str, str, Per, float, float]] = [
        ("nat-gateway", "NAT gateways", "", "NAT gateway-hour", "hour", p.nat_gateway_hour, len(nats)),
        ("public-ipv4", "public IPv4", f"EIPs, {owned} the client's own" if owned else "EIPs",
         "address-hour", "hour", p.public_ipv4_hour, len(eips)),
        ("load-balancer", "load balancers", "internal ALB", "ALB-hour", "hour", p.alb_hour, len(albs)),
        ("vpn-connection", "VPN connections", "Site-to-Site", "connection-hour", "hour", p.vpn_connection_hour,
         len(of("vpn"))),
        ("resolver-endpoint", "Resolver endpoint ENIs",
         f"{len(resolvers)} Route 53 Resolver endpoint{'s' if len(resolvers) != 1 else ''}", "ENI-hour", "hour",
         p.resolver_endpoint_eni_hour, resolver_enis),
        ("interface-endpoint", "endpoint-AZs", f"{len(interface)} interface endpoints", "endpoint-AZ-hour", "hour",
         p.interface_endpoint_az_hour, endpoint_azs),
        ("kms-key", "KMS keys", "", "key-month", "month", p.kms_key_month, len(of("key"))),
        ("hosted-zone", "hosted zones", "Route 53, private", "zone-month", "month", p.route53_hosted_zone_month,
         len(of("zone"))),
        ("health-check", "health checks", "Route 53: " + ", ".join(f"{n} {k}" for k, n in sorted(by_kind.items())),
         "health check-month", "month", p.route53_health_check_month, len(checks)),
        ("cloudwatch-alarm", "alarm metrics", f"{len(of('alarm'))} CloudWatch alarms", "alarm metric-month",
         "month", p.cloudwatch_alarm_month, sum(_alarm_metrics(r) for r in of("alarm"))),
        ("cloudwatch-dashboard", "dashboards", "CloudWatch", "dashboard-month", "month",
         p.cloudwatch_dashboard_month, len(of("dashboard"))),
    ]
    for category, item, detail, unit, per, price, quantity in fixed:
        if quantity:
            builder.add(region, category, item, detail, unit, per, price, quantity)
    if albs:
        builder.add(region, "load-balancer-lcu", "ALB LCUs", f"assumed {assume.alb_lcu_per_hour:g} per ALB",
                    "LCU-hour", "hour", p.alb_lcu_hour, len(albs) * assume.alb_lcu_per_hour, basis="assumed")
    if of("vault") and stores:
        builder.add(region, "backup-storage", "backup GB", f"{stores} stores x {assume.backup_gb_per_store:g}, "
                    "assumed", "GB-month", "month", p.backup_storage_gb_month,
                    stores * assume.backup_gb_per_store, basis="assumed")


def _alarm_metrics(alarm: CapturedResource) -> int:
    """CloudWatch bills an alarm per metric it evaluates: each metric of a metric-math alarm counts."""
    return max(1, sum(1 for query in alarm.inputs.get("metricQueries") or [] if query.get("metric")))


def capture(project: Project, stack: str | None = None, config_file: Path | None = None,
            account_files: dict[str, Path] | None = None) -> tuple[StackFile, StackConfig, list[CapturedResource]]:
    """The stack's resources with every value known, as `plan_stack(preview=False)` runs the program.

    The policy pack is not run: its verdict changes no quantity, and a capacity report should not
    depend on the guardrails (`connectctl check` is their command). `account_files`: client -> account stack
    file (`--account-file`); a client not in it finds its account stack as `plan` does (beside, then the project).
    """
    stack_file = load_stack(project, stack, config_file)
    cfg = validate(stack_file)
    account_file = None if cfg.is_account else (account_files or {}).get(cfg.tenant.client)
    references = stack_references(project, stack_file, cfg, account_file)
    result = run_program(
        main_program(project.main), project=project.name, stack=stack_file.stack,
        config=stack_file.program_config(), secret_keys=stack_file.secret_keys, preview=False,
        region=cfg.region, account_id=cfg.tenant.account_id, root=project.root, references=references,
    )
    return stack_file, cfg, result.resources


def account_files_by_client(project: Project, paths: Iterable[Path]) -> dict[str, Path]:
    """`--account-file` (repeatable): each an account stack, at most one per client; client -> file.

    Why by client: one run may estimate several clients' environments, and each reads only its own.
    """
    found: dict[str, Path] = {}
    for path in paths:
        account_file = load_stack(project, path=path)
        cfg = validate(account_file)
        if not cfg.is_account:
            raise ConfigReport(f"--account-file {path}: an environment stack; allowed: account stacks "
                               "(connect:tenant.scope: account)")
        if cfg.tenant.client in found:
            raise ConfigReport(f"--account-file {path}: a second account stack of {cfg.tenant.client!r} (the first: "
                               f"{found[cfg.tenant.client]}); allowed: one per client")
        found[cfg.tenant.client] = path
    return found


def estimate_stacks(stacks: Iterable[str] = (), config_files: Iterable[Path] = (), *,
                    prices: PriceList, price_file: str = "data/prices.yaml",
                    project: Project | None = None, account_files: Iterable[Path] = ()) -> list[StackEstimate]:
    """Estimates of named stacks and stack files, in the order given; unknown stacks fail before any run."""
    project = project or load_project()
    by_client = account_files_by_client(project, account_files)
    stacks = list(dict.fromkeys(stacks))
    unknown = [s for s in stacks if not project.stack_file(s).exists()]
    if unknown:
        raise ProjectError(f"unknown stack(s) {', '.join(unknown)} (no stacks/Pulumi.<stack>.yaml); stacks: "
                           f"{', '.join(project.stacks()) or 'none'}")
    runs: list[tuple[str | None, Path | None]] = [(s, None) for s in stacks] + [(None, f) for f in config_files]
    estimates = []
    for stack, path in runs:
        stack_file, cfg, resources = capture(project, stack, path, by_client)
        estimates.append(estimate_stack(cfg, stack_file.stack, resources, prices, price_file))
    return estimates


def by_client(estimates: list[StackEstimate]) -> dict[str, list[StackEstimate]]:
    """Stacks grouped by client, clients in name order, stacks in the order given."""
    grouped: dict[str, list[StackEstimate]] = {}
    for est in estimates:
        grouped.setdefault(est.client, []).append(est)
    return {client: grouped[client] for client in sorted(grouped)}


def statement(prices: PriceList, price_file: str) -> str:
    """What the numbers are, printed with every report."""
    return (f"Estimate from AWS on-demand list prices ({prices.currency}, {prices.hours_per_month:g} hours a month) "
            f"taken {prices.taken.isoformat()} ({price_file}); not a quote.")


def report_json(estimates: list[StackEstimate], prices: PriceList, price_file: str) -> dict[str, Any]:
    """The documented JSON document of `connectctl capacity --format json`."""
    clients = [{"client": client, "stacks": [s.as_json() for s in stacks],
                "totals": Totals.of(it for s in stacks for it in s.items).as_json()}
               for client, stacks in by_client(estimates).items()]
    return {
        "estimate": statement(prices, price_file),
        "prices": {"file": price_file, "taken": prices.taken.isoformat(), "currency": prices.currency,
                   "hoursPerMonth": _round(float(prices.hours_per_month)), "source": list(prices.source),
                   "assumptions": prices.assumptions.model_dump(by_alias=True)},
        "notCounted": list(NOT_COUNTED),
        "clients": clients,
        "totals": Totals.of(it for s in estimates for it in s.items).as_json(),
    }


def report_csv(estimates: list[StackEstimate]) -> str:
    """One row per line item, `CSV_COLUMNS` in that order; empty cells where a column does not apply."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for est in estimates:
        for it in est.items:
            writer.writerow({k: "" if v is None else v for k, v in it.as_json().items()})
    return out.getvalue()


def _n(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _span(base: float, top: float) -> str:
    return _n(base) if base == top else f"{_n(base)}-{_n(top)}"


def _each(it: LineItem) -> str:
    per = "h" if it.per == "hour" else "month"
    return f"{it.unit_price:g}/{per}"


def _money(value: float, bold: bool = False) -> str:
    return f"[bold]{value:,.2f}[/]" if bold else f"{value:,.2f}"


def render_text(estimates: list[StackEstimate], prices: PriceList, price_file: str, console: Console) -> None:
    """A table per client: service rows, fixed items, the DR standby's share, stack and client totals."""
    console.print(f"[bold]Capacity and monthly cost[/]. {escape(statement(prices, price_file))}")
    grouped = by_client(estimates)
    for client, stacks in grouped.items():
        table = Table(title=f"{client}: {len(stacks)} stack(s), USD a month", show_header=True, header_style="bold")
        for column in ("stack", "region", "item", "quantity", "USD per unit", "vCPU", "memory GB", "at base", "at max"):
            table.add_column(column, justify="left" if column in ("stack", "region", "item") else "right",
                             overflow="fold")
        for est in stacks:
            shown_region = ""
            for index, it in enumerate(est.items):
                where = it.region if it.site == "primary" else f"{it.region} (DR)"
                detail = f" [dim]({escape(it.detail)})[/]" if it.detail else ""
                capacity = [_span(*it.vcpu), _span(*it.memory_gb)] if it.category == "fargate" else ["", ""]
                table.add_row(est.stack if index == 0 else "", where if where != shown_region else "",
                              escape(it.item) + detail, _span(it.quantity_base, it.quantity_max),
                              _each(it), *capacity, _money(it.monthly_base),
                              _money(it.monthly_max))
                shown_region = where
            t = est.totals
            if t.dr_base or t.dr_max:
                table.add_row("", f"{est.dr_region} (DR)", f"DR share ({est.dr_mode})", "", "", "", "",
                              _money(t.dr_base), _money(t.dr_max))
            table.add_row(est.stack if not est.items else "", "", f"[bold]total {est.stack}[/]",
                          *_capacity(t), _money(t.monthly_base, True), _money(t.monthly_max, True), end_section=True)
        t = Totals.of(it for s in stacks for it in s.items)
        table.add_row(f"[bold]{client}[/]", "", "[bold]client total[/]", *_capacity(t),
                      _money(t.monthly_base, True), _money(t.monthly_max, True))
        console.print(table)
    if len(grouped) > 1:
        t = Totals.of(it for s in estimates for it in s.items)
        console.print(f"[bold]All clients[/]: {t.monthly_base:,.2f} USD a month at base, {t.monthly_max:,.2f} at max.")
    a = prices.assumptions
    console.print(f"At base: every service at its base tasks; at max: every service at its max, in both regions "
                  f"(an upper bound: a DR standby scales up when the primary is down). Assumed: "
                  f"{a.alb_lcu_per_hour:g} LCU per load balancer, {a.backup_gb_per_store:g} GB per backed-up store "
                  f"in each vault. Not counted: {'; '.join(NOT_COUNTED)}.")


def _capacity(t: Totals) -> list[str]:
    if not t.tasks_max:
        return ["", "", "", ""]
    return [f"{_span(t.tasks_base, t.tasks_max)} tasks", "", _span(t.vcpu_base, t.vcpu_max),
            _span(t.memory_gb_base, t.memory_gb_max)]


class CapacityFormat(StrEnum):
    """Output formats of `capacity`."""

    text = "text"
    json = "json"
    csv = "csv"


def capacity(
    stacks: Annotated[list[str] | None, typer.Argument(
        help="Stack names, e.g. acme-prod globex-prod (stacks/Pulumi.<stack>.yaml).", show_default=False)] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack file in stacks/.")] = False,
    config_files: Annotated[list[Path] | None, typer.Option(
        "--config-file", help="Also estimate this stack file (repeatable).", show_default=False)] = None,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.", show_default=False)] = None,
    account_files: Annotated[list[Path] | None, typer.Option(
        "--account-file", help="An account stack file its client's environments read (repeatable, one per client). "
        "Default: Pulumi.<client>-account.yaml beside the stack file, else in the project's stacks.",
        show_default=False)] = None,
    output: Annotated[CapacityFormat, typer.Option(
        "--format", help="text (tables per client), json (the documented document) or csv (one row per line item)."
    )] = CapacityFormat.text,
    price_file: Annotated[Path, typer.Option(
        "--prices", help="Price file to use instead of data/prices.yaml.", show_default=False)] = DEFAULT_PRICE_FILE,
) -> None:
    """Capacity (tasks, vCPU, memory) and monthly cost at base and at max, per stack and client."""
    if all_stacks and stacks:
        raise fail("name stacks (connectctl capacity acme-prod) or --all, not both")
    if not (all_stacks or stacks or config_files):
        raise fail("name one or more stacks (connectctl capacity acme-prod), --all, or --config-file PATH")
    try:
        prices = load_prices(price_file)
        shown = shown_path(price_file)
        project = load_project_dir(project_dir)
        names = project.stacks() if all_stacks else list(stacks or [])
        estimates = estimate_stacks(names, config_files or [], prices=prices, price_file=shown, project=project,
                                    account_files=account_files or [])
    except input_errors(PriceFileError) as exc:
        raise fail(str(exc)) from None
    if output is CapacityFormat.json:
        sys.stdout.write(json.dumps(report_json(estimates, prices, shown), indent=2) + "\n")
    elif output is CapacityFormat.csv:
        sys.stdout.write(report_csv(estimates))
    else:
        console = Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160)
        render_text(estimates, prices, shown, console)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("capacity")(capacity)
