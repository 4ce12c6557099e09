"""Connect guardrails: one small rule per module (`rules/`), listed in `catalogue.py`.

This package imports nothing from the Pulumi program: it judges what the engine shows it, so it
holds for any program that deploys into a tenant account.
"""

PACK_NAME = "connect-guardrails"
PACK_VERSION = "0.1.0"
