"""`connectctl check`: the policy pack's verdict on a stack, from our offline plan or from Pulumi's own files.

Three sources, one result:

- a stack (`check acme-prod`, `check --config-file PATH`): the same run as `connectctl plan`;
- `--state FILE`: the output of `pulumi stack export` (deployment version 3), what a stack holds now;
- `--preview-json FILE`: the output of `pulumi preview --json`, what an update would leave (the `newState`
  of every step that keeps or makes a resource; `delete` steps have none and are skipped).

State and preview files become the same `CapturedResource` list the plan builds, so `analyze()` runs the
real pack over them. Their values are brought into the shape the engine hands the pack: secrets stay
wrapped (ciphertext becomes `[secret]`: it cannot be decrypted offline), resource references become the
ID or URN, output values their value (or unknown). A file that is not what it should be raises
`CheckInputError` naming the file and what was expected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.config import StackConfig
from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY, CapturedResource
from connectctl.engine.findings import ByLevel, Violation
from connectctl.engine.project import Project, StackFile, load_project, load_stack
from connectctl.packconfig import PackConfigSource
from connectctl.plan import SECRET, as_violation, mask, pack_config_for, plan_stack, strings_in, validate

STATE_EXPECTED = ('the output of `pulumi stack export`: a JSON object {"version": 3, "deployment": '
                  '{"resources": [...]}}')
PREVIEW_EXPECTED = 'the output of `pulumi preview --json`: a JSON object with a "steps" list'
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown string, as plans hold it
SKIPPED_OPS = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"})
READ_OPS = frozenset({"read", "read-replacement", "read-discard"})
HUGE_NUMBER = re.compile(r"\d{4301,}")


class CheckInputError(Exception):
    """A state or preview file that cannot be checked; the message names the file and what was expected."""


@dataclass
class CheckResult(ByLevel):
    """What the pack says about one stack's resources, with everything needed to report it.

    `violations` are already masked; `stack_file`/`config` are set when the stack file is known (they
    place findings on the lines of the config entries that produced them). `pack` names the pack config
    `pack_config` came from, for every report.
    """

    project: str
    stack: str
    source: str  # "plan", "state" or "preview"
    source_file: str
    resources: list[CapturedResource]
    violations: list[Violation]
    pack_config: dict[str, Any] | None
    stack_file: StackFile | None = None
    config: StackConfig | None = None
    secrets: set[str] = field(default_factory=set)
    pack: PackConfigSource = field(default_factory=PackConfigSource)


def _masked(violations: list[Violation], secrets: set[str]) -> list[Violation]:
    ordered = sorted(violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn, v.message))
    return [Violation(**mask(v.as_dict(), secrets)) for v in ordered]


def check_stack(stack: str | None = None, *, config_file: Path | None = None, preview: bool = True,
                project: Project | None = None, account_file: Path | None = None) -> CheckResult:
    """`check STACK`: the plan's run (program under mocks, then the pack), reported as a check."""
    plan = plan_stack(stack, config_file=config_file, preview=preview, project=project, account_file=account_file)
    secrets = plan.secrets()
    return CheckResult(
        project=plan.capture.project,
        stack=plan.capture.stack,
        source="plan",
        source_file=plan.stack_file.display_path,
        resources=plan.resources,
        violations=_masked(plan.violations, secrets),
        pack_config=plan.pack_config,
        stack_file=plan.stack_file,
        config=plan.config,
        secrets=secrets,
        pack=plan.pack,
    )


