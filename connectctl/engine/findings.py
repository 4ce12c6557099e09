"""Deploy errors the engine finds before the pack runs: what `pulumi up` or AWS itself would refuse.

Two producers share this shape: the provider's Check (`provider_check`: property names, required
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
