"""What moto 5.2.5 cannot answer for `connectctl audit`, added to moto inside the test process.

The audit's tests run moto as an in-process ThreadedMotoServer, so patching moto's classes here changes
what that server answers, to the CLI in this process and to the CLI in a subprocess alike. The gaps:

* Tunnel telemetry. moto serialises DescribeVpnConnections from its `VPNConnection` model by botocore's
  output shape (an attribute named like the member: `VgwTelemetry` -> `vgw_telemetry`) and has no such
  attribute, so its connections carry no `VgwTelemetry`. `vgw_telemetry` is added as a property answering
  from `VpnTelemetry`: two tunnels per connection, UP unless a test sets one otherwise.
* The `vpn-connection-id` filter of DescribeVpnConnections (how the audit finds the connections named in
  the stack outputs). moto filters by the model attribute named like the filter (`vpn_connection_id`);
  there is none, so it fails with FilterNotImplementedError (HTTP 500). It is added as an alias of `id`.
* Recovery points. moto's backup service has no ListRecoveryPointsByBackupVault: no URL in
  `moto.backup.urls.url_paths` (the server answers HTTP 404) and no handler on `BackupResponse`. Both are
  added, answering from `RecoveryPoints`, which the seed fills with copies as AWS Backup lists them.
* What the live pack reads that moto does not keep (the audit's readers, connectctl/audit/readers): a VPN
  connection's tunnel options (`Options.TunnelOptions`: IKE versions, algorithms, tunnel logs; moto keeps none),
  set on moto's own connection object by `TunnelOptions`; backup selections (Create/List/GetBackupSelection) and
  vault access policies (Put/Get/DeleteBackupVaultAccessPolicy), which moto's backup service lacks: handlers
  answering from `BackupExtras`, and the access-policy URL.
* What moto drops of an ECS service's definition (`deploymentConfiguration`: the circuit breaker, the deployment
  percentages), and the description of a security group rule that names a group or a prefix list (moto keeps it
  only for CIDR rules): kept and answered.
* Scalable targets' tags: moto's RegisterScalableTarget drops `Tags` and it has no ListTagsForResource; both keep
  and answer them from `MotoExtensions.scaling_tags`.
* Server access logging into a bucket whose policy admits the log delivery service: moto reads each statement's
  `Principal`, `Action` and `Resource` as one value each, and fails (HTTP 500) on a statement with `"Principal":
  "*"` (the program's TLS-only deny) or lists. `_log_delivery_allowed` reads them as IAM does.

The routing table: ThreadedMotoServer serves a `DomainDispatcherApplication`, which builds one Flask app per
backend on that backend's first request (`create_backend_app`) from `backend.flask_paths`, read from the
service's `urls` module's `url_paths` dict at that moment, and caches it for the server's life. So the URL
must be in that dict before the server's first backup request: `extended_moto()` is entered before the
server starts. Everything is undone on exit (MonkeyPatch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import moto.backup.urls as backup_urls
import pytest
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.backup.exceptions import ResourceNotFoundException
from moto.backup.responses import BackupResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ec2.models.vpn_connections import VPNConnection
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.s3.models import FakeBucket

from components import clock

RECOVERY_POINTS_PATH = "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$"
ACCESS_POLICY_PATH = "{0}/backup-vaults/(?P<name>[^/]+)/access-policy$"


def _tunnel_ips(vpn_id: str) -> tuple[str, str]:
    """Two stable public addresses for a connection's tunnels (AWS picks them; moto picks none)."""
    digest = hashlib.sha256(vpn_id.encode()).digest()
    return f"52.{digest[0]}.{digest[1]}.{digest[2] % 128 + 1}", f"52.{digest[3]}.{digest[4]}.{digest[5] % 128 + 129}"


@dataclass
class VpnTelemetry:
    """`VgwTelemetry` of every VPN connection by id: two tunnels, both UP until set otherwise."""

    since: datetime = field(default_factory=lambda: clock.now().replace(microsecond=0))
    _tunnels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of(self, vpn_id: str) -> list[dict[str, Any]]:
        """The connection's tunnels, as AWS lists them (shape: EC2 `VgwTelemetry`)."""
        if vpn_id not in self._tunnels:
            self._tunnels[vpn_id] = [
                {"OutsideIpAddress": ip, "Status": "UP", "StatusMessage": "1 BGP ROUTES", "AcceptedRouteCount": 1,
                 "LastStatusChange": self.since} for ip in _tunnel_ips(vpn_id)]
        return [dict(t) for t in self._tunnels[vpn_id]]

    def set(self, vpn_id: str, tunnel: int, status: str, message: str = "") -> str:
        """Set one tunnel's status (0 or 1) and return its outside IP address."""
        self.of(vpn_id)
        self._tunnels[vpn_id][tunnel].update(Status=status, StatusMessage=message, AcceptedRouteCount=0,
                                             LastStatusChange=clock.now().replace(microsecond=0))
        return str(self._tunnels[vpn_id][tunnel]["OutsideIpAddress"])

    def reset(self, vpn_id: str) -> None:
        """Both tunnels UP again."""
        self._tunnels.pop(vpn_id, None)


