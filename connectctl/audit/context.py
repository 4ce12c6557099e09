"""Everything a check needs: the stack's expectations, AWS clients in the tenant account, and shared lookups.

Expectations come from the stack file through the same model the program uses (`parse_stack_config`),
so the audit judges the account against what the stack declares, not against a second copy of the rules.
Resources are scoped to the stack: the environment's VPC (from `--outputs` or its `connect:client` /
`connect:environment` tags), the cluster named `<client>-<env>`, VPN connections tagged or attached to the
VPC, and the DR vault `<client>-<env>-dr`. Another environment of the same client in the same account and
region (acme-staging beside acme-prod) is never judged by this stack's audit.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from components.config import StackConfig

if TYPE_CHECKING:  # boto3 and botocore's session take about a second to import: only `audit` runs need them
    import boto3
    import botocore.config
    import botocore.session
from connectctl.audit.model import AuditError
from connectctl.engine.project import Project, StackFile, load_project_dir, load_stack
from connectctl.errors import input_errors
from connectctl.plan import validate

ClientFactory = Callable[[str, str], Any]
ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                           "UnauthorizedAccess", "AuthFailure"})
BAD_CREDENTIALS = frozenset({"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
                             "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId"})
ROLE_SESSION = re.compile(r"[^\w+=,.@-]")


class NotAwsAnswer(Exception):
    """The endpoint answered with something that is not an AWS API response (an HTML page, a portal)."""

    def __init__(self, url: str, status: int, what: str) -> None:
        super().__init__(f"{url} did not answer as an AWS API (HTTP {status}, {what})")
        self.url = url


def refuse_non_aws(client: Any) -> Any:
    """Register on `client` a botocore `before-parse` hook: an HTML body is never an AWS answer; say so before the
    parser trips on it. Returns the client.

    Why: botocore's parsers raise `ResponseParserError`, or a bare KeyError for query APIs such as STS, on a
    200 page from a proxy or a wrong `--endpoint-url`; either escaped as a traceback with the findings' exit code.
    """
    url = str(client.meta.endpoint_url)

    def check(response_dict: dict[str, Any] | None = None, **_: Any) -> None:
        response = response_dict or {}
        body = response.get("body") or b""
        head = body[:512].lstrip().lower() if isinstance(body, bytes) else b""
        # The body decides, not the Content-Type: some AWS-compatible servers label JSON errors text/html.
        if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
            raise NotAwsAnswer(url, int(response.get("status_code") or 0), "an HTML page")

    client.meta.events.register("before-parse", check)
    return client


def explain(exc: Exception, what: str = "") -> AuditError:
    """One user-facing sentence for any AWS failure: what was called, where, and what to do."""
    where = f" ({what})" if what else ""
    if isinstance(exc, AuditError):
        return exc
    if isinstance(exc, NotAwsAnswer):
        return AuditError(f"{exc}{where}: check --endpoint-url / AWS_ENDPOINT_URL (and any proxy): it must be an "
                          "AWS API endpoint")
    if _is_parse_error(exc):
        return AuditError(f"the endpoint's answer could not be read as an AWS API response{where}: {exc}; check "
                          "--endpoint-url / AWS_ENDPOINT_URL (and any proxy)")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AuditError(f"no AWS credentials found{where}: set AWS_PROFILE (or --profile), AWS_ACCESS_KEY_ID and "
                          "AWS_SECRET_ACCESS_KEY, or run where an instance or SSO role is available")
    if isinstance(exc, ProfileNotFound):
        return AuditError(f"{exc}{where}")
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        url = getattr(exc, "kwargs", {}).get("endpoint_url", "")
        return AuditError(f"cannot reach the AWS endpoint {url}{where}: check --endpoint-url / AWS_ENDPOINT_URL, "
                          "the network and the region")
    if isinstance(exc, ReadTimeoutError):
        return AuditError(f"the AWS endpoint did not answer in time{where}: {exc}")
    if isinstance(exc, NoRegionError):
        return AuditError(f"no region{where}: pass --region")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "")) or "unknown"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = str(error.get("Message", "")).strip()
        operation = exc.operation_name
        if code in ACCESS_DENIED:
            return AuditError(f"access denied to {operation}{where}: the audit needs read access "
                              f"(`connectctl audit --policy` prints the policy it needs on the role it uses); AWS "
                              f"said: {message or code}")
        if code in BAD_CREDENTIALS:
            return AuditError(f"AWS rejected the credentials on {operation}{where}: {code}: {message}; refresh them "
                              "(aws sso login, new keys)")
        if code.isdigit() or message.lstrip().startswith("<"):  # an HTML error page: not an AWS API answer
            return AuditError(f"{operation}{where} failed with HTTP {status or code}: the endpoint does not "
                              "implement it or is not an AWS API")
        return AuditError(f"{operation}{where} failed: {code}: {message.splitlines()[0] if message else ''}")
    if isinstance(exc, BotoCoreError):
        return AuditError(f"AWS call failed{where}: {exc}")
    raise exc


def _is_parse_error(exc: Exception) -> bool:
    from botocore.parsers import ResponseParserError

    return isinstance(exc, ResponseParserError)


def aws_errors() -> tuple[type[Exception], ...]:
    """Everything a botocore call raises for a failure of AWS or of the path to it (not for a bug of ours)."""
    from botocore.parsers import ResponseParserError

    return (BotoCoreError, ClientError, ResponseParserError, NotAwsAnswer)


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item under `key` across the pages of a paginated operation."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def load_outputs(path: Path, stack: str, cfg: StackConfig) -> dict[str, Any]:
    """`pulumi stack output --json` of this stack, checked for the shapes the audit reads."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuditError(f"{path}: cannot read the outputs file: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditError(f"{path}: not JSON (line {exc.lineno}: {exc.msg}); expected the output of "
                         f"`pulumi stack output --json --stack {stack}`") from None
    if not isinstance(data, dict):
        raise AuditError(f"{path}: a {type(data).__name__}, expected an object of stack outputs "
                         f"(`pulumi stack output --json --stack {stack}`)")
    for key, expected in (("client", cfg.tenant.client), ("environment", cfg.tenant.environment_name)):
        if key in data and data[key] != expected:
            raise AuditError(f"{path}: outputs of {data.get('client')}-{data.get('environment')}, not of {stack} "
                             f"({key} is {data[key]!r}, the stack file says {expected!r})")
    shapes: dict[str, Callable[[Any], bool]] = {
        "egressIps": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "vpcId": lambda v: isinstance(v, str) and v.startswith("vpc-"),
        "clusterName": lambda v: isinstance(v, str) and bool(v),
        "vpnConnections": lambda v: isinstance(v, dict) and all(
            isinstance(c, dict) and isinstance(c.get("vpnConnectionId"), str) for c in v.values()),
        "backupVaultArns": lambda v: isinstance(v, dict) and all(isinstance(a, str) for a in v.values()),
    }
    for key, fits in shapes.items():
        if key in data and not fits(data[key]):
            raise AuditError(f"{path}: output {key!r} is {json.dumps(data[key])[:80]}, not what the stack exports; "
                             "expected the unmodified `pulumi stack output --json` document")
    return data


