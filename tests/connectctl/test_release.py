"""`connectctl release` and `connectctl images` end to end: a moto server holding acme's registry, real pushes and
scans, the real CLI, and stack files written to a copy of the project.

One moto server per module (tests/connectctl/moto_seed.py's tenant session: the deploy role assumed in the
tenant account). moto stores pushed images but does not scan as ECR does, so the module teaches it scans that
run, fail, are unsupported, page and have enhanced findings (tests/connectctl/moto_ecr.py). Every test that
writes works on its own copy of the project's stack files, with acme-prod changed to hold what the tests read:
a comment line and an end-of-line comment on a flow-style image, a block-style image whose tag carries the
comment an earlier pin wrote, the stack's threshold and a service override that expires on 2026-12-31. The
clock is set through CONNECT_NOW in every run, so the override's expiry is judged the same on any date.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import clock
from connectctl import cli
from connectctl import release as release_module
from connectctl.engine.project import load_project
from tests.connectctl import moto_ecr, moto_seed
from tests.connectctl.moto_ecr import basic, enhanced, state
from tests.connectctl.moto_server import serving

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-27T12:00:00Z"  # the override (expires 2026-12-31) holds
ACCOUNT, REGION = moto_seed.ACCOUNT, moto_seed.REGION
REASON = "CVE-2024-2001 is in a CLI tool the service never runs; fix in 2.4"
PAYMENTS_COMMENT = "# payments-api: released with connectctl release"
PAYMENTS_LINE = '      image: {repository: payments-api, tag: "1.4.2"}  # owned by the payments team'
ACCOUNTS_BLOCK = ('      image:\n        repository: accounts-api\n        tag: "1.9.0"  # tag 1.9.0\n'
                  f'      release: {{maxSeverity: CRITICAL, reason: "{REASON}", expires: 2026-12-31, ticket: SEC-142}}')

# (repository, tag) -> the scan's answers, in order (the last one stays)
SCANS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("payments-api", "1.4.2"): [state("COMPLETE", [basic("CVE-2024-0001", "MEDIUM"),
                                                   basic("CVE-2024-0002", "LOW", "zlib", "1.2.11")])],
    ("payments-api", "1.5.0"): [state("COMPLETE", [
        basic("CVE-2024-1004", "MEDIUM"), basic("CVE-2024-1002", "HIGH", "zlib", "1.2.11"),
        basic("CVE-2024-1001", "CRITICAL", "openssl", "3.0.2"), basic("CVE-2024-1003", "HIGH", "curl", "7.81.0")])],
    ("payments-api", "1.6.0"): [state("COMPLETE", [basic(f"CVE-2024-40{n:02d}", "LOW") for n in range(5)]
                                      + [basic("CVE-2024-4099", "HIGH", "libxml2", "2.9.13")])],
    ("accounts-api", "2.0.0"): [state("IN_PROGRESS"), state("IN_PROGRESS"), state("COMPLETE", [])],
    ("accounts-api", "2.0.1"): [state("FAILED", description="The scan failed: image too large")],
    ("accounts-api", "2.1.0"): [state("IN_PROGRESS")],
    ("accounts-api", "2.2.0"): [state("ACTIVE", [enhanced("CVE-2024-3001", "HIGH"),
                                                 enhanced("CVE-2024-3002", "CRITICAL", status="SUPPRESSED")],
                                      enhanced_findings=True)],
    ("accounts-api", "2.3.0"): [state("COMPLETE", [basic("CVE-2024-2001", "HIGH", "busybox", "1.35"),
                                                   basic("CVE-2024-2002", "MEDIUM")])],
    ("notifications-worker", "3.0.0"): [state("UNSUPPORTED_IMAGE", description="UnsupportedImageError: The "
                                              "operating system and/or package manager are not supported.")],
    # notifications-worker 3.0.1: pushed, never scanned
}
PUSHED = [*SCANS, ("notifications-worker", "3.0.1")]


@dataclass
class Registry:
    """The moto server, the pushed images' digests and the scan answers to reset per test."""

    endpoint: str
    digests: dict[tuple[str, str], str]
    scans: moto_ecr.ScanResults

    def reset_scans(self) -> None:
        for (repository, tag), states in SCANS.items():
            self.scans.set(ACCOUNT, REGION, repository, self.digests[repository, tag], *[dict(s) for s in states])


