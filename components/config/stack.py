"""The whole stack file: `StackConfig` (every section), parsing with every issue collected, the did-you-mean of
unknown keys, the checks across sections, and the JSON Schema.

The same model runs in three places: `connectctl` (before planning), the Pulumi program (before any resource is
declared) and `connectctl schema` (the JSON Schema editors validate against). Errors are collected, not raised
one by one, and each names the field path as a user writes it in the stack file (`connect:network.cidr`)
together with what is allowed.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from components.config.access import AccessConfig, access_issues
from components.config.alerts import AlertsConfig
from components.config.base import (
    CONNECT_KEYS,
    REGION_KEY,
    SECRET_TEXTS,
    ConfigIssue,
    Model,
    Region,
    StackConfigError,
    hide_secrets,
    model_in,
)
from components.config.base import (
    shown as _shown,
)
from components.config.data import DataConfig, data_issues
from components.config.dr import DrConfig, dr_issues, dr_setting_issues
from components.config.network import NetworkConfig, network_issues
from components.config.registry import RegistryConfig
from components.config.services import PlatformConfig, ServiceConfig, service_issues
from components.config.tenant import TenantConfig, lifecycle_issues, tenant_issues
from components.config.vpn import VpnConfig, psk_issues, psk_references, vpn_issues


class StackConfig(Model):
    """Everything a stack file configures, after validation."""

    region: Region = Field(alias="aws:region", description="Primary AWS region of the environment.")
    tenant: TenantConfig = Field(alias="connect:tenant")
    network: NetworkConfig | None = Field(default=None, alias="connect:network",
                                          description="Environment stacks: the VPC.")
    registry: RegistryConfig | None = Field(default=None, alias="connect:registry",
                                            description="Account stacks: the ECR registry.")
    platform: PlatformConfig = Field(default_factory=PlatformConfig, alias="connect:platform",
                                     description="Environment stacks: cluster and internal load balancer.")
    services: list[ServiceConfig] = Field(default_factory=list, alias="connect:services",
                                          description="Environment stacks: the client's microservices.")
    vpn: VpnConfig | None = Field(default=None, alias="connect:vpn",
                                  description="Environment stacks: IPsec links to the client's data centres.")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, alias="connect:alerts",
                                 description="Environment stacks: subscribers of the alerts topic.")
    data: DataConfig = Field(default_factory=DataConfig, alias="connect:data",
                             description="Environment stacks: buckets, file systems and databases.")
    dr: DrConfig = Field(default_factory=DrConfig, alias="connect:dr",
                         description="Environment stacks: DR mode and the backup plan.")
    access: AccessConfig | None = Field(default=None, alias="connect:access",
                                        description="Account stacks: the platform team's roles, trail and alerts.")

    @field_validator("network", "registry", "vpn", "access", mode="before")
    @classmethod
    def _absent(cls, value: Any) -> Any:
        return None if value == {} else value  # the CLI hands typed defaults ({}) for keys not set

    @property
    def name_prefix(self) -> str:
        """`<client>-<environment>`: prefix of every physical name in the environment."""
        return f"{self.tenant.client}-{self.tenant.environment_name}"

    @property
    def is_account(self) -> bool:
        """An account stack (registry singletons), not an environment."""
        return self.tenant.scope == "account"

    @property
    def account_stack(self) -> str:
        """The client's account stack, which owns the registry every environment pulls from."""
        return f"{self.tenant.client}-account"

    @property
    def account_stack_reference(self) -> str:
        """Fully qualified name of the account stack for `pulumi.StackReference`."""
        return f"{self.tenant.organization}/connect/{self.account_stack}"

    @property
    def net(self) -> NetworkConfig:
        """The network of an environment stack (validation guarantees it is there)."""
        if self.network is None:
            raise ValueError("account stacks have no network")
        return self.network

    @property
    def dns_zone_name(self) -> str:
        """The environment's private zone: the stack file's, or `<environment>.<client>.connect.internal`."""
        return self.platform.dns_zone or f"{self.tenant.environment_name}.{self.tenant.client}.connect.internal"

    def explicit_zones(self) -> list[str] | None:
        """Zones named in the stack file, in slot order; None when only a count is given."""
        zones = self.net.availability_zones
        return sorted(zones) if isinstance(zones, list) else None

    def zone_count(self) -> int:
        """How many zones the environment spans."""
        zones = self.net.availability_zones
        return len(zones) if isinstance(zones, list) else zones


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not out:
            out = part
        else:
            out += f".{part}"
    return out


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Keys allowed at the mapping that holds `loc[-1]`, for did-you-mean hints."""
    model: type[BaseModel] | None = StackConfig
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = next((f for f in model.model_fields.values() if f.alias == part), None)
        model = model_in(field.annotation if field else None)
    if model is None:
        return []
    return [f.alias for f in model.model_fields.values() if f.alias]


@functools.cache
def _placements() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every key of the stack-file model with the paths it is allowed at, a list's items marked `[]`:
    `drRegion` -> `(("connect:tenant", "drRegion"),)`. For the did-you-mean of a key under the wrong parent."""
    found: dict[str, list[tuple[str, ...]]] = {}

    def walk(model: type[BaseModel], prefix: tuple[str, ...], seen: frozenset[type[BaseModel]]) -> None:
        for field in model.model_fields.values():
            if not field.alias:
                continue
            path = (*prefix, field.alias)
            found.setdefault(field.alias.split(":", 1)[-1], []).append(path)  # `connect:vpn` as `vpn`
            inner = model_in(field.annotation)
            if inner is not None and inner not in seen:
                listed = "list[" in str(field.annotation)
                walk(inner, (*path, "[]") if listed else path, seen | {inner})

    walk(StackConfig, (), frozenset({StackConfig}))
    return {name: tuple(paths) for name, paths in found.items()}


