"""No secret value in anything `connectctl` prints, nor in any non-secret stack output.

Secrets, per stack: the stand-ins the offline engine gives the stack file's `secure:` values (acme-prod's VPN
pre-shared keys, `Plan.secrets()`), and every value a resource declares secret in its outputs (the pre-shared
keys AWS generates for tunnels without one, the device configurations; `additionalSecretOutputs`), as the
plan with every value known holds them. Each is first shown to be in the raw capture (so the scans below
look for something that is really there), and a control run with masking switched off must leak: the scan
would catch a regression.

Scanned: `plan` (text, json; preview and --no-preview), `check` (text, json, sarif, junit; from the stack,
from `--state` exports of the plan in the three ways Pulumi writes secrets, from `--preview-json`), `diff`
(text, json, markdown) of a change to acme-prod that also rotates a pre-shared key, `audit` (text, json,
sarif) against the moto seed of tests/connectctl/test_audit.py with an outputs file that holds a plaintext
device configuration, and every non-secret stack output of every stack.

Planning is the slow part (seconds per stack), so each stack file is planned once per mode and the CLI
renders every format from that plan (`plan_stack` answers from a cache); one real, uncached run of
acme-staging proves the cached path prints the same.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from connectctl import check as check_module
from connectctl import cli
from connectctl import plan as plan_module
from connectctl.check import CheckResult, check_file
from connectctl.diff import stackfiles as diff_stackfiles
from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY, STACK_TYPE, CapturedResource
from connectctl.engine.project import PROJECT_ROOT, load_project, stand_in
from tests.components.plans import cached_plan_stack, planned
from tests.connectctl import moto_seed
from tests.connectctl.test_audit import aws_env, seed

ALL_STACKS = ("acme-prod", "acme-staging", "globex-prod", "acme-account", "globex-account")
WITH_SECRETS = ("acme-prod", "acme-staging", "globex-prod")  # configured or generated pre-shared keys
CIPHERTEXT = "v1:Y2lwaGVydGV4dC1uZXZlci1kZWNyeXB0ZWQ="
BOX = re.compile(r"[\s\u2500-\u257f]")  # whitespace and box drawing: where a table folds a long value
_real_plan_stack = plan_module.plan_stack

__all__ = ["seed"]  # the moto server fixture of the audit tests, used here by name


def _wrapped(value: Any) -> Iterator[Any]:
    """Values wrapped as secrets anywhere in `value`."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            yield value.get("value")
            return
        for item in value.values():
            yield from _wrapped(item)
    elif isinstance(value, list):
        for item in value:
            yield from _wrapped(item)


def _texts(value: Any, inside: bool, secret: set[str], plain: set[str]) -> None:
    """Sort the strings of `value` into those inside a secret wrapper and those outside any."""
    if isinstance(value, dict):
        wrapper = value.get(SECRET_SIG_KEY) == SECRET_SIG
        for key, item in value.items():
            if not (wrapper and key == SECRET_SIG_KEY):
                _texts(item, inside or wrapper, secret, plain)
    elif isinstance(value, list):
        for item in value:
            _texts(item, inside, secret, plain)
    elif isinstance(value, str):
        (secret if inside else plain).add(value)


@cache
def secrets_of(stack: str) -> frozenset[str]:
    """Configured secrets (stand-ins) and the texts the stack's plan (all values known) holds only as secrets.

    A text that is also a plain value elsewhere is secret by taint only (an output that merely contains a
    secret is wholly secret, its database endpoint too), not a secret to hide.
    """
    plan = planned(stack, False)
    secret: set[str] = set()
    plain: set[str] = set()
    for resource in plan.capture.resources:
        _texts([resource.inputs, resource.outputs], False, secret, plain)
    return frozenset(plan.secrets() | {text for text in secret - plain if len(text) >= 8})


def leaks(text: str, secrets: frozenset[str]) -> list[str]:
    """Secrets found in `text`: as written, JSON- or XML-escaped, or folded across table lines."""
    flat = BOX.sub("", text)
    found = []
    for secret in secrets:
        forms = {secret, json.dumps(secret)[1:-1], html.escape(secret), html.escape(secret, quote=False)}
        if any(form in text for form in forms) or BOX.sub("", secret) in flat:
            found.append(secret[:40])
    return found


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The CLI in-process."""
    result = CliRunner().invoke(cli.app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command plans through the cache."""
    for module in (cli, check_module, diff_stackfiles, plan_module):
        monkeypatch.setattr(module, "plan_stack", cached_plan_stack)


