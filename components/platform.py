"""`ContainerPlatform`: the client's microservices on ECS Fargate behind one internal load balancer.

Per environment: an ECS cluster (Fargate and Fargate Spot, Container Insights), an internal ALB in
the app subnets of every zone (HTTPS with a TLS 1.2+/1.3 policy, HTTP only redirects, a fixed 404
default, access logs to a private bucket), and per service a target group and listener rule, a
task definition pinned to an image of the account's registry, least-privilege roles, an ECS
service that registers its tasks with the load balancer, and autoscaling between the client's
base capacity and its maximum.

Everything per service is named after the service, so reordering `connect:services` changes
nothing and removing one removes only its own service, rule and target group (its repository
and logs are retained).
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.boundary import workload_boundary
from components.config import PlatformConfig, ServiceConfig
from components.data import StoreAccess, bucket_encryption, bucket_private, tls_only
from components.network import TenantNetwork
from components.regions import ELB_LOG_DELIVERY_ACCOUNTS, ELB_LOG_DELIVERY_SERVICE, zone_id_prefix

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ECS_TASKS = "ecs-tasks.amazonaws.com"


def target_group_prefix(service: str) -> str:
    """A 6-character target group name prefix, stable per service (AWS appends a unique suffix).

    Fixed target group names break replacement (pulumi-aws #4220); a prefix keeps names within 32
    characters whatever the service name.
    """
    return f"t{zlib.crc32(service.encode()) & 0xFFFF:04x}-"


def access_log_bucket_policy(bucket: str, account_id: str, region: str) -> str:
    """Load balancer log delivery may write under `alb/`; nothing travels without TLS."""
    writer = (
        {"AWS": f"arn:aws:iam::{ELB_LOG_DELIVERY_ACCOUNTS[region]}:root"}
        if region in ELB_LOG_DELIVERY_ACCOUNTS
        else {"Service": ELB_LOG_DELIVERY_SERVICE}
    )
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LoadBalancerLogDelivery",
                "Effect": "Allow",
                "Principal": writer,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/alb/AWSLogs/{account_id}/*",
            },
            tls_only(bucket),
        ],
    })


def ecs_tasks_trust(account_id: str) -> str:
    """Trust policy for task and execution roles: ECS tasks of this account only."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": ECS_TASKS},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    })


# Secrets Manager appends "-" and 6 random characters to every secret's name in its ARN; an ARN written without
# them (a partial ARN) works for GetSecretValue but matches no secret in an IAM policy, where the suffix must be
# matched by "-??????". A name that itself ends in "-" + 6 characters reads as a complete ARN, which is why AWS
# advises against such names. Source: Secrets Manager user guide, "Permissions policy examples"
# (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html) and the SecretId
# parameter of GetSecretValue (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}\Z")


def in_region(arn: str, region: str) -> str:
    """The same ARN in another region: where a replicated secret or a parameter written in both regions lives.

    A Secrets Manager replica keeps the primary's name and suffix; only the region differs
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html).
    """
    parts = arn.split(":", 5)
    parts[3] = region
    return ":".join(parts)


def secret_policy_resource(arn: str) -> str:
    """The IAM `Resource` that matches a Secrets Manager secret: as written when complete, else the `-??????` form."""
    return arn if SECRET_SUFFIX.search(arn) else f"{arn}-??????"


def env_name(store: str, suffix: str) -> str:
    """Environment variable a service reads a store by: ledger -> LEDGER_DB_HOST."""
    return f"{store.upper().replace('-', '_')}_{suffix}"