def push(ecr: Any, repository: str, tag: str) -> str:
    """An image manifest pushed under `tag`; its digest."""
    layer = "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
                           "digest": "sha256:" + hashlib.sha256(layer.encode()).hexdigest()},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 31_000_000,
                            "digest": layer}]}
    pushed = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
    return str(pushed["image"]["imageId"]["imageDigest"])


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    """acme's registry on a moto server: the account stack's repositories, the images above, their scans."""
    with serving(moto_ecr.scan_findings, {}) as (endpoint, scans):
        ecr = moto_seed.aws(moto_seed.tenant_session(endpoint), endpoint, "ecr")
        for repository in ("payments-api", "accounts-api", "notifications-worker"):
            ecr.create_repository(repositoryName=repository, imageTagMutability="IMMUTABLE",
                                  imageScanningConfiguration={"scanOnPush": True})
        digests = {(repository, tag): push(ecr, repository, tag) for repository, tag in PUSHED}
        yield Registry(endpoint, digests, scans)


@pytest.fixture
def seeded(registry: Registry) -> Registry:
    """The registry with every scan at its first answer again."""
    registry.reset_scans()
    return registry


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's stack files, acme-prod changed as the module docstring says."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", root / "stacks")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, root / name)
    stack_file = root / "stacks" / "Pulumi.acme-prod.yaml"
    text = stack_file.read_text()
    text, found = re.subn(r"(?m)^    - name: payments-api\n      image: \{repository: payments-api, [^}]*\}$",
                          f"    {PAYMENTS_COMMENT}\n    - name: payments-api\n{PAYMENTS_LINE}", text)
    assert found == 1, "acme-prod's payments-api entry changed shape: adapt this fixture"
    text, found = re.subn(r"(?m)^      image: \{repository: accounts-api, [^}]*\}$", ACCOUNTS_BLOCK, text)
    assert found == 1, "acme-prod's accounts-api entry changed shape: adapt this fixture"
    text, found = re.subn(r"(?m)^  connect:platform:\n", "  connect:platform:\n    release: {maxSeverity: HIGH}\n",
                          text)
    assert found == 1
    stack_file.write_text(text)
    return root


def aws_env(**extra: str) -> dict[str, str]:
    """No AWS settings of the caller's: fake keys, no config files, no instance metadata; the clock set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | moto_seed.FAKE_CREDENTIALS | {
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
        clock.NOW_ENV: NOW} | extra


def run(project: Path, registry: Registry, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`connectctl release ARGS` in this process, against the moto server and the project copy."""
    result = CliRunner().invoke(cli.app, ["release", *args, "--project-dir", str(project), "--endpoint-url",
                                          registry.endpoint], env=env or aws_env())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def run_json(project: Path, registry: Registry, *args: str, env: dict[str, str] | None = None,
             ) -> tuple[int, dict[str, Any]]:
    code, out, err = run(project, registry, *args, "--format", "json", env=env)
    assert code in (0, 1), err
    return code, json.loads(out)


def line_of(project: Path, line: str) -> int:
    """The 1-based line of acme-prod's copy that reads `line`."""
    return (project / "stacks" / "Pulumi.acme-prod.yaml").read_text().splitlines().index(line) + 1


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The wait's clock: sleeping advances it and is recorded, so a running scan takes no time."""
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(release_module, "SLEEP", sleep)
    monkeypatch.setattr(release_module, "MONOTONIC", lambda: now[0])
    return slept


# --- the acceptance: refuse at the threshold, pin a clean image ---------------------------------------


