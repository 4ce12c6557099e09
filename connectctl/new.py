"""`connectctl new CLIENT`: the stack files of a new client, ready to plan.

One command writes what a client needs before its first `pulumi up`: the account stack
(`Pulumi.<client>-account.yaml`: ECR registry, the platform team's roles, the audit trail), its first
environment stack (`Pulumi.<client>-<env>.yaml`) and the pack config of each (`policy.<stack>.json`),
into the project's stack config directory or `--dir`.

Why generated, not copied: every value is built from the config models (`components/config/` and
friends: their defaults, their validators) and every pack config from the validated stack config
(`connectctl/packconfig.py`, which reproduces the committed ones and is what `connectctl plan` judges a stack
by when its pack config file is missing), so a new client cannot inherit another client's
account id, certificate or peer address by a missed string replacement. The result is validated as
`connectctl plan` validates it (the CLI's typed-config checks, the model with its cross-checks, the
account stack the environment reads; the pack configs are the plan's own derivation, which tests hold valid
against the pack's schemas) before anything is written. Bad input or a clash with an existing client is one
message per problem naming the flag and what is allowed, exit 2, and nothing is written.

Heavy modules (the policy pack, the plan engine: pulumi) are imported inside the functions that need
them, so `connectctl --help` does not pay for them.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from components.config import (
    ACCOUNT_ID,
    PRODUCTION_ENVIRONMENTS,
    ROLE_ARN,
    SLUG,
    AlertsConfig,
    BackupConfig,
    FlowLogsConfig,
    LifecycleConfig,
    RegistryConfig,
    ServiceConfig,
    StackConfig,
    StackConfigError,
    VpnConnectionConfig,
    parse_stack_config,
    vpc_cidr,
)
from components.regions import REGION_ZONES, zones_of
from connectctl.engine.project import PROJECT_ROOT, Project, ProjectError, load_project_dir, load_stack
from connectctl.errors import fail, input_errors
from connectctl.packconfig import BREAKGLASS, stack_settings

__all__ = ["NewClient", "account_pack_config", "environment_pack_config", "generate", "register"]
# Role names of components/access.py, which imports pulumi_aws (a second at start-up): kept here, held equal by a test.
DEPLOYER = "connect-deployer"
SCHEMA = Path("schemas") / "stack.schema.json"
# Where a problem of the generated config comes from on the command line (longest prefix wins).
FLAGS = {
    "aws:region": "--region",
    "connect:tenant.client": "CLIENT",
    "connect:tenant.environment": "--env",
    "connect:tenant.accountId": "--account-id",
    "connect:tenant.deployRoleArn": "--account-id",
    "connect:tenant.drRegion": "--dr-region",
    "connect:network": "--cidr",
    "connect:network.availabilityZones": "--region",
    "connect:access.operatorAccountId": "--operator-account-id",
    "connect:access.ciRoleArn": "--ci-role-arn",
    "connect:access.alerts": "--alert-email",
    "connect:alerts": "--alert-email",
}


class NewClientError(Exception):
    """Input that cannot make a client (each line names its flag), or a clash; nothing was written."""


@dataclass(frozen=True)
class NewClient:
    """What `connectctl new` is given, the operator's settings already defaulted."""

    client: str
    account_id: str
    region: str
    dr_region: str
    cidr: str
    environment: str = "prod"
    on_prem_cidrs: tuple[str, ...] = ()
    operator_account_id: str = ""
    ci_role_arn: str = ""
    alert_emails: tuple[str, ...] = ()

    @property
    def account_stack(self) -> str:
        """`<client>-account`, as `StackConfig.account_stack` names it."""
        return f"{self.client}-account"

    @property
    def environment_stack(self) -> str:
        """`<client>-<env>`."""
        return f"{self.client}-{self.environment}"

    @property
    def production(self) -> bool:
        """Production gets the stricter shape (3 zones, NAT per zone, pilot light, vault lock...)."""
        return self.environment in PRODUCTION_ENVIRONMENTS


