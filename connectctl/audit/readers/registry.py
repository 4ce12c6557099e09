"""The client's registry, read for its account stack: `aws:ecr/*` resources.

The account is the client's alone, so every repository of the registry (in the account stack's region) is the
stack's, declared or not, as the live check `ecr-scan-on-push` already holds; replicas that ECR replication makes in
the DR region are its copies, not repositories of the stack. An environment stack owns no repository.
"""

from __future__ import annotations

from connectctl.audit.readers import Reader, Scope, camel, compact, optional, tag_map
from connectctl.audit.view import LiveResource

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE, REPOSITORY_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"


def read_registry(scope: Scope, region: str) -> None:
    """Every repository with its lifecycle and repository policies; the registry's scanning and replication."""
    ecr = scope.client("ecr", region)
    for repository in scope.pages(ecr, "describe_repositories", "repositories"):
        name, arn = repository["repositoryName"], repository["repositoryArn"]
        tags = tag_map(ecr.list_tags_for_resource(resourceArn=arn).get("tags"))
        encryption = repository.get("encryptionConfiguration")
        scope.add(LiveResource(REPOSITORY, name, region, compact({
            "name": name, "imageTagMutability": repository.get("imageTagMutability"),
            "imageScanningConfiguration": compact({"scanOnPush": bool(
                (repository.get("imageScanningConfiguration") or {}).get("scanOnPush"))}),
            "encryptionConfigurations": [compact({"encryptionType": encryption.get("encryptionType"),
                                                  "kmsKey": encryption.get("kmsKey")})] if encryption else None,
            "tags": tags}), name, arn, {"repositoryUrl": repository.get("repositoryUri")}, names=(name,)))
        lifecycle = optional(ecr.get_lifecycle_policy, "LifecyclePolicyNotFoundException", repositoryName=name)
        if lifecycle is not None:
            scope.add(LiveResource(LIFECYCLE, name, region, {"repository": name,
                                                             "policy": lifecycle["lifecyclePolicyText"]}, name))
        policy = optional(ecr.get_repository_policy, "RepositoryPolicyNotFoundException", repositoryName=name)
        if policy is not None:
            scope.add(LiveResource(REPOSITORY_POLICY, name, region, {"repository": name,
                                                                     "policy": policy["policyText"]}, name))
    # A registry without scanning rules (AWS's default: BASIC, none) leaves each repository's own `scanOnPush` in
    # force, as a stack that declares no RegistryScanningConfiguration does; with rules, they decide
    # (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-basic.html).
    scanning = ecr.get_registry_scanning_configuration().get("scanningConfiguration") or {}
    if scanning.get("rules") or scanning.get("scanType") == "ENHANCED":
        scope.add(LiveResource(SCANNING, scope.account, region, compact({
            "scanType": scanning.get("scanType"), "rules": camel(scanning.get("rules")) or None}), scope.account))
    replication = (ecr.describe_registry().get("replicationConfiguration") or {}).get("rules")
    if replication:
        scope.add(LiveResource(REPLICATION, scope.account, region, {
            "replicationConfiguration": {"rules": camel(replication)}}, scope.account))


READERS = (
    Reader("registry", "ecr", ("DescribeRepositories", "ListTagsForResource", "GetLifecyclePolicy",
                               "GetRepositoryPolicy", "GetRegistryScanningConfiguration", "DescribeRegistry"),
           (REPOSITORY, LIFECYCLE, REPOSITORY_POLICY, SCANNING, REPLICATION), read_registry, "registry"),
)
