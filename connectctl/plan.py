"""`connectctl plan`: the offline plan of one stack, with the policy pack's verdict.

Steps, as `pulumi preview --policy-pack policies` takes them: read the project and the stack file
(CLI checks), validate our config (the same model the program uses), run the real program under
AWS-shaped mocks, then run the real pack over what it registered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.config import StackConfig, StackConfigError, parse_stack_config
from connectctl.engine.capture import CapturedResource
from connectctl.engine.findings import ByLevel, EngineError, Violation
from connectctl.engine.project import Project, ProjectError, StackFile, load_project, load_stack
from connectctl.engine.runner import Capture, main_program, run_program
from connectctl.engine.sdk import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_SENTINELS
from connectctl.packconfig import PackConfigSource, merged, stack_settings

UNKNOWN = "[unknown]"
SECRET = "[secret]"


class ConfigReport(Exception):
    """A stack file that fails validation, with line numbers added for the user."""


@dataclass
class Plan(ByLevel):
    """A stack's offline plan: what it declares and what the pack says about it."""

    stack_file: StackFile
    config: StackConfig
    capture: Capture
    violations: list[Violation]
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[EngineError] = field(default_factory=list)
    """What the provider's Check or AWS would refuse (connectctl/engine/findings.py); each is also a violation."""
    pack_config: dict[str, Any] | None = None
    """The pack config the pack ran with (`pack_config_for`)."""
    pack: PackConfigSource = field(default_factory=PackConfigSource)
    """Which pack config that was, as every report names it."""

    @property
    def resources(self) -> list[CapturedResource]:
        """Registered resources, the stack first, then by URN (registration order is not stable)."""
        return sorted(self.capture.resources, key=lambda r: (r.type != "pulumi:pulumi:Stack", r.urn))

    def secrets(self) -> set[str]:
        """Secret values a report must never print (stand-ins offline, real values under the CLI)."""
        return _secret_texts(self.stack_file)

    def as_json(self) -> dict[str, Any]:
        """The documented JSON document of `connectctl plan --format json`, secrets masked."""
        secrets = self.secrets()
        resources = [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "provider": r.provider,
                "custom": r.custom,
                "protect": r.protect,
                "retainOnDelete": r.retain_on_delete,
                "dependencies": sorted(r.dependencies),
                "propertyDependencies": {
                    k: sorted(r.property_dependencies[k]) for k in sorted(r.property_dependencies)
                },
                "inputs": mask(r.inputs, secrets),
                "outputs": mask(r.outputs, secrets),
            }
            for r in self.resources
        ]
        return {
            "project": self.capture.project,
            "stack": self.capture.stack,
            "preview": self.capture.preview,
            "packConfig": self.pack.as_json(),
            "resources": resources,
            "outputs": mask(self.capture.outputs, secrets),
            "violations": [mask(v.as_dict(), secrets) for v in sorted(self.violations, key=_violation_order)],
            "errors": [mask(e.as_dict(), secrets) for e in self.errors],
            "summary": {
                "resources": len(resources),
                "mandatory": len(self.mandatory),
                "advisory": len(self.advisory),
                "providerCheck": sum(e.check == PROVIDER_CHECK for e in self.errors),
                "awsRules": sum(e.check.startswith(AWS_RULE) for e in self.errors),
            },
        }


PROVIDER_CHECK, AWS_RULE = "provider-check", "aws-rule:"


def value_sources(stack_file: StackFile) -> Callable[[object], str]:
    """Where a value came from: `stacks/Pulumi.x.yaml:42 (connect:vpn.connections[0].peerIp)`, or "".

    Every plain (non-secret) scalar of the stack file is indexed by its text, so an error on a resource
    input that holds a stack-file value points at the line to change. A value written in several places
    names the first.
    """
    index: dict[str, str] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(item, f"{path}[{position}]")
        elif value is not None and not isinstance(value, bool):
            index.setdefault(_text(value), path)

    for key, value in stack_file.config.items():
        if key not in stack_file.secret_keys:
            walk(value, key)

    def source(value: object) -> str:
        path = index.get(_text(value))
        if path is None:
            return ""
        line = stack_file.line_of(path)
        return f"{stack_file.display_path}:{line} ({path})" if line else f"{stack_file.display_path} ({path})"

    return source