def check_file(
    path: Path, kind: str, *, stack: str | None = None, config_file: Path | None = None,
    project: Project | None = None,
) -> CheckResult:
    """`check --state FILE` (kind "state") or `check --preview-json FILE` (kind "preview").

    With a stack (name or stack file) the stack's pack config applies (`pack_config_for`) and findings are
    placed on its lines; without one, the pack runs with its defaults and findings are placed at `__main__.py`.
    """
    from connectctl.engine import aws_rules, provider_check
    from connectctl.engine.analyzer import analyze

    stack_file: StackFile | None = None
    config: StackConfig | None = None
    pack_config: dict[str, Any] | None = None
    source = PackConfigSource()
    secrets: set[str] = set()
    if stack is not None or config_file is not None:
        project = project or load_project()
        stack_file = load_stack(project, stack, config_file)
        config = validate(stack_file)
        pack_config, source = pack_config_for(project, stack_file, config)
        secrets = {s for key in stack_file.secret_keys for s in strings_in(stack_file.config.get(key)) if s}
    plaintexts: set[str] = set()
    expected = STATE_EXPECTED if kind == "state" else PREVIEW_EXPECTED
    try:
        resources = load_state(path, plaintexts) if kind == "state" else load_preview(path, plaintexts)
    except RecursionError:
        raise CheckInputError(f"{path}: values nested too deeply; expected {expected}") from None
    secrets |= plaintexts
    first = next((r.urn for r in resources), "")
    stack_name, project_name = _urn_stack_project(first)
    if stack_file is not None and first and (stack_name, project_name) != (stack_file.stack, stack_file.project.name):
        raise CheckInputError(f"{path}: its resources belong to stack {_cut(project_name)}/{_cut(stack_name)}, not to "
                              f"{stack_file.project.name}/{stack_file.stack} ({stack_file.display_path}); check it "
                              f"with that stack's file, or without one")
    try:
        # The same engine checks as a plan: what the provider's Check and AWS refuse, judged on what the stack holds.
        errors = provider_check.check_resources(resources)
        if config is not None:
            errors += aws_rules.check_resources(resources, region=config.region, account_id=config.tenant.account_id)
        violations = analyze(resources, pack_config) + [as_violation(e) for e in errors]
    except Exception as exc:  # a rule tripping over values no program of ours would produce
        raise CheckInputError(f"{path}: the policy pack could not evaluate these resources "
                              f"({type(exc).__name__}: {mask(str(exc), secrets)}); expected {expected}") from None
    return CheckResult(
        project=project_name or (stack_file.project.name if stack_file else ""),
        stack=stack_name or (stack_file.stack if stack_file else path.stem),
        source=kind,
        source_file=str(path),
        resources=resources,
        violations=_masked(violations, secrets),
        pack_config=pack_config,
        stack_file=stack_file,
        config=config,
        secrets=secrets,
        pack=source,
    )


