"""Which region a planned resource lives in: the one provider-to-region rule every command uses.

A resource names its explicit provider by reference, `<provider urn>::<provider id>`; the provider's `region` input
says where it creates. A resource with no explicit provider (the default one), or whose provider has no `region`,
lives in the stack's region (`default`). The plan rules (engine/aws_rules.py) refine this for values AWS would
refuse (an unknown or malformed region) and reuse `provider_urn` for the lookup.
"""

from __future__ import annotations

from collections.abc import Iterable

from connectctl.engine.capture import CapturedResource

PROVIDER_TYPE = "pulumi:providers:aws"

__all__ = ["PROVIDER_TYPE", "provider_regions", "provider_urn", "resource_regions"]


def provider_urn(reference: str) -> str:
    """The provider's URN in a provider reference (`<urn>::<id>`); a bare URN is returned as it is."""
    return reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference


def provider_regions(resources: Iterable[CapturedResource], default: str) -> dict[str, str]:
    """Each AWS provider's URN -> its region (its `region` input, else `default`)."""
    return {r.urn: str(r.inputs.get("region") or default) for r in resources if r.type == PROVIDER_TYPE}


def resource_regions(resources: Iterable[CapturedResource], default: str) -> dict[str, str]:
    """Each resource's URN -> its provider's region (`default` with no explicit provider or an unknown one)."""
    resources = list(resources)
    providers = provider_regions(resources, default)
    by_id = {r.id: providers[r.urn] for r in resources if r.urn in providers and r.id}
    out = {}
    for r in resources:
        ref = r.provider or ""
        out[r.urn] = providers.get(provider_urn(ref)) or by_id.get(ref.rsplit("::", 1)[-1]) or default
    return out
