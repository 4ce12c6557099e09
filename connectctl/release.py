"""`connectctl release STACK SERVICE`: pin an image in a stack file only when its scan passes the threshold.

Why: scan on push finds an image's vulnerabilities, and the alerts topic pages on critical findings, but only
after the fact: nothing stopped a stack file from pinning an image with a critical finding, and the plan
passed (issue #18). This is the gate, run by a person before pinning and by CI on every pull request that
changes an image (`.github/workflows/release-gate.yml`, through `connectctl images --changed-since`):

1. The stack file and its account stack: the registry is the account stack's (its account and `aws:region`),
   and the service's `image.repository` must be one of its `connect:registry.repositories`.
2. The threshold: `--max-severity`; else the service's `release` override while it holds (through its
   `expires` day, by components/clock.py); else `connect:platform.release.maxSeverity` (default HIGH).
3. The image in ECR (`DescribeImages`: a tag resolved to its digest), then its scan
   (`DescribeImageScanFindings`, every page), polled until `COMPLETE` (basic scanning) or `ACTIVE` (enhanced)
   within `--timeout`. boto3's `ImageScanComplete` waiter is not used: it knows only COMPLETE and FAILED, so an
   enhanced-scanning image would wait out the whole timeout.
4. The verdict: any finding at or above the threshold refuses the image (exit 1); those findings are printed.
   Enhanced findings Inspector marks SUPPRESSED or CLOSED do not count; UNDEFINED and UNTRIAGED rank lowest.
5. `--write`: the digest replaces the tag in the stack file (round-trip YAML with ruamel.yaml, then only the
   lines of that service's `image` are taken from it: every other byte of the file is kept), and the change is
   shown as `connectctl diff` shows it. The pin is refused (exit 1, nothing written) if `pulumi up` would stop.

Read-only in AWS, like `connectctl audit` (whose session handling and error messages it shares): the stack's
`deployRoleArn` is assumed unless `--no-assume-role`, and credentials of another account are refused.
Exit codes: 0 released, 1 refused, 2 could not judge (unknown stack or service, invalid stack file, image or
repository not found, scan failed, unsupported, missing or still running at the timeout, AWS errors).
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from components import clock
from components.config import (
    DEFAULT_THRESHOLD,
    IMAGE_DIGEST,
    IMAGE_TAG,
    ReleaseOverrideConfig,
    ServiceConfig,
    StackConfig,
)
from connectctl.audit.context import aws_errors, explain, refuse_non_aws
from connectctl.diff import DiffError, StackDiff, base_stack_files, diff_files
from connectctl.diff import render_text as render_diff
from connectctl.engine.project import Project, ProjectError, StackFile, load_project_dir, load_stack
from connectctl.errors import EXIT_FOUND, EXIT_OK, fail, input_errors
from connectctl.plan import account_stack_file, validate
from connectctl.workflow import STACK_NAME, Scope, WorkflowError, read_stack

if TYPE_CHECKING:
    from types_boto3_ecr import ECRClient
    from types_boto3_ecr.type_defs import ImageIdentifierTypeDef

EXIT_RELEASED, EXIT_REFUSED = EXIT_OK, EXIT_FOUND
# Severities as ECR reports them (basic: FindingSeverity; enhanced adds UNTRIAGED), ranked for the threshold.
RANK = {"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1, "INFORMATIONAL": 0, "UNDEFINED": 0, "UNTRIAGED": 0}
DONE = frozenset({"COMPLETE", "ACTIVE"})  # ACTIVE: enhanced scanning, findings available and kept current
RUNNING = frozenset({"IN_PROGRESS", "PENDING"})
COUNTED_STATUSES = frozenset({"ACTIVE"})  # enhanced findings' own status; SUPPRESSED and CLOSED do not count
PAGE_SIZE = 1000  # DescribeImageScanFindings maxResults (1-1000)
POLL_SECONDS = 5.0  # as boto3's ImageScanComplete waiter
DEFAULT_TIMEOUT = 600
SERVICES_KEY = "connect:services"
OUR_NOTE = re.compile(r"^# tags? \S.*$")  # the end-of-line comment --write adds: replaced on the next pin


class ReleaseError(Exception):
    """The gate cannot judge (exit 2): one message, no traceback."""


class ReleaseFormat(StrEnum):
    """Output formats of `release`."""

    table = "table"
    json = "json"


class Threshold(StrEnum):
    """The severities `--max-severity` takes: findings of this severity or above refuse."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"