def _cut(text: str, limit: int = 80) -> str:
    """A value from the file, cut short for a message: one huge URN must not flood the report."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _urn_stack_project(urn: str) -> tuple[str, str]:
    parts = urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        return "", ""
    return parts[0][len("urn:pulumi:"):], parts[1]


def _read_json(path: Path, expected: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckInputError(f"{path}: no such file; expected {expected}") from None
    except IsADirectoryError:
        raise CheckInputError(f"{path}: is a directory; expected {expected}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckInputError(f"{path}: cannot be read ({exc}); expected {expected}") from None
    if not text.strip():
        raise CheckInputError(f"{path}: the file is empty; expected {expected}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        ended = " (the file ends early: truncated?)" if exc.pos >= len(text.rstrip()) else ""
        raise CheckInputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}{ended}; "
                              f"expected {expected}") from None
    except ValueError:  # Python refuses integers of more than 4300 digits (no JSONDecodeError, no position)
        found = HUGE_NUMBER.search(text)
        at = f":{text.count(chr(10), 0, found.start()) + 1}" if found else ""
        raise CheckInputError(f"{path}{at}: a number of more than 4300 digits; expected {expected}") from None
    except RecursionError:
        raise CheckInputError(f"{path}: JSON nested too deeply; expected {expected}") from None


def _json_kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def load_state(path: Path, plaintexts: set[str] | None = None) -> list[CapturedResource]:
    """Resources of a `pulumi stack export` file (version 3), pending deletions left out."""
    data = _read_json(path, STATE_EXPECTED)
    if not isinstance(data, dict):
        raise CheckInputError(f"{path}: the file holds {_json_kind(data)}; expected {STATE_EXPECTED}")
    if "steps" in data and "deployment" not in data:
        raise CheckInputError(f"{path}: this is `pulumi preview --json` output (it has \"steps\"): pass it with "
                              f"--preview-json; --state expected {STATE_EXPECTED}")
    if "version" not in data:
        raise CheckInputError(f"{path}: no \"version\"; expected {STATE_EXPECTED}")
    version = data["version"]
    if version != 3 or isinstance(version, bool):
        raise CheckInputError(f"{path}: deployment version {_cut(json.dumps(version))} is not supported; expected "
                              f"{STATE_EXPECTED} (Pulumi 3 exports version 3)")
    deployment = data.get("deployment")
    if not isinstance(deployment, dict):
        shown = "missing" if deployment is None else _json_kind(deployment)
        raise CheckInputError(f"{path}: \"deployment\" is {shown}; expected {STATE_EXPECTED}")
    entries = deployment.get("resources")
    if entries is None:
        return []  # an empty stack exports no resources at all
    if not isinstance(entries, list):
        raise CheckInputError(f"{path}: deployment.resources is {_json_kind(entries)}; expected a list of "
                              f"resources in {STATE_EXPECTED}")
    found: dict[str, CapturedResource] = {}
    for index, entry in enumerate(entries):
        where = f"{path}: deployment.resources[{index}]"
        if isinstance(entry, dict) and entry.get("delete") is True:
            continue  # pending deletion: the engine deletes it, the pack does not see it
        resource = _resource(entry, where, STATE_EXPECTED, plaintexts)
        found[resource.urn] = resource
    return list(found.values())


def load_preview(path: Path, plaintexts: set[str] | None = None) -> list[CapturedResource]:
    """Resources a `pulumi preview --json` would leave: each step's `newState`, deletions skipped."""
    data = _read_json(path, PREVIEW_EXPECTED)
    if not isinstance(data, dict):
        raise CheckInputError(f"{path}: the file holds {_json_kind(data)}; expected {PREVIEW_EXPECTED}")
    if "steps" not in data:
        hint = (" (this is `pulumi stack export` output: pass it with --state)"
                if "deployment" in data else "")
        raise CheckInputError(f"{path}: no \"steps\"{hint}; expected {PREVIEW_EXPECTED}")
    steps = data["steps"]
    if not isinstance(steps, list):
        raise CheckInputError(f"{path}: \"steps\" is {_json_kind(steps)}; expected {PREVIEW_EXPECTED}")
    found: dict[str, CapturedResource] = {}
    for index, step in enumerate(steps):
        where = f"{path}: steps[{index}]"
        if not isinstance(step, dict):
            raise CheckInputError(f"{where} is {_json_kind(step)}; expected a step object "
                                  f'{{"op", "urn", "newState"}} of {PREVIEW_EXPECTED}')
        op = step.get("op")
        if not isinstance(op, str):
            raise CheckInputError(f"{where}: \"op\" is {_json_kind(op)}; expected a string such as "
                                  f"\"create\" or \"same\" in {PREVIEW_EXPECTED}")
        state = step.get("newState")
        if op in SKIPPED_OPS or state is None:
            continue
        resource = _resource(state, f"{where}.newState", PREVIEW_EXPECTED, plaintexts)
        resource.external = resource.external or op in READ_OPS
        found[resource.urn] = resource  # a replacement's later step wins
    return list(found.values())


