"""`AccountRegistry`: the client's ECR registry, owned by the account stack and nothing else.

Registry scanning and replication settings are one per account and region; two stacks that both
set them overwrite each other (anchors item 6). So one stack per client (`scope: account`) owns
them and every repository; environment stacks only read the repository URLs through a
`StackReference`. Repositories are protected and retained: images are never lost with a stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config import RegistryConfig

PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]


def lifecycle_policy(untagged_expire_days: int, keep_tagged: int) -> str:
    """Untagged images expire after N days; only the newest M tagged images are kept."""
    return json.dumps({
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {untagged_expire_days} days",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                              "countNumber": untagged_expire_days},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_tagged} tagged images",
                "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                              "countNumber": keep_tagged},
                "action": {"type": "expire"},
            },
        ]
    })


def repository_policy(account_id: str) -> str:
    """Only principals of the tenant account may pull; no other account, no wildcard."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TenantAccountPulls",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": PULL_ACTIONS,
        }],
    })


@dataclass
class AccountRegistryArgs:
    """Inputs of the registry: its config, the tenant account, the DR region and the account key."""

    config: RegistryConfig
    account_id: str
    dr_region: str
    kms_key_arn: pulumi.Input[str]


class AccountRegistry(pulumi.ComponentResource):
    """ECR repositories (immutable, scanned on push, KMS, lifecycle, tenant-only policy), scanning and replication."""

    repository_urls: dict[str, pulumi.Output[str]]
    repository_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AccountRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:registry:AccountRegistry", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        self.repository_urls, self.repository_arns = {}, {}
        for repo_name in sorted(cfg.repositories):
            key = repo_name.replace("/", "-")
            repo = aws.ecr.Repository(
                f"{name}-{key}",
                name=repo_name,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=args.kms_key_arn)],
                force_delete=False,
                opts=keep,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{key}-lifecycle",
                repository=repo.name,
                policy=lifecycle_policy(cfg.lifecycle.untagged_expire_days, cfg.lifecycle.keep_tagged),
                opts=child,
            )
            aws.ecr.RepositoryPolicy(
                f"{name}-{key}-policy", repository=repo.name, policy=repository_policy(args.account_id), opts=child
            )
            self.repository_urls[repo_name] = repo.repository_url
            self.repository_arns[repo_name] = repo.arn
        frequency = "SCAN_ON_PUSH" if cfg.scanning == "basic" else "CONTINUOUS_SCAN"
        aws.ecr.RegistryScanningConfiguration(
            f"{name}-scanning",
            scan_type=cfg.scanning.upper(),
            rules=[aws.ecr.RegistryScanningConfigurationRuleArgs(
                scan_frequency=frequency,
                repository_filters=[aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                    filter="*", filter_type="WILDCARD")],
            )],
            opts=child,
        )
        if cfg.replicate_to_dr:
            aws.ecr.ReplicationConfiguration(
                f"{name}-replication",
                replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                    rules=[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                        destinations=[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                            region=args.dr_region, registry_id=args.account_id)],
                    )],
                ),
                opts=child,
            )
        self.register_outputs({"repositoryUrls": self.repository_urls})