# --- what is released ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The service to release, the stack file it is in, and the registry its image comes from."""

    project: Project
    stack_file: StackFile
    cfg: StackConfig
    index: int
    service: ServiceConfig
    account_file: StackFile
    registry_account: str
    registry_region: str

    @property
    def config_path(self) -> str:
        """`connect:services[i]`: where messages and the JSON document place the service."""
        return f"{SERVICES_KEY}[{self.index}]"

    @property
    def repository_uri(self) -> str:
        """The repository as the task definitions name it (without tag or digest)."""
        return (f"{self.registry_account}.dkr.ecr.{self.registry_region}.amazonaws.com/"
                f"{self.service.image.repository}")


def resolve_target(project: Project, stack: str, service: str) -> Target:
    """The environment stack file, the service in it and its account stack's registry; ReleaseError otherwise."""
    try:
        stack_file = load_stack(project, stack)
        cfg = validate(stack_file)
    except input_errors(plan=False) as exc:
        raise ReleaseError(str(exc)) from None
    shown = stack_file.display_path
    if cfg.is_account:
        raise ReleaseError(f"{shown} is an account stack (connect:tenant.scope: account): it runs no services; "
                           "name an environment stack, e.g. acme-prod")
    names = [s.name for s in cfg.services]
    if service not in names:
        listed = ", ".join(names) or "none"
        raise ReleaseError(f"{shown}: no service {service!r} in {SERVICES_KEY}; its services: {listed}")
    index = names.index(service)
    try:
        account_file, account = account_stack_file(project, stack_file, cfg)
    except input_errors(plan=False) as exc:
        raise ReleaseError(str(exc)) from None
    repository = cfg.services[index].image.repository
    assert account.registry is not None  # validated: an account stack declares its registry
    if repository not in account.registry.repositories:
        raise ReleaseError(f"{shown}: {SERVICES_KEY}[{index}].image.repository {repository!r} is not a repository of "
                           f"{account_file.display_path}; allowed: {', '.join(account.registry.repositories)}")
    return Target(project, stack_file, cfg, index, cfg.services[index], account_file, account.tenant.account_id,
                  account.region)


@dataclass(frozen=True)
class Decision:
    """The threshold applied and where it came from; the service's override with its state, when there is one."""

    severity: str
    source: str  # --max-severity, connect:services[i].release, connect:platform.release.maxSeverity, default
    line: int | None = None
    override: ReleaseOverrideConfig | None = None
    override_state: str | None = None  # active, expired, superseded (by --max-severity)

    def as_json(self) -> dict[str, Any]:
        override = None
        if self.override is not None:
            override = {"maxSeverity": self.override.max_severity, "reason": self.override.reason,
                        "expires": self.override.expires.isoformat(), "ticket": self.override.ticket,
                        "state": self.override_state}
        return {"maxSeverity": self.severity, "source": self.source, "line": self.line, "override": override}


def resolve_threshold(target: Target, option: str | None) -> Decision:
    """`--max-severity`, else the service's override through its expiry day, else the stack's setting."""
    try:
        today = clock.now().date()
    except clock.ClockError as exc:
        raise ReleaseError(str(exc)) from None
    override = target.service.release
    at = f"{target.config_path}.release"
    line = target.stack_file.line_of(at) if override is not None else None
    if option is not None:
        return Decision(option, "--max-severity", None, override, "superseded" if override else None)
    if override is not None and override.active_on(today):
        return Decision(override.max_severity, at, line, override, "active")
    state = "expired" if override is not None else None
    platform = target.cfg.platform
    if "release" in platform.model_fields_set and "max_severity" in platform.release.model_fields_set:
        path = "connect:platform.release.maxSeverity"
        return Decision(platform.release.max_severity, path, target.stack_file.line_of(path), override, state)
    return Decision(DEFAULT_THRESHOLD, "default", None, override, state)


# --- the registry ----------------------------------------------------------------------------------------------


def open_registry(target: Target, *, endpoint_url: str | None, profile: str | None,
                  assume_role: bool) -> ECRClient:
    """ECR of the registry's region in the tenant account: the deploy role assumed unless told not to, and
    credentials of any other account refused (as the program's provider and `connectctl audit` do)."""
    import boto3
    from botocore.config import Config

    cfg, region, role = target.cfg, target.registry_region, target.cfg.tenant.deploy_role_arn
    config = Config(connect_timeout=10, read_timeout=60, user_agent_extra="connectctl-release")
    key_id = secret = token = None
    try:
        base = boto3.Session(profile_name=profile, region_name=region)
    except aws_errors() as exc:
        raise _explained(exc, "session") from None
    if assume_role and role:
        name = re.sub(r"[^\w+=,.@-]", "-", f"connectctl-release-{target.stack_file.stack}")[:64]
        try:
            sts = refuse_non_aws(base.client("sts", region_name=region, endpoint_url=endpoint_url, config=config))
            assumed = sts.assume_role(RoleArn=role, RoleSessionName=name)["Credentials"]
        except aws_errors() as exc:
            raise _explained(exc, f"assuming {role}; --no-assume-role uses your credentials as they are") from None
        key_id, secret, token = assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"]
    try:
        who = refuse_non_aws(base.client("sts", region_name=region, endpoint_url=endpoint_url, config=config,
                                         aws_access_key_id=key_id, aws_secret_access_key=secret,
                                         aws_session_token=token)).get_caller_identity()
        ecr: ECRClient = refuse_non_aws(base.client(
            "ecr", region_name=region, endpoint_url=endpoint_url, config=config, aws_access_key_id=key_id,
            aws_secret_access_key=secret, aws_session_token=token))
    except aws_errors() as exc:
        raise _explained(exc, "sts") from None
    account = str(who["Account"])
    if account != cfg.tenant.account_id:
        raise ReleaseError(f"the credentials are for account {account} ({who['Arn']}); {target.stack_file.stack} "
                           f"pulls from the registry of account {cfg.tenant.account_id}: use credentials of that "
                           "account" + ("" if assume_role and cfg.tenant.deploy_role_arn else
                                        " or let connectctl assume the stack's deployRoleArn"))
    return ecr