def _resource(entry: Any, where: str, expected: str, plaintexts: set[str] | None) -> CapturedResource:
    """One resource document (apitype ResourceV3) as the engine records it, its shape checked."""
    if not isinstance(entry, dict):
        raise CheckInputError(f"{where} is {_json_kind(entry)}; expected a resource object in {expected}")

    def field_of(key: str, kind: type, default: Any, required: bool = False) -> Any:
        if key not in entry or entry[key] is None:
            if required:
                raise CheckInputError(f"{where}: \"{key}\" is missing; expected a resource with \"urn\" and "
                                      f"\"type\" in {expected}")
            return default
        value = entry[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            wanted = {str: "a string", bool: "a boolean", dict: "an object", list: "a list"}[kind]
            raise CheckInputError(f"{where}: \"{key}\" is {_json_kind(value)}; expected {wanted} in {expected}")
        return value

    urn = field_of("urn", str, "", required=True)
    stack, project = _urn_stack_project(urn)
    if not stack or not project:
        raise CheckInputError(f"{where}: \"urn\" {_cut(repr(urn))} is not a Pulumi URN "
                              f"(urn:pulumi:STACK::PROJECT::TYPE::NAME); expected {expected}")
    type_ = field_of("type", str, "", required=True)
    dependencies = field_of("dependencies", list, [])
    property_dependencies = field_of("propertyDependencies", dict, {})
    ignore_changes = field_of("ignoreChanges", list, [])
    for key, values in (("dependencies", dependencies), ("ignoreChanges", ignore_changes)):
        if not all(isinstance(d, str) for d in values):
            raise CheckInputError(f"{where}: \"{key}\" must list strings; expected {expected}")
    for key, urns in property_dependencies.items():
        if not isinstance(urns, list) or not all(isinstance(d, str) for d in urns):
            raise CheckInputError(f"{where}: propertyDependencies.{_cut(key)} must list URN strings; "
                                  f"expected {expected}")
    secrets = plaintexts if plaintexts is not None else set()
    return CapturedResource(
        urn=urn,
        type=type_,
        name=urn.split("::", 3)[3],
        custom=field_of("custom", bool, False),
        parent=field_of("parent", str, ""),
        provider=field_of("provider", str, ""),
        protect=field_of("protect", bool, False),
        retain_on_delete=field_of("retainOnDelete", bool, False),
        dependencies=list(dependencies),
        property_dependencies={k: list(v) for k, v in property_dependencies.items()},
        inputs=_engine_value(field_of("inputs", dict, {}), secrets),
        outputs=_engine_value(field_of("outputs", dict, {}), secrets),
        id=field_of("id", str, ""),
        external=field_of("external", bool, False),
        ignore_changes=list(ignore_changes),
    )


def _secret_texts(value: Any) -> set[str]:
    """Texts a report must not print for a secret value: its strings, and those of JSON inside them
    (provider inputs such as `allowedAccountIds` are JSON text)."""
    found: set[str] = set()
    for text in strings_in(value):
        found.add(text)
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError, as is a 5000-digit number
            continue
        if isinstance(decoded, dict | list):
            found |= _secret_texts(decoded)
    return {text for text in found if len(text) >= 4}  # shorter ones would blank out unrelated text


def _engine_value(value: Any, plaintexts: set[str]) -> Any:
    """A stored property value as the engine hands it to the pack (which only knows plain values,
    secrets, assets and archives)."""
    if isinstance(value, list):
        return [_engine_value(v, plaintexts) for v in value]
    if not isinstance(value, dict):
        return value
    sig = value.get(SECRET_SIG_KEY)
    if sig == SECRET_SIG:
        if "value" in value:
            inner = value["value"]
        elif isinstance(value.get("plaintext"), str):  # `pulumi stack export --show-secrets`
            try:
                inner = json.loads(value["plaintext"])
            except (ValueError, RecursionError):  # not JSON (or a 5000-digit number): the text itself
                inner = value["plaintext"]
        else:  # ciphertext: it stays a secret offline
            inner = SECRET
        if inner != SECRET:
            plaintexts.update(_secret_texts(inner))
        return {SECRET_SIG_KEY: SECRET_SIG, "value": _engine_value(inner, plaintexts)}
    if sig in (ASSET_SIG, ARCHIVE_SIG):
        if any(key in value for key in ("path", "text", "uri", "assets")):
            return {k: _engine_value(v, plaintexts) if k == "assets" else v for k, v in value.items()}
        return {k: v for k, v in value.items() if k != SECRET_SIG_KEY}  # only a hash: nothing to read
    if sig == RESOURCE_REFERENCE_SIG:
        reference_id = value.get("id")
        return reference_id if isinstance(reference_id, str) and reference_id else value.get("urn", "")
    if sig == OUTPUT_VALUE_SIG:
        inner = _engine_value(value["value"], plaintexts) if "value" in value else UNKNOWN_VALUE
        return {SECRET_SIG_KEY: SECRET_SIG, "value": inner} if value.get("secret") is True else inner
    return {k: _engine_value(v, plaintexts) for k, v in value.items() if k != SECRET_SIG_KEY}