def _placed(path: tuple[str, ...], loc: tuple[int | str, ...]) -> str:
    """A model path as users write it, with the list positions of `loc` where the two share a list: a key moved
    within `connect:services[2]` is suggested at `connect:services[2]...`, elsewhere as `[i]`."""
    written = tuple(p if isinstance(p, str) else "[]" for p in loc)
    out = ""
    for index, part in enumerate(path):
        if part != "[]":
            out += f".{part}" if out else part
        elif index < len(loc) and isinstance(loc[index], int) and path[:index] == written[:index]:
            out += f"[{loc[index]}]"
        else:
            out += "[i]"
    return out


TYPO = 0.8  # difflib ratio from which an unknown key is read as a typo of a key of the same mapping


def unknown_key_hint(loc: tuple[int | str, ...], siblings: list[str]) -> str:
    """`did you mean ...? ` for an unknown key at `loc`: the key's place when it is valid under another parent
    (`drRegion` written at the top level or under `connect:network` belongs under `connect:tenant`), else the
    closest key of the same mapping, else the closest key anywhere, with its parent; "" when nothing is close.
    A near-copy of a key of the same mapping (`path` for `paths`) is a typo first."""
    name = str(loc[-1]).split(":", 1)[-1]
    here = tuple(p if isinstance(p, str) else "[]" for p in loc[:-1])
    bare = {sibling.split(":", 1)[-1]: sibling for sibling in siblings}  # `connect:tenat` is compared as `tenat`
    typo = difflib.get_close_matches(name, list(bare), n=1, cutoff=TYPO)
    if typo:  # one letter off a key of this mapping (`path` for `paths`): a typo, not a key of another parent
        return f"did you mean {bare[typo[0]]!r}? "
    elsewhere = [path for path in _placements().get(name, ()) if path != (*here, str(loc[-1]))]
    if elsewhere:
        shown = " or ".join(repr(_placed(path, loc)) for path in elsewhere[:3])
        parents = " or ".join(f"under {_placed(path[:-1], loc)}" if path[:-1] else "at the top level"
                              for path in elsewhere[:3])
        return f"did you mean {shown}? ({name} belongs {parents}) "
    close = difflib.get_close_matches(str(loc[-1]), siblings, n=1)
    if close:
        return f"did you mean {close[0]!r}? "
    anywhere = difflib.get_close_matches(name, list(_placements()), n=1, cutoff=0.85)
    if anywhere:
        paths = _placements()[anywhere[0]][:3]
        return f"did you mean {' or '.join(repr(_placed(path, loc)) for path in paths)}? "
    return ""


def _issue_from_error(error: Mapping[str, Any]) -> ConfigIssue:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _known_keys(loc)
        hint = unknown_key_hint(loc, known)
        return ConfigIssue(path=_path(loc), message=f"unknown key; {hint}allowed keys: {', '.join(known)}")
    if kind == "missing":
        return ConfigIssue(path=_path(loc), message="required key is missing")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        keys = _known_keys((*loc, ""))
        allowed = f"a mapping with keys {', '.join(keys)}" if keys else "a mapping"
        shown = _shown(error.get("input"))
        return ConfigIssue(path=_path(loc), message=f"{shown} is not a mapping; allowed: {allowed}")
    if kind == "list_type":
        keys = _known_keys((*loc, 0, ""))
        allowed = f"a list of mappings with keys {', '.join(keys)}" if keys else "a list"
        return ConfigIssue(path=_path(loc), message=f"{_shown(error.get('input'))} is not a list; allowed: {allowed} "
                           "(one '- ' item per entry)")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind != "value_error":
        message = f"{message}; got {_shown(error.get('input'))}"
    else:  # validators quote the value whole (`{value!r}`): cut a long one as `shown` does
        value = error.get("input")
        try:
            quoted = repr(value)
        except ValueError:  # an int beyond Python's int-to-text limit
            quoted = ""
        if len(quoted) > 80 and quoted in message:
            message = message.replace(quoted, _shown(value))
    return ConfigIssue(path=_path(loc), message=message)