def load_stack_config(stack: str, project_dir: Path | None = None) -> tuple[StackFile, StackConfig]:
    """The stack file (of `--project-dir`'s project, default this checkout) and its validated model; problems are
    exit-2 messages."""
    try:
        stack_file = load_stack(load_project_dir(project_dir), stack)
        return stack_file, validate(stack_file)
    except input_errors(plan=False) as exc:
        raise AuditError(str(exc)) from None


def registry_location(cfg: StackConfig, stack_file: StackFile) -> tuple[str, list[tuple[str, str]], str]:
    """Where the repositories to audit live, which they are (name, config path), and a note.

    Account stacks own their declared repositories (and the audit also reads every other repository of
    the registry: the account is the client's alone). Environment stacks own none; they are audited for
    the repositories their services pull from, in the region of the client's account stack.
    """
    if cfg.is_account:
        assert cfg.registry is not None  # validated: account stacks declare their registry
        repos = [(name, f"connect:registry.repositories[{i}]") for i, name in enumerate(cfg.registry.repositories)]
        return cfg.region, repos, ""
    seen: dict[str, str] = {}
    for index, service in enumerate(cfg.services):
        seen.setdefault(service.image.repository, f"connect:services[{index}].image.repository")
    try:
        account = validate(load_stack(stack_file.project, cfg.account_stack))
        return account.region, list(seen.items()), ""
    except input_errors(plan=False):
        note = f"account stack {cfg.account_stack} not readable: repositories looked up in {cfg.region}"
        return cfg.region, list(seen.items()), note