def container_definitions(service: ServiceConfig, image: str, log_group: str, region: str,
                          stores: list[StoreAccess] | None = None) -> str:
    """The single container of a service: pinned image, its port, logs, secrets by reference, stores it uses.

    Secrets are read in `region`, the task's own: the DR standby reads the replicas, never the primary region,
    which a regional outage takes away.
    """
    environment = dict(service.environment)
    secrets = {name: in_region(arn, region) for name, arn in service.secrets.items()}
    mounts = []
    for store in stores or []:
        if store.kind == "bucket":
            environment[env_name(store.name, "BUCKET")] = str(store.bucket)
        elif store.kind == "fileSystem":
            environment[env_name(store.name, "PATH")] = str(store.mount_path)
            mounts.append({"sourceVolume": store.name, "containerPath": store.mount_path, "readOnly": False})
        elif store.kind == "database":
            environment[env_name(store.name, "DB_USER")] = service.name.replace("-", "_")
            secrets[env_name(store.name, "DB_HOST")] = str(store.extra["parameter_arn"])
    return json.dumps([{
        "name": service.name,
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": service.port, "protocol": "tcp"}],
        "readonlyRootFilesystem": service.read_only_root_filesystem,
        "privileged": False,
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
        "mountPoints": mounts,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": service.name},
        },
    }])


@dataclass
class ContainerPlatformArgs:
    """Inputs: the `connect:platform` section and the `connect:services` list; whose environment it is and where
    it runs; and what it uses from the other components: the network, that region's environment key, the image
    URLs (the account stack's registry) and the data stores' access.

    The DR standby reuses this component in the DR region: `region`, `network`, `kms_key_arn`, `certificate_arn`
    and `base_override` (0 for pilot light, a reduced base for warm standby) say how it differs.
    """

    config: PlatformConfig
    services: list[ServiceConfig]
    name_prefix: str
    account_id: str
    region: str  # where this platform runs
    environment_name: str  # the `connect:environment` tag the file-system permissions match
    is_production: bool  # the load balancer is deletion-protected
    decommissioning: bool  # connect:tenant.lifecycle: no cluster, services or routes
    traffic_path_kept: bool  # the load balancer stays (decommissioning: through the client's notice)
    network: TenantNetwork
    kms_key_arn: pulumi.Input[str]
    repository_urls: dict[str, str]
    stores: dict[str, StoreAccess] = field(default_factory=dict)
    certificate_arn: str | None = None  # the standby's own; None: `config.certificate_arn`
    base_override: int | None = None
    # Stores whose permissions the services hold before they use them: the standby's failover stores, so that
    # declaring the failover writes no IAM (IAM's control plane is in us-east-1, which may be the region out).
    granted_stores: dict[str, StoreAccess] = field(default_factory=dict)