def _cross_checks(cfg: StackConfig) -> list[ConfigIssue]:
    """Rules that span several fields; each issue points at the field the user must change. Each section's own
    checks live beside its model; this is their order (the order of the report)."""
    issues = tenant_issues(cfg.tenant, cfg.region)
    issues += _scope_checks(cfg)
    issues += [ConfigIssue(path=path, message=message) for path, message in access_issues(
        cfg.access, tenant_account=cfg.tenant.account_id, is_account=cfg.is_account, account_stack=cfg.account_stack)]
    if cfg.network is not None:
        issues += network_issues(cfg, cfg.network)
    if not cfg.is_account:  # an account stack's services are already reported as not allowed there
        issues += service_issues(cfg)
        if cfg.vpn is not None and cfg.network is not None:
            issues += vpn_issues(cfg, cfg.vpn, cfg.network)
        issues += data_issues(cfg)
        issues += dr_setting_issues(cfg)
        if cfg.network is not None:
            issues += dr_issues(cfg)
    return issues


def _scope_checks(cfg: StackConfig) -> list[ConfigIssue]:
    """Account stacks own the registry; environment stacks own a network and services, never both."""
    issues: list[ConfigIssue] = []
    if cfg.is_account:
        if cfg.tenant.lifecycle != "active" or cfg.tenant.decommission_notice_until is not None:
            issues.append(ConfigIssue(path="connect:tenant.lifecycle", message="decommissioning in an account stack; "
                                      "allowed: active (the registry, roles and trail outlive the environments, "
                                      "which are decommissioned first)"))
        if cfg.tenant.environment not in (None, "account"):
            issues.append(ConfigIssue(path="connect:tenant.environment", message=f"{cfg.tenant.environment!r} in "
                                      "an account stack; allowed: omit it (or 'account')"))
        environment_only = (
            ("connect:network", cfg.network is not None), ("connect:services", bool(cfg.services)),
            ("connect:platform", cfg.platform != PlatformConfig()), ("connect:vpn", cfg.vpn is not None),
            ("connect:alerts", cfg.alerts != AlertsConfig()), ("connect:data", cfg.data != DataConfig()),
            ("connect:dr", cfg.dr != DrConfig()),
        )
        for key, present in environment_only:
            if present:
                issues.append(ConfigIssue(path=key, message="not used in an account stack (scope: account); "
                                          "allowed: connect:tenant, connect:registry, connect:access"))
        if cfg.registry is None:
            issues.append(ConfigIssue(path="connect:registry", message="required key is missing (account stacks "
                                      "own the client's ECR repositories)"))
        return issues
    if cfg.tenant.environment is None:
        issues.append(ConfigIssue(path="connect:tenant.environment", message="required key is missing"))
    issues += lifecycle_issues(cfg.tenant)
    if cfg.network is None:
        issues.append(ConfigIssue(path="connect:network", message="required key is missing (environment stacks "
                                  "own a VPC)"))
    if cfg.registry is not None:
        issues.append(ConfigIssue(path="connect:registry", message=f"set in an environment stack; allowed: only in "
                                  f"the account stack (stacks/Pulumi.{cfg.account_stack}.yaml), which owns the "
                                  "registry for every environment"))
    return issues


MAX_MESSAGE = 1_000  # characters of one issue's message; longer ones lose their middle
MAX_PATH = 200
MIN_SECRET = 4  # shorter texts of a secret value are not hidden: they would blank out unrelated words


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _presentable(issues: list[ConfigIssue], secrets: frozenset[str]) -> list[ConfigIssue]:
    """Issues fit to print: no secret text (a `secure:` value put where a plain one belongs would
    otherwise be quoted back), and bounded, whatever value the user pasted."""
    fixed = []
    for issue in issues:
        message = hide_secrets(issue.message, secrets)
        if len(message) > MAX_MESSAGE:
            cut = len(message) - MAX_MESSAGE
            message = f"{message[:MAX_MESSAGE // 2]} ...[{cut} characters cut]... {message[-MAX_MESSAGE // 2:]}"
        path = hide_secrets(issue.path, secrets)
        path = path if len(path) <= MAX_PATH else f"{path[:MAX_PATH]}..."
        fixed.append(ConfigIssue(path=path, message=message))
    return fixed


