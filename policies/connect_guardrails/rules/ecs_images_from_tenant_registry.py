"""ecs-images-from-tenant-registry: every container image comes from the tenant's own ECR, pinned.

Every container of every `aws:ecs/taskDefinition:TaskDefinition` (`containerDefinitions`) names its `image`
in the tenant account's private registry, `<account>.dkr.ecr.<region>.amazonaws.com/<repository>`
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html; `.amazonaws.com.cn` in China, and
the `dkr.ecr-fips` endpoints), in any region of that account: the DR standby pulls from the DR region's
replica of the same registry. That registry is where the pack's registry rules hold: images are scanned on
push (`ecr-scan-on-push`), encrypted with the tenant's key and replicated to the DR region, and its
repositories are IMMUTABLE (`ecr-immutable-tags`). An image from Docker Hub (`nginx`, `docker.io/...`), a
public registry (`public.ecr.aws/...`, `ghcr.io/...`) or another account's ECR skips all of that and can be
replaced under the task by whoever owns it.
The image is pinned: a digest (`@sha256:<64 hex>`) or a tag. The tenant's repositories are immutable, so a
tag names one image for good; `latest`, and no tag at all (which means `latest`), are refused: by convention
the tag that moves, and the one a typo or a default falls back to.
The tenant account is the pack config's `accountId`, else the single account the task definition's provider
is pinned to; when neither is known the account cannot be verified and any ECR image is reported.
An unknown `containerDefinitions` or image (preview) decides the outcome and is left to the engine's note.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

from connect_guardrails.ecs_util import TASK_DEFINITION, container_label, containers_of
from connect_guardrails.rule import Rule, account_config
from connect_guardrails.unknowns import Pending, is_unknown
from connect_guardrails.util import Index, config_of, tenant_account

# `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:<tag>][@sha256:<digest>]`
# (https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html).
PRIVATE_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
MOVING_TAGS = frozenset({"latest"})
DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
UNKNOWN_TENANT = "the tenant account is unknown (set the policy config accountId or pin the provider)"


def _registry(image: str) -> str:
    """Where an image that is no private ECR image comes from, for the finding."""
    first = image.split("/", 1)[0]
    if "/" not in image or ("." not in first and ":" not in first and first != "localhost") or first in DOCKER_HUB:
        return "Docker Hub"
    if first == "public.ecr.aws":
        return "the public ECR gallery (public.ecr.aws)"
    return f"the registry {first}"


def image_problem(image: Any, tenant: str | None) -> str | None:
    """Why an image reference is not a pinned image of the tenant's private ECR (None: it is)."""
    if not isinstance(image, str) or not image:
        return "has no image"
    match = PRIVATE_ECR.match(image)
    if match is None:
        if ".dkr.ecr" in image:
            return f"image {image!r} is no valid ECR image reference"
        return f"image {image!r} comes from {_registry(image)}, not the tenant's ECR"
    account = match.group("account")
    if tenant is None:
        return f"image {image!r} is in the ECR of account {account}, and {UNKNOWN_TENANT}"
    if account != tenant:
        return f"image {image!r} comes from the ECR of account {account}, not the tenant account {tenant}"
    tag, digest = match.group("tag"), match.group("digest")
    if digest is None and (tag is None or tag in MOVING_TAGS):
        how = "no tag, so latest" if tag is None else f"tag {tag}"
        return f"image {image!r} is not pinned ({how}): pin it by digest (@sha256:...) or a release tag"
    return None


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every container image: the tenant account's private ECR, pinned by digest or a tag other than latest."""
    pending = Pending()
    config = config_of(args)
    for task in Index.of(args.resources).of_type(TASK_DEFINITION):
        tenant = tenant_account(config, task.provider.props if task.provider is not None else None)
        problems: list[str] = []
        for index, container in enumerate(containers_of(task.props, pending) or []):
            image = container.get("image")
            if is_unknown(image):
                pending.add(task.props, "containerDefinitions")
                continue
            problem = image_problem(image, tenant)
            if problem:
                problems.append(f"{container_label(container, index)} {problem}")
        if problems:
            report_violation(
                f"task definition '{task.name}': {'; '.join(problems)}; images come from the tenant's own ECR "
                f"(<account>.dkr.ecr.<region>.amazonaws.com/<repository>), scanned on push and immutable",
                task.urn,
            )
    pending.settle()


RULE = Rule(
    id="ecs-images-from-tenant-registry", severity="high", owner="client", check=check,
    description="Every container image comes from the tenant account's ECR, pinned by digest or a release tag.",
    iso27001=("A.8.8", "A.8.19"), ccm=("AIS-06", "TVM-07"),
    remediation=(
        "Push the image to the tenant's ECR (the account stack's registry, replicated to the DR region) and "
        "reference it as <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest> or :<release tag> "
        "in the service's image config; never Docker Hub, public.ecr.aws or another account's registry, never "
        "latest."
    ),
    config={
        "accountId": account_config(
            "The tenant account; defaults to the account the task definition's provider is pinned "
            "to."
        ),
    },
)