def _explained(exc: Exception, what: str) -> ReleaseError:
    """`connectctl audit`'s one sentence for an AWS failure, worded for this command."""
    message = str(explain(exc, what))
    return ReleaseError(message.replace("the audit needs read access", "connectctl release needs read access"))


@dataclass(frozen=True)
class Image:
    """An image of the registry: its digest and tags as ECR lists them."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime | None


def find_image(ecr: ECRClient, target: Target, tag: str | None, digest: str | None) -> Image:
    """The image of `--tag` or `--digest` in the service's repository (DescribeImages)."""
    repository = target.service.image.repository
    image_id: ImageIdentifierTypeDef = {"imageTag": tag} if tag is not None else {"imageDigest": str(digest)}
    shown = f"{repository}:{tag}" if tag is not None else f"{repository}@{digest}"
    where = f"the registry of account {target.registry_account} in {target.registry_region}"
    try:
        details = ecr.describe_images(registryId=target.registry_account, repositoryName=repository,
                                      imageIds=[image_id])["imageDetails"]
    except aws_errors() as exc:
        code = _code(exc)
        if code == "ImageNotFoundException":
            raise ReleaseError(f"no image {shown} in {where}: push it first (the client's CI pushes to "
                               f"{target.repository_uri}), or check the {'tag' if tag else 'digest'}") from None
        if code == "RepositoryNotFoundException":
            raise ReleaseError(f"no repository {repository} in {where}: is {target.account_file.stack} deployed "
                               f"there? ({target.account_file.display_path} declares it)") from None
        raise _explained(exc, f"DescribeImages of {shown}") from None
    if not details:
        raise ReleaseError(f"no image {shown} in {where}")
    detail = details[0]
    return Image(str(detail["imageDigest"]), tuple(detail.get("imageTags", [])), detail.get("imagePushedAt"))


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


# --- the scan --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One vulnerability of the scan, basic or enhanced, in one shape."""

    name: str
    severity: str
    package: str | None
    version: str | None
    uri: str | None
    description: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "severity": self.severity, "package": self.package, "version": self.version,
                "uri": self.uri, "description": self.description}


@dataclass(frozen=True)
class Scan:
    """A finished scan: its status, when it completed, and every finding that counts."""

    status: str
    description: str
    completed_at: datetime | None
    findings: list[Finding]
    waited: float = 0.0

    def counts(self) -> dict[str, int]:
        by = Counter(f.severity for f in self.findings)
        return {s: by[s] for s in sorted(by, key=lambda s: (-RANK.get(s, 0), s))}


def _basic(raw: dict[str, Any]) -> Finding:
    attributes = {a.get("key"): a.get("value") for a in raw.get("attributes", [])}
    return Finding(str(raw.get("name", "")), str(raw.get("severity", "UNDEFINED")), attributes.get("package_name"),
                   attributes.get("package_version"), raw.get("uri"), str(raw.get("description", "")))


def _enhanced(raw: dict[str, Any]) -> Finding:
    details = raw.get("packageVulnerabilityDetails", {})
    packages = details.get("vulnerablePackages") or [{}]
    return Finding(str(details.get("vulnerabilityId") or raw.get("title", "")), str(raw.get("severity", "UNDEFINED")),
                   packages[0].get("name"), packages[0].get("version"), details.get("sourceUrl"),
                   str(raw.get("title") or raw.get("description", "")))


@dataclass
class Waiting:
    """How long to wait for a running scan, and with which clock: tests inject `sleep` and `monotonic`."""

    timeout: float = DEFAULT_TIMEOUT
    interval: float = POLL_SECONDS
    sleep: Callable[[float], None] = field(default=time.sleep)
    monotonic: Callable[[], float] = field(default=time.monotonic)


