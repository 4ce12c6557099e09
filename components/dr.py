"""`DisasterRecovery`: the alternate region that holds continuous backups of all data, and the standby.

AWS Backup keeps recovery points in a vault of each region (encrypted with the tenant's key of
that region, locked in production, deletion of recovery points denied); every rule of the plan
copies to the DR vault; the selection is everything tagged `connect:backup: "true"`.

The modes add a standby in the DR region by instantiating the very same `TenantNetwork` and
`ContainerPlatform` with the DR provider, never a second copy of their code:
- `backup-restore`: backups copied, images replicated; nothing runs in the DR region;
- `pilot-light`: network (own egress EIPs the client can allow-list in advance), endpoints,
  cluster, load balancer and services at zero tasks;
- `warm-standby`: as pilot light, every service running at a reduced base.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from components.access import BREAKGLASS, DEPLOYER, role_arn
from components.boundary import workload_boundary
from components.config import (
    CONTINUOUS_MAX_DAYS,
    LATEST,
    DataConfig,
    DrConfig,
    NetworkConfig,
)
from components.data import (
    DatabaseSettings,
    StoreAccess,
    StorePlacement,
    bucket_name,
    database_parameter,
    declare_aurora,
    monitoring_role,
)
from components.network import TenantNetwork, TenantNetworkArgs
from components.platform import ContainerPlatform, ContainerPlatformArgs

BACKUP_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)
# What each mode promises, for the stack outputs and the README (RTO: an estimate, not a measurement).
RPO = {
    "primaryRegion": "about 5 minutes (continuous backup of S3 and Aurora; daily snapshots of EFS)",
    "drRegion": {
        "buckets": "15 minutes (S3 replication with Replication Time Control)",
        "fileSystems": "minutes (EFS replication; AWS states most changes within 15 minutes)",
        "databases": "up to 24 hours (copies of continuous backups arrive as daily snapshots)",
    },
}
RTO = {  # what the runbook's figures give (`connectctl dr runbook`): the database restore is the longest step
    "backup-restore": "8 hours: set connect:dr.active, which builds the network and platform in the DR region and "
                      "restores every database; then the client's DNS and VPN steps (connectctl dr runbook)",
    "pilot-light": "90 minutes: set connect:dr.active, which restores the databases from their DR copies (about 20 "
                   "minutes), scales the services up from zero and answers every service name from the standby; then "
                   "the client's DNS and VPN steps (connectctl dr runbook)",
    "warm-standby": "90 minutes: set connect:dr.active, which restores the databases from their DR copies (the "
                    "longest step) and scales the running services to their base; then the client's DNS and VPN "
                    "steps (connectctl dr runbook)",
}


def vault_policy(account_id: str) -> str:
    """Who may do what to a vault, decided once; `pulumi up` keeps working and no one erases a backup.

    - Nobody in the account deletes a recovery point or shortens its lifecycle. In production the vault lock
      holds this even against a changed policy (compliance mode, after its grace days).
    - Only `connect-deployer` (what `pulumi up` runs as) and `connect-breakglass` replace or remove this policy:
      denying it to the deployer too made every later change of the policy fail.
    - Only `connect-breakglass` deletes the vault: the stacks retain vaults on delete, so no `pulumi destroy`
      asks for it; deleting an emptied vault after decommissioning is a break-glass act (README, decommissioning).

    `aws:PrincipalArn` is the role's ARN for any session of it
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
    """
    everyone = {"AWS": f"arn:aws:iam::{account_id}:root"}
    deployer, breakglass = role_arn(account_id, DEPLOYER), role_arn(account_id, BREAKGLASS)
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "KeepRecoveryPoints", "Effect": "Deny", "Principal": everyone,
             "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"], "Resource": "*"},
            {"Sid": "OnlyTheDeployerChangesThisPolicy", "Effect": "Deny", "Principal": everyone,
             "Action": ["backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy"],
             "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [deployer, breakglass]}}},
            {"Sid": "OnlyBreakGlassDeletesTheVault", "Effect": "Deny", "Principal": everyone,
             "Action": "backup:DeleteBackupVault", "Resource": "*",
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": breakglass}}},
        ],
    })


@dataclass
class DisasterRecoveryArgs:
    """Inputs: the `connect:dr` section; what the standby mirrors of the other sections (the `connect:data` stores
    it backs up and restores, the `connect:network` its network copies, whether `connect:vpn` declares links); the
    primary platform's inputs (`platform`: the `connect:platform` and `connect:services` sections and whose
    environment it is, which the standby runs in the DR region); the DR region, its provider, key and zones."""

    config: DrConfig
    data: DataConfig
    network_config: NetworkConfig  # the primary's `connect:network`
    platform: ContainerPlatformArgs  # the primary's platform, as declared (also when no certificate builds it)
    has_vpn_links: bool
    dr_region: str
    dr_provider: aws.Provider
    dr_kms_key_arn: pulumi.Input[str]
    dr_zones: list[str]

    def database_settings(self) -> DatabaseSettings:
        """What `declare_aurora` needs of the environment for a restore in the DR region."""
        return DatabaseSettings(name_prefix=self.platform.name_prefix, account_id=self.platform.account_id,
                                log_retention_days=self.platform.config.log_retention_days,
                                is_production=self.platform.is_production)


class DisasterRecovery(pulumi.ComponentResource):
    """Backup vaults, plan and selection in both regions, and the standby the DR mode asks for."""

    vaults: dict[str, aws.backup.Vault]
    network: TenantNetwork | None
    platform: ContainerPlatform | None

    def __init__(self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:dr:DisasterRecovery", name, None, opts)
        self._name, self._args = name, args
        self.vaults = {
            "primary": self._vault("primary", args.platform.kms_key_arn, None),
            "dr": self._vault("dr", args.dr_kms_key_arn, args.dr_provider),
        }
        self._plan()
        self.network, self.platform = None, None
        self.restored: dict[str, StoreAccess] = {}
        self._monitoring: dict[str, tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]] = {}
        if args.config.runs_standby or args.config.vpn_enabled(args.has_vpn_links):
            self._standby()
        if self.platform is not None:
            self._dr_plan()  # made with the standby, so a failover creates no plan and no IAM
        self.register_outputs({"vaultArns": {k: v.arn for k, v in self.vaults.items()}})

    def _vault(self, which: str, kms_key_arn: pulumi.Input[str], provider: aws.Provider | None) -> aws.backup.Vault:
        """An encrypted vault whose recovery points cannot be deleted by API; locked in production."""
        args = self._args
        opts = pulumi.ResourceOptions(parent=self, provider=provider)
        vault = aws.backup.Vault(
            f"{self._name}-vault-{which}", name=f"{args.platform.name_prefix}-{which}", kms_key_arn=kms_key_arn,
            force_destroy=False,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)),
        )
        aws.backup.VaultPolicy(f"{self._name}-vault-{which}-policy", backup_vault_name=vault.name,
                               policy=vault_policy(args.platform.account_id), opts=opts)
        if args.platform.is_production:
            backup = args.config.backup
            aws.backup.VaultLockConfiguration(
                f"{self._name}-vault-{which}-lock",
                backup_vault_name=vault.name,
                min_retention_days=min(backup.retention_days, backup.copy_retention_days, CONTINUOUS_MAX_DAYS),
                max_retention_days=max(backup.retention_days, backup.copy_retention_days),
                changeable_for_days=3,
                opts=opts,
            )
        return vault

    def _plan(self) -> None:
        """Continuous and daily rules, each copying to the DR vault; the tagged selection; its role."""
        args = self._args
        backup = args.config.backup
        child = pulumi.ResourceOptions(parent=self)
        copy = [aws.backup.PlanRuleCopyActionArgs(
            destination_vault_arn=self.vaults["dr"].arn,
            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=backup.copy_retention_days),
        )]
        rules = [aws.backup.PlanRuleArgs(
            rule_name="daily-snapshots", target_vault_name=self.vaults["primary"].name, schedule=backup.schedule,
            start_window=60, completion_window=360,
            lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=backup.retention_days), copy_actions=copy,
            recovery_point_tags={"connect:backup-rule": "daily-snapshots"},
        )]
        if backup.continuous:
            rules.insert(0, aws.backup.PlanRuleArgs(
                rule_name="continuous", target_vault_name=self.vaults["primary"].name, schedule=backup.schedule,
                enable_continuous_backup=True, start_window=60, completion_window=360,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(
                    delete_after=min(backup.retention_days, CONTINUOUS_MAX_DAYS)),
                copy_actions=copy, recovery_point_tags={"connect:backup-rule": "continuous"},
            ))
        plan = aws.backup.Plan(f"{self._name}-plan", name=f"{args.platform.name_prefix}-all-data", rules=rules,
                               opts=child)
        role = aws.iam.Role(
            f"{self._name}-backup-role",
            permissions_boundary=workload_boundary(args.platform.account_id),
            description="AWS Backup backs up and restores what the plan selects, nothing else",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": args.platform.account_id}}}]}),
            opts=child,
        )
        for policy in BACKUP_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{self._name}-backup-role-{policy.rsplit('/', 1)[-1]}", role=role.name,
                policy_arn=f"arn:aws:iam::aws:policy/{policy}", opts=child)
        aws.backup.Selection(
            f"{self._name}-selection",
            name=f"{args.platform.name_prefix}-tagged",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key="connect:backup",
                                                                 value="true")],
            opts=child,
        )
        self.plan, self.backup_role = plan, role

    def _standby(self) -> None:
        """The same network and platform components, in the DR region, through the DR provider."""
        args = self._args
        dr_region = args.dr_region
        opts = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        network_config = args.network_config.model_copy(update={
            "cidr": args.config.cidr or args.network_config.cidr,
            "availability_zones": len(args.dr_zones),
            "egress_ip_allocation_ids": [],
            "nat_zone": None,  # the primary's zone; the standby's zones are a count: its first zone
        })
        self.network = TenantNetwork(
            f"{self._name}-network",
            TenantNetworkArgs(config=network_config, zones=args.dr_zones, region=dr_region,
                              account_id=args.platform.account_id, name_prefix=args.platform.name_prefix,
                              kms_key_arn=args.dr_kms_key_arn, nat=not args.platform.decommissioning,
                              interface_endpoints=args.platform.traffic_path_kept),
            opts,
        )
        # Like the primary platform, the standby exists without services: removing the last service must not
        # take its protected access-log bucket with it. backup-restore with only `dr.vpn` has a network, no platform.
        if args.config.certificate_arn and args.config.runs_standby:
            grants = self._failover_grants()
            self._monitoring = {d.name: monitoring_role(args.platform.account_id, self._restore_placement(d.name),
                                                        f"{args.platform.name_prefix}-{d.name}")
                                for d in sorted(args.data.databases, key=lambda d: d.name)}
            stores = self._failover_stores() if args.config.active else {}
            urls = {repo: url.replace(f".{args.platform.region}.", f".{dr_region}.")  # replicated by the registry
                    for repo, url in args.platform.repository_urls.items()}
            standby = replace(args.platform, region=dr_region, network=self.network, kms_key_arn=args.dr_kms_key_arn,
                              repository_urls=urls, stores=stores, granted_stores=grants,
                              certificate_arn=args.config.certificate_arn, base_override=self.standby_base())
            self.platform = ContainerPlatform(f"{self._name}-platform", standby, opts)

    def standby_base(self) -> int | None:
        """Tasks per standby service: none in pilot light, a reduced base warm; the client's base when active."""
        dr = self._args.config
        if dr.active:
            return None
        return 0 if dr.mode == "pilot-light" else dr.warm_standby_base

    def _restore_placement(self, database: str, snapshot: pulumi.Input[str] | None = None) -> StorePlacement:
        args = self._args
        assert self.network is not None
        return StorePlacement(owner=self, key=f"{self._name}-restore-{database}", network=self.network,
                              kms_key_arn=args.dr_kms_key_arn, region=args.dr_region, provider=args.dr_provider,
                              snapshot_identifier=snapshot, monitoring=self._monitoring.get(database))

    def _failover_grants(self) -> dict[str, StoreAccess]:
        """The failover stores as the standby's permissions see them (names only): granted before the failover."""
        args = self._args
        grants: dict[str, StoreAccess] = {
            b.name: StoreAccess(kind="bucket", name=b.name,
                                bucket=bucket_name(args.platform.name_prefix, b.name, args.platform.account_id,
                                                   dr=True))
            for b in args.data.buckets}
        for database in args.data.databases:
            parameter = database_parameter(args.platform.name_prefix, database.name)
            grants[database.name] = StoreAccess(kind="database", name=database.name, port=5432,
                                                endpoint_parameter=parameter, extra={"parameter_arn": (
                                                    f"arn:aws:ssm:{args.dr_region}:{args.platform.account_id}:"
                                                    f"parameter{parameter}")})
        return grants

    def _failover_stores(self) -> dict[str, StoreAccess]:
        """What the standby services use when the DR region serves: the buckets' DR replicas (S3 keeps writing
        them while the primary lives) and each database restored from its DR copy (`connect:dr.restoreFrom`).

        File systems stay with the primary: their DR replica is read-only until its replication is deleted, a
        step of the runbook (`connectctl dr runbook`), so no service mounts one before that.
        """
        args = self._args
        stores = {name: grant for name, grant in self._failover_grants().items() if grant.kind == "bucket"}
        for database in sorted(args.data.databases, key=lambda d: d.name):
            placement = self._restore_placement(database.name, self._snapshot(database.name))
            stores[database.name] = self.restored[database.name] = declare_aurora(
                args.database_settings(), database, placement)
        return stores

    def _snapshot(self, database: str) -> pulumi.Input[str]:
        """The cluster snapshot a database is restored from: the stack file's ARN, or the newest copy AWS Backup
        made into the DR region (asked of the DR region only: `rds:DescribeDBClusterSnapshots` there)."""
        args = self._args
        source = args.config.restore_source(database)
        if source != LATEST:
            return source
        snapshot = aws.rds.get_cluster_snapshot_output(
            db_cluster_identifier=f"{args.platform.name_prefix}-{database}", snapshot_type="awsbackup",
            most_recent=True,
            opts=pulumi.InvokeOutputOptions(provider=args.dr_provider))
        return snapshot.db_cluster_snapshot_arn

    def _dr_plan(self) -> None:
        """While the DR region serves, what it writes is backed up there too: the same rules into the DR vault
        (no copy back: the primary region may be out), selecting the same tag. Until then it selects nothing (no
        resource of the DR region carries the tag before a database is restored there)."""
        args = self._args
        backup = args.config.backup
        opts = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        plan = aws.backup.Plan(
            f"{self._name}-plan-dr", name=f"{args.platform.name_prefix}-all-data-dr",
            rules=[aws.backup.PlanRuleArgs(
                rule_name="daily-snapshots", target_vault_name=self.vaults["dr"].name, schedule=backup.schedule,
                start_window=60, completion_window=360,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=backup.copy_retention_days),
                recovery_point_tags={"connect:backup-rule": "daily-snapshots"})],
            opts=opts)
        aws.backup.Selection(
            f"{self._name}-selection-dr", name=f"{args.platform.name_prefix}-tagged-dr", plan_id=plan.id,
            iam_role_arn=self.backup_role.arn,
            selection_tags=[aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key="connect:backup",
                                                                 value="true")],
            opts=opts)

    def outputs(self) -> dict[str, object]:
        """What the SRE team and the client need to know about DR."""
        args = self._args
        out: dict[str, object] = {
            "drRegion": args.dr_region,
            "drMode": args.config.mode,
            "backupVaultArns": {k: v.arn for k, v in self.vaults.items()},
            "rpo": RPO,
            "rtoEstimate": RTO[args.config.mode],
        }
        if self.network is not None:
            out["drEgressIps"] = self.network.egress_ip_list()
        if self.platform is not None and self.platform.serving:
            out["drLoadBalancerDnsName"] = self.platform.load_balancer.dns_name
        return out
