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

The routing table: ThreadedMotoServer serves a `DomainDispatcherApplication`, which builds one Flask app per
backend on that backend's first request (`create_backend_app`) from `backend.flask_paths`, read from the
service's `urls` module's `url_paths` dict at that moment, and caches it for the server's life. So the URL
must be in that dict before the server's first backup request: `extended_moto()` is entered before the
server starts. Everything is undone on exit (MonkeyPatch).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import moto.backup.urls as backup_urls
import pytest
from moto.backup.responses import BackupResponse
from moto.core.responses import ActionResult
from moto.ec2.models.vpn_connections import VPNConnection

from connectctl import clock

RECOVERY_POINTS_PATH = "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$"


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


@dataclass
class MotoExtensions:
    """The state behind what was added to moto: tests and the seed read and write it directly."""

    telemetry: VpnTelemetry = field(default_factory=VpnTelemetry)
    recovery_points: RecoveryPoints = field(default_factory=RecoveryPoints)


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
        yield extensions
