"""ecr-scan-on-push: every ECR repository has its images scanned when they are pushed.

One stack policy covers both halves of the catalogue entry (R+S):

- the repository sets `imageScanningConfiguration.scanOnPush` true, or
- an `aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration` of the stack has a rule with
  `scanFrequency` SCAN_ON_PUSH or CONTINUOUS_SCAN whose repository filter matches the repository `name`
  (ECR filter semantics: `*` is any run of characters over the whole name; a filter without `*`
  matches every name containing it).

The registry configuration is one per account and region, and once it exists it decides: a repository
no filter matches is set to manual scans (basic) or not scanned at all (enhanced), whatever its own
`scanOnPush` says. So a repository of the configuration's region must be covered by a rule; the
repository flag only counts when the stack holds no registry configuration for its region. Regions come
from the explicit providers (`region`); when either side's region is not known they are taken as the same.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Deciding, Pending, get_raw, is_known, is_unknown, plain
from connect_guardrails.util import ecr_filter_matches, of_type, provider_region

REPOSITORY = "aws:ecr/repository:Repository"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
SCANNING_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")


def _same_region(a: PolicyResource, b: PolicyResource) -> bool:
    region_a, region_b = provider_region(a.provider), provider_region(b.provider)
    return region_a is None or region_b is None or region_a == region_b


def _covered(repo: PolicyResource, registry: PolicyResource) -> tuple[bool, Deciding]:
    """Whether a rule of `registry` scans `repo` on push; else the unknown reads that could change that."""
    unknowns: Deciding = []
    rules = plain(get_raw(registry.props, "rules"))
    if is_unknown(rules):
        return False, [(registry.props, ("rules",))]
    name = get_raw(repo.props, "name")
    for index, rule in enumerate(rules or []):
        if not isinstance(rule, dict):
            continue
        frequency = rule.get("scanFrequency")
        if is_unknown(frequency):
            unknowns.append((registry.props, ("rules", index, "scanFrequency")))
            continue
        if frequency not in SCANNING_FREQUENCIES:
            continue
        filters = rule.get("repositoryFilters")
        if is_unknown(filters):
            unknowns.append((registry.props, ("rules", index, "repositoryFilters")))
            continue
        for position, entry in enumerate(filters or []):
            pattern = entry.get("filter") if isinstance(entry, dict) else None
            if is_unknown(pattern):
                unknowns.append((registry.props, ("rules", index, "repositoryFilters", position, "filter")))
            elif isinstance(pattern, str) and pattern and set(pattern) == {"*"}:
                return True, []
            elif isinstance(pattern, str) and pattern and isinstance(name, str) and not is_unknown(name):
                if ecr_filter_matches(pattern, name):
                    return True, []
            elif isinstance(pattern, str) and pattern and is_unknown(name):
                unknowns.append((repo.props, ("name",)))
    return False, unknowns


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per repository: a registry scanning rule of its region covers it, or (no such configuration) scanOnPush."""
    pending = Pending()
    registries = list(of_type(args.resources, REGISTRY_SCANNING))
    for repo in of_type(args.resources, REPOSITORY):
        governing = [r for r in registries if _same_region(repo, r)]
        if governing:
            unknowns: Deciding = []
            covered = False
            for registry in governing:
                covered, found = _covered(repo, registry)
                if covered:
                    break
                unknowns += found
            if covered:
                continue
            if unknowns:
                pending.add_all(unknowns)
                continue
            report_violation(
                f"ECR repository '{repo.name}' is not scanned on push: no rule of the registry scanning "
                f"configuration '{governing[0].name}' with scanFrequency SCAN_ON_PUSH or CONTINUOUS_SCAN matches "
                f"its name, and the registry configuration overrides the repository's own scanOnPush; add a "
                f"matching repository filter (e.g. '*')",
                repo.urn,
            )
            continue
        scanning = pending.read(repo.props, "imageScanningConfiguration")
        if is_unknown(scanning):
            continue
        on_push = pending.read(repo.props, "imageScanningConfiguration", "scanOnPush")
        if is_known(on_push) and on_push is not True:
            report_violation(
                f"ECR repository '{repo.name}' does not scan images on push; set image_scanning_configuration "
                f"scan_on_push=True or cover it with a registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN)",
                repo.urn,
            )
    pending.settle()


RULE = Rule(
    id="ecr-scan-on-push", severity="high", unwaivable=True, check=check,
    description="Every ECR repository scans images on push, itself or through the registry scanning configuration.",
    anchors=("FSBP ECR.1", "CKV_AWS_163"), iso27001=("A.8.8",), ccm=("TVM-05", "TVM-07"),
    remediation=(
        "Set image_scanning_configuration=RepositoryImageScanningConfigurationArgs(scan_on_push=True) on every "
        "aws.ecr.Repository, and give the aws.ecr.RegistryScanningConfiguration of the region a SCAN_ON_PUSH or "
        "CONTINUOUS_SCAN rule with a WILDCARD filter matching every repository (e.g. '*')."
    ),
)
