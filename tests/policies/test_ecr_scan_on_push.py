"""ecr-scan-on-push: repositories scan on push, or the registry scanning configuration of their region covers them."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "ecr-scan-on-push"
REPO_URN = "aws:ecr/repository:Repository::api"


def _program(*, scan_on_push: bool | None = True, registry: tuple[str, str, str] | None = None,
             registry_region: str | None = None) -> None:
    """One repository `connect/api`; optionally a registry scanning configuration (type, frequency, filter)."""
    p = provider()
    scanning = None if scan_on_push is None else aws.ecr.RepositoryImageScanningConfigurationArgs(
        scan_on_push=scan_on_push)
    aws.ecr.Repository("api", name="connect/api", image_tag_mutability="IMMUTABLE",
                       image_scanning_configuration=scanning, tags=TAGS, opts=pinned(p, protect=True))
    if registry is not None:
        scan_type, frequency, pattern = registry
        registry_provider = p if registry_region is None else aws.Provider(
            "dr", region=registry_region, allowed_account_ids=["111111111111"])
        aws.ecr.RegistryScanningConfiguration(
            "scanning", scan_type=scan_type,
            rules=[aws.ecr.RegistryScanningConfigurationRuleArgs(
                scan_frequency=frequency,
                repository_filters=[aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                    filter=pattern, filter_type="WILDCARD")],
            )],
            opts=pinned(registry_provider))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("kwargs", [
    {},
    {"registry": ("BASIC", "SCAN_ON_PUSH", "*")},  # what the registry component declares
    {"scan_on_push": None, "registry": ("BASIC", "SCAN_ON_PUSH", "connect/*")},
    {"scan_on_push": False, "registry": ("ENHANCED", "CONTINUOUS_SCAN", "api")},  # no wildcard: substring
    {"scan_on_push": True, "registry": ("BASIC", "SCAN_ON_PUSH", "other-*"), "registry_region": "us-west-2"},
], ids=["repository-flag", "registry-all", "registry-prefix", "registry-substring", "other-region-registry"])
def test_scanned_repositories_pass(preview: bool, kwargs: dict) -> None:
    found = evaluate(lambda: _program(**kwargs), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("scan_on_push", [False, None])
def test_repository_without_scan_on_push_is_violation(preview: bool, scan_on_push: bool | None) -> None:
    found = findings(evaluate(lambda: _program(scan_on_push=scan_on_push), preview=preview), POLICY)
    assert_one_mandatory(found, REPO_URN, "does not scan images on push")


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("registry", [("BASIC", "SCAN_ON_PUSH", "web-*"), ("BASIC", "MANUAL", "*")],
                         ids=["filter-misses", "manual"])
def test_registry_configuration_that_leaves_it_out_is_violation(preview: bool, registry: tuple[str, str, str]) -> None:
    """Once the region has a registry configuration it decides, whatever the repository flag says."""
    found = findings(evaluate(lambda: _program(scan_on_push=True, registry=registry), preview=preview), POLICY)
    assert_one_mandatory(found, REPO_URN, "overrides the repository's own scanOnPush")