def test_refuses_an_image_with_findings_at_or_above_the_threshold(seeded: Registry, project: Path) -> None:
    before = (project / "stacks" / "Pulumi.acme-prod.yaml").read_text()
    code, out, err = run(project, seeded, "acme-prod", "payments-api", "--tag", "1.5.0", "--write")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == (f"Release of payments-api to acme-prod: {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/"
                        "payments-api:1.5.0")
    assert f"digest     {seeded.digests['payments-api', '1.5.0']} (tags 1.5.0)" in out
    assert "scan       COMPLETE: 1 CRITICAL, 2 HIGH, 1 MEDIUM" in out
    line = line_of(project, "    release: {maxSeverity: HIGH}")
    assert ("threshold  HIGH and above refuse (connect:platform.release.maxSeverity, "
            f"stacks/Pulumi.acme-prod.yaml:{line})") in out
    rows = [line for line in lines if line.startswith("│")]
    assert [re.split(r"\s*│\s*", row)[1:3] for row in rows] == [
        ["CRITICAL", "CVE-2024-1001"], ["HIGH", "CVE-2024-1002"], ["HIGH", "CVE-2024-1003"]]  # MEDIUM did not decide
    assert "Findings at or above HIGH (3)" in out and "CVE-2024-1004" not in out
    assert lines[-1] == "REFUSED: 3 finding(s) at or above HIGH; nothing written"
    assert (project / "stacks" / "Pulumi.acme-prod.yaml").read_text() == before


def test_pins_a_clean_image_keeping_comments_and_flow_style(seeded: Registry, project: Path) -> None:
    stack_file = project / "stacks" / "Pulumi.acme-prod.yaml"
    before = stack_file.read_text()
    digest = seeded.digests["payments-api", "1.4.2"]
    code, out, err = run(project, seeded, "acme-prod", "payments-api", "--tag", "1.4.2", "--write")
    assert (code, err) == (0, ""), out
    pinned = f'      image: {{repository: payments-api, digest: "{digest}"}}  # owned by the payments team'
    assert stack_file.read_text() == before.replace(PAYMENTS_LINE, pinned)  # that line, nothing else
    assert PAYMENTS_COMMENT in stack_file.read_text()
    flat_out = flat(out)
    assert "RELEASED: no finding at or above HIGH (2 below it)" in flat_out
    line = before.splitlines().index(PAYMENTS_LINE) + 1
    assert f"Pinned in stacks/Pulumi.acme-prod.yaml:{line} (connect:services[0].image): tag 1.4.2 -> {digest}" \
        in flat_out
    # what `connectctl diff` shows for it: a new task definition revision, the service moved to it
    assert ("Diff of connect/acme-prod: stacks/Pulumi.acme-prod.yaml -> stacks/Pulumi.acme-prod.yaml (pinned)"
            in flat_out)
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments-api"
    assert f'containerDefinitions[0].image: "{image}:1.4.2" -> "{image}@{digest}" [forces replacement]' in flat_out
    assert re.search(r"OK: [1-9]\d* to replace, 0 to delete, [1-9]\d* to update, 0 to create", flat_out)

    again = run(project, seeded, "acme-prod", "payments-api", "--digest", digest, "--write")
    assert again[0] == 0 and f"stacks/Pulumi.acme-prod.yaml:{line} already pins {digest}: nothing to write" \
        in flat(again[1])


def test_pins_a_block_style_image_and_updates_the_tag_note(seeded: Registry, project: Path,
                                                           no_waiting: list[float]) -> None:
    """accounts-api 2.0.0: a scan that completes on the third poll; its tag line becomes the digest line."""
    stack_file = project / "stacks" / "Pulumi.acme-prod.yaml"
    before = stack_file.read_text()
    digest = seeded.digests["accounts-api", "2.0.0"]
    code, out, err = run(project, seeded, "acme-prod", "accounts-api", "--tag", "2.0.0", "--write")
    assert (code, err) == (0, ""), out
    assert no_waiting == [5.0, 5.0]  # polled three times, five seconds apart
    assert stack_file.read_text() == before.replace('        tag: "1.9.0"  # tag 1.9.0',
                                                    f'        digest: "{digest}"  # tag 2.0.0')
    assert "scan       COMPLETE, waited 10 s: no findings" in out