def wait_for_scan(ecr: ECRClient, target: Target, image: Image, waiting: Waiting) -> Scan:
    """Poll DescribeImageScanFindings until the scan is done, then read every page of its findings."""
    repository = target.service.image.repository
    shown = f"{repository}@{image.digest}"
    started = waiting.monotonic()
    while True:
        try:
            first = ecr.describe_image_scan_findings(registryId=target.registry_account, repositoryName=repository,
                                                     imageId={"imageDigest": image.digest}, maxResults=PAGE_SIZE)
        except aws_errors() as exc:
            if _code(exc) == "ScanNotFoundException":
                raise ReleaseError(
                    f"{shown} has no scan: it was pushed before scan on push was on, or its scan was not kept; "
                    f"scan it (aws ecr start-image-scan --registry-id {target.registry_account} --region "
                    f"{target.registry_region} --repository-name {repository} --image-id imageDigest={image.digest})"
                    " and run this again") from None
            raise _explained(exc, f"DescribeImageScanFindings of {shown}") from None
        status = first.get("imageScanStatus", {})
        state, description = str(status.get("status", "")), str(status.get("description", "")).strip()
        waited = waiting.monotonic() - started
        if state in DONE:
            break
        if state not in RUNNING:
            said = f": {description}" if description else ""
            hint = {"UNSUPPORTED_IMAGE": " (ECR cannot scan this image's operating system or media type; an image "
                                         "index must be pinned by the digest of one platform's image)",
                    "FAILED": " (scan it again with aws ecr start-image-scan)"}.get(state, "")
            raise ReleaseError(f"the scan of {shown} is {state or 'unknown'}{said}{hint}; the gate cannot judge it")
        if waited + waiting.interval > waiting.timeout:
            raise ReleaseError(f"the scan of {shown} is still {state} after {waited:.0f} s (--timeout "
                               f"{waiting.timeout:g}); run this again when it completes")
        waiting.sleep(waiting.interval)
    found = first.get("imageScanFindings", {})
    raw_basic: list[Any] = list(found.get("findings", []))
    raw_enhanced: list[Any] = list(found.get("enhancedFindings", []))
    token = first.get("nextToken")
    while token:
        try:
            page = ecr.describe_image_scan_findings(registryId=target.registry_account, repositoryName=repository,
                                                    imageId={"imageDigest": image.digest}, maxResults=PAGE_SIZE,
                                                    nextToken=token)
        except aws_errors() as exc:
            raise _explained(exc, f"DescribeImageScanFindings of {shown}") from None
        more = page.get("imageScanFindings", {})
        raw_basic += more.get("findings", [])
        raw_enhanced += more.get("enhancedFindings", [])
        token = page.get("nextToken")
    findings = [_basic(dict(f)) for f in raw_basic]
    findings += [_enhanced(dict(f)) for f in raw_enhanced if f.get("status", "ACTIVE") in COUNTED_STATUSES]
    return Scan(state, description, found.get("imageScanCompletedAt"), findings, waited)


def decisive(scan: Scan, threshold: str) -> list[Finding]:
    """The findings at or above the threshold, most severe first: those that refuse the image."""
    bar = RANK[threshold]
    return sorted((f for f in scan.findings if RANK.get(f.severity, 0) >= bar),
                  key=lambda f: (-RANK.get(f.severity, 0), f.name, f.package or ""))


# --- pinning in the stack file ---------------------------------------------------------------------------------


