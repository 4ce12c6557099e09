"""`connectctl capacity`: the arithmetic, checked against costs computed by hand from the stack files.

The synthetic stacks are copies of real ones with a few values changed; the prices are a test
price file (us-east-1 at its list prices, us-west-2 deliberately different) so that a line priced
in the wrong region, a wrong hour count or a wrong assumption changes a total and fails a test.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from connectctl import capacity
from connectctl.capacity import StackEstimate, Totals, estimate_stack
from connectctl.engine.capture import CapturedResource
from connectctl.engine.project import load_project
from connectctl.pricing import DEFAULT_PRICE_FILE, PriceFileError, PriceList, load_prices

ROOT = Path(__file__).resolve().parents[2]
APP = typer.Typer()  # the group as `cli.py` registers it, without importing the other command modules
APP.callback()(lambda: None)
capacity.register(APP)
H = 730  # hours a month

EAST = {  # us-east-1 list prices
    "fargateVcpuHour": 0.04048, "fargateGbHour": 0.004445, "natGatewayHour": 0.045, "publicIpv4Hour": 0.005,
    "albHour": 0.0225, "albLcuHour": 0.008, "vpnConnectionHour": 0.05, "resolverEndpointEniHour": 0.125,
    "interfaceEndpointAzHour": 0.01, "kmsKeyMonth": 1.0, "backupStorageGbMonth": 0.05, "cloudwatchAlarmMonth": 0.10,
    "cloudwatchDashboardMonth": 3.0, "route53HostedZoneMonth": 0.5, "route53HealthCheckMonth": 0.5,
}
WEST = {  # not us-west-2's real prices: different on purpose, to catch a line priced in the wrong region
    "fargateVcpuHour": 0.05, "fargateGbHour": 0.006, "natGatewayHour": 0.06, "publicIpv4Hour": 0.006,
    "albHour": 0.03, "albLcuHour": 0.01, "vpnConnectionHour": 0.07, "resolverEndpointEniHour": 0.15,
    "interfaceEndpointAzHour": 0.02, "kmsKeyMonth": 1.5, "backupStorageGbMonth": 0.07, "cloudwatchAlarmMonth": 0.2,
    "cloudwatchDashboardMonth": 4.0, "route53HostedZoneMonth": 0.6, "route53HealthCheckMonth": 0.7,
}
PRICES: dict[str, Any] = {
    "source": ["https://aws.amazon.com/fargate/pricing/"], "taken": "2026-01-15", "currency": "USD",
    "hoursPerMonth": H, "assumptions": {"albLcuPerHour": 2, "backupGbPerStore": 50},
    "regions": {"us-east-1": EAST, "us-west-2": WEST},
}
LCU, GB_PER_STORE = 2, 50
CSV_COLUMNS = ["client", "stack", "site", "region", "category", "item", "detail", "basis", "unit", "per",
               "unitPriceUsd", "quantityBase", "quantityMax", "taskVcpu", "taskMemoryGb", "vcpuBase", "vcpuMax",
               "memoryGbBase", "memoryGbMax", "monthlyUsdBase", "monthlyUsdMax"]


def real(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())


def warm_standby(mode: str = "warm-standby") -> dict[str, Any]:
    """acme-prod on two zones with two services: payments-api 0.5 vCPU/1 GB 2-10, accounts-api 1 vCPU/2 GB 4-6."""
    doc = real("acme-prod")
    cfg = doc["config"]
    cfg["connect:network"].update(availabilityZones=2, natGateways="perAz")
    payments, accounts = cfg["connect:services"][:2]
    payments.update(cpu=512, memory=1024, capacity={"base": 2, "max": 10})
    accounts.update(cpu=1024, memory=2048, capacity={"base": 4, "max": 6})
    cfg["connect:services"] = [payments, accounts]
    cfg["connect:dr"].update(mode=mode, warmStandbyBase=3)  # DR bases: min(3, 2) = 2 and min(3, 4) = 3
    return doc


def staging(nat: str, zones: int) -> dict[str, Any]:
    """acme-staging (backup-restore, no data stores) with its NAT mode and zone count changed."""
    doc = real("acme-staging")
    doc["config"]["connect:network"].update(availabilityZones=zones, natGateways=nat)
    return doc


VARIANTS: dict[str, Callable[[], dict[str, Any]]] = {
    "acme-warm": warm_standby,
    "acme-pilot": functools.partial(warm_standby, "pilot-light"),
    "acme-single": functools.partial(staging, "single", 2),
    "acme-perzone": functools.partial(staging, "perAz", 2),
    "acme-threezones": functools.partial(staging, "perAz", 3),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic stack files and the test price file."""
    path = tmp_path_factory.mktemp("capacity")
    for name, build in VARIANTS.items():
        (path / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(build()))
    (path / "prices.yaml").write_text(yaml.safe_dump(PRICES))
    return path