# --- the scan finds secrets when masking is off; the cache changes nothing ------------------------------------


def test_the_scan_catches_output_with_masking_off(cached: None, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run("plan", "acme-staging", "--format", "json", "--no-preview")
    assert code in (0, 1) and not leaks(out, secrets_of("acme-staging")) and "[secret]" in out
    monkeypatch.setattr(plan_module, "mask", lambda value, secrets: value)
    code, out, _ = run("plan", "acme-staging", "--format", "json", "--no-preview")
    assert leaks(out, secrets_of("acme-staging"))


def test_the_cached_path_prints_what_a_real_run_prints(cached: None) -> None:
    cached_out = run("plan", "acme-staging", "--format", "json", "--no-preview")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "plan_stack", _real_plan_stack)
        real_out = run("plan", "acme-staging", "--format", "json", "--no-preview")
    assert real_out == cached_out


# --- plan, check and the stack outputs, one test per stack (each stack planned once per mode) ----------------


def assert_secrets_are_real(stack: str) -> None:
    """Each secret is in the raw capture; the pre-shared keys are among them."""
    secrets = secrets_of(stack)
    raw = json.dumps([[r.inputs, r.outputs] for r in planned(stack, False).capture.resources])
    assert secrets and all(json.dumps(secret)[1:-1] in raw for secret in secrets)
    psks = [s for s in secrets if s.startswith(("offline_secret_", "generated_"))]
    assert len(psks) >= 2, secrets  # two tunnels per link at least
    if stack == "acme-prod":  # configured in the stack file (secure:)
        assert {s for s in secrets if s.startswith("offline_secret_")} == set(planned(stack, False).secrets())


def assert_plain_outputs_hold_no_secret(stack: str, secrets: frozenset[str]) -> None:
    """Every stack output not itself secret holds neither a secret wrapper nor a secret's text."""
    plan = planned(stack, False)
    outputs = next(r for r in plan.capture.resources if r.type == STACK_TYPE).outputs
    assert outputs == plan.capture.outputs
    plain = {key: value for key, value in outputs.items()
             if not (isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG)}
    assert plain, outputs
    for key, value in plain.items():
        assert not list(_wrapped(value)), key  # `pulumi stack output` would show it
        assert not leaks(json.dumps(value), secrets), key
    if plan.config.vpn is not None:  # the device configurations hold the pre-shared keys: a secret output
        assert "vpnDeviceConfigurations" in outputs and "vpnDeviceConfigurations" not in plain