def _round_trip(text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, offset = load_yaml_guess_indent(text)
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 100_000  # never fold a long line
    if indent is None or offset is None:  # no block sequence to learn from: the project's style
        indent, offset = 4, 2
    rt.indent(mapping=2, sequence=indent, offset=offset)
    return rt


def _line_parts(line: str) -> tuple[str, str, str]:
    """(code, gap, comment) of a line holding only keys and values that cannot contain '#' (an image's)."""
    match = re.match(r"^(?P<code>[^#]*?)(?P<gap>[ \t]*)(?P<comment>#.*)?$", line)
    assert match is not None  # the pattern matches every line
    return match["code"], match["gap"], match["comment"] or ""


def pin_text(text: str, project: Project, index: int, digest: str, note: str | None,
             name: str | None = None) -> tuple[str, int]:
    """The stack file with `connect:services[index].image` pinned to `digest` (the tag removed), and its line.

    ruamel.yaml edits the mapping in place (flow or block style, its comments moved with it), then only the lines
    of that `image` are taken from its output: whatever else round-tripping would re-format (ruamel writes
    `[{name: x}]` as `[name: x]`) stays as written. An end-of-line comment `# tag <tag>` says which tag the digest
    was; one already there from an earlier pin is updated, any other comment is left alone. The result must load
    to exactly the old document with that one change, or nothing is returned.
    """
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    rt = _round_trip(text)
    doc = rt.load(text)
    config = doc["config"]
    key = next(k for k in config if project.full_key(str(k)) == SERVICES_KEY)
    service = config[key][index]
    if name is not None and service.get("name") != name:
        raise ReleaseError(f"{SERVICES_KEY}[{index}] is no longer {name!r}: the stack file changed while the release "
                           "ran; run it again")
    image = service["image"]
    if not isinstance(image, CommentedMap):
        raise ReleaseError(f"{SERVICES_KEY}[{index}].image is not a mapping written in the stack file (an alias?); "
                           "pin it by hand")
    first = service.lc.key("image")[0]
    last = max([first] + [image.lc.value(k)[0] for k in image])
    if "tag" in image:
        image.insert(list(image).index("tag"), "digest", DoubleQuotedScalarString(digest))
        comment = image.ca.items.pop("tag", None)
        del image["tag"]
        if comment is not None:
            image.ca.items["digest"] = comment
    else:
        image["digest"] = DoubleQuotedScalarString(digest)
    out = io.StringIO()
    rt.dump(doc, out)
    old, new = text.splitlines(keepends=True), out.getvalue().splitlines(keepends=True)
    result: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        inside = first <= i1 and i2 <= last + 1 if i1 < i2 else first <= i1 <= last + 1
        result += new[j1:j2] if op != "equal" and inside else old[i1:i2]
    pinned_line = _note(result, old, first, last, note)
    pinned = "".join(result)
    expected = yaml.safe_load(text)
    entry = expected["config"][key][index]["image"]
    entry.pop("tag", None)
    entry["digest"] = digest
    if yaml.safe_load(pinned) != expected:
        raise ReleaseError(f"{SERVICES_KEY}[{index}].image: the stack file's layout could not be kept while pinning "
                           f"(the edited file would not load as the same document); pin {digest} by hand")
    return pinned, pinned_line + 1


def _note(lines: list[str], old: list[str], first: int, last: int, note: str | None) -> int:
    """Put the `# tag` comment on the image's digest line (in flow style, the mapping's), keep any other comment
    and the spaces before it as written; the 0-based line."""
    rows = [i for i in range(first, min(last, len(lines) - 1) + 1) if re.search(r"\bdigest\s*:", lines[i])]
    if not rows:
        return first
    row = rows[0]
    line = lines[row]
    ending = line[len(line.rstrip("\r\n")):]
    code, gap, comment = _line_parts(line.rstrip("\r\n"))
    if comment and not OUR_NOTE.match(comment):
        written_gap = _line_parts(old[row].rstrip("\r\n"))[1] if row < len(old) else ""
        lines[row] = f"{code}{written_gap or gap}{comment}{ending}"
    elif note:
        lines[row] = f"{code}  # {note}{ending}"
    else:
        lines[row] = f"{code}{ending}"
    return row


def pin_diff(target: Target, pinned: str) -> StackDiff:
    """`connectctl diff` of the stack file against its pinned text (planned from a copy of the same name, so the
    account stack and pack config are the project's)."""
    path = target.stack_file.path
    with tempfile.TemporaryDirectory(prefix="connectctl-release-") as tmp:
        copy = Path(tmp) / path.name
        copy.write_text(pinned, encoding="utf-8")
        try:
            result = diff_files(target.project, path, copy)
        except input_errors(DiffError) as exc:
            raise ReleaseError(str(exc).replace(str(copy), f"{target.stack_file.display_path} (pinned)")) from None
    shown = target.stack_file.display_path
    return dataclasses.replace(result, old_source=shown, new_source=f"{shown} (pinned)")


# --- the release -----------------------------------------------------------------------------------------------


@dataclass
class Release:
    """Everything the gate found and did, for both output formats."""

    target: Target
    tag: str | None
    image: Image
    scan: Scan
    threshold: Decision
    findings: list[Finding]
    checked_at: datetime
    written: dict[str, Any] | None = None
    diff: StackDiff | None = None
    blocked: bool = False  # --write refused: the diff would stop pulumi up

    @property
    def refused(self) -> bool:
        return bool(self.findings)

    def as_json(self) -> dict[str, Any]:
        t = self.target
        return {
            "stack": t.stack_file.stack, "service": t.service.name, "stackFile": t.stack_file.display_path,
            "configPath": f"{t.config_path}.image", "checkedAt": self.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "registry": {"account": t.registry_account, "region": t.registry_region,
                         "repository": t.service.image.repository, "uri": t.repository_uri},
            "image": {"tag": self.tag, "digest": self.image.digest, "tags": list(self.image.tags),
                      "pushedAt": _iso(self.image.pushed_at)},
            "scan": {"status": self.scan.status, "description": self.scan.description,
                     "completedAt": _iso(self.scan.completed_at), "counts": self.scan.counts(),
                     "findings": len(self.scan.findings)},
            "threshold": self.threshold.as_json(),
            "decision": "refused" if self.refused else "released",
            "findings": [f.as_json() for f in self.findings],
            "written": self.written,
            "blocked": self.blocked,
            "diff": self.diff.as_json() if self.diff is not None else None,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(moment, datetime) else None


def release_image(project: Project, stack: str, service: str, *, tag: str | None, digest: str | None,
                  max_severity: str | None, write: bool, endpoint_url: str | None, profile: str | None,
                  assume_role: bool, waiting: Waiting) -> Release:
    """Judge the image of `--tag`/`--digest` for `service` of `stack`, and pin it when asked and released."""
    target = resolve_target(project, stack, service)
    decision = resolve_threshold(target, max_severity)
    checked_at = clock.now()
    ecr = open_registry(target, endpoint_url=endpoint_url, profile=profile, assume_role=assume_role)
    image = find_image(ecr, target, tag, digest)
    scan = wait_for_scan(ecr, target, image, waiting)
    result = Release(target, tag, image, scan, decision, decisive(scan, decision.severity), checked_at)
    if write and not result.refused:
        _write(result)
    return result


def _write(result: Release) -> None:
    """Pin the released digest; the diff first, so a pin `pulumi up` would stop at is never written."""
    target = result.target
    current = target.service.image
    path = target.stack_file.path
    before = f"tag {current.tag}" if current.tag else f"digest {current.digest}"
    if current.digest == result.image.digest:
        result.written = {"file": target.stack_file.display_path, "line": target.stack_file.line_of(
            f"{target.config_path}.image"), "before": before, "after": result.image.digest, "changed": False}
        return
    tags = [result.tag] if result.tag else list(result.image.tags)
    note = f"tag {tags[0]}" if len(tags) == 1 else None
    text = path.read_text(encoding="utf-8")
    pinned, line = pin_text(text, target.project, target.index, result.image.digest, note, target.service.name)
    result.diff = pin_diff(target, pinned)
    if result.diff.failing:
        result.blocked = True
        return
    if path.read_text(encoding="utf-8") != text:
        raise ReleaseError(f"{target.stack_file.display_path} changed while the release ran; run it again")
    path.write_text(pinned, encoding="utf-8")
    result.written = {"file": target.stack_file.display_path, "line": line, "before": before,
                      "after": result.image.digest, "changed": True}


# --- output ----------------------------------------------------------------------------------------------------


def _threshold_text(decision: Decision, target: Target) -> str:
    where = {"default": "default; connect:platform.release.maxSeverity sets it",
             "--max-severity": "--max-severity"}.get(decision.source, decision.source)
    if decision.line is not None:
        where += f", {target.stack_file.display_path}:{decision.line}"
    return f"{decision.severity} and above refuse ({where})"


def render_table(result: Release, console: Console) -> None:
    """Header, the findings that decided as a table, the verdict; then what --write did."""
    t, image, scan = result.target, result.image, result.scan
    reference = f":{result.tag}" if result.tag else f"@{image.digest}"
    console.print(f"[bold]Release of {escape(t.service.name)} to {escape(t.stack_file.stack)}[/]: "
                  f"{escape(t.repository_uri + reference)}")
    tags = f" (tags {', '.join(image.tags)})" if image.tags else " (untagged)"
    console.print(f"  digest     {image.digest}{escape(tags)}")
    counts = ", ".join(f"{n} {s}" for s, n in scan.counts().items()) or "no findings"
    when = f" at {_iso(scan.completed_at)}" if scan.completed_at else ""
    waited = f", waited {scan.waited:.0f} s" if scan.waited >= 1 else ""
    console.print(f"  scan       {scan.status}{when}{waited}: {counts}")
    console.print(f"  threshold  {escape(_threshold_text(result.threshold, t))}")
    override, state = result.threshold.override, result.threshold.override_state
    if override is not None and state != "active":
        why = (f"expired on {override.expires.isoformat()}, ignored" if state == "expired"
               else "superseded by --max-severity")
        console.print(f"  [yellow]override   {t.config_path}.release ({override.max_severity}, "
                      f"{escape(override.reason)}) {why}[/]")
    elif override is not None:
        ticket = f", {override.ticket}" if override.ticket else ""
        console.print(f"  override   until {override.expires.isoformat()}{escape(ticket)}: {escape(override.reason)}")
    if result.findings:
        table = Table(title=f"Findings at or above {result.threshold.severity} ({len(result.findings)})",
                      show_header=True, header_style="bold")
        for column in ("severity", "finding", "package", "version", "description"):
            table.add_column(column, overflow="fold")
        for f in result.findings:
            style = "red" if RANK.get(f.severity, 0) >= RANK["HIGH"] else "yellow"
            table.add_row(f"[{style}]{f.severity}[/]", escape(f.name), escape(f.package or ""),
                          escape(f.version or ""), escape(f.description or f.uri or ""))
        console.print(table)
        console.print(f"[red]REFUSED[/]: {len(result.findings)} finding(s) at or above {result.threshold.severity}; "
                      "nothing written")
        return
    below = len(scan.findings)
    console.print(f"[green]RELEASED[/]: no finding at or above {result.threshold.severity}"
                  + (f" ({below} below it)" if below else ""))
    # the diff as `connectctl diff` prints it: in a log, one line per change however long
    diff_console = Console(emoji=False, highlight=False, soft_wrap=not console.is_terminal)
    if result.blocked and result.diff is not None:
        render_diff(result.diff, diff_console)
        console.print("[red]NOT WRITTEN[/]: pinning it would replace or delete protected resources (above)")
    elif result.written is not None and not result.written["changed"]:
        console.print(f"{t.stack_file.display_path}:{result.written['line']} already pins {image.digest}: "
                      "nothing to write")
    elif result.written is not None:
        console.print(f"Pinned in {t.stack_file.display_path}:{result.written['line']} "
                      f"({t.config_path}.image): {result.written['before']} -> {image.digest}")
        if result.diff is not None:
            render_diff(result.diff, diff_console)
    else:
        console.print(f"pin it: connectctl release {t.stack_file.stack} {t.service.name} --digest {image.digest} "
                      "--write")


# --- the commands ----------------------------------------------------------------------------------------------


def release(
    stack: Annotated[str, typer.Argument(help="Environment stack, e.g. acme-prod (stacks/Pulumi.<stack>.yaml).")],
    service: Annotated[str, typer.Argument(help="The service (connect:services[].name) the image is for.")],
    tag: Annotated[str | None, typer.Option("--tag", help="The image's tag in the service's repository.")] = None,
    digest: Annotated[str | None, typer.Option("--digest", help="The image's digest, sha256:<64 hex>.")] = None,
    max_severity: Annotated[Threshold | None, typer.Option(
        "--max-severity", help="Refuse at findings of this severity or above (default: the service's override "
        "while it holds, else connect:platform.release.maxSeverity, else HIGH).")] = None,
    write: Annotated[bool, typer.Option(
        "--write", help="Released: pin the digest in the stack file (its comments and layout kept), then show "
        "the change as connectctl diff does.")] = False,
    output: Annotated[ReleaseFormat, typer.Option(
        "--format", help="table (the findings that decided, then the verdict) or json (the documented document).",
    )] = ReleaseFormat.table,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0, help="Seconds to wait for a scan in progress (polled every 5 s).")] = DEFAULT_TIMEOUT,
    endpoint_url: Annotated[str | None, typer.Option(
        "--endpoint-url", help="Send every AWS call here (default: AWS_ENDPOINT_URL, else AWS).")] = None,
    assume_role: Annotated[bool, typer.Option(
        "--assume-role/--no-assume-role", help="Assume the stack's deployRoleArn (default) or use the credentials "
        "as they are; either way they must be of the stack's accountId.")] = True,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile of the base credentials.")] = None,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) whose stacks to read and write; default: this checkout.",
    )] = None,
) -> None:
    """Release an image to a service: refuse it when its scan has findings at or above the threshold, else
    (--write) pin its digest in the stack file."""
    if (tag is None) == (digest is None):
        raise fail("give the image as --tag TAG or --digest sha256:..., exactly one")
    if tag is not None and not IMAGE_TAG.match(tag):
        raise fail(f"--tag {tag!r} is not an image tag; allowed: 1-128 letters, digits, '_', '.', '-'")
    if digest is not None and not IMAGE_DIGEST.match(digest):
        raise fail(f"--digest {digest!r} is not an image digest; allowed: sha256: followed by 64 lowercase hex")
    try:
        project = load_project_dir(project_dir)
        result = release_image(project, stack, service, tag=tag, digest=digest,
                               max_severity=max_severity.value if max_severity else None, write=write,
                               endpoint_url=endpoint_url, profile=profile, assume_role=assume_role,
                               waiting=Waiting(timeout=timeout, sleep=SLEEP, monotonic=MONOTONIC))
    except (ReleaseError, ProjectError) as exc:
        raise fail(str(exc)) from None
    if output is ReleaseFormat.json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
    else:
        render_table(result, Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160))
    raise typer.Exit(EXIT_REFUSED if result.refused or result.blocked else EXIT_RELEASED)


