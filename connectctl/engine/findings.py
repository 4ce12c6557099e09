"""Findings: deploy errors the engine finds before the pack runs (what `pulumi up` or AWS itself would refuse),
and the pack's own findings (`Violation`), in a module without the SDK so reports load quickly.

Two producers share the engine's shape (`EngineError`): the provider's Check (`provider_check`: property names, required
inputs, types, enumerations, deprecations, as pulumi-aws validates inputs at `pulumi preview`) and
the AWS API rules that no schema states (`aws_rules`: each rule cites the AWS document it comes
from). Unlike the pack's findings they cannot be waived: a plan holding one fails (exit 1).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineError:
    """One input `pulumi up` (or AWS behind it) would refuse, or deploy broken.

    `check` is "provider-check" or "aws-rule:<rule id>"; `path` the property path inside the
    resource's inputs (`tunnel1IkeVersions[0]`, `policy.Statement[2].Resource`), empty for the whole
    resource; `message` says what is wrong and what is allowed; `source` where the value came from
    (`stacks/Pulumi.acme-prod.yaml:42 (connect:vpn.connections[0].ikeVersions)`), empty when unknown.
    """

    check: str
    urn: str
    path: str
    message: str
    source: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON form: `{"check", "urn", "path", "message", "source"}`."""
        return {"check": self.check, "urn": self.urn, "path": self.path, "message": self.message,
                "source": self.source}

    def __str__(self) -> str:
        where = f" [{self.source}]" if self.source else ""
        path = f" {self.path}:" if self.path else ""
        return f"{self.check}: {self.urn}{path} {self.message}{where}"


class PackConfigError(Exception):
    """The pack config does not match the pack's schema (the engine rejects it the same way)."""


@dataclass(frozen=True)
class Violation:
    """One finding, in the shape every report uses.

    Here and not in `analyzer` (which re-exports it): reports and commands name findings without loading the
    pack and the Pulumi SDK, so `connectctl --help` and the commands that do not plan start quickly.
    """

    policy: str
    level: str
    severity: str
    owner: str
    urn: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON form: `{"policy", "level", "severity", "owner", "urn", "message"}`."""
        return {"policy": self.policy, "level": self.level, "severity": self.severity,
                "owner": self.owner, "urn": self.urn, "message": self.message}


class ByLevel:
    """Findings split by level, for any result that holds `violations` (plans, checks)."""

    violations: list[Violation]

    @property
    def mandatory(self) -> list[Violation]:
        """Findings that fail `pulumi preview`/`up` (exit code 1)."""
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        """Findings that are reported but do not fail the run."""
        return [v for v in self.violations if v.level == "advisory"]

    @property
    def exempt(self) -> list[Violation]:
        """Findings a valid exemption waived: shown, never failing."""
        return [v for v in self.violations if v.level == "exempt"]