def as_state_resource(r: CapturedResource, style: str) -> dict[str, Any]:
    """A captured resource as `pulumi stack export` writes it; secrets as `value` (decrypted in memory),
    `plaintext` (`--show-secrets`) or `ciphertext` (the default)."""
    def secrets(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get(SECRET_SIG_KEY) == SECRET_SIG and style != "value":
                inner = {"plaintext": json.dumps(value.get("value"))} if style == "plaintext" else {
                    "ciphertext": CIPHERTEXT}
                return {SECRET_SIG_KEY: SECRET_SIG, **inner}
            return {k: secrets(v) for k, v in value.items()}
        if isinstance(value, list):
            return [secrets(v) for v in value]
        return value

    doc: dict[str, Any] = {"urn": r.urn, "custom": r.custom, "type": r.type, "inputs": secrets(r.inputs),
                           "outputs": secrets(r.outputs), "protect": r.protect, "dependencies": r.dependencies,
                           "propertyDependencies": r.property_dependencies}
    for key, value in (("id", r.id), ("parent", r.parent), ("provider", r.provider),
                       ("retainOnDelete", r.retain_on_delete), ("external", r.external)):
        if value:
            doc[key] = value
    return doc


def pulumi_files(stack: str, folder: Path) -> list[tuple[str, Path]]:
    """The plan as exports (three secret styles) and as a preview: (flag, file)."""
    resources = planned(stack, False).capture.resources
    files = []
    for style in ("value", "plaintext", "ciphertext"):
        path = folder / f"{stack}-{style}.json"
        path.write_text(json.dumps({"version": 3, "deployment": {
            "resources": [as_state_resource(r, style) for r in resources]}}))
        files.append(("--state", path))
    preview = folder / f"{stack}-preview.json"
    steps = [{"op": "create", "urn": r.urn, "newState": as_state_resource(r, "value")} for r in resources]
    preview.write_text(json.dumps({"steps": steps}))
    files.append(("--preview-json", preview))
    return files


@pytest.mark.parametrize("stack", WITH_SECRETS)
def test_plan_check_and_outputs_print_no_secret(stack: str, cached: None, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert_secrets_are_real(stack)
    secrets = secrets_of(stack) | {CIPHERTEXT}
    assert_plain_outputs_hold_no_secret(stack, secrets)
    for preview in ("--preview", "--no-preview"):
        for output in ("text", "json"):
            code, out, err = run("plan", stack, preview, "--format", output)
            assert code in (0, 1), err
            assert not leaks(out + err, secrets), ("plan", preview, output)
        for output in ("text", "json", "sarif", "junit"):
            code, out, err = run("check", stack, preview, "--format", output)
            assert code in (0, 1), err
            assert not leaks(out + err, secrets), ("check", preview, output)
    checked: dict[tuple[str, str, str | None], CheckResult] = {}

    def cached_check_file(path: Path, kind: str, *, stack: str | None = None, **kw: Any) -> CheckResult:
        key = (str(path), kind, stack)
        if key not in checked:  # the pack runs once per file and stack; each format renders that result
            checked[key] = check_file(path, kind, stack=stack, **kw)
        return checked[key]

    monkeypatch.setattr(cli, "check_file", cached_check_file)
    for flag, path in pulumi_files(stack, tmp_path):
        for named in ((), ("--stack", stack)):
            for output in ("text", "json", "sarif", "junit"):
                code, out, err = run("check", flag, str(path), *named, "--format", output)
                assert code in (0, 1), err
                assert not leaks(out + err, secrets), (path.name, named, output)
    assert len(checked) == 8


@pytest.mark.parametrize("stack", [s for s in ALL_STACKS if s not in WITH_SECRETS])
def test_account_stack_outputs_hold_no_secret(stack: str) -> None:
    assert not planned(stack, False).secrets()
    assert not list(_wrapped(planned(stack, False).capture.outputs))
    assert_plain_outputs_hold_no_secret(stack, secrets_of("acme-staging"))


def test_every_stack_is_scanned() -> None:
    assert set(ALL_STACKS) == set(load_project().stacks())


# --- diff ----------------------------------------------------------------------------------------------------


def test_diff_prints_no_secret(cached: None, tmp_path: Path) -> None:
    """acme-prod with a service scaled and one pre-shared key rotated (a new ciphertext, the same stand-in)."""
    assert run("diff", "--help")[0] == 0
    doc = yaml.safe_load((PROJECT_ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    doc["config"]["connect:services"][0]["capacity"]["max"] += 1
    doc["config"]["connect:vpnPskSantiago1"] = {"secure": "v1:cm90YXRlZC1rZXk="}
    changed = tmp_path / "Pulumi.acme-prod.yaml"
    changed.write_text(yaml.safe_dump(doc, sort_keys=False))
    secrets = secrets_of("acme-prod")
    for output in ("text", "json", "markdown"):
        code, out, err = run("diff", "acme-prod", str(changed), "--format", output)
        assert code in (0, 1), err
        assert not leaks(out + err, secrets), output
        assert "[secret]" in out, output  # the rotated key shows as a changed secret, masked


# --- audit ---------------------------------------------------------------------------------------------------


def test_audit_prints_no_secret(seed: moto_seed.Seed, tmp_path: Path) -> None:
    """The outputs file as `pulumi stack output --json --show-secrets` writes it: the device configuration in
    plaintext. The audit reads the stack file too (its `secure:` pre-shared keys)."""
    psk = "s3cr3t_psk_from_the_outputs"
    device = f"<vpn_connection><pre_shared_key>{psk}</pre_shared_key></vpn_connection>"
    outputs = {**seed.prod.outputs("acme", "prod"), "vpnDeviceConfigurations": {"dc-santiago": device}}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    secrets = frozenset({device, psk, *(stand_in(key) for key in ("connect:vpnPskSantiago1",
                                                                 "connect:vpnPskSantiago2"))})
    env = aws_env()
    for broken in (False, True):
        for output in ("text", "json", "sarif"):
            args = ("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--outputs", str(path), "--format", output)
            if broken:
                with moto_seed.broken(seed, "payments-api"):
                    code, out, err = run(*args, env=env)
            else:
                code, out, err = run(*args, env=env)
            assert code == (1 if broken else 0), err
            assert not leaks(out + err, secrets), (broken, output)