class ContainerPlatform(pulumi.ComponentResource):
    """Cluster, internal load balancer and one Fargate service per `connect:services` entry."""

    cluster: aws.ecs.Cluster
    load_balancer: aws.lb.LoadBalancer
    target_groups: dict[str, aws.lb.TargetGroup]
    services: dict[str, aws.ecs.Service]

    def __init__(self, name: str, args: ContainerPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:platform:ContainerPlatform", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        self.target_groups, self.services = {}, {}
        # Decommissioning (connect:tenant.lifecycle): no cluster, services or routes; what holds evidence stays (the
        # protected access-log bucket, each service's retained log group), and the load balancer during the notice.
        self.serving = not args.decommissioning
        if not self.serving:
            self._load_balancer()
            for service in sorted(args.services, key=lambda s: s.name):
                self._log_group(service)
            self.register_outputs({})
            return
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.name_prefix,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=child,
        )
        aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity-providers",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                capacity_provider="FARGATE", base=0, weight=1)],
            opts=child,
        )
        self._load_balancer()
        for service in sorted(args.services, key=lambda s: s.name):
            self._service(service)
        self.register_outputs({
            "clusterName": self.cluster.name,
            "loadBalancerDnsName": self.load_balancer.dns_name,
            "targetGroupArns": {k: tg.arn for k, tg in self.target_groups.items()},
        })

    def _load_balancer(self) -> None:
        """Internal ALB in the app subnets, its security group, access-log bucket and listeners.

        Decommissioning: the bucket stays; the balancer, its group and listeners only through the client's notice
        (`traffic_path_kept`), without deletion protection, so that the first `pulumi up` after it can delete them.
        """
        name, args, network = self._name, self._args, self._args.network
        keep = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        app_sg = network.security_groups["app"]
        balancer = args.traffic_path_kept
        if balancer:
            self._alb_security_group(app_sg)
        region = args.region
        bucket_name = f"{args.name_prefix[:40]}-{zone_id_prefix(region)}-alb-{args.account_id}"
        bucket = aws.s3.Bucket(f"{name}-access-logs", bucket=bucket_name, force_destroy=False, opts=keep)
        policy = self._access_log_settings(bucket, bucket_name, region)
        if balancer:
            self._balancer(bucket, policy)

    def _alb_security_group(self, app_sg: aws.ec2.SecurityGroup) -> None:
        """The load balancer's group: HTTPS and the redirect from the app tier, out to the app tier."""
        name, args, network = self._name, self._args, self._args.network
        child = pulumi.ResourceOptions(parent=self)
        self.alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=network.vpc.id,
            description="Internal load balancer: HTTPS (and the HTTP redirect) from the app tier only",
            tags={"Name": f"{args.name_prefix}-alb", "connect:tier": "app"},
            opts=child,
        )
        for port in (443, 80):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-from-app-{port}",
                security_group_id=self.alb_sg.id,
                referenced_security_group_id=app_sg.id,
                ip_protocol="tcp", from_port=port, to_port=port,
                description=f"{'HTTPS' if port == 443 else 'HTTP (redirected to HTTPS)'} from the app tier",
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-app",
            security_group_id=self.alb_sg.id,
            referenced_security_group_id=app_sg.id,
            ip_protocol="tcp", from_port=0, to_port=65535,
            description="To the service tasks in the app tier",
            opts=child,
        )

    def _access_log_settings(self, bucket: aws.s3.Bucket, bucket_name: str, region: str) -> aws.s3.BucketPolicy:
        """The access-log bucket's hardening, log expiry and delivery policy (kept while the bucket is)."""
        name, args = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        bucket_private(f"{name}-access-logs", bucket, child)
        bucket_encryption(f"{name}-access-logs", bucket, child)  # SSE-S3: ALB log delivery writes only with it
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle", bucket=bucket.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="alb/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=args.config.access_logs.retention_days),
            ), aws.s3.BucketLifecycleConfigurationRuleArgs(
                # parts of an interrupted delivery are stored (and billed) until aborted: every upload, any prefix
                id="abort-incomplete-uploads", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                abort_incomplete_multipart_upload=aws.s3.
                BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=7),
            )],
            opts=child,
        )
        return aws.s3.BucketPolicy(
            f"{name}-access-logs-policy", bucket=bucket.id,
            policy=access_log_bucket_policy(bucket_name, args.account_id, region), opts=child,
        )

    def _balancer(self, bucket: aws.s3.Bucket, policy: aws.s3.BucketPolicy) -> None:
        """The internal ALB and its listeners; deletion-protected in production unless decommissioning."""
        name, args, network = self._name, self._args, self._args.network
        child = pulumi.ResourceOptions(parent=self)
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            internal=True,
            load_balancer_type="application",
            security_groups=[self.alb_sg.id],
            subnets=[s.id for s in network.subnets["app"].values()],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=args.is_production and not args.decommissioning,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=bucket.id, prefix="alb", enabled=True),
            tags={"Name": f"{args.name_prefix}-internal"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=args.certificate_arn or args.config.certificate_arn,
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="fixed-response",
                fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", message_body="no route", status_code="404"),
            )],
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http-redirect",
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443",
                                                                 status_code="HTTP_301"),
            )],
            opts=child,
        )

    def _service(self, service: ServiceConfig) -> None:
        """Everything one microservice needs, keyed by its name, in four steps: its roles and their policies, its
        task definition, its target group and listener rule, and the ECS service with its security group (then
        its autoscaling)."""
        base = f"{self._name}-{service.name}"
        log_group_name, log_group = self._log_group(service)
        # By name, not in `uses` order: reordering the list must not rewrite the policy or the task's volumes.
        # `stores`: what the tasks reach now (variables, volumes, store ingress); `iam_stores`: what the roles grant,
        # which for the DR standby includes its failover stores ahead of the failover (ContainerPlatformArgs).
        uses = sorted(set(service.uses))
        stores = [self._args.stores[name] for name in uses if name in self._args.stores]
        granted = {**self._args.granted_stores, **self._args.stores}
        iam_stores = [granted[name] for name in uses if name in granted]
        execution_role, task_role = self._service_roles(service, base, log_group_name, iam_stores)
        task_definition = self._task_definition(service, base, (log_group_name, log_group), stores,
                                                (execution_role, task_role))
        target_group, rule = self._target_group_and_rule(service, base)
        ecs_service = self._ecs_service(service, base, stores, task_definition, target_group, rule)
        self._autoscaling(service, ecs_service, target_group, base)
        self.target_groups[service.name] = target_group
        self.services[service.name] = ecs_service

    def _service_roles(self, service: ServiceConfig, base: str, log_group_name: str,
                       iam_stores: list[StoreAccess]) -> tuple[aws.iam.Role, aws.iam.Role]:
        """The execution role (ECS pulls the image, writes the logs, reads the secrets) and the task role (what the
        code may call: the stores it uses), each with its inline policy; both bounded by the workload boundary."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        repository_arn = f"arn:aws:ecr:{args.region}:{args.account_id}:repository/{service.image.repository}"

        def task_role_of(key: str, description: str) -> aws.iam.Role:  # ECS tasks assume it, within the boundary
            return aws.iam.Role(key, permissions_boundary=workload_boundary(args.account_id), description=description,
                                assume_role_policy=ecs_tasks_trust(args.account_id), opts=child)

        execution_role = task_role_of(
            f"{base}-execution", f"ECS pulls {service.name}'s image, writes its logs, reads its secrets")
        aws.iam.RolePolicy(
            f"{base}-execution-policy",
            role=execution_role.id,
            policy=self._execution_policy(service, repository_arn, log_group_name, iam_stores),
            opts=child,
        )
        task_role = task_role_of(
            f"{base}-task", f"What {service.name}'s code may call: the data stores it uses, nothing else")
        task_statements = self._store_statements(service, iam_stores)
        if task_statements:
            aws.iam.RolePolicy(
                f"{base}-task-policy", role=task_role.id,
                policy=json.dumps({"Version": "2012-10-17", "Statement": task_statements}), opts=child,
            )
        return execution_role, task_role

    def _task_definition(self, service: ServiceConfig, base: str,
                         logs: tuple[str, aws.cloudwatch.LogGroup], stores: list[StoreAccess],
                         roles: tuple[aws.iam.Role, aws.iam.Role]) -> aws.ecs.TaskDefinition:
        """The Fargate task: the pinned image of the account's registry, its logs, its roles, the file systems it
        mounts. Made after its log group (`logs`: name and group), so the first task finds it."""
        args = self._args
        log_group_name, log_group = logs
        execution_role, task_role = roles
        image = args.repository_urls[service.image.repository] + service.image.reference()
        return aws.ecs.TaskDefinition(
            f"{base}-task-definition",
            family=f"{args.name_prefix}-{service.name}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(service.cpu),
            memory=str(service.memory),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"),
            container_definitions=container_definitions(service, image, log_group_name, args.region, stores),
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(
                name=store.name,
                efs_volume_configuration=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationArgs(
                    file_system_id=store.file_system.id,
                    transit_encryption="ENABLED",
                    authorization_config=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfigArgs(
                        access_point_id=store.access_point.id, iam="ENABLED"),
                ),
            ) for store in stores if store.file_system is not None and store.access_point is not None],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )

    def _target_group_and_rule(self, service: ServiceConfig, base: str
                               ) -> tuple[aws.lb.TargetGroup, aws.lb.ListenerRule]:
        """The service's target group (its tasks by IP, health-checked) and the HTTPS listener rule that forwards
        its paths and hosts to it."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        target_group = aws.lb.TargetGroup(
            f"{base}-tg",
            name_prefix=target_group_prefix(service.name),
            target_type="ip",
            protocol="HTTP",
            port=service.port,
            vpc_id=args.network.vpc.id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                path=service.health_check.path, interval=service.health_check.interval,
                healthy_threshold=service.health_check.healthy_threshold, matcher="200-399"),
            tags={"Name": f"{args.name_prefix}-{service.name}"},
            opts=child,
        )
        conditions = []
        if service.routes.paths:
            conditions.append(aws.lb.ListenerRuleConditionArgs(
                path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=service.routes.paths)))
        if service.routes.hosts:
            conditions.append(aws.lb.ListenerRuleConditionArgs(
                host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=service.routes.hosts)))
        rule = aws.lb.ListenerRule(
            f"{base}-rule",
            listener_arn=self.https.arn,
            priority=service.effective_priority(),
            conditions=conditions,
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group.arn)],
            opts=child,
        )
        return target_group, rule

    def _ecs_service(self, service: ServiceConfig, base: str, stores: list[StoreAccess],
                     task_definition: aws.ecs.TaskDefinition, target_group: aws.lb.TargetGroup,
                     rule: aws.lb.ListenerRule) -> aws.ecs.Service:
        """The service's security group (its port from the load balancer only; into each store it uses) and the
        ECS service in the app subnets, registered with its target group once the listener rule exists."""
        args, network = self._args, self._args.network
        child = pulumi.ResourceOptions(parent=self)
        service_sg = aws.ec2.SecurityGroup(
            f"{base}-sg",
            vpc_id=network.vpc.id,
            description=f"{service.name}: port {service.port} from the internal load balancer only",
            tags={"Name": f"{args.name_prefix}-{service.name}", "connect:tier": "app"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{base}-from-alb",
            security_group_id=service_sg.id,
            referenced_security_group_id=self.alb_sg.id,
            ip_protocol="tcp", from_port=service.port, to_port=service.port,
            description=f"{service.name} traffic from the internal load balancer",
            opts=child,
        )
        for store in stores:
            if store.security_group is not None and store.port is not None:
                aws.vpc.SecurityGroupIngressRule(
                    f"{base}-to-{store.name}",
                    security_group_id=store.security_group.id,
                    referenced_security_group_id=service_sg.id,
                    ip_protocol="tcp", from_port=store.port, to_port=store.port,
                    description=f"{service.name} uses {store.name}",
                    opts=child,
                )
        return aws.ecs.Service(
            f"{base}-service",
            name=service.name,
            cluster=self.cluster.arn,
            task_definition=task_definition.arn,
            desired_count=self._base(service),
            launch_type="FARGATE",
            platform_version="1.4.0",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=[s.id for s in network.subnets["app"].values()],
                security_groups=[service_sg.id, network.security_groups["app"].id],
                assign_public_ip=False,
            ),
            load_balancers=[aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=target_group.arn, container_name=service.name, container_port=service.port)],
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            health_check_grace_period_seconds=60,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            wait_for_steady_state=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[rule], ignore_changes=["desiredCount"]),
        )

    def _log_group(self, service: ServiceConfig) -> tuple[str, aws.cloudwatch.LogGroup]:
        """A service's log group, kept with its retention while the environment is decommissioned."""
        args = self._args
        log_group_name = f"/connect/{args.name_prefix}/services/{service.name}"
        return log_group_name, aws.cloudwatch.LogGroup(
            f"{self._name}-{service.name}-logs",
            name=log_group_name,
            kms_key_id=self._args.kms_key_arn,
            retention_in_days=args.config.log_retention_days,
            # Removing the service removes this group from the stack but keeps it in AWS: not protected
            # (that would block the removal), retained, and declared so for the pack.
            tags={"connect:retain-on-delete": "true"},
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )

    def _base(self, service: ServiceConfig) -> int:
        """The floor of a service: the client's base, or the DR standby's (0 pilot light, reduced warm)."""
        override = self._args.base_override
        return service.capacity.base if override is None else min(override, service.capacity.base)

    def _store_statements(self, service: ServiceConfig, stores: list[StoreAccess]) -> list[dict[str, object]]:
        """Task-role permissions for exactly the stores the service uses, built from names (known in preview)."""
        args, region = self._args, self._args.region
        account = args.account_id
        statements: list[dict[str, object]] = []
        for store in stores:
            sid = "".join(part.capitalize() for part in store.name.split("-"))
            if store.kind == "bucket":
                statements += [
                    {"Sid": f"List{sid}", "Effect": "Allow", "Action": "s3:ListBucket",
                     "Resource": f"arn:aws:s3:::{store.bucket}"},
                    {"Sid": f"Objects{sid}", "Effect": "Allow",
                     "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                     "Resource": f"arn:aws:s3:::{store.bucket}/*"},
                ]
            elif store.kind == "fileSystem":
                statements.append({
                    "Sid": f"Mount{sid}", "Effect": "Allow",
                    "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                    "Resource": f"arn:aws:elasticfilesystem:{region}:{account}:file-system/*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/connect:store": store.name,
                                                   "aws:ResourceTag/connect:environment": args.environment_name}},
                })
            elif store.kind == "database":
                # IAM database authentication as the service's own database user.
                statements.append({
                    "Sid": f"Connect{sid}", "Effect": "Allow", "Action": "rds-db:connect",
                    "Resource": f"arn:aws:rds-db:{region}:{account}:dbuser:*/{service.name.replace('-', '_')}",
                })
        if any(store.kind == "bucket" for store in stores):
            statements.append({
                "Sid": "UseTheEnvironmentKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/connect/{args.name_prefix}"}},
            })
        return statements

    def _execution_policy(self, service: ServiceConfig, repository_arn: str, log_group_name: str,
                          stores: list[StoreAccess]) -> str:
        """Pull this image, write this log group, read these secrets: nothing else.

        Built from names alone, so the document is known in preview and the pack can read it.
        """
        args, region = self._args, self._args.region
        log_group_arn = f"arn:aws:logs:{region}:{args.account_id}:log-group:{log_group_name}"
        statements: list[dict[str, object]] = [
            {"Sid": "Authenticate", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "PullImage", "Effect": "Allow", "Resource": repository_arn,
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]},
            {"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"{log_group_arn}:*"},
        ]
        secret_arns = sorted(secret_policy_resource(in_region(a, region))
                             for a in service.secrets.values() if ":secretsmanager:" in a)
        parameter_arns = sorted([in_region(a, region) for a in service.secrets.values() if ":ssm:" in a]
                                + [s.extra["parameter_arn"] for s in stores if s.kind == "database"])
        if secret_arns:
            statements.append({"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                               "Resource": secret_arns})
        if parameter_arns:
            statements.append({"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
                               "Resource": parameter_arns})
        if secret_arns or parameter_arns:
            statements.append({"Sid": "DecryptSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                               "Condition": {"ForAnyValue:StringEquals": {
                                   "kms:ResourceAliases": f"alias/connect/{args.name_prefix}"}}})
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    def _autoscaling(self, service: ServiceConfig, ecs_service: aws.ecs.Service, target_group: aws.lb.TargetGroup,
                     base: str) -> None:
        """Scalable target between base and max, tracking CPU and (optionally) requests per task."""
        child = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{base}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", ecs_service.name),
            min_capacity=self._base(service),
            max_capacity=service.capacity.max,
            opts=child,
        )
        trackers: list[tuple[str, float, str, pulumi.Input[str] | None]] = [
            ("cpu", float(service.scaling.cpu_target), "ECSServiceAverageCPUUtilization", None)]
        if service.scaling.requests_per_target is not None:
            trackers.append(("requests", float(service.scaling.requests_per_target), "ALBRequestCountPerTarget",
                             pulumi.Output.concat(self.load_balancer.arn_suffix, "/", target_group.arn_suffix)))
        for suffix, value, metric, label in trackers:
            aws.appautoscaling.Policy(
                f"{base}-scale-on-{suffix}",
                policy_type="TargetTrackingScaling",
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                service_namespace=target.service_namespace,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.
                PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=value,
                    predefined_metric_specification=aws.appautoscaling.
                    PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=metric, resource_label=label),
                    scale_in_cooldown=120, scale_out_cooldown=60,
                ),
                opts=child,
            )