# The clock of the wait, looked up per run: tests swap in fakes, so a scan in progress costs them no time.
SLEEP: Callable[[float], None] = time.sleep
MONOTONIC: Callable[[], float] = time.monotonic


# --- `connectctl images`: the images a change pins, the release gate's matrix ---------------------------------


class ImagesFormat(StrEnum):
    """Output formats of `images`."""

    text = "text"
    json = "json"
    github = "github"


def _raw_images(project: Project, path: Path) -> dict[str, dict[str, str | None]]:
    """Service name -> {repository, tag, digest} of a stack file, read leniently (validation is `check`'s job
    and `release`'s: an entry that is not a service with an image is left out)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return {}
    config = data.get("config") if isinstance(data, dict) else None
    services = next((v for k, v in config.items() if project.full_key(str(k)) == SERVICES_KEY), None) \
        if isinstance(config, dict) else None
    found: dict[str, dict[str, str | None]] = {}
    for entry in services if isinstance(services, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("image"), dict):
            image = entry["image"]
            found[entry["name"]] = {k: None if image.get(k) is None else str(image[k])
                                    for k in ("repository", "tag", "digest")}
    return found


def _reference(image: dict[str, Any]) -> str:
    """`repository:tag` or `repository@digest`."""
    repository = image["repository"]
    return f"{repository}@{image['digest']}" if image.get("digest") else f"{repository}:{image['tag']}"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False,
                              timeout=120)
    except FileNotFoundError:
        raise WorkflowError("git is not installed (connectctl images --changed-since reads the base)") from None


def changed_images(project: Project, ref: str | None) -> list[dict[str, Any]]:
    """Every service image of the environment stacks, or with REF those that differ from the merge base of REF
    and HEAD (a new stack file or service: all of its images), one matrix entry each."""
    base_root: Path | None = None
    with tempfile.TemporaryDirectory(prefix="connectctl-images-") as tmp:
        if ref is not None:
            if not ref or ref.startswith("-"):
                raise WorkflowError(f"--changed-since {ref!r}: not a git revision")
            merge = _git(project.root, "merge-base", ref, "HEAD")
            if merge.returncode != 0:
                raise WorkflowError(f"--changed-since {ref!r}: no merge base with HEAD in {project.root} (a CI "
                                    "checkout needs its history: actions/checkout with fetch-depth: 0)")
            try:
                base_root = base_stack_files(project, merge.stdout.strip(), Path(tmp)).stack_config_dir
            except DiffError as exc:
                raise WorkflowError(str(exc)) from None
        rows: list[dict[str, Any]] = []
        for stack in project.stacks():
            info = read_stack(project, stack)
            if info.scope is Scope.account:
                continue
            if not STACK_NAME.match(stack):
                raise WorkflowError(f"{project.stack_file(stack).name}: {stack!r} is not a Pulumi stack name; "
                                    "allowed: 1-100 letters, digits, '-', '_' and '.'")
            head = _raw_images(project, project.stack_file(stack))
            base = _raw_images(project, base_root / f"Pulumi.{stack}.yaml") if base_root is not None else {}
            account = read_stack(project, f"{info.client}-account") if info.client else None
            region = account.region if account is not None and account.region else info.region
            for name, image in head.items():
                if ref is not None and base.get(name) == image:
                    continue
                previous = base.get(name)
                rows.append({"stack": stack, "service": name, "repository": image["repository"],
                             "tag": None if image.get("digest") else image.get("tag"), "digest": image.get("digest"),
                             "region": region, "previous": _reference(previous) if previous else None})
    return rows


def images(
    changed_since: Annotated[str | None, typer.Option(
        "--changed-since", metavar="REF", help="Only the images the stack files changed since the merge base of "
        "REF and HEAD (the working tree's stack files against the base's).")] = None,
    output: Annotated[ImagesFormat, typer.Option(
        "--format", help="text (one image a line), json (a GitHub Actions matrix) or github (matrix= and count= "
        "lines for $GITHUB_OUTPUT).")] = ImagesFormat.text,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.")] = None,
) -> None:
    """List the services' images, or those a change pins: the matrix of the release gate workflow."""
    try:
        project = load_project_dir(project_dir)
        rows = changed_images(project, changed_since)
    except (ProjectError, WorkflowError) as exc:
        raise fail(str(exc)) from None
    document = json.dumps({"include": rows})
    if output is ImagesFormat.json:
        sys.stdout.write(document + "\n")
    elif output is ImagesFormat.github:
        sys.stdout.write(f"matrix={document}\ncount={len(rows)}\n")
    else:
        for row in rows:
            was = f" (was {row['previous']})" if row["previous"] else (" (new)" if changed_since else "")
            sys.stdout.write(f"{row['stack']} {row['service']}: {_reference(row)}{was}\n")


def register(app: typer.Typer) -> None:
    """Add `release` and `images` to the main app."""
    app.command(name="release")(release)
    app.command(name="images")(images)