@dataclass
class RecoveryPoints:
    """The recovery points of every vault, by (account, region, vault name) (shape: `RecoveryPointByBackupVault`)."""

    _points: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, account: str, region: str, vault: str, point: dict[str, Any]) -> None:
        self._points.setdefault((account, region, vault), []).append(point)

    def of(self, account: str, region: str, vault: str) -> list[dict[str, Any]]:
        """The vault's points, newest first (as AWS lists them)."""
        points = self._points.get((account, region, vault), [])
        return sorted(points, key=lambda p: p["CreationDate"], reverse=True)

    @contextmanager
    def replaced(self, account: str, region: str, vault: str, points: list[dict[str, Any]]) -> Iterator[None]:
        """The vault holds exactly `points` inside the block, what it held before after it."""
        key = (account, region, vault)
        saved = self._points.get(key)
        self._points[key] = list(points)
        try:
            yield
        finally:
            if saved is None:
                self._points.pop(key, None)
            else:
                self._points[key] = saved


class TunnelOptions:
    """Sets a VPN connection's `Options` (tunnel options included) on moto's own connection object, which
    DescribeVpnConnections serialises (moto stores `options` and never fills it)."""

    def set(self, vpn_id: str, options: dict[str, Any]) -> None:
        for account in ec2_backends.values():
            for backend in account.values():
                connection = getattr(backend, "vpn_connections", {}).get(vpn_id)
                if connection is not None:
                    connection.options = options
                    return
        raise KeyError(vpn_id)


@dataclass
class BackupExtras:
    """Backup selections by plan and vault access policies by vault, per (account, region)."""

    selections: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    policies: dict[tuple[str, str, str], str] = field(default_factory=dict)


@dataclass
class MotoExtensions:
    """The state behind what was added to moto: tests and the seed read and write it directly."""

    telemetry: VpnTelemetry = field(default_factory=VpnTelemetry)
    recovery_points: RecoveryPoints = field(default_factory=RecoveryPoints)
    tunnel_options: TunnelOptions = field(default_factory=TunnelOptions)
    backup: BackupExtras = field(default_factory=BackupExtras)
    scaling_tags: dict[str, dict[str, str]] = field(default_factory=dict)  # scalable target ARN -> tags


def _service_handlers() -> dict[str, Any]:
    """CreateService that keeps `deploymentConfiguration` on moto's service, which DescribeServices serialises."""
    create = EC2ContainerServiceResponse.create_service

    def create_service(self: EC2ContainerServiceResponse) -> Any:
        answer = create(self)
        configuration = self._get_param("deploymentConfiguration")
        if configuration:
            cluster = str(self._get_param("cluster", "default")).rsplit("/", 1)[-1]
            service = self.ecs_backend.services[f"{cluster}:{self._get_param('serviceName')}"]
            service.deployment_configuration = configuration  # type: ignore[attr-defined]
        return answer

    return {"create_service": create_service}


def _rule_description(rule: SecurityGroupRule) -> str | None:
    """A rule's description wherever the request put it: its CIDR, its referenced group or its prefix list."""
    for source in (rule.ip_range, rule.source_group):
        if source.get("Description"):
            return str(source["Description"])
    return None


def _scaling_tag_handlers(store: dict[str, dict[str, str]]) -> dict[str, Any]:
    """RegisterScalableTarget that keeps `Tags`, and ListTagsForResource answering them."""
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        answer = register(self)
        store[json.loads(answer)["ScalableTargetARN"]] = dict(self._get_param("Tags") or {})
        return answer

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        return json.dumps({"Tags": store.get(self._get_param("ResourceARN"), {})})

    return {"register_scalable_target": register_scalable_target, "list_tags_for_resource": list_tags_for_resource}


