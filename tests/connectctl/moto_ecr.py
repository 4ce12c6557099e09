"""What moto 5.2.5's ECR cannot answer for `connectctl release`, added to moto inside the test process.

moto stores pushed images (PutImage) and answers DescribeImages, but its DescribeImageScanFindings is not a
scanner's: an image nobody called StartImageScan on has no scan (ScanNotFoundException, also with scan on
push), a scanned one answers one fixed HIGH finding (or results queued through moto's API, once per request
shape), the status is always COMPLETE, and `maxResults`/`nextToken` are ignored. The release gate needs a scan
that runs for a while, fails, is unsupported, has enhanced findings and pages.

So `scan_findings()` replaces the response handler (`ECRResponse.describe_image_scan_findings`, the way
tests/connectctl/moto_extensions.py adds handlers to the backup service): for an image given answers in
`ScanResults`, it answers them, in order, the last one for good (IN_PROGRESS, IN_PROGRESS, COMPLETE is a scan
that completes on the third poll), paging the findings as AWS does; any other image gets moto's own answer.
The image is looked up through moto's backend first, so an unknown repository or image fails as moto fails it.
ECR's JSON protocol routes by the `X-Amz-Target` header to the handler's name, so patching the class method is
enough, also after the server has started. Undone on exit (MonkeyPatch).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from moto.core.responses import ActionResult
from moto.ecr.responses import ECRResponse

Key = tuple[str, str, str, str]  # account, region, repository, image digest


def basic(name: str, severity: str, package: str = "openssl", version: str = "3.0.2") -> dict[str, Any]:
    """A basic-scanning finding (shape: ImageScanFinding)."""
    return {"name": name, "severity": severity, "uri": f"https://nvd.nist.gov/vuln/detail/{name}",
            "description": f"{name} in {package}",
            "attributes": [{"key": "package_name", "value": package}, {"key": "package_version", "value": version}]}


def enhanced(name: str, severity: str, status: str = "ACTIVE", package: str = "glibc") -> dict[str, Any]:
    """An enhanced-scanning (Amazon Inspector) finding (shape: EnhancedImageScanFinding)."""
    return {"awsAccountId": "111111111111", "severity": severity, "status": status, "title": f"{name} - {package}",
            "type": "PACKAGE_VULNERABILITY",
            "packageVulnerabilityDetails": {"vulnerabilityId": name, "source": "NVD",
                                            "sourceUrl": f"https://nvd.nist.gov/vuln/detail/{name}",
                                            "vulnerablePackages": [{"name": package, "version": "2.35"}]}}


def state(status: str, findings: list[dict[str, Any]] | None = None, *, enhanced_findings: bool = False,
          description: str = "", completed: datetime | None = None) -> dict[str, Any]:
    """One answer of the scan: its status and, once done, its findings."""
    return {"status": status, "description": description, "findings": list(findings or []),
            "enhanced": enhanced_findings, "completed": completed}


@dataclass
class ScanResults:
    """Answers per image: a list of states, each poll taking the next one until the last, which stays."""

    _states: dict[Key, list[dict[str, Any]]] = field(default_factory=dict)
    calls: dict[Key, int] = field(default_factory=dict)

    def set(self, account: str, region: str, repository: str, digest: str, *states: dict[str, Any]) -> None:
        self._states[(account, region, repository, digest)] = list(states)
        self.calls.pop((account, region, repository, digest), None)

    def next(self, key: Key, paging: bool) -> dict[str, Any] | None:
        """The state this request sees; a page after the first sees the same state as the first."""
        states = self._states.get(key)
        if not states:
            return None
        if not paging:
            self.calls[key] = self.calls.get(key, 0) + 1
            if len(states) > 1 and self.calls[key] > 1:
                states.pop(0)
        return states[0]


def _handler(store: ScanResults, original: Any) -> Any:
    def describe_image_scan_findings(self: ECRResponse) -> ActionResult:
        """DescribeImageScanFindings from `store` for the images it holds; moto's answer for the others."""
        repository = self._get_param("repositoryName")
        registry = self._get_param("registryId")
        image_id = self._get_param("imageId") or {}
        [image] = list(self.ecr_backend.describe_images(repository, registry, [image_id]))
        token = self._get_param("nextToken")
        found = store.next((self.current_account, self.region, repository, image.image_digest), bool(token))
        if found is None:
            return original(self)
        tagged = {"imageTag": image.image_tag} if image.image_tag else {}
        result: dict[str, Any] = {
            "registryId": image.registry_id, "repositoryName": repository,
            "imageId": {"imageDigest": image.image_digest, **tagged},
            "imageScanStatus": {"status": found["status"], "description": found["description"]},
        }
        if found["status"] in ("COMPLETE", "ACTIVE"):
            start = int(token or 0)
            size = int(self._get_param("maxResults") or 100)
            page = found["findings"][start:start + size]
            counts: dict[str, int] = {}
            for finding in found["findings"]:
                counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
            findings: dict[str, Any] = {"findingSeverityCounts": counts,
                                        "enhancedFindings" if found["enhanced"] else "findings": page}
            if found["completed"] is not None:
                findings["imageScanCompletedAt"] = found["completed"]
            result["imageScanFindings"] = findings
            if start + size < len(found["findings"]):
                result["nextToken"] = str(start + size)
        return ActionResult(result)

    return describe_image_scan_findings


@contextmanager
def scan_findings() -> Iterator[ScanResults]:
    """moto's ECR with scans that run, fail and page; the store to fill per image."""
    store = ScanResults()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ECRResponse, "describe_image_scan_findings",
                      _handler(store, ECRResponse.describe_image_scan_findings))
        yield store