_LOADER: list[Any] = []


RETRY_ATTEMPTS = 8  # per call, the first included: AWS's throttling answers are retried with backoff


def client_config() -> botocore.config.Config:
    """Timeouts, retries and the user agent of every client (imported on first use, see the imports); one Config
    per retry setting of the environment.

    Retries: the `adaptive` mode retries throttling and transient errors with exponential backoff and also slows the
    client down when AWS throttles it, which a read of a whole account does (hundreds of Describe/List/Get calls):
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html. `AWS_RETRY_MODE` and
    `AWS_MAX_ATTEMPTS` still decide when set (a CI job that must fail fast), as they do for every AWS SDK.
    """
    return _client_config(os.environ.get("AWS_RETRY_MODE") or "adaptive", bool(os.environ.get("AWS_MAX_ATTEMPTS")))


@cache
def _client_config(mode: str, attempts_set: bool) -> botocore.config.Config:
    from botocore.config import Config

    retries: dict[str, Any] = {"mode": mode}
    if not attempts_set:
        retries["total_max_attempts"] = RETRY_ATTEMPTS
    return Config(connect_timeout=10, read_timeout=60, user_agent_extra="connectctl-audit",
                  retries=retries)  # type: ignore[arg-type]


def _botocore_session() -> botocore.session.Session:
    """A fresh botocore session sharing one model loader per process: auditing several stacks in one process
    (or one test run) parses the large service models (EC2's is megabytes of JSON) once, not per stack."""
    import botocore.session

    session = botocore.session.get_session()
    if not _LOADER:
        _LOADER.append(session.get_component("data_loader"))
    session.register_component("data_loader", _LOADER[0])
    return session


def open_session(cfg: StackConfig, stack: str, *, profile: str | None, assume_role: bool, region: str,
                 endpoint_url: str | None) -> tuple[ClientFactory, dict[str, str]]:
    """Clients in the tenant account: the deploy role assumed (as the program's provider does) unless told
    not to; credentials of any other account are refused, as the provider's `allowed_account_ids` does."""
    import boto3

    credentials: dict[str, str] = {}
    try:
        base = boto3.Session(botocore_session=_botocore_session(), profile_name=profile, region_name=region)
        role = cfg.tenant.deploy_role_arn
        if assume_role and role:
            sts = base.client("sts", region_name=region, endpoint_url=endpoint_url, config=client_config())
            refuse_non_aws(sts)
            name = ROLE_SESSION.sub("-", f"connectctl-audit-{stack}")[:64]
            try:
                assumed = sts.assume_role(RoleArn=role, RoleSessionName=name)["Credentials"]
            except ClientError as exc:
                raise explain(exc, f"assuming {role}; --no-assume-role uses your credentials as they are") from None
            credentials = {"aws_access_key_id": assumed["AccessKeyId"],
                           "aws_secret_access_key": assumed["SecretAccessKey"],
                           "aws_session_token": assumed["SessionToken"]}
        client = session_factory(base, endpoint_url, credentials)
        who = client("sts", region).get_caller_identity()
    except aws_errors() as exc:
        raise explain(exc, "sts") from None
    identity = {"account": str(who["Account"]), "arn": str(who["Arn"])}
    if identity["account"] != cfg.tenant.account_id:
        raise AuditError(f"the credentials are for account {identity['account']} ({identity['arn']}); {stack} "
                         f"lives in account {cfg.tenant.account_id}: use credentials of that account"
                         + ("" if assume_role and cfg.tenant.deploy_role_arn else
                            " or let the audit assume the stack's deployRoleArn"))
    return client, identity


def session_factory(session: boto3.Session, endpoint_url: str | None,
                    credentials: dict[str, str] | None = None) -> ClientFactory:
    """Clients by (service, region), one each, against `--endpoint-url` when given (else AWS_ENDPOINT_URL),
    with the assumed role's credentials when there are any."""
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            made = session.client(  # type: ignore[call-overload]
                service, region_name=region, endpoint_url=endpoint_url, config=client_config(), **(credentials or {}))
            cache[service, region] = refuse_non_aws(made)
        return cache[service, region]

    return client