def _log_delivery_allowed(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
    """FakeBucket._log_permissions_enabled_policy, with principals, actions and resources read as IAM reads them
    (one value or a list; a principal `"*"`)."""
    def listed(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    policy = json.loads(target_bucket.policy.decode()) if target_bucket.policy else {}
    arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
    wanted = {f"{arn}/{target_prefix or ''}*", f"{arn}/*", arn}
    for statement in listed(policy.get("Statement", [])):
        principal = statement.get("Principal")
        services = listed(principal.get("Service")) if isinstance(principal, dict) else []
        if statement.get("Effect") == "Allow" and "logging.s3.amazonaws.com" in services \
                and "s3:PutObject" in listed(statement.get("Action")) \
                and wanted & set(listed(statement.get("Resource"))):
            return True
    return False


def _backup_handlers(store: BackupExtras) -> dict[str, Any]:
    """BackupResponse methods for the selections and access policies moto lacks (REST paths as AWS Backup's)."""

    def plan_id(self: BackupResponse) -> str:
        return unquote(self.path.split("/backup/plans/", 1)[1].split("/", 1)[0])

    def create_backup_selection(self: BackupResponse) -> ActionResult:
        self.backup_backend.get_backup_plan(backup_plan_id=plan_id(self), version_id=None)
        body = json.loads(self.body)
        name = body["BackupSelection"]["SelectionName"]
        selection_id = hashlib.sha256(f"{plan_id(self)}/{name}".encode()).hexdigest()
        selection_id = f"{selection_id[:8]}-{selection_id[8:12]}-{selection_id[12:16]}-{selection_id[16:20]}-" \
                       f"{selection_id[20:32]}"
        store.selections.setdefault((self.current_account, self.region, plan_id(self)), {})[selection_id] = {
            "BackupSelection": body["BackupSelection"], "SelectionId": selection_id, "BackupPlanId": plan_id(self),
            "CreationDate": clock.now()}
        return ActionResult({"SelectionId": selection_id, "BackupPlanId": plan_id(self), "CreationDate": clock.now()})

    def list_backup_selections(self: BackupResponse) -> ActionResult:
        found = store.selections.get((self.current_account, self.region, plan_id(self)), {})
        return ActionResult({"BackupSelectionsList": [
            {"SelectionId": s["SelectionId"], "SelectionName": s["BackupSelection"]["SelectionName"],
             "BackupPlanId": s["BackupPlanId"], "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
             "CreationDate": s["CreationDate"]} for s in found.values()]})

    def get_backup_selection(self: BackupResponse) -> ActionResult:
        selection_id = self.path.rstrip("/").rsplit("/", 1)[1]
        found = store.selections.get((self.current_account, self.region, plan_id(self)), {}).get(selection_id)
        if found is None:
            raise ResourceNotFoundException(f"Selection {selection_id} not found")
        return ActionResult(found)

    def vault(self: BackupResponse) -> str:
        name = unquote(self.path.split("/backup-vaults/", 1)[1].split("/", 1)[0])
        self.backup_backend.describe_backup_vault(name)  # ResourceNotFoundException, as AWS answers
        return name

    def put_backup_vault_access_policy(self: BackupResponse) -> EmptyResult:
        store.policies[self.current_account, self.region, vault(self)] = json.loads(self.body)["Policy"]
        return EmptyResult()

    def get_backup_vault_access_policy(self: BackupResponse) -> ActionResult:
        name = vault(self)
        policy = store.policies.get((self.current_account, self.region, name))
        if policy is None:
            raise ResourceNotFoundException(f"Backup vault {name} has no access policy")
        return ActionResult({"BackupVaultName": name, "Policy": policy})

    def delete_backup_vault_access_policy(self: BackupResponse) -> EmptyResult:
        store.policies.pop((self.current_account, self.region, vault(self)), None)
        return EmptyResult()

    return {f.__name__: f for f in (create_backup_selection, list_backup_selections, get_backup_selection,
                                    put_backup_vault_access_policy, get_backup_vault_access_policy,
                                    delete_backup_vault_access_policy)}


def _list_recovery_points_handler(store: RecoveryPoints) -> Any:
    def list_recovery_points_by_backup_vault(self: BackupResponse) -> ActionResult:
        """ListRecoveryPointsByBackupVault: the vault must exist; maxResults/nextToken page as AWS does."""
        name = unquote(self.path.split("/backup-vaults/", 1)[1].split("/", 1)[0])
        self.backup_backend.describe_backup_vault(name)  # ResourceNotFoundException, as AWS answers
        points = store.of(self.current_account, self.region, name)
        start = int(self.querystring.get("nextToken", ["0"])[0])
        size = int(self.querystring.get("maxResults", ["1000"])[0])
        page = points[start:start + size]
        result: dict[str, Any] = {"RecoveryPoints": page}
        if start + size < len(points):
            result["NextToken"] = str(start + size)
        return ActionResult(result)

    return list_recovery_points_by_backup_vault


@contextmanager
def extended_moto() -> Iterator[MotoExtensions]:
    """moto with VPN tunnel telemetry, the `vpn-connection-id` filter and ListRecoveryPointsByBackupVault;
    enter before the server starts."""
    extensions = MotoExtensions()
    telemetry = extensions.telemetry
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(VPNConnection, "vgw_telemetry", property(lambda conn: telemetry.of(conn.id)), raising=False)
        patch.setattr(VPNConnection, "vpn_connection_id", property(lambda conn: conn.id), raising=False)
        patch.setattr(BackupResponse, "list_recovery_points_by_backup_vault",
                      _list_recovery_points_handler(extensions.recovery_points), raising=False)
        patch.setitem(backup_urls.url_paths, RECOVERY_POINTS_PATH, BackupResponse.dispatch)
        for name, handler in _backup_handlers(extensions.backup).items():
            patch.setattr(BackupResponse, name, handler, raising=False)
        patch.setitem(backup_urls.url_paths, ACCESS_POLICY_PATH, BackupResponse.dispatch)
        patch.setattr(FakeBucket, "_log_permissions_enabled_policy", staticmethod(_log_delivery_allowed))
        for name, handler in _service_handlers().items():
            patch.setattr(EC2ContainerServiceResponse, name, handler)
        patch.setattr(SecurityGroupRule, "description", property(_rule_description))
        for name, handler in _scaling_tag_handlers(extensions.scaling_tags).items():
            patch.setattr(ApplicationAutoScalingResponse, name, handler, raising=False)
        yield extensions
