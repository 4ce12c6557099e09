"""ecr-dr-replication: the stack's ECR repositories are replicated to another (DR) region.

When the stack holds any `aws:ecr/repository:Repository`, each must be covered by a rule of an
`aws:ecr/replicationConfiguration:ReplicationConfiguration` of its registry (same provider region when
both are known) with a destination `region` other than the repository's own (its provider's `region`).
A rule with `repositoryFilters` (PREFIX_MATCH) covers only names starting with one of its prefixes. When
the policy config names a `drRegion`, a destination in that region is required.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, plain
from connect_guardrails.util import config_of, of_type, provider_region

REPOSITORY = "aws:ecr/repository:Repository"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"


def _rules(config: PolicyResource, pending: Pending) -> list[tuple[int, dict[str, Any]]]:
    if is_unknown(pending.read(config.props, "replicationConfiguration")):
        return []
    rules = plain(pending.read(config.props, "replicationConfiguration", "rules"))
    if is_unknown(rules):
        return []
    return [(i, r) for i, r in enumerate(rules or []) if isinstance(r, dict)]


def _matches(rule: dict[str, Any], name: Any) -> bool | None:
    """The rule's filters let the repository through (None: it depends on an unknown value)."""
    filters = rule.get("repositoryFilters")
    if is_unknown(filters):
        return None
    prefixes = [f.get("filter") for f in filters or [] if isinstance(f, dict)]
    if not prefixes:
        return True
    if any(is_unknown(p) for p in prefixes) or is_unknown(name):
        return None
    return isinstance(name, str) and any(isinstance(p, str) and name.startswith(p) for p in prefixes)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per repository: a replication rule of its registry copies it to another region (drRegion if configured)."""
    dr_region = config_of(args).get("drRegion") or None
    pending = Pending()
    repositories = list(of_type(args.resources, REPOSITORY))
    if not repositories:
        return
    configs = [(c, _rules(c, pending)) for c in of_type(args.resources, REPLICATION)]
    for repo in repositories:
        home = provider_region(repo.provider)
        name = get_raw(repo.props, "name")
        regions: set[str] = set()
        unknowns: list[tuple[Any, ...]] = []
        for config, rules in configs:
            config_home = provider_region(config.provider)
            if home and config_home and home != config_home:
                continue  # another region's registry
            primary = home or config_home
            for index, rule in rules:
                path = (config.props, "replicationConfiguration", "rules", index)
                matched = _matches(rule, name)
                if matched is None:
                    unknowns += [(*path, "repositoryFilters"), (repo.props, "name")]
                    continue
                if not matched:
                    continue
                destinations = rule.get("destinations")
                if is_unknown(destinations):
                    unknowns.append((*path, "destinations"))
                    continue
                for position, destination in enumerate(destinations or []):
                    region = destination.get("region") if isinstance(destination, dict) else None
                    if is_unknown(region):
                        unknowns.append((*path, "destinations", position, "region"))
                    elif isinstance(region, str) and region and region != primary:
                        regions.add(region)
        if (dr_region in regions) if dr_region else regions:
            continue
        if unknowns:
            for props, *keys in unknowns:
                pending.add(props, *keys)
            continue
        if regions:
            report_violation(
                f"ECR repository '{repo.name}' is replicated to {', '.join(sorted(regions))} but not to the DR "
                f"region {dr_region} (policy config drRegion); add a destination in {dr_region}",
                repo.urn,
            )
        else:
            where = f"the DR region {dr_region}" if dr_region else "another region"
            report_violation(
                f"ECR repository '{repo.name}' is not replicated to {where}; add an "
                f"aws.ecr.ReplicationConfiguration whose rule covers it with a destination in {where}",
                repo.urn,
            )
    pending.settle()


RULE = Rule(
    id="ecr-dr-replication", level="advisory", severity="medium", check=check,
    description="ECR repositories are replicated to the DR region.",
    iso27001=("A.5.30", "A.8.14"), ccm=("BCR-11",),
    remediation=(
        "Add one aws.ecr.ReplicationConfiguration per registry with a rule (no filter, or a prefix matching every "
        "repository) whose destination is the tenant's registry in the DR region (policy config drRegion)."
    ),
    config={
        "drRegion": {
            "type": "string",
            "description": "The DR region ECR images must be replicated to; unset: any region other than the primary.",
        },
    },
)