def _text(value: object) -> str:
    """Numbers arrive from the engine as floats: 3.0 and 3 are the same stack-file value."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def engine_errors(capture: Capture, stack_file: StackFile, cfg: StackConfig) -> list[EngineError]:
    """The provider's Check and the AWS rules over every registered resource (connectctl/engine/)."""
    from connectctl.engine import aws_rules, provider_check  # here: they import this module's sentinels

    errors = provider_check.check_resources(capture.resources, value_sources(stack_file))
    errors += aws_rules.check_resources(capture.resources, region=cfg.region, account_id=cfg.tenant.account_id)
    return errors


def as_violation(error: EngineError) -> Violation:
    """An engine error in the pack's finding shape: mandatory, never waivable, in every report and exit code."""
    where = f" [{error.source}]" if error.source else ""
    path = f"{error.path}: " if error.path else ""
    return Violation(policy=error.check, level="mandatory", severity="critical", owner="platform", urn=error.urn,
                     message=f"{path}{error.message}{where}")


def _secret_texts(stack_file: StackFile) -> set[str]:
    found: set[str] = set()
    for key in stack_file.secret_keys:
        found |= set(strings_in(stack_file.config.get(key)))
    return {s for s in found if s}


def _violation_order(v: Violation) -> tuple[bool, str, str, str]:
    return (v.level != "mandatory", v.policy, v.urn, v.message)


def strings_in(value: Any) -> list[str]:
    """Every string in a value (nested dicts and lists), in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def mask(value: Any, secrets: set[str]) -> Any:
    """Replace secret-wrapped values and any configured secret text; show unknowns as `[unknown]`."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return SECRET
        return {k: mask(value[k], secrets) for k in sorted(value)}  # sorted: byte-identical plans
    if isinstance(value, list):
        return [mask(v, secrets) for v in value]
    if isinstance(value, str):
        if value in UNKNOWN_SENTINELS:
            return UNKNOWN
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, SECRET)
    return value


MAX_SHOWN_ISSUES = 100  # problems printed per stack file; the count says how many there are


def validate(stack_file: StackFile) -> StackConfig:
    """Our typed config check, reported with the stack file's line numbers."""
    try:
        return parse_stack_config(stack_file.config, stack_file.display_path, stack_file.secret_keys)
    except StackConfigError as exc:
        lines = [f"{exc.source}: invalid stack configuration ({len(exc.issues)} problem(s))"]
        for issue in exc.issues[:MAX_SHOWN_ISSUES]:
            line = stack_file.line_of(issue.path)
            where = f"{stack_file.display_path}:{line}: " if line else ""
            lines.append(f"  {where}{issue.path}: {issue.message}")
        if len(exc.issues) > MAX_SHOWN_ISSUES:  # a pasted list repeated hundreds of times must not flood the terminal
            lines.append(f"  ... and {len(exc.issues) - MAX_SHOWN_ISSUES} more: fix these first, then plan again")
        raise ConfigReport("\n".join(lines)) from None


def _account_candidates(project: Project, stack_file: StackFile, cfg: StackConfig) -> list[Path]:
    """Where the account stack file of an environment is looked for: beside it, then in the project."""
    beside = stack_file.path.parent / f"Pulumi.{cfg.account_stack}.yaml"
    in_project = project.stack_file(cfg.account_stack)
    same = beside.resolve() == in_project.resolve()
    return [in_project] if same else [beside, in_project]