def test_the_pinned_stack_file_plans_with_the_digest(seeded: Registry, project: Path) -> None:
    code, doc = run_json(project, seeded, "acme-prod", "payments-api", "--tag", "1.4.2", "--write")
    assert code == 0
    config = yaml.safe_load((project / "stacks" / "Pulumi.acme-prod.yaml").read_text())["config"]
    assert config["connect:services"][0]["image"] == {"repository": "payments-api",
                                                      "digest": seeded.digests["payments-api", "1.4.2"]}
    assert doc["written"] == {"file": "stacks/Pulumi.acme-prod.yaml", "line": doc["written"]["line"],
                              "before": "tag 1.4.2", "after": seeded.digests["payments-api", "1.4.2"],
                              "changed": True}
    diff = doc["diff"]
    assert diff["stack"] == "acme-prod" and diff["summary"]["delete"] == 0 and diff["summary"]["protected"] == 0
    tasks = {r["name"]: r for r in diff["resources"] if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"}
    assert set(tasks) == {"platform-payments-api-task-definition", "dr-platform-payments-api-task-definition"}
    for task in tasks.values():  # the service's, and its pilot-light standby's in the DR region
        assert task["action"] == "replace"
        assert {c["path"] for c in task["changes"]} == {"containerDefinitions[0].image"}


# --- the threshold: the stack's, the service's override with its expiry, the option ---------------------------


@pytest.mark.parametrize(("now", "code", "source", "state"), [
    ("2026-12-31T23:59:59Z", 0, "connect:services[1].release", "active"),  # its last day
    ("2027-01-01T00:00:00Z", 1, "connect:platform.release.maxSeverity", "expired"),
])
def test_a_service_override_holds_until_it_expires(seeded: Registry, project: Path, now: str, code: int,
                                                   source: str, state: str) -> None:
    """accounts-api 2.3.0 has a HIGH finding: its override (CRITICAL, until 2026-12-31) lets it through."""
    got, doc = run_json(project, seeded, "acme-prod", "accounts-api", "--tag", "2.3.0",
                        env=aws_env(**{clock.NOW_ENV: now}))
    assert got == code
    assert doc["threshold"]["source"] == source
    assert doc["threshold"]["maxSeverity"] == ("CRITICAL" if state == "active" else "HIGH")
    assert doc["threshold"]["override"] == {"maxSeverity": "CRITICAL", "reason": REASON, "expires": "2026-12-31",
                                            "ticket": "SEC-142", "state": state}
    assert [f["name"] for f in doc["findings"]] == ([] if state == "active" else ["CVE-2024-2001"])


def test_an_expired_override_is_said_to_be_ignored(seeded: Registry, project: Path) -> None:
    code, out, _ = run(project, seeded, "acme-prod", "accounts-api", "--tag", "2.3.0",
                       env=aws_env(**{clock.NOW_ENV: "2027-01-01T08:00:00Z"}))
    assert code == 1
    assert (f"override connect:services[1].release (CRITICAL, {REASON}) expired on 2026-12-31, ignored"
            in flat(out))


def test_the_option_supersedes_both(seeded: Registry, project: Path) -> None:
    code, doc = run_json(project, seeded, "acme-prod", "payments-api", "--tag", "1.4.2", "--max-severity", "MEDIUM")
    assert code == 1 and doc["threshold"]["source"] == "--max-severity"
    assert [f["name"] for f in doc["findings"]] == ["CVE-2024-0001"]
    code, doc = run_json(project, seeded, "acme-prod", "accounts-api", "--tag", "2.3.0", "--max-severity", "HIGH")
    assert code == 1 and doc["threshold"]["override"]["state"] == "superseded"
    code, doc = run_json(project, seeded, "acme-prod", "payments-api", "--tag", "1.5.0", "--max-severity", "CRITICAL")
    assert code == 1 and [f["severity"] for f in doc["findings"]] == ["CRITICAL"]


def test_the_default_threshold_is_high(seeded: Registry, project: Path) -> None:
    stack_file = project / "stacks" / "Pulumi.acme-prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("    release: {maxSeverity: HIGH}\n", ""))
    code, doc = run_json(project, seeded, "acme-prod", "payments-api", "--tag", "1.4.2")
    assert code == 0
    assert doc["threshold"] == {"maxSeverity": "HIGH", "source": "default", "line": None, "override": None}


# --- the image and its scan ------------------------------------------------------------------------------------


def test_a_tag_is_resolved_to_its_digest_and_the_json_has_the_documented_shape(seeded: Registry,
                                                                               project: Path) -> None:
    code, doc = run_json(project, seeded, "acme-prod", "payments-api", "--tag", "1.5.0")
    assert code == 1
    assert list(doc) == ["stack", "service", "stackFile", "configPath", "checkedAt", "registry", "image", "scan",
                         "threshold", "decision", "findings", "written", "blocked", "diff"]
    assert (doc["stack"], doc["service"], doc["stackFile"], doc["configPath"], doc["checkedAt"]) == (
        "acme-prod", "payments-api", "stacks/Pulumi.acme-prod.yaml", "connect:services[0].image", NOW)
    assert doc["registry"] == {"account": ACCOUNT, "region": REGION, "repository": "payments-api",
                               "uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments-api"}
    assert doc["image"]["tag"] == "1.5.0" and doc["image"]["tags"] == ["1.5.0"]
    assert doc["image"]["digest"] == seeded.digests["payments-api", "1.5.0"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["image"]["pushedAt"])
    assert doc["scan"] == {"status": "COMPLETE", "description": "", "completedAt": None,
                           "counts": {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 1}, "findings": 4}
    assert doc["threshold"] == {"maxSeverity": "HIGH", "source": "connect:platform.release.maxSeverity",
                                "line": line_of(project, "    release: {maxSeverity: HIGH}"), "override": None}
    assert doc["decision"] == "refused" and (doc["written"], doc["blocked"], doc["diff"]) == (None, False, None)
    assert doc["findings"][0] == {"name": "CVE-2024-1001", "severity": "CRITICAL", "package": "openssl",
                                  "version": "3.0.2", "uri": "https://nvd.nist.gov/vuln/detail/CVE-2024-1001",
                                  "description": "CVE-2024-1001 in openssl"}
    assert [(f["name"], f["severity"], f["package"]) for f in doc["findings"]] == [
        ("CVE-2024-1001", "CRITICAL", "openssl"), ("CVE-2024-1002", "HIGH", "zlib"), ("CVE-2024-1003", "HIGH", "curl")]


def test_a_digest_is_looked_up_as_given(seeded: Registry, project: Path) -> None:
    digest = seeded.digests["payments-api", "1.4.2"]
    code, doc = run_json(project, seeded, "acme-prod", "payments-api", "--digest", digest)
    assert code == 0 and doc["decision"] == "released"
    assert (doc["image"]["tag"], doc["image"]["digest"], doc["image"]["tags"]) == (None, digest, ["1.4.2"])


def test_enhanced_findings_count_unless_suppressed(seeded: Registry, project: Path) -> None:
    code, doc = run_json(project, seeded, "acme-prod", "accounts-api", "--tag", "2.2.0", "--max-severity", "HIGH")
    assert code == 1 and doc["scan"]["status"] == "ACTIVE"
    assert doc["findings"] == [{"name": "CVE-2024-3001", "severity": "HIGH", "package": "glibc", "version": "2.35",
                                "uri": "https://nvd.nist.gov/vuln/detail/CVE-2024-3001",
                                "description": "CVE-2024-3001 - glibc"}]
    assert doc["scan"]["counts"] == {"HIGH": 1}  # the suppressed CRITICAL is not counted


def test_every_page_of_findings_is_read(seeded: Registry, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(release_module, "PAGE_SIZE", 2)  # six findings: three pages, the HIGH one on the last
    code, doc = run_json(project, seeded, "acme-prod", "payments-api", "--tag", "1.6.0")
    assert code == 1 and doc["scan"]["findings"] == 6 and doc["scan"]["counts"] == {"HIGH": 1, "LOW": 5}
    assert [f["name"] for f in doc["findings"]] == ["CVE-2024-4099"]


# --- what the gate cannot judge: exit 2, one message ------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (("acme-nowhere", "payments-api", "--tag", "1.4.2"), "no stack file stacks/Pulumi.acme-nowhere.yaml for stack "
     "'acme-nowhere'"),
    (("acme-prod", "ledger-api", "--tag", "1.4.2"), "stacks/Pulumi.acme-prod.yaml: no service 'ledger-api' in "
     "connect:services; its services: payments-api, accounts-api, notifications-worker"),
    (("acme-account", "payments-api", "--tag", "1.4.2"), "stacks/Pulumi.acme-account.yaml is an account stack"),
    (("acme-prod", "payments-api"), "give the image as --tag TAG or --digest sha256:..., exactly one"),
    (("acme-prod", "payments-api", "--tag", "1", "--digest", "sha256:" + "0" * 64), "exactly one"),
    (("acme-prod", "payments-api", "--digest", "sha256:XYZ"), "--digest 'sha256:XYZ' is not an image digest"),
    (("acme-prod", "payments-api", "--tag", "9.9.9"), f"no image payments-api:9.9.9 in the registry of account "
     f"{ACCOUNT} in {REGION}: push it first"),
    (("acme-prod", "accounts-api", "--tag", "2.0.1"), "is FAILED: The scan failed: image too large (scan it again"),
    (("acme-prod", "notifications-worker", "--tag", "3.0.0"), "is UNSUPPORTED_IMAGE: UnsupportedImageError"),
    (("acme-prod", "notifications-worker", "--tag", "3.0.1"), "has no scan: it was pushed before scan on push was "
     "on"),
    (("acme-prod", "accounts-api", "--tag", "2.1.0", "--timeout", "30"), "is still IN_PROGRESS after 30 s "
     "(--timeout 30); run this again when it completes"),
])
def test_what_cannot_be_judged_exits_2_with_one_message(seeded: Registry, project: Path, no_waiting: list[float],
                                                         args: tuple[str, ...], message: str) -> None:
    before = (project / "stacks" / "Pulumi.acme-prod.yaml").read_text()
    code, out, err = run(project, seeded, *args, "--write")
    assert (code, out) == (2, ""), out
    assert err.startswith("error: ") and "Traceback" not in err
    assert message in flat(err)
    assert (project / "stacks" / "Pulumi.acme-prod.yaml").read_text() == before


