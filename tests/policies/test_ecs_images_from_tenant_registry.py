"""ecs-images-from-tenant-registry: every container image comes from the tenant's ECR, pinned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from connect_guardrails.rules.ecs_images_from_tenant_registry import image_problem
from connectctl.engine.analyzer import analyze
from tests.components.plans import planned
from tests.policies.ecs_programs import container, program_of, task_definition
from tests.policies.harness import (
    ACCOUNT,
    OTHER_ACCOUNT,
    TAGS,
    assert_one_mandatory,
    evaluate,
    findings,
    notes,
    pinned,
    provider,
)
from tests.policies.mutations import focused_config

POLICY = "ecs-images-from-tenant-registry"
URN = "aws:ecs/taskDefinition:TaskDefinition::api"
DIGEST = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def _images(*images: str) -> Callable[[aws.Provider], object]:
    return lambda p: task_definition(p, *(container(name=f"c{i}", image=image) for i, image in enumerate(images)))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [None, {POLICY: {"accountId": ACCOUNT}}], ids=["provider", "config"])
def test_pinned_images_of_the_tenant_registry_pass(preview: bool, pack_config: dict[str, Any] | None) -> None:
    """A release tag (the repositories are immutable), a digest, the DR region's replica, a nested repository."""
    build = _images(f"{REGISTRY}/payments-api:1.4.2", f"{REGISTRY}/accounts-api@{DIGEST}",
                    f"{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/payments-api:1.4.2",
                    f"{REGISTRY}/team/worker:2.0.1@{DIGEST}")
    found = evaluate(program_of(build), preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


CASES: dict[str, tuple[str, str]] = {
    "docker-hub": ("nginx:1.27", "comes from Docker Hub, not the tenant's ECR"),
    "docker-hub-explicit": ("docker.io/library/nginx:latest", "comes from Docker Hub"),
    "docker-hub-organisation": ("acme/payments-api:1.4.2", "comes from Docker Hub"),
    "public-ecr": ("public.ecr.aws/nginx/nginx:1.27", "comes from the public ECR gallery (public.ecr.aws)"),
    "other-registry": ("ghcr.io/acme/payments-api:1.4.2", "comes from the registry ghcr.io"),
    "other-account": (f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/payments-api:1.4.2",
                      f"comes from the ECR of account {OTHER_ACCOUNT}, not the tenant account {ACCOUNT}"),
    "latest": (f"{REGISTRY}/payments-api:latest", "is not pinned (tag latest)"),
    "no-tag": (f"{REGISTRY}/payments-api", "is not pinned (no tag, so latest)"),
    "lookalike-host": (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com.evil.example/payments-api:1.4.2",
                       "is no valid ECR image reference"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_images_from_elsewhere_or_unpinned_are_violations(case: str, preview: bool) -> None:
    image, phrase = CASES[case]
    found = findings(evaluate(program_of(_images(f"{REGISTRY}/sidecar:1.0.0", image)), preview=preview), POLICY)
    assert_one_mandatory(found, URN, f"container 'c1' image {image!r} {phrase}")


def test_an_unpinned_provider_cannot_vouch_for_any_account() -> None:
    assert image_problem(f"{REGISTRY}/payments-api:1.4.2", None) == (
        f"image '{REGISTRY}/payments-api:1.4.2' is in the ECR of account {ACCOUNT}, and the tenant account is "
        f"unknown (set the policy config accountId or pin the provider)")
    assert image_problem(f"{REGISTRY}/payments-api:1.4.2", ACCOUNT) is None
    assert image_problem(None, ACCOUNT) == "has no image"


@pytest.mark.parametrize("preview", [True, False])
def test_definitions_built_from_outputs_are_decided_on_update(preview: bool) -> None:
    """The image is the repository's URL (an output): unknown in preview, judged once known (the tenant's own)."""
    def program() -> None:
        p = provider()
        repository = aws.ecr.Repository("api", image_tag_mutability="IMMUTABLE", tags=TAGS,
                                        opts=pinned(p, protect=True))
        definition = container(image=pulumi.Output.concat(repository.repository_url, ":1.4.2"))
        aws.ecs.TaskDefinition("api", family="api", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
                               cpu="256", memory="512", container_definitions=pulumi.Output.json_dumps([definition]),
                               tags=TAGS, opts=pinned(p))

    found = evaluate(program, preview=preview)
    assert len(notes(found, POLICY)) == (1 if preview else 0)
    assert findings(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ["acme-prod", "acme-staging", "globex-prod"])
def test_the_committed_stacks_pass(stack: str, preview: bool) -> None:
    """Every service's image, the standby's from the DR region's replica of the same registry."""
    found = analyze(planned(stack, preview).capture.resources, focused_config(stack, POLICY))
    assert [v for v in found if v.policy == POLICY] == []