def account_stack_file(project: Project, stack_file: StackFile, cfg: StackConfig,
                       account_file: Path | None = None) -> tuple[StackFile, StackConfig]:
    """The client's account stack file, read and validated: the one the environment's `StackReference` names.

    `account_file` (`--account-file PATH`) when given; else `Pulumi.<client>-account.yaml` beside the
    environment's stack file, then in the project's stack config directory. Beside first, because a new
    client's files are planned where `connectctl new --dir` wrote them, before they are committed to
    stacks/ (and an edited copy of a committed environment still finds its committed account stack).
    The file is read as the stack `<client>-account` whatever it is called, and must be that client's
    account stack: it stands in for `<organization>/connect/<client>-account`. Errors name both files.
    """
    lead = (f"{stack_file.display_path}: its services pull from the account stack {cfg.account_stack!r}"
            if cfg.services else f"{stack_file.display_path}: its account stack {cfg.account_stack!r}")
    if account_file is not None:
        path, given = account_file, f"--account-file {account_file}"
    else:
        candidates = _account_candidates(project, stack_file, cfg)
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            known = ", ".join(project.stacks()) or "none"
            relative = _relative(project, candidates[-1])
            beside = (f"no stack file {candidates[0].name} beside it (in {candidates[0].parent}) and "
                      if len(candidates) > 1 else "")
            raise ConfigReport(f"{lead}, which cannot be read: {beside}no stack file {relative} for stack "
                               f"{cfg.account_stack!r}; stacks: {known}; or give the file with --account-file PATH")
        path, given = found, ""
    try:
        account_file_read = load_stack(project, cfg.account_stack, path)
    except ProjectError as exc:
        flag = "--account-file " if account_file is not None else ""
        raise ConfigReport(f"{lead}, which cannot be read: {flag}{exc}") from None
    account = validate(account_file_read)
    if not account.is_account or account.tenant.client != cfg.tenant.client:
        what = "an environment stack" if not account.is_account else f"the account stack of {account.tenant.client!r}"
        raise ConfigReport(f"{lead}: {given or account_file_read.display_path} is {what}; allowed: the account "
                           f"stack of {cfg.tenant.client!r} (connect:tenant.scope: account, client: "
                           f"{cfg.tenant.client})")
    return account_file_read, account


