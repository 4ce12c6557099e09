"""Bad container-platform config in, precise issues out: `connect:services`, `connect:platform`, `connect:registry`.

Every case starts from a valid stack file (acme-prod for environment cases, acme-account for account
cases), changes one thing and checks the exact path(s) of the issues reported and the key phrases of
the message: what is wrong and what is allowed instead (the AWS limits each model cites).
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import FARGATE_SIZES, ServiceConfig, StackConfig, parse_stack_config
from connectctl.engine.project import load_project, load_stack
from tests.components.config_cases import (
    DELETE,
    SOURCE,
    Case,
    assert_issues,
    changer,
    each_case,
    each_field_path,
    issues_of,
    parse_odd,
)

PROJECT = load_project()
STACKS = {name: load_stack(PROJECT, name).config for name in ("acme-prod", "acme-account")}
ACCOUNT, OTHER_ACCOUNT = "111111111111", "222222222222"
CPU_SIZES = "256, 512, 1024, 2048, 4096, 8192, 16384"
SERVICE_KEYS = ("name, image, cpu, memory, port, routes, priority, healthCheck, capacity, scaling, environment, "
                "secrets, readOnlyRootFilesystem")
CERT_ID = "0d7e3c1a-5b2f-4c8e-9a61-3f2b7c9d1e40"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:acme/prod/payments-db-Xy7Q2m"
DIGEST = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
S0, S1, S2 = "connect:services[0]", "connect:services[1]", "connect:services[2]"

config_of = changer(STACKS)

def _derived_priority_of_accounts_api() -> int:
    service = ServiceConfig.model_validate(STACKS["acme-prod"]["connect:services"][1])
    assert service.priority is None
    return service.effective_priority()


DERIVED = _derived_priority_of_accounts_api()
NETWORK = {"cidr": "10.40.0.0/16"}

CASES: dict[str, Case] = {
    # --- Fargate cpu/memory pairs (one case per row of the AWS table) ---------------------------
    "cpu256-mem4096": (
        "acme-prod", [(f"{S2}.memory", 4096)], [f"{S2}.memory"],
        ["4096 MiB does not fit cpu 256", "allowed for cpu 256: 512, 1024, 2048 MiB"],
    ),
    "cpu512-mem512": (
        "acme-prod", [(f"{S0}.memory", 512)], [f"{S0}.memory"],
        ["512 MiB does not fit cpu 512", "allowed for cpu 512: 1024 to 4096 in steps of 1024 MiB"],
    ),
    "cpu512-mem5120": (
        "acme-prod", [(f"{S0}.memory", 5120)], [f"{S0}.memory"],
        ["5120 MiB does not fit cpu 512", "1024 to 4096 in steps of 1024"],
    ),
    "cpu1024-mem1024": (
        "acme-prod", [(f"{S1}.memory", 1024)], [f"{S1}.memory"],
        ["1024 MiB does not fit cpu 1024", "allowed for cpu 1024: 2048 to 8192 in steps of 1024 MiB"],
    ),
    "cpu1024-mem9216": (
        "acme-prod", [(f"{S1}.memory", 9216)], [f"{S1}.memory"],
        ["9216 MiB does not fit cpu 1024", "2048 to 8192 in steps of 1024"],
    ),
    "cpu2048-mem17408": (
        "acme-prod", [(f"{S1}.cpu", 2048), (f"{S1}.memory", 17408)], [f"{S1}.memory"],
        ["17408 MiB does not fit cpu 2048", "allowed for cpu 2048: 4096 to 16384 in steps of 1024 MiB"],
    ),
    "cpu4096-mem31744": (
        "acme-prod", [(f"{S1}.cpu", 4096), (f"{S1}.memory", 31744)], [f"{S1}.memory"],
        ["31744 MiB does not fit cpu 4096", "allowed for cpu 4096: 8192 to 30720 in steps of 1024 MiB"],
    ),
    # 20480 = 16384 + 4096 IS a 4096 step (AWS: 16-60 GB in 4 GB increments), so 18432 is the off-step value.
    "cpu8192-mem18432-off-step": (
        "acme-prod", [(f"{S1}.cpu", 8192), (f"{S1}.memory", 18432)], [f"{S1}.memory"],
        ["18432 MiB does not fit cpu 8192", "allowed for cpu 8192: 16384 to 61440 in steps of 4096 MiB"],
    ),
    "cpu8192-mem65536-above-max": (
        "acme-prod", [(f"{S1}.cpu", 8192), (f"{S1}.memory", 65536)], [f"{S1}.memory"],
        ["65536 MiB does not fit cpu 8192", "16384 to 61440 in steps of 4096"],
    ),
    # 40960 = 32768 + 8192 IS an 8192 step (AWS: 32-120 GB in 8 GB increments), so 36864 is the off-step value.
    "cpu16384-mem36864-off-step": (
        "acme-prod", [(f"{S1}.cpu", 16384), (f"{S1}.memory", 36864)], [f"{S1}.memory"],
        ["36864 MiB does not fit cpu 16384", "allowed for cpu 16384: 32768 to 122880 in steps of 8192 MiB"],
    ),
    "cpu-300": (
        "acme-prod", [(f"{S0}.cpu", 300)], [f"{S0}.cpu"], ["300 is not a Fargate CPU size", CPU_SIZES],
    ),
    "cpu-string": ("acme-prod", [(f"{S0}.cpu", "512")], [f"{S0}.cpu"], ["'512' is not a Fargate CPU size", CPU_SIZES]),
    "cpu-float": ("acme-prod", [(f"{S0}.cpu", 512.0)], [f"{S0}.cpu"], ["512.0 is not a Fargate CPU size", CPU_SIZES]),
    "cpu-list": ("acme-prod", [(f"{S0}.cpu", [512])], [f"{S0}.cpu"], ["[512] is not a Fargate CPU size", CPU_SIZES]),
    "cpu-boolean": ("acme-prod", [(f"{S0}.cpu", True)], [f"{S0}.cpu"], ["True is not a Fargate CPU size"]),
    "memory-string": (
        "acme-prod", [(f"{S0}.memory", "1024")], [f"{S0}.memory"],
        ["'1024' is not a whole number", "MiB from 512 to 122880"],
    ),
    "memory-float": ("acme-prod", [(f"{S0}.memory", 1024.0)], [f"{S0}.memory"], ["1024.0 is not a whole number"]),
    # --- names -----------------------------------------------------------------------------------
    "name-duplicate": (
        "acme-prod", [(f"{S1}.name", "payments-api")], [f"{S1}.name"],
        ["'payments-api' is already the name of connect:services[0]", "allowed: unique names"],
    ),
    "name-60-characters": (
        "acme-prod", [(f"{S0}.name", "payments-" + "a" * 51)], [f"{S0}.name"],
        ["is 60 characters long", "allowed: at most 24 characters"],
    ),
    "name-25-characters": (
        "acme-prod", [(f"{S0}.name", "p" * 25)], [f"{S0}.name"], ["is 25 characters long", "at most 24"],
    ),
    "name-uppercase": (
        "acme-prod", [(f"{S0}.name", "Payments-API")], [f"{S0}.name"],
        ["'Payments-API' is not a service name", "2-24 lowercase letters, digits and single hyphens"],
    ),
    "name-one-character": ("acme-prod", [(f"{S0}.name", "p")], [f"{S0}.name"], ["'p' is not a service name", "2-24"]),
    "name-number": ("acme-prod", [(f"{S0}.name", 42)], [f"{S0}.name"], ["valid string", "got 42"]),
    # --- listener rule priorities ----------------------------------------------------------------
    "priority-duplicate-explicit": (
        "acme-prod", [(f"{S1}.priority", 10)], [f"{S1}.priority"],
        ["priority 10 (set) is already used by service 'payments-api'", "a unique priority 1-50000"],
    ),
    "priority-derived-collides-with-explicit": (
        "acme-prod", [(f"{S0}.priority", DERIVED)], [f"{S1}.priority"],
        [f"priority {DERIVED} (derived from the name) is already used by service 'payments-api'",
         "a unique priority 1-50000"],
    ),
    "priority-0": (
        "acme-prod", [(f"{S0}.priority", 0)], [f"{S0}.priority"],
        ["0 is out of range", "priority from 1 to 50000"],
    ),
    "priority-50001": (
        "acme-prod", [(f"{S0}.priority", 50001)], [f"{S0}.priority"],
        ["50001 is out of range", "priority from 1 to 50000"],
    ),
    "priority-string": (
        "acme-prod", [(f"{S0}.priority", "10")], [f"{S0}.priority"], ["'10' is not a whole number", "1 to 50000"],
    ),
    # --- routes ----------------------------------------------------------------------------------
    "route-same-path-in-two-services": (
        "acme-prod", [(f"{S1}.routes", {"paths": ["/accounts/*", "/payments/*"]})], [f"{S1}.routes"],
        ["host '*' path '/payments/*' is already routed to service 'payments-api'", "each route to one service"],
    ),
    "route-same-host-only-in-two-services": (
        "acme-prod", [(f"{S1}.routes", {"hosts": ["notifications.acme.internal"]})], [f"{S2}.routes"],
        ["host 'notifications.acme.internal' path '*' is already routed to service 'accounts-api'",
         "each route to one service"],
    ),
    "routes-empty-mapping": (
        "acme-prod", [(f"{S0}.routes", {})], [f"{S0}.routes"], ["no route", "at least one path or host"],
    ),
    "routes-empty-lists": (
        "acme-prod", [(f"{S0}.routes", {"paths": [], "hosts": []})], [f"{S0}.routes"], ["at least one path or host"],
    ),
    "routes-missing": ("acme-prod", [(f"{S0}.routes", DELETE)], [f"{S0}.routes"], ["required key is missing"]),
    "routes-six-condition-values": (
        "acme-prod", [(f"{S0}.routes", {"paths": ["/a", "/b", "/c", "/d"], "hosts": ["a.internal", "b.internal"]})],
        [f"{S0}.routes"], ["6 condition values", "at most 5 paths and hosts together"],
    ),
    "route-path-without-slash": (
        "acme-prod", [(f"{S0}.routes.paths", ["payments/*"])], [f"{S0}.routes.paths"],
        ["'payments/*' is not a path pattern", "up to 128 characters starting with '/'"],
    ),
    "route-path-129-characters": (
        "acme-prod", [(f"{S0}.routes.paths", ["/" + "p" * 128])], [f"{S0}.routes.paths"],
        ["is not a path pattern", "up to 128 characters"],
    ),
    "route-paths-a-string": (
        "acme-prod", [(f"{S0}.routes.paths", "/payments/*")], [f"{S0}.routes.paths"],
        ["'/payments/*' is not a list", "allowed: a list"],
    ),
    "route-host-bad-characters": (
        "acme-prod", [(f"{S2}.routes.hosts", ["notifications acme"])], [f"{S2}.routes.hosts"],
        ["'notifications acme' is not a host pattern", "up to 128 letters, digits, '.', '-'"],
    ),
    "routes-unknown-key": (
        "acme-prod", [(f"{S0}.routes.path", ["/x"])], [f"{S0}.routes.path"],
        ["unknown key", "did you mean 'paths'?", "allowed keys: paths, hosts"],
    ),
    # --- capacity and scaling --------------------------------------------------------------------
    "capacity-base-above-max": (
        "acme-prod", [(f"{S0}.capacity", {"base": 5, "max": 2})], [f"{S0}.capacity"],
        ["base 5 is above max 2", "allowed: base <= max"],
    ),
    "capacity-base-0": (
        "acme-prod", [(f"{S0}.capacity.base", 0)], [f"{S0}.capacity.base"],
        ["0 is out of range", "tasks from 1 to 1000"],
    ),
    "capacity-base-1-in-production": (
        "acme-prod", [(f"{S0}.capacity.base", 1)], [f"{S0}.capacity.base"],
        ["1 task(s) in production", "at least 2, so a zone failure leaves one running"],
    ),
    "capacity-max-missing": (
        "acme-prod", [(f"{S0}.capacity.max", DELETE)], [f"{S0}.capacity.max"], ["required key is missing"],
    ),
    "scaling-cpu-target-5": (
        "acme-prod", [(f"{S0}.scaling.cpuTarget", 5)], [f"{S0}.scaling.cpuTarget"],
        ["5 is out of range", "percent from 10 to 90"],
    ),
    "scaling-cpu-target-95": (
        "acme-prod", [(f"{S0}.scaling.cpuTarget", 95)], [f"{S0}.scaling.cpuTarget"],
        ["95 is out of range", "percent from 10 to 90"],
    ),
    "scaling-requests-0": (
        "acme-prod", [(f"{S0}.scaling.requestsPerTarget", 0)], [f"{S0}.scaling.requestsPerTarget"],
        ["requests from 1 to 1000000"],
    ),
    # --- secrets and environment -----------------------------------------------------------------
    "secret-in-another-account": (
        "acme-prod", [(f"{S0}.secrets.DB_PASSWORD", SECRET.replace(ACCOUNT, OTHER_ACCOUNT))],
        [f"{S0}.secrets.DB_PASSWORD"],
        [f"secret in account {OTHER_ACCOUNT}", f"allowed: the tenant account {ACCOUNT}"],
    ),
    "secret-in-another-region": (
        "acme-prod", [(f"{S0}.secrets.DB_PASSWORD", SECRET.replace("us-east-1", "eu-west-1"))],
        [f"{S0}.secrets.DB_PASSWORD"],
        ["secret in region eu-west-1", "allowed: the stack's region us-east-1"],
    ),
    "ssm-parameter-in-another-account": (
        "acme-prod", [(f"{S2}.secrets.SMTP_TOKEN", f"arn:aws:ssm:us-east-1:{OTHER_ACCOUNT}:parameter/x")],
        [f"{S2}.secrets.SMTP_TOKEN"], [f"secret in account {OTHER_ACCOUNT}"],
    ),
    "secret-arn-malformed": (
        "acme-prod", [(f"{S0}.secrets.DB_PASSWORD", "acme/prod/payments-db")], [f"{S0}.secrets"],
        ["'acme/prod/payments-db' is not a Secrets Manager or SSM parameter ARN",
         "arn:aws:secretsmanager:<region>:<account>:secret:<name>", "arn:aws:ssm:<region>:<account>:parameter/<name>"],
    ),
    "secret-arn-partial": (
        "acme-prod", [(f"{S0}.secrets.DB_PASSWORD", "arn:aws:secretsmanager:us-east-1:111111111111:secret:acme/db")],
        [f"{S0}.secrets"], ["is a partial Secrets Manager ARN", "ending in '-' and the 6 characters"],
    ),
    "secret-arn-short-account": (
        "acme-prod", [(f"{S0}.secrets.DB_PASSWORD", "arn:aws:secretsmanager:us-east-1:1111:secret:x")],
        [f"{S0}.secrets"], ["is not a Secrets Manager or SSM parameter ARN"],
    ),
    "secret-also-in-environment": (
        "acme-prod", [(f"{S0}.environment.DB_PASSWORD", "hunter2")], [f"{S0}.secrets"],
        ["DB_PASSWORD also in environment", "each variable in one place"],
    ),
    "secret-reserved-name": (
        "acme-prod", [(f"{S0}.secrets", {"AWS_SECRET_ACCESS_KEY": SECRET})], [f"{S0}.secrets"],
        ["'AWS_SECRET_ACCESS_KEY' is not an allowed variable name", "AWS_ or ECS_"],
    ),
    "env-reserved-aws-region": (
        "acme-prod", [(f"{S0}.environment.AWS_REGION", "us-east-1")], [f"{S0}.environment"],
        ["'AWS_REGION' is not an allowed variable name", "letters, digits and '_'", "AWS_ or ECS_"],
    ),
    "env-reserved-ecs": (
        "acme-prod", [(f"{S0}.environment.ECS_ENABLE_CONTAINER_METADATA", "true")], [f"{S0}.environment"],
        ["'ECS_ENABLE_CONTAINER_METADATA' is not an allowed variable name"],
    ),
    "env-name-starts-with-digit": (
        "acme-prod", [(f"{S0}.environment.1X", "x")], [f"{S0}.environment"],
        ["'1X' is not an allowed variable name", "not starting with a digit"],
    ),
    "env-value-a-number": (
        "acme-prod", [(f"{S0}.environment.LOG_LEVEL", 3)], [f"{S0}.environment.LOG_LEVEL"],
        ["valid string", "got 3"],
    ),
    "env-a-list": (
        "acme-prod", [(f"{S0}.environment", ["LOG_LEVEL=info"])], [f"{S0}.environment"],
        ["['LOG_LEVEL=info'] is not a mapping"],
    ),
    # --- image -----------------------------------------------------------------------------------
    "image-tag-and-digest": (
        "acme-prod", [(f"{S0}.image.digest", DIGEST)], [f"{S0}.image"], ["exactly one of tag or digest"],
    ),
    "image-neither-tag-nor-digest": (
        "acme-prod", [(f"{S0}.image.tag", DELETE)], [f"{S0}.image"], ["exactly one of tag or digest"],
    ),
    "image-bad-digest": (
        "acme-prod", [(f"{S1}.image.digest", "sha256:6c3c624b")], [f"{S1}.image.digest"],
        ["'sha256:6c3c624b' is not an image digest", "sha256: followed by 64 lowercase hex"],
    ),
    "image-digest-uppercase-hex": (
        "acme-prod", [(f"{S1}.image.digest", DIGEST.upper().replace("SHA256", "sha256"))], [f"{S1}.image.digest"],
        ["64 lowercase hex"],
    ),
    "image-bad-tag": (
        "acme-prod", [(f"{S0}.image.tag", "1.4.2 beta")], [f"{S0}.image.tag"],
        ["'1.4.2 beta' is not an image tag", "1-128 letters, digits, '_', '.', '-'"],
    ),
    "image-tag-leading-dot": ("acme-prod", [(f"{S0}.image.tag", ".1")], [f"{S0}.image.tag"], ["not an image tag"]),
    "image-tag-a-number": ("acme-prod", [(f"{S0}.image.tag", 1.4)], [f"{S0}.image.tag"], ["valid string", "got 1.4"]),
    "image-repository-uppercase": (
        "acme-prod", [(f"{S0}.image.repository", "Payments-API")], [f"{S0}.image.repository"],
        ["'Payments-API' is not an ECR repository name", "lowercase letters, digits, . _ - /"],
    ),
    "image-repository-missing": (
        "acme-prod", [(f"{S0}.image.repository", DELETE)], [f"{S0}.image.repository"], ["required key is missing"],
    ),
    "image-a-string": (
        "acme-prod", [(f"{S0}.image", "payments-api:1.4.2")], [f"{S0}.image"],
        ["'payments-api:1.4.2' is not a mapping", "a mapping with keys repository, tag, digest"],
    ),
    # --- other service fields --------------------------------------------------------------------
    "service-unknown-key-capacty": (
        "acme-prod", [(f"{S0}.capacty", {"base": 2, "max": 10})], [f"{S0}.capacty"],
        ["unknown key", "did you mean 'capacity'?", f"allowed keys: {SERVICE_KEYS}"],
    ),
    "health-check-interval-1": (
        "acme-prod", [(f"{S0}.healthCheck.interval", 1)], [f"{S0}.healthCheck.interval"],
        ["1 is out of range", "seconds from 5 to 300"],
    ),
    "health-check-threshold-11": (
        "acme-prod", [(f"{S0}.healthCheck.healthyThreshold", 11)], [f"{S0}.healthCheck.healthyThreshold"],
        ["checks from 2 to 10"],
    ),
    "health-check-path-relative": (
        "acme-prod", [(f"{S0}.healthCheck.path", "health")], [f"{S0}.healthCheck.path"],
        ["'health' is not a health check path", "a path starting with '/'"],
    ),
    "port-70000": (
        "acme-prod", [(f"{S0}.port", 70000)], [f"{S0}.port"], ["70000 is out of range", "a TCP port from 1 to 65535"],
    ),
    "port-0": ("acme-prod", [(f"{S0}.port", 0)], [f"{S0}.port"], ["a TCP port from 1 to 65535"]),
    "port-string": ("acme-prod", [(f"{S0}.port", "8080")], [f"{S0}.port"], ["'8080' is not a whole number"]),
    "read-only-root-not-boolean": (
        "acme-prod", [(f"{S0}.readOnlyRootFilesystem", "sometimes")], [f"{S0}.readOnlyRootFilesystem"],
        ["valid boolean", "got 'sometimes'"],
    ),
    "service-missing-capacity": (
        "acme-prod", [(f"{S0}.capacity", DELETE)], [f"{S0}.capacity"], ["required key is missing"],
    ),
    "services-a-mapping": (
        "acme-prod", [("connect:services", {"payments-api": {"cpu": 512}})], ["connect:services"],
        ["is not a list", f"a list of mappings with keys {SERVICE_KEYS}"],
    ),
    "services-null": ("acme-prod", [("connect:services", None)], ["connect:services"], ["None is not a list"]),
    "service-a-string": (
        "acme-prod", [(S0, "payments-api")], [S0], ["'payments-api' is not a mapping", f"keys {SERVICE_KEYS}"],
    ),
    # --- platform --------------------------------------------------------------------------------
    "certificate-missing-with-services": (
        "acme-prod", [("connect:platform.certificateArn", DELETE)], ["connect:platform.certificateArn"],
        ["required when services are declared", "HTTPS"],
    ),
    "certificate-malformed": (
        "acme-prod", [("connect:platform.certificateArn", f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc")],
        ["connect:platform.certificateArn"],
        ["is not an ACM certificate ARN", "arn:aws:acm:<region>:<12-digit account>:certificate/<36-character id>"],
    ),
    "certificate-in-another-region": (
        "acme-prod", [("connect:platform.certificateArn", f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{CERT_ID}")],
        ["connect:platform.certificateArn"],
        [f"certificate in eu-west-1 / account {ACCOUNT}", f"allowed: us-east-1 / {ACCOUNT}"],
    ),
    "certificate-in-another-account": (
        "acme-prod",
        [("connect:platform.certificateArn", f"arn:aws:acm:us-east-1:{OTHER_ACCOUNT}:certificate/{CERT_ID}")],
        ["connect:platform.certificateArn"],
        [f"certificate in us-east-1 / account {OTHER_ACCOUNT}", f"allowed: us-east-1 / {ACCOUNT}"],
    ),
    "platform-log-retention-366": (
        "acme-prod", [("connect:platform.logRetentionDays", 366)], ["connect:platform.logRetentionDays"],
        ["366 is not a CloudWatch Logs retention", "365, 400"],
    ),
    "platform-access-logs-10-days": (
        "acme-prod", [("connect:platform.accessLogs", {"retentionDays": 10})],
        ["connect:platform.accessLogs.retentionDays"], ["days from 30 to 3653"],
    ),
    "platform-unknown-key": (
        "acme-prod", [("connect:platform.certificate", "x")], ["connect:platform.certificate"],
        ["unknown key", "did you mean 'certificateArn'?"],
    ),
    # --- scope: environment stacks vs account stacks ---------------------------------------------
    "registry-in-environment-stack": (
        "acme-prod", [("connect:registry", {"repositories": ["payments-api"]})], ["connect:registry"],
        ["set in an environment stack", "only in the account stack (stacks/Pulumi.acme-account.yaml)"],
    ),
    "network-in-account-stack": (
        "acme-account", [("connect:network", NETWORK)], ["connect:network"],
        ["not used in an account stack (scope: account)", "allowed: connect:tenant, connect:registry"],
    ),
    "services-in-account-stack": (
        "acme-account", [("connect:services", STACKS["acme-prod"]["connect:services"])], ["connect:services"],
        ["not used in an account stack", "allowed: connect:tenant, connect:registry"],
    ),
    "platform-in-account-stack": (
        "acme-account", [("connect:platform", STACKS["acme-prod"]["connect:platform"])], ["connect:platform"],
        ["not used in an account stack"],
    ),
    "account-stack-without-registry": (
        "acme-account", [("connect:registry", DELETE)], ["connect:registry"],
        ["required key is missing", "account stacks own the client's ECR repositories"],
    ),
    "account-stack-with-environment": (
        "acme-account", [("connect:tenant.environment", "prod")], ["connect:tenant.environment"],
        ["'prod' in an account stack", "omit it (or 'account')"],
    ),
    # --- registry --------------------------------------------------------------------------------
    "registry-duplicate-repository": (
        "acme-account", [("connect:registry.repositories", ["payments-api", "accounts-api", "payments-api"])],
        ["connect:registry.repositories"], ["repository listed twice: payments-api", "each once"],
    ),
    "registry-repository-uppercase": (
        "acme-account", [("connect:registry.repositories", ["Payments-API"])], ["connect:registry.repositories"],
        ["'Payments-API' is not an ECR repository name", "2-256 lowercase letters, digits"],
    ),
    "registry-repository-one-character": (
        "acme-account", [("connect:registry.repositories", ["p"])], ["connect:registry.repositories"], ["2-256"],
    ),
    "registry-repositories-a-string": (
        "acme-account", [("connect:registry.repositories", "payments-api")], ["connect:registry.repositories"],
        ["'payments-api' is not a list", "allowed: a list"],
    ),
    "registry-repositories-missing": (
        "acme-account", [("connect:registry.repositories", DELETE)], ["connect:registry.repositories"],
        ["required key is missing"],
    ),
    "registry-lifecycle-keep-tagged-0": (
        "acme-account", [("connect:registry.lifecycle.keepTagged", 0)], ["connect:registry.lifecycle.keepTagged"],
        ["0 is out of range", "images from 1 to 1000"],
    ),
    "registry-lifecycle-untagged-400": (
        "acme-account", [("connect:registry.lifecycle.untaggedExpireDays", 400)],
        ["connect:registry.lifecycle.untaggedExpireDays"], ["days from 1 to 365"],
    ),
    "registry-scanning-full": (
        "acme-account", [("connect:registry.scanning", "full")], ["connect:registry.scanning"],
        ["'basic' or 'enhanced'", "got 'full'"],
    ),
    "registry-unknown-key": (
        "acme-account", [("connect:registry.scaning", "basic")], ["connect:registry.scaning"],
        ["unknown key", "did you mean 'scanning'?", "allowed keys: repositories, scanning, lifecycle, replicateToDr"],
    ),
}


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@each_case(CASES)
def test_bad_input_names_field_and_allowed_values(
    stack: str, changes: list[tuple[str, Any]], paths: list[str], phrases: list[str]
) -> None:
    assert_issues(issues_of(config_of(stack, *changes)), paths, phrases)


def test_several_service_problems_are_reported_together() -> None:
    field_errors = config_of("acme-prod", (f"{S0}.cpu", 300), (f"{S0}.port", 70000), (f"{S2}.image.tag", "a b"))
    assert [issue.path for issue in issues_of(field_errors)] == [f"{S0}.cpu", f"{S0}.port", f"{S2}.image.tag"]
    # Cross-field rules run once every field is valid; then they are all reported together.
    cross_errors = config_of(
        "acme-prod",
        (f"{S1}.memory", 1024),
        (f"{S1}.priority", 10),
        (f"{S2}.capacity.base", 1),
        ("connect:platform.certificateArn", DELETE),
    )
    assert [issue.path for issue in issues_of(cross_errors)] == [
        f"{S1}.memory", f"{S1}.priority", f"{S2}.capacity.base", "connect:platform.certificateArn",
    ]


def _services(count: int) -> list[dict[str, Any]]:
    """`count` valid services (copies of acme-prod's first), each with its own name, priority and path."""
    template = {k: v for k, v in STACKS["acme-prod"]["connect:services"][0].items() if k != "uses"}
    return [{**template, "name": f"svc-{n:03d}", "priority": 11 + n, "routes": {"paths": [f"/svc-{n:03d}/*"]}}
            for n in range(count)]


def test_more_services_than_one_load_balancer_holds_are_refused() -> None:
    """101 services: one issue on the list, naming the AWS quota, before `pulumi up` fails at the 101st rule."""
    issues = issues_of(config_of("acme-prod", ("connect:services", _services(101))))
    assert_issues(issues, ["connect:services"], ["101 services", "allowed: at most 100 per environment",
                                                 "100 target groups per Application Load Balancer, not adjustable"])


# --- what is allowed ---------------------------------------------------------------------------------


def test_one_hundred_services_pass() -> None:
    cfg = parse_stack_config(config_of("acme-prod", ("connect:services", _services(100))), SOURCE)
    assert len(cfg.services) == 100


@pytest.mark.parametrize("stack", ["acme-prod", "acme-staging", "globex-prod", "acme-account", "globex-account"])
def test_committed_stack_files_parse_cleanly(stack: str) -> None:
    stack_file = load_stack(PROJECT, stack)
    cfg = parse_stack_config(stack_file.config, stack_file.display_path)
    assert isinstance(cfg, StackConfig)
    assert cfg.is_account == stack.endswith("-account")
    if cfg.is_account:
        assert cfg.registry is not None and cfg.registry.repositories
        assert not cfg.services and cfg.network is None
    else:
        assert cfg.services and cfg.network is not None and cfg.registry is None
        assert cfg.platform.certificate_arn is not None


def test_base_1_is_allowed_outside_production() -> None:
    staging = config_of("acme-prod", ("connect:tenant.environment", "staging"), (f"{S0}.capacity.base", 1))
    assert parse_stack_config(staging, SOURCE).services[0].capacity.base == 1
    assert load_stack(PROJECT, "acme-staging").config["connect:services"][0]["capacity"]["base"] == 1


@pytest.mark.parametrize("cpu", list(FARGATE_SIZES))
def test_every_fargate_size_of_the_aws_table_is_accepted(cpu: int) -> None:
    for memory in FARGATE_SIZES[cpu]:
        cfg = parse_stack_config(config_of("acme-prod", (f"{S1}.cpu", cpu), (f"{S1}.memory", memory)), SOURCE)
        assert (cfg.services[1].cpu, cfg.services[1].memory) == (cpu, memory)


@pytest.mark.parametrize(("cpu", "memory"), [(8192, 20480), (16384, 40960), (4096, 30720), (256, 2048)])
def test_boundary_and_step_sizes_are_accepted(cpu: int, memory: int) -> None:
    cfg = parse_stack_config(config_of("acme-prod", (f"{S1}.cpu", cpu), (f"{S1}.memory", memory)), SOURCE)
    assert cfg.services[1].memory == memory


def test_derived_priority_is_stable_and_in_its_band() -> None:
    cfg = parse_stack_config(config_of("acme-prod"), SOURCE)
    assert cfg.services[1].effective_priority() == DERIVED
    assert 1000 <= DERIVED < 49000
    assert cfg.services[0].effective_priority() == 10


def test_twenty_four_character_name_and_no_services_without_certificate_pass() -> None:
    cfg = parse_stack_config(config_of("acme-prod", (f"{S0}.name", "p" * 24)), SOURCE)
    assert cfg.services[0].name == "p" * 24
    bare = config_of("acme-prod", ("connect:services", []), ("connect:platform", {}))
    assert parse_stack_config(bare, SOURCE).platform.certificate_arn is None


# --- robustness: any value in any field gives StackConfigError, never another exception -------------

ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 256, 512, 1.5, 512.0, float("nan"), float("inf"), 10**40, -(10**40),
    "", " ", "\n", "\x00", "x" * 100_000, "p" * 25, "ünïcödé", "🚀", "512", "/x", "AWS_REGION", "None",
    "sha256:" + "a" * 64, f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{CERT_ID}", SECRET,
    [], {}, [None], [[]], [{}], ["a"] * 7, [1, 2], {"a": None}, {"": ""}, {1: "x"}, {"A": []},
    {"paths": None}, b"bytes", (1, 2), frozenset(), [[[["deep"]]]],
]
SERVICE_FIELDS = [
    "name", "image", "cpu", "memory", "port", "routes", "priority", "healthCheck", "capacity", "scaling",
    "environment", "secrets", "readOnlyRootFilesystem", "unknownKey",
    "image.repository", "image.tag", "image.digest", "routes.paths", "routes.hosts", "healthCheck.path",
    "healthCheck.interval", "healthCheck.healthyThreshold", "capacity.base", "capacity.max", "scaling.cpuTarget",
    "scaling.requestsPerTarget", "environment.LOG_LEVEL", "secrets.DB_PASSWORD",
    "routes.paths[0]", "routes.paths[1]",
]
PLATFORM_FIELDS = ["certificateArn", "accessLogs", "logRetentionDays", "accessLogs.retentionDays", "unknownKey"]
REGISTRY_FIELDS = [
    "repositories", "scanning", "lifecycle", "replicateToDr", "lifecycle.untaggedExpireDays",
    "lifecycle.keepTagged", "repositories[0]", "repositories[3]", "unknownKey",
]
FIELD_PATHS = (
    [("acme-prod", f"{S0}.{field}") for field in SERVICE_FIELDS]
    + [("acme-prod", S0), ("acme-prod", "connect:services[3]"), ("acme-prod", "connect:services")]
    + [("acme-prod", f"connect:platform.{field}") for field in PLATFORM_FIELDS]
    + [("acme-prod", "connect:platform"), ("acme-prod", "connect:registry")]
    + [("acme-account", f"connect:registry.{field}") for field in REGISTRY_FIELDS]
    + [("acme-account", key) for key in ("connect:registry", "connect:services", "connect:platform")]
)


def test_there_are_about_forty_odd_values() -> None:
    assert len(ODD_VALUES) >= 40


@each_field_path(FIELD_PATHS)
def test_odd_values_only_ever_raise_stack_config_error(stack: str, path: str) -> None:
    for value in ODD_VALUES:
        parse_odd(STACKS[stack], path, value)