def parse_stack_config(
    values: Mapping[str, Any], source: str, secret_keys: Collection[str] | None = None
) -> StackConfig:
    """Validate flat stack config (`{"connect:tenant": {...}, "aws:region": ...}`) into a model.

    Keys of other namespaces (`aws:profile`, `pulumi:*`) pass through untouched; an unknown key of
    ours is an error with a did-you-mean, except the secret keys the VPN config names for its
    pre-shared keys (checked when `secret_keys` is given). Raises `StackConfigError` listing every
    problem; no message holds the text of a secret key's value.
    """
    secrets = frozenset(t for key in secret_keys or () for t in _texts(values.get(key)) if len(t) >= MIN_SECRET)
    token = SECRET_TEXTS.set(secrets)
    try:
        return _parse(values, source, secret_keys)
    except StackConfigError as exc:
        raise StackConfigError(source=exc.source, issues=_presentable(exc.issues, secrets)) from None
    finally:
        SECRET_TEXTS.reset(token)


# The namespaces a stack file of this project may use: ours, the AWS provider's and Pulumi's own. A key of any
# other namespace is read by nothing: `conect:alerts` (one letter off) would silently drop the paging.
NAMESPACES = ("connect", "aws", "pulumi")


@functools.cache
def aws_provider_keys() -> tuple[str, ...]:
    """The AWS provider's configuration keys (`aws:region`, `aws:profile`...), read from the installed SDK.

    Why from the SDK: `pulumi_aws/config/vars.py` is generated from the provider's schema, so the list follows
    the pinned provider version; it is parsed, not imported (importing pulumi_aws costs a second).
    """
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        return ()
    source = Path(next(iter(spec.submodule_search_locations))) / "config" / "vars.py"
    return tuple(sorted(set(re.findall(r"__config__\.get\w*\('([A-Za-z0-9]+)'", source.read_text()))))


def _namespace_issues(values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Keys no one reads: an unknown namespace, or an `aws:` key the provider does not know; with a did-you-mean."""
    issues = []
    for key in values:
        namespace, _, name = key.partition(":")
        if namespace not in NAMESPACES:
            close = difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}:{name}'? " if close else ""
            issues.append(ConfigIssue(path=key, message=f"unknown namespace {namespace!r}: nothing reads this key; "
                                      f"{hint}allowed namespaces: {', '.join(n + ':' for n in NAMESPACES)}"))
        elif namespace == "aws" and aws_provider_keys() and name not in aws_provider_keys():
            close = difflib.get_close_matches(name, aws_provider_keys(), n=1)
            hint = f"did you mean 'aws:{close[0]}'? " if close else ""
            issues.append(ConfigIssue(path=key, message=f"the AWS provider has no setting {name!r}; {hint}allowed: "
                                      "the provider's settings (aws:region, aws:profile, aws:allowedAccountIds, ...)"))
    return issues


def _parse(values: Mapping[str, Any], source: str, secret_keys: Collection[str] | None) -> StackConfig:
    ours = {k: v for k, v in values.items() if k.startswith("connect:") or k == REGION_KEY}
    referenced = psk_references(values)
    issues: list[ConfigIssue] = psk_issues(values, secret_keys) + _namespace_issues(values)
    for key in ours:
        if key != REGION_KEY and key not in CONNECT_KEYS and key not in referenced:
            hint = unknown_key_hint((key,), list(CONNECT_KEYS))
            issues.append(ConfigIssue(path=key, message=f"unknown key; {hint}allowed keys: {', '.join(CONNECT_KEYS)}"))
    known = {k: v for k, v in ours.items() if k == REGION_KEY or k in CONNECT_KEYS}
    try:
        cfg = StackConfig.model_validate(known)
    except ValidationError as exc:
        issues += [_issue_from_error(e) for e in exc.errors()]
        raise StackConfigError(source=source, issues=issues) from None
    issues += _cross_checks(cfg)
    if issues:
        raise StackConfigError(source=source, issues=issues)
    return cfg


def stack_config_schema() -> dict[str, Any]:
    """JSON Schema of a whole stack file (`config:` holding our keys), for editors and docs."""
    inner = StackConfig.model_json_schema(by_alias=True)
    defs = inner.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Connect stack file (stacks/Pulumi.<client>-<env>.yaml)",
        "type": "object",
        "required": ["config"],
        "properties": {
            # other keys pass to the provider and Pulumi; a namespace nothing reads is a typo (editors flag it)
            "config": {**inner, "additionalProperties": True,
                       "propertyNames": {"pattern": f"^({'|'.join(NAMESPACES)}):"}},
            "secretsprovider": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "encryptedkey": {"type": "string"},
        },
        "additionalProperties": False,
        "$defs": defs,
    }