# --- the operator's settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorDefaults:
    """The platform team's own settings, as every account stack of the project has them (None: no agreement)."""

    operator_account_id: str | None
    ci_role_arn: str | None
    emails: tuple[str, ...]
    sources: tuple[str, ...]


def operator_defaults(project: Project) -> OperatorDefaults:
    """`connect:access` of the project's account stacks: operator account, CI role and the on-call emails they share.

    Why read, not flagged: the operator's identity account, its CI role and its on-call are the same for every
    client; read from the committed account stacks they need no flag and cannot drift from them. A value the
    account stacks disagree on (or no account stack at all) has no default: its flag is then required.
    """
    from connectctl.plan import validate

    accesses = []
    sources = []
    for stack in project.stacks():
        try:
            cfg = validate(load_stack(project, stack))
        except input_errors(plan=False):
            continue  # a broken stack file is `plan`'s to report, not a source of defaults
        if cfg.is_account and cfg.access is not None:
            accesses.append(cfg.access)
            sources.append(stack)
    if not accesses:
        return OperatorDefaults(None, None, (), ())
    operators = {a.operator_account_id for a in accesses}
    roles = {a.ci_role_arn for a in accesses}
    emails = [e for e in accesses[0].alerts.emails if all(e in a.alerts.emails for a in accesses)]
    return OperatorDefaults(operators.pop() if len(operators) == 1 else None,
                            roles.pop() if len(roles) == 1 else None, tuple(emails), tuple(sources))


# --- input checks --------------------------------------------------------------------------------------------------