def test_a_repository_the_registry_lacks_exits_2(seeded: Registry, project: Path) -> None:
    for name, old, new in (("acme-account", "notifications-worker]", "notifications-worker, ledger-jobs]"),
                           ("acme-prod", "{repository: notifications-worker, ", "{repository: ledger-jobs, ")):
        path = project / "stacks" / f"Pulumi.{name}.yaml"
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new))
    code, _, err = run(project, seeded, "acme-prod", "notifications-worker", "--tag", "3.0.1")
    assert code == 2
    assert (f"no repository ledger-jobs in the registry of account {ACCOUNT} in {REGION}: is acme-account deployed "
            "there? (stacks/Pulumi.acme-account.yaml declares it)") in flat(err)


def test_credentials_of_another_account_are_refused(seeded: Registry, project: Path) -> None:
    code, _, err = run(project, seeded, "acme-prod", "payments-api", "--tag", "1.4.2", "--no-assume-role")
    assert code == 2
    assert "the credentials are for account 123456789012" in flat(err)
    assert f"pulls from the registry of account {ACCOUNT}" in flat(err)


def test_an_endpoint_that_is_not_aws_exits_2(project: Path, html_endpoint: str) -> None:
    result = CliRunner().invoke(cli.app, ["release", "acme-prod", "payments-api", "--tag", "1.4.2", "--project-dir",
                                          str(project), "--endpoint-url", html_endpoint],
                                env=aws_env(AWS_MAX_ATTEMPTS="1"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert "Traceback" not in result.stderr
    assert f"{html_endpoint} did not answer as an AWS API" in flat(result.stderr)


# --- pinning: what round-tripping would re-format stays as written ---------------------------------------------


def test_pinning_keeps_every_other_line_byte_for_byte() -> None:
    """ruamel.yaml alone writes `[{name: invoices}]` as `[name: invoices]`; the pin keeps it."""
    text = ("# yaml-language-server: $schema=../schemas/stack.schema.json\nconfig:\n  connect:services:\n"
            "    - name: a\n      image: {repository: a, tag: \"1\"}\n      cpu: 256\n"
            "  connect:data:\n    buckets: [{name: invoices}]   # odd spacing kept\n")
    digest = "sha256:" + "a" * 64
    pinned, line = release_module.pin_text(text, load_project(), 0, digest, "tag 1")
    assert pinned == text.replace('{repository: a, tag: "1"}', f'{{repository: a, digest: "{digest}"}}  # tag 1')
    assert line == 5


# --- `connectctl images`: what a change pins --------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
                    "-C", str(repo), *args], capture_output=True, text=True, check=True)