@functools.cache
def captured(path: Path) -> tuple[Any, list[CapturedResource]]:
    _, cfg, resources = capacity.capture(load_project(), None, path)
    return cfg, resources


def estimated(workdir: Path, name: str) -> StackEstimate:
    cfg, resources = captured(workdir / f"Pulumi.{name}.yaml")
    return estimate_stack(cfg, name, resources, load_prices(workdir / "prices.yaml"))


def monthly(est: StackEstimate, site: str, category: str) -> tuple[float, float]:
    items = [it for it in est.items if it.site == site and it.category == category]
    return sum(it.monthly_base for it in items), sum(it.monthly_max for it in items)


def alarms(resources: list[CapturedResource], provider: str) -> int:
    """Alarm metrics the plan declares through one provider (counted here independently of the report): one per
    alarm, or one per metric of a metric-math alarm, as CloudWatch bills them."""
    return sum(max(1, len([q for q in r.inputs.get("metricQueries", []) if "metric" in q])) for r in resources
               if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm" and r.provider.split("::")[-2] == provider)


def dashboards(resources: list[CapturedResource], provider: str) -> int:
    return sum(1 for r in resources
               if r.type == "aws:cloudwatch/dashboard:Dashboard" and r.provider.split("::")[-2] == provider)


def warm_expected(workdir: Path, mode: str = "warm-standby") -> dict[str, float]:
    """acme-warm (or acme-pilot) by hand."""
    name = "acme-warm" if mode == "warm-standby" else "acme-pilot"
    _, resources = captured(workdir / f"Pulumi.{name}.yaml")
    east_payments = 0.5 * 0.04048 + 1 * 0.004445  # per task-hour
    east_accounts = 1 * 0.04048 + 2 * 0.004445
    west_payments = 0.5 * 0.05 + 1 * 0.006
    west_accounts = 1 * 0.05 + 2 * 0.006
    dr_payments_base, dr_accounts_base = (2, 3) if mode == "warm-standby" else (0, 0)
    e: dict[str, float] = {
        "fargate_primary_base": 2 * east_payments * H + 4 * east_accounts * H,
        "fargate_primary_max": 10 * east_payments * H + 6 * east_accounts * H,
        "fargate_dr_base": dr_payments_base * west_payments * H + dr_accounts_base * west_accounts * H,
        "fargate_dr_max": 10 * west_payments * H + 6 * west_accounts * H,
        "fixed_primary": (2 * 0.045 * H            # NAT gateways, one per zone
                          + 2 * 0.005 * H          # their EIPs
                          + 1 * 0.0225 * H         # the load balancer
                          + 1 * LCU * 0.008 * H    # its assumed LCUs
                          + 1 * 0.05 * H           # one VPN connection
                          + 2 * 0.125 * H          # the inbound resolver: two ENIs, in two zones' app subnets
                          + 5 * 2 * 0.01 * H       # five interface endpoints in two zones
                          + 1 * 1.0                # the environment key
                          + 2 * GB_PER_STORE * 0.05  # documents and ledger in the primary vault
                          + 1 * 0.5                # the private hosted zone (Route 53 is global: the primary's price)
                          + (2 * 2 + 1) * 0.5      # per service an alarm and a calculated health check; the switch
                          + alarms(resources, "tenant") * 0.10 + dashboards(resources, "tenant") * 3.0),
        "fixed_dr": (2 * 0.06 * H + 2 * 0.006 * H + 1 * 0.03 * H + 1 * LCU * 0.01 * H
                     + 1 * 0.07 * H            # the VPN connection ends in the DR region too
                     + 2 * 0.15 * H            # and so does an inbound resolver
                     + 5 * 2 * 0.02 * H + 1 * 1.5
                     + 2 * GB_PER_STORE * 0.07 + alarms(resources, "dr") * 0.2 + dashboards(resources, "dr") * 4.0),
    }
    e["base"] = e["fargate_primary_base"] + e["fargate_dr_base"] + e["fixed_primary"] + e["fixed_dr"]
    e["max"] = e["fargate_primary_max"] + e["fargate_dr_max"] + e["fixed_primary"] + e["fixed_dr"]
    return e


def staging_expected(workdir: Path, name: str, nats: int, zones: int) -> float:
    """acme-single / acme-perzone / acme-threezones at base (payments 1 x 0.25/0.5, accounts 1 x 0.25/1)."""
    _, resources = captured(workdir / f"Pulumi.{name}.yaml")
    fargate = 1 * (0.25 * 0.04048 + 0.5 * 0.004445) * H + 1 * (0.25 * 0.04048 + 1 * 0.004445) * H
    fixed = (nats * 0.045 * H + nats * 0.005 * H + 0.0225 * H + LCU * 0.008 * H + 1 * 0.05 * H
             + 2 * 0.125 * H  # the inbound resolver: two ENIs (AWS's minimum); its zone (no standby: no health check)
             + 0.5 + 5 * zones * 0.01 * H + 1.0 + alarms(resources, "tenant") * 0.10
             + dashboards(resources, "tenant") * 3.0)
    # backup-restore: only the DR region's key (no data stores, so nothing in the vaults), and any DR alarms
    dr = 1.5 + alarms(resources, "dr") * 0.2 + dashboards(resources, "dr") * 4.0
    return fargate + fixed + dr


def test_warm_standby_by_hand(workdir: Path) -> None:
    est, e = estimated(workdir, "acme-warm"), warm_expected(workdir)
    assert monthly(est, "primary", "fargate") == pytest.approx((e["fargate_primary_base"], e["fargate_primary_max"]))
    assert monthly(est, "dr", "fargate") == pytest.approx((e["fargate_dr_base"], e["fargate_dr_max"]))
    t = est.totals
    assert (t.monthly_base, t.monthly_max) == pytest.approx((e["base"], e["max"]))
    assert t.fixed == pytest.approx(e["fixed_primary"] + e["fixed_dr"])
    assert (t.dr_base, t.dr_max) == pytest.approx((e["fargate_dr_base"] + e["fixed_dr"],
                                                   e["fargate_dr_max"] + e["fixed_dr"]))
    # capacity: primary 2 + 4 tasks, DR min(3, 2) + min(3, 4); max 10 + 6 in each region
    assert (t.tasks_base, t.tasks_max) == (2 + 4 + 2 + 3, 2 * (10 + 6))
    assert (t.vcpu_base, t.vcpu_max) == pytest.approx((2 * 0.5 + 4 * 1 + 2 * 0.5 + 3 * 1, 2 * (10 * 0.5 + 6 * 1)))
    assert (t.memory_gb_base, t.memory_gb_max) == pytest.approx((2 * 1 + 4 * 2 + 2 * 1 + 3 * 2, 2 * (10 * 1 + 6 * 2)))


def test_warm_standby_rows_per_service_and_region(workdir: Path) -> None:
    rows = {(it.site, it.item): it for it in estimated(workdir, "acme-warm").items if it.category == "fargate"}
    assert set(rows) == {(site, svc) for site in ("primary", "dr") for svc in ("payments-api", "accounts-api")}
    accounts_dr = rows["dr", "accounts-api"]
    assert (accounts_dr.region, accounts_dr.quantity_base, accounts_dr.quantity_max) == ("us-west-2", 3, 6)
    assert (accounts_dr.vcpu, accounts_dr.memory_gb) == ((3.0, 6.0), (6.0, 12.0))
    assert accounts_dr.monthly_base == pytest.approx(3 * (1 * 0.05 + 2 * 0.006) * H)
    assert rows["primary", "payments-api"].monthly_max == pytest.approx(10 * (0.5 * 0.04048 + 1 * 0.004445) * H)


def test_pilot_light_runs_nothing_in_dr_but_keeps_the_maximum(workdir: Path) -> None:
    est, e = estimated(workdir, "acme-pilot"), warm_expected(workdir, "pilot-light")
    assert e["fargate_dr_base"] == 0
    assert monthly(est, "dr", "fargate") == pytest.approx((0, e["fargate_dr_max"]))
    assert (est.totals.monthly_base, est.totals.monthly_max) == pytest.approx((e["base"], e["max"]))


@pytest.mark.parametrize(("name", "nats", "zones"), [("acme-single", 1, 2), ("acme-perzone", 2, 2),
                                                     ("acme-threezones", 3, 3)])
def test_single_vs_per_zone_nat(workdir: Path, name: str, nats: int, zones: int) -> None:
    est = estimated(workdir, name)
    assert monthly(est, "primary", "nat-gateway") == pytest.approx((nats * 0.045 * H,) * 2)
    assert monthly(est, "primary", "public-ipv4") == pytest.approx((nats * 0.005 * H,) * 2)
    assert monthly(est, "primary", "interface-endpoint") == pytest.approx((5 * zones * 0.01 * H,) * 2)
    assert est.totals.monthly_base == pytest.approx(staging_expected(workdir, name, nats, zones))
    assert est.dr_mode == "backup-restore"
    dr = {it.category for it in est.items if it.site == "dr"}
    assert "kms-key" in dr and dr <= {"kms-key", "cloudwatch-alarm", "cloudwatch-dashboard"}  # nothing runs there


def test_acme_prod_prices_both_regions_links_resolvers_zone_and_health_checks() -> None:
    """acme-prod at the repository's prices: a VPN connection in each region (each at its region's price), an
    inbound resolver in each with two ENIs (AWS's minimum, in two zones), one private zone and 2 health checks
    per service plus the failover switch, Route 53's once, with the primary's line items."""
    prices = load_prices()
    _, cfg, resources = capacity.capture(load_project(), "acme-prod")
    est = estimate_stack(cfg, "acme-prod", resources, prices)
    rows: dict[tuple[str, str], capacity.LineItem] = {(it.site, it.category): it for it in est.items}
    for site, region in (("primary", "us-east-1"), ("dr", "us-west-2")):
        vpn, resolver = rows[site, "vpn-connection"], rows[site, "resolver-endpoint"]
        assert (vpn.region, vpn.quantity_base) == (region, 1)
        assert vpn.monthly_base == pytest.approx(prices.regions[region].vpn_connection_hour * H) == 36.5
        assert (resolver.region, resolver.quantity_base, resolver.unit, resolver.detail) == (
            region, 2, "ENI-hour", "1 Route 53 Resolver endpoint")
        assert resolver.monthly_base == resolver.monthly_max == pytest.approx(2 * 0.125 * H) == 182.5
    zone, checks = rows["primary", "hosted-zone"], rows["primary", "health-check"]
    assert (zone.quantity_base, zone.unit_price, zone.monthly_base) == (1, 0.5, 0.5)
    assert (checks.quantity_base, checks.unit_price) == (2 * len(cfg.services) + 1, 0.5) == (7, 0.5)
    assert checks.monthly_base == pytest.approx(3.5)
    assert checks.detail == "Route 53: 3 calculated, 4 on CloudWatch alarms"
    assert not {("dr", "hosted-zone"), ("dr", "health-check")} & set(rows)
    added = sum(rows[k].monthly_base for k in rows if k[1] in ("resolver-endpoint", "hosted-zone", "health-check"))
    assert added + rows["dr", "vpn-connection"].monthly_base == pytest.approx(2 * 182.5 + 0.5 + 3.5 + 36.5)


def test_totals_per_client_across_stacks(workdir: Path) -> None:
    prices = load_prices(workdir / "prices.yaml")
    estimates = capacity.estimate_stacks(
        ["acme-account"], [workdir / "Pulumi.acme-warm.yaml", workdir / "Pulumi.acme-single.yaml"], prices=prices)
    doc = capacity.report_json(estimates, prices, "prices.yaml")
    (acme,) = doc["clients"]
    assert [s["stack"] for s in acme["stacks"]] == ["acme-account", "acme-warm", "acme-single"]
    expected = 3.5 + warm_expected(workdir)["base"] + staging_expected(workdir, "acme-single", 1, 2)
    assert acme["totals"]["monthlyUsdBase"] == pytest.approx(expected)
    assert doc["totals"]["monthlyUsdBase"] == pytest.approx(expected)
    # its key and the audit key (1 each), the audit key's DR-region copy (1.5: this price file's us-west-2 KMS price)
    assert acme["stacks"][0]["totals"]["monthlyUsdBase"] == 3.5


def test_json_shape(workdir: Path) -> None:
    prices = load_prices(workdir / "prices.yaml")
    doc = capacity.report_json([estimated(workdir, "acme-warm")], prices, "prices.yaml")
    assert list(doc) == ["estimate", "prices", "notCounted", "clients", "totals"]
    assert "Estimate from AWS on-demand list prices" in doc["estimate"] and "2026-01-15" in doc["estimate"]
    assert doc["prices"] == {"file": "prices.yaml", "taken": "2026-01-15", "currency": "USD", "hoursPerMonth": H,
                             "source": ["https://aws.amazon.com/fargate/pricing/"],
                             "assumptions": {"albLcuPerHour": 2.0, "backupGbPerStore": 50.0}}
    stack = doc["clients"][0]["stacks"][0]
    assert list(stack) == ["stack", "scope", "environment", "region", "drRegion", "drMode", "lineItems", "totals"]
    assert (stack["drRegion"], stack["drMode"]) == ("us-west-2", "warm-standby")
    assert all(list(it) == CSV_COLUMNS for it in stack["lineItems"])
    assert list(stack["totals"]) == ["tasksBase", "tasksMax", "vcpuBase", "vcpuMax", "memoryGbBase", "memoryGbMax",
                                     "fargateMonthlyUsdBase", "fargateMonthlyUsdMax", "fixedMonthlyUsd",
                                     "drMonthlyUsdBase", "drMonthlyUsdMax", "monthlyUsdBase", "monthlyUsdMax"]
    for item in stack["lineItems"]:  # every line is its own arithmetic
        hours = H if item["per"] == "hour" else 1
        assert item["monthlyUsdBase"] == pytest.approx(item["quantityBase"] * item["unitPriceUsd"] * hours)
        assert item["monthlyUsdMax"] == pytest.approx(item["quantityMax"] * item["unitPriceUsd"] * hours)
    json.dumps(doc)


def test_csv_one_row_per_line_item(workdir: Path) -> None:
    est = estimated(workdir, "acme-warm")
    rows = list(csv.DictReader(io.StringIO(capacity.report_csv([est]))))
    assert capacity.report_csv([est]).splitlines()[0] == ",".join(CSV_COLUMNS)
    assert len(rows) == len(est.items)
    assert sum(float(r["monthlyUsdMax"]) for r in rows) == pytest.approx(est.totals.monthly_max)
    nat = next(r for r in rows if r["site"] == "dr" and r["category"] == "nat-gateway")
    assert (nat["region"], nat["quantityBase"], nat["unitPriceUsd"], nat["taskVcpu"]) == ("us-west-2", "2", "0.06", "")
    lcu = next(r for r in rows if r["category"] == "load-balancer-lcu")
    assert lcu["basis"] == "assumed"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(APP, ["capacity", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_all_covers_every_stack_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the price file and the stacks are found from the package, not the cwd
    code, out, err = run("--all", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    stacks = [s["stack"] for c in doc["clients"] for s in c["stacks"]]
    assert sorted(stacks) == load_project().stacks()
    assert doc["prices"]["file"] == "data/prices.yaml"
    for client in doc["clients"]:
        assert client["totals"]["monthlyUsdMax"] == pytest.approx(
            sum(s["totals"]["monthlyUsdMax"] for s in client["stacks"]))
    assert doc["totals"]["monthlyUsdBase"] == pytest.approx(sum(c["totals"]["monthlyUsdBase"] for c in doc["clients"]))


def test_text_report_states_the_estimate_and_its_date(workdir: Path) -> None:
    code, out, err = run("--config-file", str(workdir / "Pulumi.acme-single.yaml"), "--prices",
                         str(workdir / "prices.yaml"))
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Estimate from AWS on-demand list prices" in flat and "taken 2026-01-15" in flat
    assert "client total" in flat and "NAT gateways" in flat and "Not counted:" in flat
    assert f"{staging_expected(workdir, 'acme-single', 1, 2):,.2f}" in flat


@pytest.mark.parametrize(("args", "message"), [
    (["acme-prd"], "unknown stack(s) acme-prd"),
    (["acme-prod", "--all"], "not both"),
    ([], "name one or more stacks"),
])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert message in " ".join(err.split())
    assert "Traceback" not in err


def test_unknown_stack_through_the_real_command_line() -> None:
    result = subprocess.run([sys.executable, "-m", "connectctl", "capacity", "nope", "acme-prod"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "unknown stack(s) nope" in result.stderr and "acme-prod" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_price_file_names_file_and_field(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(PRICES))
    bad["regions"]["us-east-1"]["fargateVcpuHour"] = -1
    bad["regions"]["us-east-1"]["natGatewayHourly"] = 0.045
    del bad["taken"]
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(bad))
    code, out, err = run("acme-staging", "--prices", str(path))
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"{path}: invalid price file (3 problem(s))" in flat
    assert "regions.us-east-1.fargateVcpuHour: Input should be greater than or equal to 0" in flat
    assert "regions.us-east-1.natGatewayHourly: unknown key; allowed: fargateVcpuHour" in flat
    assert "taken: required key is missing" in flat


def test_a_region_without_prices_is_an_error_not_a_zero(workdir: Path) -> None:
    partial = {**PRICES, "regions": {"us-east-1": EAST}}
    cfg, resources = captured(workdir / "Pulumi.acme-single.yaml")
    with pytest.raises(PriceFileError, match="no prices for us-west-2"):
        estimate_stack(cfg, "acme-single", resources, PriceList.model_validate(partial))


def test_the_repository_price_file_covers_every_stack_region() -> None:
    prices = load_prices()
    assert DEFAULT_PRICE_FILE == ROOT / "data" / "prices.yaml"
    assert prices.currency == "USD" and prices.hours_per_month == H and prices.source
    assert prices.regions["us-east-1"].fargate_vcpu_hour == 0.04048
    assert prices.regions["us-east-1"].fargate_gb_hour == 0.004445
    project = load_project()
    for stack in project.stacks():
        tenant = real(stack)["config"]
        assert tenant["aws:region"] in prices.regions, stack
        assert tenant["connect:tenant"]["drRegion"] in prices.regions, stack


def test_totals_of_nothing_are_zero() -> None:
    assert Totals.of([]).as_json()["monthlyUsdMax"] == 0