def _tenant_of(path: Path) -> dict[str, Any]:
    """`connect:tenant` of a stack file, read leniently (a broken file still names its client by its file name)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return {}
    config = data.get("config") if isinstance(data, dict) else None
    tenant = config.get("connect:tenant") if isinstance(config, dict) else None
    return tenant if isinstance(tenant, dict) else {}


def _shown(project: Project, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def clashes(new: NewClient, project: Project, target: Path) -> list[str]:
    """An existing client of that name, an account id another client has, or a file in the way.

    Both the target directory and the project's stacks are searched: a client drafted elsewhere must not
    collide with one already committed, nor the reverse.
    """
    problems: list[str] = []
    directories = list(dict.fromkeys(d.resolve() for d in (target, project.stack_config_dir) if d.is_dir()))
    files = sorted({p for d in directories for p in d.glob("Pulumi.*.yaml")})
    same_client = [p for p in files if p.name.startswith(f"Pulumi.{new.client}-") or
                   _tenant_of(p).get("client") == new.client]
    if same_client:
        found = ", ".join(_shown(project, p) for p in same_client)
        problems.append(f"CLIENT {new.client!r}: stack files of that client exist already ({found}); allowed: a new "
                        "client name (an existing client's new environment is written by hand beside its stacks)")
    for path in files:
        tenant = _tenant_of(path)
        if path not in same_client and str(tenant.get("accountId")) == new.account_id:
            problems.append(f"--account-id {new.account_id}: already the account of client {tenant.get('client')!r} "
                            f"({_shown(project, path)}); allowed: the new client's own dedicated account (clients "
                            "never share an account)")
            break
    if not same_client:
        for name in output_names(new):
            if (target / name).exists():
                problems.append(f"--dir {target}: {name} exists already; allowed: a directory without it")
    return problems


def input_problems(new: NewClient, target: Path) -> list[str]:
    """Each flag checked on its own, with the rule of the model that will hold it and the flag's name.

    Why before the model: the model's messages speak of stack-file keys (`connect:tenant.accountId`, "quoted");
    here the user typed flags. The model still runs afterwards (`generate`) and catches what this misses.
    """
    problems: list[str] = []
    if not (2 <= len(new.client) <= 20 and SLUG.match(new.client)):
        problems.append(f"CLIENT {new.client!r}: not a client slug; allowed: 2-20 lowercase letters, digits and single "
                        "hyphens, starting with a letter (e.g. acme)")
    if new.environment == "account" or not (2 <= len(new.environment) <= 20 and SLUG.match(new.environment)):
        why = "the name of the client's account stack" if new.environment == "account" else "not an environment slug"
        problems.append(f"--env {new.environment!r}: {why}; allowed: 2-20 lowercase letters, digits and single "
                        "hyphens, starting with a letter (prod, staging...), not 'account'")
    for flag, value in (("--account-id", new.account_id), ("--operator-account-id", new.operator_account_id)):
        if not ACCOUNT_ID.match(value):
            problems.append(f"{flag} {value!r}: not an AWS account id; allowed: exactly 12 digits")
    if new.operator_account_id == new.account_id:
        problems.append(f"--account-id {new.account_id}: the operator's identity account (connect:access."
                        "operatorAccountId); allowed: the client's own dedicated account, never the operator's")
    match = ROLE_ARN.match(new.ci_role_arn)
    if not match:
        problems.append(f"--ci-role-arn {new.ci_role_arn!r}: not an IAM role ARN; allowed: "
                        "arn:aws:iam::<operator account>:role/<name>")
    elif match.group(2) != new.operator_account_id:
        problems.append(f"--ci-role-arn {new.ci_role_arn}: a role of account {match.group(2)}; allowed: a role of the "
                        f"operator account {new.operator_account_id}")
    for flag, region in (("--region", new.region), ("--dr-region", new.dr_region)):
        if region not in REGION_ZONES:
            close = difflib.get_close_matches(region, list(REGION_ZONES), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{flag} {region!r}: not an AWS region code{hint}; allowed: {', '.join(REGION_ZONES)}")
    if new.dr_region == new.region and new.region in REGION_ZONES:
        problems.append(f"--dr-region {new.dr_region}: the primary region (--region); allowed: any other region")
    try:
        vpc: ipaddress.IPv4Network | None = ipaddress.IPv4Network(vpc_cidr(new.cidr))
    except ValueError as exc:
        problems.append(f"--cidr: {exc}")
        vpc = None
    for cidr in new.on_prem_cidrs:
        try:
            VpnConnectionConfig._cidrs([cidr])  # the rule of connect:vpn.connections[].onPremCidrs
        except ValueError as exc:
            problems.append(f"--on-prem-cidr: {exc}")
            continue
        if vpc is not None and ipaddress.IPv4Network(cidr).overlaps(vpc):
            problems.append(f"--cidr {new.cidr}: overlaps the on-premises range {cidr} (--on-prem-cidr); allowed: a "
                            "VPC block outside the client's data-centre ranges, or the VPN could not route to them")
    repeated = sorted({c for c in new.on_prem_cidrs if new.on_prem_cidrs.count(c) > 1})
    if repeated:
        problems.append(f"--on-prem-cidr {', '.join(repeated)}: given twice; allowed: each range once")
    try:
        AlertsConfig._emails(list(new.alert_emails))
    except ValueError as exc:
        problems.append(f"--alert-email: {exc}")
    if new.production and not new.alert_emails:
        problems.append("--alert-email: none given and none to default to (no email every account stack's "
                        "connect:access.alerts lists); allowed: one or more addresses (repeatable): production "
                        "pages someone")
    if target.exists() and not target.is_dir():
        problems.append(f"--dir {target}: not a directory; allowed: a directory (created when missing)")
    return problems


# --- the stack configs, from the models ----------------------------------------------------------------------------


def _tenant(new: NewClient, account: bool) -> dict[str, Any]:
    tenant: dict[str, Any] = {"client": new.client}
    tenant |= {"scope": "account"} if account else {"environment": new.environment}
    tenant |= {"accountId": new.account_id}
    if ACCOUNT_ID.match(new.account_id):
        tenant["deployRoleArn"] = f"arn:aws:iam::{new.account_id}:role/{DEPLOYER}"
    return tenant | {"drRegion": new.dr_region}


def account_config(new: NewClient) -> dict[str, Any]:
    """The account stack's config: the registry (empty: no service yet) and the platform team's access."""
    lifecycle = LifecycleConfig()
    registry = RegistryConfig(repositories=[])
    return {
        "aws:region": new.region,
        "connect:tenant": _tenant(new, account=True),
        "connect:registry": {
            "repositories": [],
            "scanning": registry.scanning,
            "lifecycle": {"untaggedExpireDays": lifecycle.untagged_expire_days, "keepTagged": lifecycle.keep_tagged},
        },
        "connect:access": {
            "operatorAccountId": new.operator_account_id,
            "ciRoleArn": new.ci_role_arn,
            "maxSessionHours": 1,
            "cloudTrail": "account",
            "alerts": {"emails": list(new.alert_emails)},
        },
    }


def environment_config(new: NewClient) -> dict[str, Any]:
    """The environment stack's config: VPC, alerts and DR; no services yet (so no certificate is needed).

    Production is shaped as the guardrails expect of it: three zones (or all the region has) with a NAT
    gateway each, and pilot light, the standby `ecs-service-autoscaling`'s standbyRegion admits; other
    environments two zones, one NAT gateway, backups only.
    """
    zones = min(3, len(zones_of(new.region))) if new.production else 2
    backup = BackupConfig()
    return {
        "aws:region": new.region,
        "connect:tenant": _tenant(new, account=False),
        "connect:network": {
            "cidr": new.cidr,
            "availabilityZones": zones,
            "natGateways": "perAz" if new.production else "single",
            "flowLogs": {"retentionDays": FlowLogsConfig().retention_days},
        },
        "connect:alerts": {"emails": list(new.alert_emails)},
        "connect:dr": {
            "mode": "pilot-light" if new.production else "backup-restore",
            "cidr": dr_block(new),
            "backup": {"schedule": backup.schedule, "retentionDays": backup.retention_days,
                       "copyRetentionDays": backup.copy_retention_days, "continuous": backup.continuous},
        },
    }


def dr_block(new: NewClient) -> str:
    """The DR VPC's own block: the next block of the same size after the primary's that overlaps no on-premises
    range. The data centres route to both VPCs once the VPN links end in the DR region too (connect:dr.vpn)."""
    primary = ipaddress.IPv4Network(new.cidr)
    taken = [primary, *(ipaddress.IPv4Network(c) for c in new.on_prem_cidrs)]
    candidate = primary
    for _ in range(256):
        start = int(candidate.network_address) + candidate.num_addresses
        if start + candidate.num_addresses > int(ipaddress.IPv4Address("255.255.255.255")) + 1:
            break
        candidate = ipaddress.IPv4Network((start, candidate.prefixlen))
        if candidate.is_private and not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    return str(primary)  # nothing free after it: the config check then names connect:dr.cidr


def example_service(new: NewClient) -> dict[str, Any]:
    """The first service, as a commented example (validated here, so uncommenting it gives a valid entry)."""
    service = {"name": "web-api", "image": {"repository": "web-api", "tag": "1.0.0"}, "cpu": 256, "memory": 512,
               "port": 8080, "routes": {"paths": ["/*"]}, "capacity": {"base": 2 if new.production else 1, "max": 4}}
    ServiceConfig.model_validate(service)
    return service


def example_vpn(new: NewClient) -> dict[str, Any]:
    """The VPN section the client fills in: its device's address and ASN are not known yet, so none is made up.

    The placeholders fail validation by name if the section is uncommented unfilled.
    """
    return {"connections": [{"name": "dc-main", "peerIp": "<public IPv4 address of the VPN device>",
                             "bgpAsn": "<the device ASN>", "onPremCidrs": list(new.on_prem_cidrs),
                             "reachableTiers": ["app"]}]}


# --- pack configs: what each rule of the pack needs to know about the stack ------------------------------------


def account_pack_config(cfg: StackConfig) -> dict[str, Any]:
    """`policy.<client>-account.json` of a validated account stack config (the operator account, break-glass)."""
    return stack_settings(cfg)


def environment_pack_config(cfg: StackConfig) -> dict[str, Any]:
    """`policy.<client>-<env>.json` of a validated environment stack config (DR region, production)."""
    return stack_settings(cfg)


# --- the files -------------------------------------------------------------------------------------------------------


def output_names(new: NewClient) -> list[str]:
    """The four files `new` writes, in the order it writes them."""
    return [f"Pulumi.{new.account_stack}.yaml", f"policy.{new.account_stack}.json",
            f"Pulumi.{new.environment_stack}.yaml", f"policy.{new.environment_stack}.json"]


def _comment(text: str, indent: str = "  ") -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(" ".join(text.split()), 116 - len(indent))]


def _flow(value: Any) -> str:
    """A scalar or a collection in YAML flow style, quoted where YAML needs it (PyYAML decides)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000, sort_keys=False).strip()
    return text.removesuffix("...").strip()  # a scalar document ends with "..."