def _relative(project: Project, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def account_outputs(project: Project, stack_file: StackFile, cfg: StackConfig,
                    account_file: Path | None = None) -> dict[str, Any]:
    """Resolve the environment's `StackReference` offline: plan the client's account stack file.

    Also checks what `pulumi up` would only find out later: every repository a service pulls from
    is declared in the account stack. Errors name both files. `account_file`: see `account_stack_file`.
    """
    account_file_read, account = account_stack_file(project, stack_file, cfg, account_file)
    declared = set(account.registry.repositories) if account.registry else set()
    problems = []
    for index, service in enumerate(cfg.services):
        if service.image.repository not in declared:
            path = f"connect:services[{index}].image.repository"
            line = stack_file.line_of(path)
            where = f"{stack_file.display_path}:{line}: " if line else ""
            problems.append(f"  {where}{path}: {service.image.repository!r} is not declared in "
                            f"{account_file_read.display_path} (connect:registry.repositories); allowed: "
                            f"{', '.join(sorted(declared)) or 'none declared'}")
    if problems:  # a repository name held in a `secure:` value is still a secret: masked like every report
        secrets = _secret_texts(stack_file)
        raise ConfigReport(mask("\n".join([f"{stack_file.display_path}: invalid stack configuration", *problems]),
                                secrets))
    capture = run_program(
        main_program(project.main), project=project.name, stack=account_file_read.stack,
        config=account_file_read.program_config(), secret_keys=account_file_read.secret_keys, preview=False,
        region=account.region, account_id=account.tenant.account_id, root=project.root,
    )
    return dict(capture.outputs)


def stack_references(project: Project, stack_file: StackFile, cfg: StackConfig,
                     account_file: Path | None = None) -> dict[str, dict[str, Any]]:
    """The stack references the program reads, resolved offline (`plan_stack`, `capacity`).

    Only an environment with services reads its account stack. A given `--account-file` is checked even
    when nothing reads it (a wrong file named on the command line is an error, not silently unused).
    """
    if account_file is not None and cfg.is_account:
        raise ConfigReport(f"--account-file {account_file}: {stack_file.display_path} is itself an account stack; "
                           "allowed: --account-file with an environment stack only")
    if cfg.services:
        return {cfg.account_stack_reference: account_outputs(project, stack_file, cfg, account_file)}
    if account_file is not None:
        account_stack_file(project, stack_file, cfg, account_file)
    return {}


def pack_config_path(project: Project, stack: str) -> Path:
    """Per-stack pack config, used automatically (and passed to `pulumi preview --policy-pack-config`)."""
    return project.stack_config_dir / f"policy.{stack}.json"


def pack_config_file(project: Project, stack_file: StackFile) -> Path:
    """The pack config of a stack file: `policy.<stack>.json` beside it, else in the project's stack config dir.

    Beside first, for the same reason as the account stack: a stack file planned from elsewhere
    (`--config-file`, a new client's directory) brings its own pack config. For a stack of the project
    both are the same file.
    """
    beside = stack_file.path.parent / f"policy.{stack_file.stack}.json"
    return beside if beside.is_file() else pack_config_path(project, stack_file.stack)


def pack_config_for(project: Project, stack_file: StackFile, cfg: StackConfig) -> tuple[dict[str, Any],
                                                                                          PackConfigSource]:
    """The pack config a stack is judged with, and which it is: the stack's settings, derived from its stack file
    (`connectctl/packconfig.py`), with `policy.<stack>.json` (`pack_config_file`) merged over them when there is
    one. A missing file changes nothing; a file that contradicts the stack file is a `PackConfigError`."""
    from connectctl.engine.analyzer import load_pack_config

    settings = stack_settings(cfg)
    path = pack_config_file(project, stack_file)
    user = load_pack_config(path)
    if user is None:
        return settings, PackConfigSource(derived_from=stack_file.display_path)
    shown = _relative(project, path)
    return merged(settings, user, shown, stack_file.display_path), PackConfigSource(shown, stack_file.display_path)


def plan_stack(
    stack: str | None = None,
    *,
    config_file: Path | None = None,
    preview: bool = True,
    project: Project | None = None,
    pack_config: dict[str, Any] | None = None,
    blackout: str | None = None,
    account_file: Path | None = None,
) -> Plan:
    """Plan one stack (by name or by stack file path) and run the pack over it.

    `blackout`: a region whose answers are all marked (connectctl/engine/blackout.py), for the DR proof.
    `account_file`: the environment's account stack file (`--account-file`); default: found beside the stack
    file, then in the project (`account_stack_file`). `pack_config`: used as given (tests, focused runs); default:
    the stack's own settings with its `policy.<stack>.json` over them (`pack_config_for`).
    """
    from connectctl.engine.analyzer import analyze

    project = project or load_project()
    stack_file = load_stack(project, stack, config_file)
    cfg = validate(stack_file)
    if pack_config is None:  # before the program runs: a pack config at odds with the stack file fails at once
        pack_config, source = pack_config_for(project, stack_file, cfg)
    else:
        source = PackConfigSource(file="(given by the caller)")
    started = time.perf_counter()
    references = stack_references(project, stack_file, cfg, account_file)
    referenced = time.perf_counter()
    capture = run_program(
        main_program(project.main),
        project=project.name,
        stack=stack_file.stack,
        config=stack_file.program_config(),
        secret_keys=stack_file.secret_keys,
        preview=preview,
        region=cfg.region,
        account_id=cfg.tenant.account_id,
        root=project.root,
        references=references,
        blackout=blackout,
    )
    ran = time.perf_counter()
    errors = engine_errors(capture, stack_file, cfg)
    checked = time.perf_counter()
    # As the engine does: a resource whose inputs the provider's Check refuses never reaches the analyzers.
    refused = {e.urn for e in errors if e.check == PROVIDER_CHECK}
    violations = analyze([r for r in capture.resources if r.urn not in refused] if refused else capture.resources,
                         pack_config)
    timings = {"references": referenced - started, "program": ran - referenced, "checks": checked - ran,
               "pack": time.perf_counter() - checked}
    return Plan(stack_file, cfg, capture, [*violations, *map(as_violation, errors)], timings, errors, pack_config,
                source)