def images(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.app, ["images", *args, "--project-dir", str(project)])
    return result.exit_code, result.stdout, result.stderr


def test_images_lists_what_a_change_pins(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    assert images(project, "--changed-since", "main", "--format", "github")[1] == 'matrix={"include": []}\ncount=0\n'
    stack_file = project / "stacks" / "Pulumi.acme-prod.yaml"
    stack_file.write_text(stack_file.read_text().replace(PAYMENTS_LINE, PAYMENTS_LINE.replace("1.4.2", "1.5.0")))
    shutil.copy(project / "stacks" / "Pulumi.acme-staging.yaml", project / "stacks" / "Pulumi.acme-qa.yaml")
    code, out, err = images(project, "--changed-since", "main", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["include"]
    assert rows[0] == {"stack": "acme-prod", "service": "payments-api", "repository": "payments-api", "tag": "1.5.0",
                       "digest": None, "region": REGION, "previous": "payments-api:1.4.2"}
    staging = [s["name"] for s in yaml.safe_load((project / "stacks" / "Pulumi.acme-staging.yaml").read_text())
               ["config"].get("connect:services", [])]
    assert [(r["stack"], r["service"], r["previous"]) for r in rows[1:]] == [("acme-qa", s, None) for s in staging]
    text = images(project, "--changed-since", "main")[1]
    assert text.splitlines()[0] == "acme-prod payments-api: payments-api:1.5.0 (was payments-api:1.4.2)"
    code, _, err = images(project, "--changed-since", "no-such-ref")
    assert code == 2 and "--changed-since 'no-such-ref': no merge base with HEAD" in flat(err)


def test_images_without_a_ref_lists_every_environment_image(project: Path) -> None:
    code, out, _ = images(project, "--format", "json")
    rows = json.loads(out)["include"]
    assert code == 0 and {r["stack"] for r in rows} == {"acme-prod", "acme-staging", "globex-prod"}
    accounts = next(r for r in rows if (r["stack"], r["service"]) == ("acme-prod", "accounts-api"))
    assert (accounts["tag"], accounts["digest"], accounts["previous"]) == ("1.9.0", None, None)