def _is_block(value: Any, depth: int) -> bool:
    """Block style for a section and for long or nested collections; short leaves in flow, as the committed files."""
    if not isinstance(value, dict | list) or not value:
        return False
    if depth <= 1 or (isinstance(value, list) and any(isinstance(item, dict) for item in value)):
        return True
    return len(_flow(value)) > 80


def _yaml_lines(value: dict[str, Any] | list[Any], indent: int = 0, depth: int = 0) -> list[str]:
    """`value` as YAML lines in the style of the committed stack files (PyYAML's own dump flows whole sections)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _is_block(item, depth + 1):
                lines += [f"{pad}{_flow(key)}:", *_yaml_lines(item, indent + 2, depth + 1)]
            else:
                lines.append(f"{pad}{_flow(key)}: {_flow(item)}")
        return lines
    for item in value:
        if _is_block(item, depth + 1):
            inner = _yaml_lines(item, indent + 2, depth + 1)
            lines += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
        else:
            lines.append(f"{pad}- {_flow(item)}")
    return lines


def _section(key: str, value: Any, comment: str) -> list[str]:
    return [*_comment(comment), *(f"  {line}" for line in _yaml_lines({key: value}))]


def _commented(key: str, value: Any, comment: str) -> list[str]:
    return [*_comment(comment), *(f"  # {line}" for line in _yaml_lines({key: value}))]


def _modeline(project: Project, target: Path) -> str:
    """The schema modeline, relative to where the file is (the committed files: `../schemas/stack.schema.json`)."""
    schema = project.root / SCHEMA if (project.root / SCHEMA).is_file() else PROJECT_ROOT / SCHEMA
    relative = Path(os.path.relpath(schema.resolve(), target.resolve())).as_posix()
    return f"# yaml-language-server: $schema={relative}"


def _plan_hint(stack: str) -> str:
    return f"`connectctl plan {stack}` (elsewhere than stacks/: `connectctl plan --config-file <this file>`)"


def account_text(new: NewClient, project: Project, target: Path) -> str:
    """The account stack file, commented section by section."""
    config = account_config(new)
    lines = [
        _modeline(project, target),
        *_comment(f"{new.client}'s account stack (written by `connectctl new`): the one owner of the account-wide ECR "
                  "registry, the platform team's roles in the account and its audit trail. Check it with "
                  f"{_plan_hint(new.account_stack)}.", indent=""),
        "config:",
        *_section("aws:region", config["aws:region"], "The account stack's region: the registry and the trail "
                  "live here (normally the primary region of the client's environments)."),
        *_section("connect:tenant", config["connect:tenant"], "Who the stack belongs to: the client and its "
                  f"dedicated AWS account; deployRoleArn is {DEPLOYER}, which this stack creates (its first `pulumi "
                  "up` runs with bootstrap credentials of the account); drRegion receives the image replicas. "
                  "Optional: costCenter (the connect:cost-center tag)."),
        *_section("connect:registry", config["connect:registry"], "The client's ECR registry: one repository per "
                  "microservice image, none yet. Add a repository here before the first service that pulls it "
                  "(`connectctl plan` refuses a service whose repository is not listed). scanning: basic (on push) "
                  "or enhanced (Amazon Inspector, continuous); lifecycle: when untagged images expire, how many "
                  "tagged ones are kept."),
        *_section("connect:access", config["connect:access"], "The platform team's access to the account: the "
                  "operator's identity account and CI role (the same for every client), session length, the "
                  "account's own multi-region CloudTrail trail (cloudTrail: organization when an AWS Organizations "
                  "trail covers the account), and who is paged on every use of "
                  f"{BREAKGLASS} (alerts: add httpsEndpoints for an on-call integration)."),
    ]
    return "\n".join(lines) + "\n"


def environment_text(new: NewClient, project: Project, target: Path) -> str:
    """The environment stack file, commented section by section, with the first service and the VPN as examples."""
    config = environment_config(new)
    prod = new.production
    dr = config["connect:dr"]["mode"]
    lines = [
        _modeline(project, target),
        *_comment(f"{new.client}'s {new.environment} environment (written by `connectctl new`): one VPC, its container "
                  "platform, alerts and disaster recovery; the images come from the account stack "
                  f"{new.account_stack}. Check it with {_plan_hint(new.environment_stack)}.",
                  indent=""),
        "config:",
        *_section("aws:region", config["aws:region"], "The environment's primary region."),
        *_section("connect:tenant", config["connect:tenant"], "Who the stack belongs to: the client, the "
                  "environment ('prod' and 'production' get the production rules), the client's dedicated account, "
                  f"the role Pulumi assumes there ({DEPLOYER}, made by the account stack) and the DR region."),
        *_section("connect:network", config["connect:network"], "The VPC. Its block must stay clear of the client's "
                  "data-centre ranges and of any network it will be connected to, and never changes once deployed "
                  "(every subnet would be replaced). "
                  + ("Production: three zones with a NAT gateway each. " if prod else
                     "Two zones and one NAT gateway (natGateways: perAz for one per zone). ")
                  + "To keep egress IPs the client already allow-lists, add egressIpAllocationIds."),
        *_section("connect:alerts", config["connect:alerts"], "Who is paged when an alarm of the environment fires: "
                  "add the client's on-call (httpsEndpoints: e.g. PagerDuty), and thresholds where the defaults do "
                  "not fit."),
        *_section("connect:dr", config["connect:dr"], (
            "Disaster recovery: pilot-light keeps network, cluster and load balancer ready in the DR region with "
            "the services at zero (warm-standby runs them at warmStandbyBase); backups are copied there, and the VPN "
            "links end there too (cidr: the DR VPC's own block, routed apart by the data centres). With "
            f"services, pilot-light needs certificateArn: an ACM certificate of {new.dr_region} in account "
            f"{new.account_id}, for the standby load balancer." if dr != "backup-restore" else
            "Disaster recovery: backup-restore copies the backups to the DR region and keeps no standby there "
            "(pilot-light or warm-standby for one).")),
        *_comment("Services: none yet, so no certificate is needed. To add the first one: (1) list its repository "
                  f"in connect:registry.repositories of Pulumi.{new.account_stack}.yaml; (2) set the internal load "
                  f"balancer's certificate, an ACM certificate of {new.region} in account {new.account_id} (the "
                  "listener is HTTPS), under connect:platform.certificateArn as below"
                  + (f"; (3) pilot-light: the standby's certificate, connect:dr.certificateArn ({new.dr_region})"
                     if dr != "backup-restore" else "")
                  + "; then declare the service" + (" (production: capacity.base at least 2)." if prod else ".")
                  + " Data stores (connect:data: buckets, fileSystems, databases) are declared beside them; see "
                  "docs/stack-file.md."),
        *_commented("connect:platform", {"certificateArn": f"arn:aws:acm:{new.region}:{new.account_id}:certificate/"
                                         "<id>"}, ""),
        *_commented("connect:services", [example_service(new)], ""),
    ]
    if new.on_prem_cidrs:
        lines += _commented("connect:vpn", example_vpn(new), (
            f"VPN to the client's data centre ({', '.join(new.on_prem_cidrs)}): left commented until the client "
            "sends its VPN device's public IPv4 address (AWS sends the tunnels' IKE traffic there: a private or "
            "documentation address never comes up) and its BGP ASN (not 64512, the Amazon side; or replace bgpAsn "
            "with staticRoutes: true). Fill both in, name the site (e.g. dc-santiago), uncomment, and plan. "
            "reachableTiers: app and/or data; tunnels (inside /30s, pre-shared keys held as secrets) are optional."))
    return "\n".join(lines) + "\n"


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def generate(new: NewClient, project: Project, target: Path) -> dict[str, str]:
    """File name -> text of the four files, validated as `connectctl plan` validates them; NewClientError if not.

    The model runs on the configs first (its issues mapped back to flags), then the rendered files are read back
    from a scratch directory exactly as `plan --config-file` would read them: the CLI's typed-config checks, the
    model, the environment finding its account stack beside it. The pack configs are the stack settings the plan
    derives itself (`connectctl/packconfig.py`, valid against the pack's schemas: tests/connectctl/test_pack_config.py),
    so the pack is not loaded here: `new` does not plan, and stays under half a second.
    """
    from connectctl.plan import account_stack_file, validate

    problems: list[str] = []
    configs: dict[str, StackConfig] = {}
    for stack, values in ((new.account_stack, account_config(new)), (new.environment_stack, environment_config(new))):
        try:
            configs[stack] = parse_stack_config(values, f"Pulumi.{stack}.yaml")
        except StackConfigError as exc:
            for issue in exc.issues:
                flag = max((p for p in FLAGS if issue.path == p or issue.path.startswith(f"{p}.")), key=len,
                           default=None)
                problem = f"{FLAGS[flag] if flag else issue.path}: {issue.message}"
                if problem not in problems:
                    problems.append(problem)
    if problems:
        raise NewClientError("\n".join(problems))
    texts = {
        f"Pulumi.{new.account_stack}.yaml": account_text(new, project, target),
        f"policy.{new.account_stack}.json": _json(account_pack_config(configs[new.account_stack])),
        f"Pulumi.{new.environment_stack}.yaml": environment_text(new, project, target),
        f"policy.{new.environment_stack}.json": _json(environment_pack_config(configs[new.environment_stack])),
    }
    with tempfile.TemporaryDirectory(prefix="connectctl-new-") as scratch:
        for name, text in texts.items():
            (Path(scratch) / name).write_text(text, encoding="utf-8")
        try:
            files = {stack: load_stack(project, path=Path(scratch) / f"Pulumi.{stack}.yaml") for stack in configs}
            checked = {stack: validate(stack_file) for stack, stack_file in files.items()}
            environment = new.environment_stack
            account_stack_file(project, files[environment], checked[environment])
        except input_errors(plan=False) as exc:  # the generator's fault, not the user's
            raise NewClientError(f"the generated files do not validate (a bug of connectctl new): {exc}") from None
    return texts


def write(texts: dict[str, str], target: Path) -> list[Path]:
    """Write every file or none: each is created exclusively, and those written are removed if one fails."""
    written: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            path = target / name
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
            written.append(path)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        reason = "exists already" if isinstance(exc, FileExistsError) else exc.strerror or str(exc)
        raise NewClientError(f"--dir {target}: cannot write {exc.filename}: {reason}; nothing written") from None
    return written


def new_client(client: str, *, account_id: str, region: str, dr_region: str, cidr: str, environment: str = "prod",
               on_prem_cidrs: Iterable[str] = (), directory: Path | None = None, project_dir: Path | None = None,
               operator_account_id: str | None = None, ci_role_arn: str | None = None,
               alert_emails: Iterable[str] = ()) -> list[Path]:
    """The whole command without the CLI: defaults, checks, generation, writing. NewClientError: nothing written."""
    try:
        project = load_project_dir(project_dir)
    except ProjectError as exc:
        raise NewClientError(str(exc)) from None
    target = directory if directory is not None else project.stack_config_dir
    defaults = operator_defaults(project)
    missing = []
    if operator_account_id is None and defaults.operator_account_id is None:
        missing.append("--operator-account-id")
    if ci_role_arn is None and defaults.ci_role_arn is None:
        missing.append("--ci-role-arn")
    if missing:
        why = ("the project's account stacks (" + ", ".join(defaults.sources) + ") disagree on it"
               if defaults.sources else "the project has no account stack to take it from")
        raise NewClientError("\n".join(f"{flag}: required here: {why}; allowed: the operator's identity account id / "
                                       "its CI role ARN (connect:access of an account stack)" for flag in missing))
    new = NewClient(
        client=client, account_id=account_id, region=region, dr_region=dr_region, cidr=cidr, environment=environment,
        on_prem_cidrs=tuple(on_prem_cidrs),
        operator_account_id=str(operator_account_id or defaults.operator_account_id),
        ci_role_arn=str(ci_role_arn or defaults.ci_role_arn),
        alert_emails=tuple(alert_emails) or defaults.emails,
    )
    problems = input_problems(new, target)
    if not problems:  # a bad client name or account id would only add noise to the clash search
        problems += clashes(new, project, target)
    if problems:
        raise NewClientError("\n".join(problems))
    return write(generate(new, project, target), target)


def new(
    client: Annotated[str, typer.Argument(help="The client's slug, e.g. newco: its stacks are <client>-account and "
                                          "<client>-<env>.", show_default=False)],
    account_id: Annotated[str, typer.Option("--account-id", help="The client's dedicated AWS account (12 digits).",
                                            show_default=False)],
    region: Annotated[str, typer.Option("--region", help="Primary region, e.g. us-east-1.", show_default=False)],
    dr_region: Annotated[str, typer.Option("--dr-region", help="DR region (backups, replicas, standby); not --region.",
                                           show_default=False)],
    cidr: Annotated[str, typer.Option("--cidr", help="The environment's VPC block: /16 to /20, private, clear of "
                                      "--on-prem-cidr.", show_default=False)],
    environment: Annotated[str, typer.Option("--env", help="The first environment; prod and production get the "
                                             "production rules.")] = "prod",
    on_prem_cidrs: Annotated[list[str] | None, typer.Option(
        "--on-prem-cidr", help="A data-centre range the VPN will reach (repeatable): writes a commented VPN section "
        "to fill in.", show_default=False)] = None,
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Write here instead of the project's stacks/ (created when missing).",
        show_default=False)] = None,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.", show_default=False)] = None,
    operator_account_id: Annotated[str | None, typer.Option(
        "--operator-account-id", help="The operator's identity account. Default: the one every account stack of the "
        "project names.", show_default=False)] = None,
    ci_role_arn: Annotated[str | None, typer.Option(
        "--ci-role-arn", help="The operator's CI role. Default: the one every account stack of the project names.",
        show_default=False)] = None,
    alert_emails: Annotated[list[str] | None, typer.Option(
        "--alert-email", help="Paged by the environment and the account (repeatable). Default: the emails every "
        "account stack's connect:access.alerts lists.", show_default=False)] = None,
) -> None:
    """Write a new client's account stack, first environment stack and their pack configs, validated, ready to
    plan (into stacks/, or --dir)."""
    try:
        written = new_client(client, account_id=account_id, region=region, dr_region=dr_region, cidr=cidr,
                             environment=environment, on_prem_cidrs=on_prem_cidrs or [], directory=directory,
                             project_dir=project_dir, operator_account_id=operator_account_id,
                             ci_role_arn=ci_role_arn, alert_emails=alert_emails or [])
    except NewClientError as exc:
        raise fail(str(exc)) from None
    for path in written:
        typer.echo(f"wrote {path}")
    stacks = [p for p in written if p.suffix == ".yaml"]
    in_project = stacks[0].parent.resolve() == load_project_dir(project_dir).stack_config_dir.resolve()
    typer.echo("next: " + "; ".join(f"connectctl plan {p.name[len('Pulumi.'):-len('.yaml')]}" if in_project else
                                    f"connectctl plan --config-file {p}" for p in stacks))


def register(app: typer.Typer) -> None:
    """Add `new` to the main app."""
    app.command("new")(new)