@dataclass
class AuditContext:
    """The stack's expectations and the account's clients; lookups several checks share are made once."""

    stack: str
    cfg: StackConfig
    account_id: str
    region: str
    dr_region: str
    registry_region: str
    repositories: list[tuple[str, str]]
    client: ClientFactory
    now: datetime
    rpo: timedelta
    outputs: dict[str, Any] | None = None
    partition: str = "aws"
    notes: dict[str, str] = field(default_factory=dict)  # check id -> note to report with it
    project: Project | None = None  # the stack file's project (`--project-dir`); None: this checkout
    pack_config: dict[str, Any] | None = None  # the stack's pack config (policy.<stack>.json), for the live pack
    extra_regions: tuple[str, ...] = ()  # regions the live pack reads besides the primary and DR ones
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """`<client>-<environment>`: the physical-name prefix of the stack's resources."""
        return self.cfg.name_prefix

    def tag_filters(self) -> list[dict[str, Any]]:
        """EC2 filters for the tags the stack transformation puts on every taggable resource."""
        return [{"Name": "tag:connect:client", "Values": [self.cfg.tenant.client]},
                {"Name": "tag:connect:environment", "Values": [self.cfg.tenant.environment_name]}]

    def owns(self, tags: dict[str, str]) -> bool:
        """Tagged as this stack's (client and environment)."""
        return (tags.get("connect:client") == self.cfg.tenant.client
                and tags.get("connect:environment") == self.cfg.tenant.environment_name)

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        """An ARN in the tenant account (for resources whose API does not return one)."""
        return f"arn:{self.partition}:{service}:{region or self.region}:{self.account_id}:{resource}"

    def ec2(self) -> Any:
        """EC2 in the primary region."""
        return self.client("ec2", self.region)

    def vpc_id(self) -> str:
        """The environment's VPC: `vpcId` of the outputs, else the one VPC tagged for the stack."""
        if "vpc" not in self._cache:
            ec2 = self.ec2()
            wanted = (self.outputs or {}).get("vpcId")
            if wanted:
                found = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [wanted]}])["Vpcs"]
                if not found:
                    raise AuditError(f"the outputs name VPC {wanted}, which does not exist in {self.region} "
                                     f"(account {self.account_id}): outputs of another deployment?")
                self._cache["vpc"] = wanted
            else:
                vpcs = [v["VpcId"] for v in ec2.describe_vpcs(Filters=self.tag_filters())["Vpcs"]]
                if not vpcs:
                    raise AuditError(f"no VPC tagged connect:client={self.cfg.tenant.client}, connect:environment="
                                     f"{self.cfg.tenant.environment_name} in {self.region} (account {self.account_id}):"
                                     f" is {self.stack} deployed there? (--region, --outputs)")
                if len(vpcs) > 1:
                    raise AuditError(f"{len(vpcs)} VPCs tagged for {self.stack} in {self.region} ({', '.join(vpcs)});"
                                     " pass --outputs (pulumi stack output --json) to name the stack's own")
                self._cache["vpc"] = vpcs[0]
        return str(self._cache["vpc"])

    def nat_gateways(self) -> list[dict[str, Any]]:
        """The VPC's NAT gateways that exist or are coming up (deleted ones hold no address)."""
        if "nat" not in self._cache:
            self._cache["nat"] = list(paginate(
                self.ec2(), "describe_nat_gateways", "NatGateways",
                Filters=[{"Name": "vpc-id", "Values": [self.vpc_id()]},
                         {"Name": "state", "Values": ["pending", "available"]}]))
        return list(self._cache["nat"])

    def ecs_services(self) -> tuple[str, dict[str, dict[str, Any]] | None]:
        """The cluster's name and its services by name (None: no such active cluster)."""
        if "ecs" not in self._cache:
            ecs = self.client("ecs", self.region)
            name = str((self.outputs or {}).get("clusterName") or self.prefix)
            clusters = ecs.describe_clusters(clusters=[name]).get("clusters", [])
            services: dict[str, dict[str, Any]] | None = None
            if any(c.get("status") == "ACTIVE" for c in clusters):
                arns = list(paginate(ecs, "list_services", "serviceArns", cluster=name))
                services = {}
                for start in range(0, len(arns), 10):  # DescribeServices takes at most 10
                    for service in ecs.describe_services(cluster=name, services=arns[start:start + 10])["services"]:
                        services[service["serviceName"]] = service
            self._cache["ecs"] = (name, services)
        cached: tuple[str, dict[str, dict[str, Any]] | None] = self._cache["ecs"]
        return cached
