"""The readers: what `connectctl audit` asks AWS, per resource type the policy pack judges, and how it reads it.

One table (`READERS`) says, for each reader, the Pulumi types it yields, the AWS service and every API operation it
calls. The audit's read-only IAM policy is generated from that table (connectctl/audit/permissions.py), and a test
records every call the readers make against the moto server and finds each one in it: a reader that starts calling
something new fails that test until the table (and so the policy) says so.

Which resources are the stack's: those tagged `connect:client` / `connect:environment` for it (the program's
stack transformation tags every taggable resource), everything inside the stack's VPCs whatever its tags (a hand-made
security group there is judged, and fails `tenant-tags`), and the parts of those (a bucket's policy, a vault's lock,
a role's policies). Readers run in table order, so a reader can build on what the ones before it found (subnets on
the VPCs, listeners on the load balancers). Secrets are never read: no pre-shared key, no parameter or secret value,
no object.

Every list call pages through its paginator; throttling is retried by the clients' retry configuration
(connectctl/audit/context.py `client_config`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from connectctl.audit.context import AuditContext, paginate
from connectctl.audit.view import LiveResource

Where = Literal["regions", "registry", "global"]


def tag_map(items: Any) -> dict[str, str]:
    """AWS tag lists (`Key`/`Value`, `key`/`value`, `TagKey`/`TagValue`) or maps, as one mapping."""
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    found: dict[str, str] = {}
    for item in items or []:
        key = item.get("Key", item.get("key", item.get("TagKey")))
        value = item.get("Value", item.get("value", item.get("TagValue", "")))
        if key is not None:
            found[str(key)] = str(value)
    return found


def camel(value: Any) -> Any:
    """An AWS structure with Pulumi's property names where they are the AWS names in lower camel case
    (`TargetValue` -> `targetValue`); the readers rename the members Pulumi names otherwise."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """Inputs without the members AWS did not answer (None): the program did not set them either."""
    return {key: value for key, value in values.items() if value is not None}


def optional(call: Callable[..., Any], missing: str | tuple[str, ...], **kwargs: Any) -> Any:
    """`call(**kwargs)`, a read whose "no such configuration" answer (an error code in `missing`) means the resource
    has none: None then."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ((missing,) if isinstance(missing, str) else missing):
            return None
        raise


class Scope:
    """What the readers share: the audit's clients, the stack's identity and regions, and what was read so far."""

    def __init__(self, ctx: AuditContext, regions: list[str]) -> None:
        self.ctx = ctx
        self.regions = regions
        self.resources: list[LiveResource] = []
        self.client_name, self.environment = ctx.cfg.tenant.client, ctx.cfg.tenant.environment_name
        self.prefix = ctx.prefix
        self.account = ctx.account_id
        self.partition = ctx.partition

    def client(self, service: str, region: str) -> Any:
        """The audit's client of `service` in `region` (one per pair, with the audit's retries)."""
        return self.ctx.client(service, region)

    def add(self, resource: LiveResource) -> LiveResource:
        """Record a resource of the stack."""
        self.resources.append(resource)
        return resource

    def ours(self, tags: dict[str, str]) -> bool:
        """Tagged for this stack."""
        return tags.get("connect:client") == self.client_name and tags.get("connect:environment") == self.environment

    def prefixed(self, name: str) -> bool:
        """Named like the stack's resources (`<client>-<environment>-...`)."""
        return name == self.prefix or name.startswith(f"{self.prefix}-")

    def found(self, type_: str, region: str | None = None) -> list[LiveResource]:
        """What the readers before found of a type (in one region)."""
        return [r for r in self.resources if r.type == type_ and (region is None or r.region == region)]

    def ids(self, type_: str, region: str) -> list[str]:
        """The ids of what was found of a type in a region."""
        return [r.id for r in self.found(type_, region)]

    def arn(self, service: str, region: str, resource: str) -> str:
        """An ARN in the tenant account."""
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"

    def pages(self, client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """Every item under `key`, through the operation's paginator."""
        return paginate(client, operation, key, **kwargs)


@dataclass(frozen=True)
class Reader:
    """One read of the live account: the Pulumi types it yields, and the AWS operations it calls to do it."""

    name: str
    service: str  # the boto3 client
    calls: tuple[str, ...]  # API operation names, as botocore's model names them (`DescribeVpcs`)
    types: tuple[str, ...]
    read: Callable[[Scope, str], None]
    where: Where = "regions"  # every region of the stack; the registry's region (account stacks); once (IAM, S3)
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # call -> IAM action, where it is not `<prefix>:<call>`


def readers() -> tuple[Reader, ...]:
    """Every reader, in the order they run (imported on first use: `connectctl --help` needs none of them)."""
    from connectctl.audit.readers import compute, dns, identity, network, observability, registry, storage

    return (*network.READERS, *compute.READERS, *storage.READERS, *identity.READERS, *observability.READERS,
            *dns.READERS, *registry.READERS)


def read_account(ctx: AuditContext) -> list[LiveResource]:
    """The stack's live resources, every reader in every region it reads."""
    regions = list(dict.fromkeys(r for r in (ctx.region, ctx.dr_region, *ctx.extra_regions) if r))
    scope = Scope(ctx, regions)
    for reader in readers():
        if reader.where == "global":
            reader.read(scope, ctx.region)
        elif reader.where == "registry":
            if ctx.cfg.is_account:
                reader.read(scope, ctx.registry_region)
        else:
            for region in regions:
                reader.read(scope, region)
    return scope.resources
