"""Entry point the Pulumi CLI runs: `python -m pulumi.policy <engine> policies`.

`PolicyPack(...)` starts the analyzer's gRPC server and blocks, so it is built only when this file
runs as the program; the rules themselves live in the importable `connect_guardrails` package.
"""

if __name__ == "__main__":
    from pulumi_policy import EnforcementLevel, PolicyPack

    from connect_guardrails import PACK_NAME
    from connect_guardrails.catalogue import policies

    PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.ADVISORY, policies=policies())
