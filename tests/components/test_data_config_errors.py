"""Bad data and DR config in, precise issues out: `connect:data`, `connect:dr` and `connect:services[].uses`.

Every case starts from a valid stack file (acme-prod: pilot light, a bucket and a database used by two
services; globex-prod: warm standby, bucket + file system + database; acme-staging: backup-restore, no
stores; acme-account), changes one thing and checks the exact path(s) of the issues reported and the
key phrases of the first message: what is wrong and what is allowed instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import StackConfig, parse_stack_config
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
FILES = {name: load_stack(PROJECT, name) for name in ("acme-prod", "acme-staging", "globex-prod", "acme-account")}
STACKS = {name: stack.config for name, stack in FILES.items()}
ACCOUNT, OTHER_ACCOUNT = "111111111111", "222222222222"
DR_CERT_ID = "2b6f4c8a-1d3e-4f5a-9b7c-8e0d1f2a3b4c"
B0, F0, D0 = "connect:data.buckets[0]", "connect:data.fileSystems[0]", "connect:data.databases[0]"
DR, BACKUP = "connect:dr", "connect:dr.backup"
DR_CERT = f"{DR}.certificateArn"
S0, S1 = "connect:services[0]", "connect:services[1]"
LEDGER = STACKS["acme-prod"]["connect:data"]["databases"][0]
STORE_NAME_RULE = "2-20 lowercase letters, digits and single hyphens, starting with a letter"
UNIQUE = "allowed: unique names across buckets, file systems and databases"
VERSIONS = "allowed: 16.4, 16.6, 17.4"
ACUS = "allowed: 0 to 256 ACUs in steps of 0.5"
MAX_RULE = "allowed: maxCapacity at least 1 and at least minCapacity"
MODES = "'backup-restore', 'pilot-light' or 'warm-standby'"
SCHEDULE_RULE = "allowed: cron(min hour day month weekday year) or rate(N hours)"
BACKUP_DAYS = "allowed: 1 to 36500"
MOUNT_RULE = "allowed: an absolute path like /data"
ACCOUNT_ONLY = "allowed: connect:tenant, connect:registry"
DATABASE_KEYS = "allowed keys: name, engine, engineVersion, minCapacity, maxCapacity, backupRetentionDays"

config_of = changer(STACKS)

def dr_cert(region: str = "us-west-2", account: str = ACCOUNT) -> str:
    return f"arn:aws:acm:{region}:{account}:certificate/{DR_CERT_ID}"


CASES: dict[str, Case] = {
    # --- store names -------------------------------------------------------------------------------
    "name-uppercase": (
        "acme-prod", [(f"{B0}.name", "Documents")], [f"{B0}.name"],
        ["'Documents' is not a data store name", f"allowed: {STORE_NAME_RULE}"],
    ),
    "name-21-characters": (
        "acme-prod", [(f"{D0}.name", "l" * 21)], [f"{D0}.name"], [f"'{'l' * 21}' is not a data store name", "2-20"],
    ),
    "name-1-character": ("acme-prod", [(f"{B0}.name", "d")], [f"{B0}.name"], ["'d' is not a data store name", "2-20"]),
    "name-leading-digit": (
        "globex-prod", [(f"{F0}.name", "1-reports")], [f"{F0}.name"],
        ["'1-reports' is not a data store name", "starting with a letter"],
    ),
    "name-double-hyphen": (
        "acme-prod", [(f"{B0}.name", "my--docs")], [f"{B0}.name"], ["'my--docs' is not a data store name"],
    ),
    "name-trailing-newline": (
        "acme-prod", [(f"{B0}.name", "documents\n")], [f"{B0}.name"], ["'documents\\n' is not a data store name"],
    ),
    "name-missing": ("acme-prod", [(f"{D0}.name", DELETE)], [f"{D0}.name"], ["required key is missing"]),
    "name-duplicate-buckets": (
        "acme-prod", [("connect:data.buckets", [{"name": "documents"}, {"name": "documents"}])],
        ["connect:data.buckets[1].name"], ["'documents' is already connect:data.buckets[0]", UNIQUE],
    ),
    "name-duplicate-bucket-and-database": (
        "acme-prod", [("connect:data.databases", [LEDGER, {"name": "documents"}])],
        ["connect:data.databases[1].name"], ["'documents' is already connect:data.buckets[0]", UNIQUE],
    ),
    # The file system takes the bucket's name: reports-worker now uses a store that is gone as well.
    "name-duplicate-file-system-and-bucket": (
        "globex-prod", [(f"{F0}.name", "invoices")], [f"{F0}.name", "connect:services[5].uses[0]"],
        ["'invoices' is already connect:data.buckets[0]", UNIQUE],
    ),
    # --- buckets and file systems ------------------------------------------------------------------
    "bucket-unversioned": (
        "acme-prod", [(f"{B0}.versioned", False)], [f"{B0}.versioned"],
        ["false; allowed: true", "replicates to the DR region, which needs versioning"],
    ),
    "bucket-versioned-maybe": (
        "acme-prod", [(f"{B0}.versioned", "maybe")], [f"{B0}.versioned"], ["valid boolean", "got 'maybe'"],
    ),
    "bucket-unknown-key": (
        "acme-prod", [(f"{B0}.versioning", True)], [f"{B0}.versioning"],
        ["unknown key", "did you mean 'versioned'?", "allowed keys: name, versioned"],
    ),
    "file-system-path-relative": (
        "globex-prod", [(f"{F0}.path", "reports")], [f"{F0}.path"], ["'reports' is not a mount path", MOUNT_RULE],
    ),
    "file-system-path-dot-dot": (
        "globex-prod", [(f"{F0}.path", "/reports/../etc")], [f"{F0}.path"],
        ["'/reports/../etc' is not a mount path", "without '..'"],
    ),
    "file-system-path-space": (
        "globex-prod", [(f"{F0}.path", "/my reports")], [f"{F0}.path"],
        ["'/my reports' is not a mount path", "letters, digits, '_', '.', '-' and '/'"],
    ),
    "file-system-path-root-only": (
        "globex-prod", [(f"{F0}.path", "/")], [f"{F0}.path"], ["'/' is not a mount path", MOUNT_RULE],
    ),
    # --- databases ---------------------------------------------------------------------------------
    "database-engine-mysql": (
        "acme-prod", [(f"{D0}.engine", "mysql")], [f"{D0}.engine"], ["'aurora-postgresql'", "got 'mysql'"],
    ),
    "database-engine-version-9.6": (
        "acme-prod", [(f"{D0}.engineVersion", "9.6")], [f"{D0}.engineVersion"],
        ["'9.6' is not a supported version", VERSIONS],
    ),
    # Unquoted in YAML, 16.6 is a float: the message still lists the versions and says to quote it.
    "database-engine-version-unquoted": (
        "acme-prod", [(f"{D0}.engineVersion", 16.6)], [f"{D0}.engineVersion"],
        ["16.6 is a number", VERSIONS, 'quoted (e.g. "16.6")'],
    ),
    "database-min-capacity-0.3": (
        "acme-prod", [(f"{D0}.minCapacity", 0.3)], [f"{D0}.minCapacity"], ["0.3 is not an Aurora capacity", ACUS],
    ),
    "database-min-capacity-300": (
        "acme-prod", [(f"{D0}.minCapacity", 300)], [f"{D0}.minCapacity"], ["300 is not an Aurora capacity", ACUS],
    ),
    "database-min-capacity-string": (
        "acme-prod", [(f"{D0}.minCapacity", "1")], [f"{D0}.minCapacity"], ["'1' is not an Aurora capacity", ACUS],
    ),
    "database-min-capacity-boolean": (
        "acme-prod", [(f"{D0}.minCapacity", True)], [f"{D0}.minCapacity"], ["True is not an Aurora capacity", ACUS],
    ),
    "database-max-capacity-below-1": (
        "acme-prod", [(f"{D0}.minCapacity", 0), (f"{D0}.maxCapacity", 0.5)], [f"{D0}.maxCapacity"],
        ["0.5 ACUs is below 1", MAX_RULE],
    ),
    "database-max-capacity-below-min": (
        "acme-prod", [(f"{D0}.minCapacity", 16)], [f"{D0}.maxCapacity"], ["8 ACUs is below 16", MAX_RULE],
    ),
    "database-max-capacity-257": (
        "acme-prod", [(f"{D0}.maxCapacity", 257)], [f"{D0}.maxCapacity"], ["257 is not an Aurora capacity", ACUS],
    ),
    "database-backup-retention-0": (
        "acme-prod", [(f"{D0}.backupRetentionDays", 0)], [f"{D0}.backupRetentionDays"],
        ["0 is not a number of days", "allowed: 1 to 35"],
    ),
    "database-backup-retention-36": (
        "acme-prod", [(f"{D0}.backupRetentionDays", 36)], [f"{D0}.backupRetentionDays"],
        ["36 is not a number of days", "allowed: 1 to 35"],
    ),
    "database-backup-retention-float": (
        "globex-prod", [(f"{D0}.backupRetentionDays", 14.0)], [f"{D0}.backupRetentionDays"],
        ["14.0 is not a number of days", "allowed: 1 to 35"],
    ),
    "database-unknown-key": (
        "acme-prod", [(f"{D0}.minCapcity", 1)], [f"{D0}.minCapcity"],
        ["unknown key", "did you mean 'minCapacity'?", DATABASE_KEYS],
    ),
    "data-unknown-key": (
        "acme-prod", [("connect:data.bucket", [{"name": "logs"}])], ["connect:data.bucket"],
        ["unknown key", "did you mean 'buckets'?", "allowed keys: buckets, fileSystems, databases"],
    ),
    "data-buckets-not-a-list": (
        "acme-prod", [("connect:data.buckets", "documents")], ["connect:data.buckets"],
        ["'documents' is not a list", "a list of mappings with keys name, versioned"],
    ),
    "data-database-not-a-mapping": (
        "acme-prod", [(D0, "ledger")], [D0], ["'ledger' is not a mapping", "keys name, engine, engineVersion"],
    ),
    # --- services[].uses ---------------------------------------------------------------------------
    "uses-unknown-store": (
        "acme-prod", [(f"{S1}.uses", ["ledger", "ledgr"])], [f"{S1}.uses[1]"],
        ["'ledgr' is not a data store of this stack", "allowed: documents, ledger"],
    ),
    "uses-store-of-a-stack-without-data": (
        "acme-staging", [(f"{S0}.uses", ["ledger"])], [f"{S0}.uses[0]"],
        ["'ledger' is not a data store of this stack", "allowed: none declared"],
    ),
    "uses-store-twice": (
        "acme-prod", [(f"{S1}.uses", ["ledger", "documents", "ledger"])], [f"{S1}.uses"],
        ["ledger listed twice", "each store once"],
    ),
    "uses-renamed-store": (
        "globex-prod", [(f"{D0}.name", "orders")],
        ["connect:services[1].uses[0]", "connect:services[3].uses[0]"],
        ["'orders-db' is not a data store of this stack", "allowed: invoices, report-files, orders"],
    ),
    # --- DR mode and backup plan -------------------------------------------------------------------
    "dr-mode-active-active": (
        "acme-prod", [(f"{DR}.mode", "active-active")], [f"{DR}.mode"], [MODES, "got 'active-active'"],
    ),
    "dr-unknown-key": (
        "acme-prod", [(f"{DR}.certificate", dr_cert())], [f"{DR}.certificate"],
        ["unknown key", "did you mean 'certificateArn'?",
         "allowed keys: mode, backup, warmStandbyBase, cidr, certificateArn"],
    ),
    "backup-schedule-daily": (
        "acme-prod", [(f"{BACKUP}.schedule", "daily")], [f"{BACKUP}.schedule"],
        ["'daily' is not an AWS Backup schedule", SCHEDULE_RULE],
    ),
    "backup-schedule-cron-four-fields": (
        "acme-prod", [(f"{BACKUP}.schedule", "cron(0 5 * *)")], [f"{BACKUP}.schedule"],
        ["'cron(0 5 * *)' is not an AWS Backup schedule", SCHEDULE_RULE],
    ),
    "backup-retention-0": (
        "acme-prod", [(f"{BACKUP}.retentionDays", 0)], [f"{BACKUP}.retentionDays"],
        ["0 is not a number of days", BACKUP_DAYS],
    ),
    "backup-retention-string": (
        "acme-prod", [(f"{BACKUP}.retentionDays", "35")], [f"{BACKUP}.retentionDays"],
        ["'35' is not a number of days", BACKUP_DAYS],
    ),
    "backup-copy-retention-boolean": (
        "globex-prod", [(f"{BACKUP}.copyRetentionDays", True)], [f"{BACKUP}.copyRetentionDays"],
        ["True is not a number of days", BACKUP_DAYS],
    ),
    "backup-not-a-mapping": (
        "acme-prod", [(BACKUP, "daily")], [BACKUP],
        ["'daily' is not a mapping", "keys schedule, retentionDays, copyRetentionDays, continuous"],
    ),
    "warm-standby-base-0": (
        "globex-prod", [(f"{DR}.warmStandbyBase", 0)], [f"{DR}.warmStandbyBase"],
        ["0 is not a number of tasks", "allowed: 1 to 10 tasks per service"],
    ),
    "warm-standby-base-11": (
        "globex-prod", [(f"{DR}.warmStandbyBase", 11)], [f"{DR}.warmStandbyBase"],
        ["11 is not a number of tasks", "allowed: 1 to 10 tasks per service"],
    ),
    # --- DR network ----------------------------------------------------------------------------------
    "dr-cidr-public": (
        "globex-prod", [(f"{DR}.cidr", "8.8.0.0/16")], [f"{DR}.cidr"],
        ["'8.8.0.0/16' is not a private block", "allowed: inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"],
    ),
    "dr-cidr-slash-24": (
        "globex-prod", [(f"{DR}.cidr", "10.61.0.0/24")], [f"{DR}.cidr"],
        ["'10.61.0.0/24' is a /24", "allowed: a prefix from /16 to /20"],
    ),
    "dr-cidr-host-bits": (
        "globex-prod", [(f"{DR}.cidr", "10.61.1.0/16")], [f"{DR}.cidr"],
        ["'10.61.1.0/16' has host bits set", "the block is 10.61.0.0/16"],
    ),
    "dr-cidr-not-a-block": (
        "acme-prod", [(f"{DR}.cidr", "ten-forty")], [f"{DR}.cidr"],
        ["'ten-forty' is not an IPv4 CIDR block", "e.g. 10.40.0.0/16"],
    ),
    # --- DR certificate -----------------------------------------------------------------------------
    "dr-certificate-missing-pilot-light": (
        "acme-prod", [(DR_CERT, DELETE)], [DR_CERT],
        ["required in pilot-light with services", "standby load balancer in us-west-2"],
    ),
    "dr-certificate-missing-warm-standby": (
        "globex-prod", [(DR_CERT, DELETE)], [DR_CERT],
        ["required in warm-standby with services", "standby load balancer in eu-central-1"],
    ),
    "dr-certificate-in-primary-region": (
        "acme-prod", [(DR_CERT, dr_cert("us-east-1"))], [DR_CERT],
        [f"certificate in us-east-1 / account {ACCOUNT}", f"allowed: us-west-2 / {ACCOUNT}"],
    ),
    "dr-certificate-in-another-account": (
        "acme-prod", [(DR_CERT, dr_cert(account=OTHER_ACCOUNT))], [DR_CERT],
        [f"certificate in us-west-2 / account {OTHER_ACCOUNT}", f"allowed: us-west-2 / {ACCOUNT}"],
    ),
    "dr-certificate-malformed": (
        "acme-prod", [(DR_CERT, f"arn:aws:acm:us-west-2:{ACCOUNT}:certificate/abc")], [DR_CERT],
        ["is not an ACM certificate ARN", "allowed: arn:aws:acm:<region>:<account>:certificate/<id>"],
    ),
    # Not required in backup-restore, but a certificate that is set is still checked (as dr.cidr is).
    "dr-certificate-malformed-in-backup-restore": (
        "acme-staging", [(DR_CERT, "my-dr-certificate")], [DR_CERT],
        ["'my-dr-certificate' is not an ACM certificate ARN", "arn:aws:acm:<region>:<account>:certificate/<id>"],
    ),
    # --- scope ---------------------------------------------------------------------------------------
    "account-stack-with-data": (
        "acme-account", [("connect:data", {"buckets": [{"name": "documents"}]})], ["connect:data"],
        ["not used in an account stack (scope: account)", ACCOUNT_ONLY],
    ),
    "account-stack-with-dr": (
        "acme-account", [("connect:dr", {"mode": "pilot-light"})], ["connect:dr"],
        ["not used in an account stack (scope: account)", ACCOUNT_ONLY],
    ),
}


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


@each_case(CASES)
def test_bad_input_names_field_and_allowed_values(
    stack: str, changes: list[tuple[str, Any]], paths: list[str], phrases: list[str]
) -> None:
    assert_issues(issues_of(config_of(stack, *changes)), paths, phrases)


# --- what is allowed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["acme-prod", "acme-staging", "globex-prod"])
def test_environment_stack_files_parse_cleanly(stack: str) -> None:
    stack_file = load_stack(PROJECT, stack)
    cfg = parse_stack_config(stack_file.config, stack_file.display_path, stack_file.secret_keys)
    assert isinstance(cfg, StackConfig)
    uses = {service.name: service.uses for service in cfg.services}
    if stack == "acme-prod":
        assert (cfg.dr.mode, cfg.dr.standby, cfg.data.names()) == ("pilot-light", True, ["documents", "ledger"])
        assert uses["payments-api"] == ["ledger", "documents"] and uses["notifications-worker"] == []
        assert cfg.dr.certificate_arn == dr_cert()
    if stack == "acme-staging":
        assert (cfg.dr.mode, cfg.dr.standby, cfg.data.names()) == ("backup-restore", False, [])
        assert cfg.dr.backup.continuous is False and cfg.dr.certificate_arn is None
    if stack == "globex-prod":
        assert (cfg.dr.mode, cfg.dr.cidr) == ("warm-standby", "10.61.0.0/16")
        assert cfg.data.names() == ["invoices", "report-files", "orders-db"]
        assert cfg.data.file_systems[0].path == "/reports"
        assert (cfg.data.databases[0].min_capacity, cfg.data.databases[0].max_capacity) == (1, 32)


def test_certificate_is_not_required_in_backup_restore_or_without_services() -> None:
    backup_restore = config_of("acme-prod", (f"{DR}.mode", "backup-restore"), (DR_CERT, DELETE))
    assert parse_stack_config(backup_restore, SOURCE).dr.certificate_arn is None
    no_services = config_of("acme-staging", (f"{DR}.mode", "pilot-light"), ("connect:services", []),
                            (f"{DR}.cidr", "10.43.0.0/16"))  # its VPN links end in the DR region too
    assert parse_stack_config(no_services, SOURCE).dr.standby


def test_values_at_the_limits_are_accepted() -> None:
    config = config_of(
        "globex-prod",
        (f"{B0}.name", "i" * 20), ("connect:services[1].uses", ["orders-db", "i" * 20]),
        ("connect:services[3].uses", ["orders-db"]), ("connect:services[5].uses", ["report-files"]),
        (f"{F0}.path", "/" + "r" * 100),
        (D0, {"name": "orders-db", "engineVersion": "17.4", "minCapacity": 0, "maxCapacity": 256,
              "backupRetentionDays": 1}),
        (f"{DR}.warmStandbyBase", 10), (f"{DR}.cidr", "10.61.0.0/20"),
        (BACKUP, {"schedule": "rate(12 hours)", "retentionDays": 1, "copyRetentionDays": 36500}),
    )
    cfg = parse_stack_config(config, SOURCE)
    assert cfg.data.databases[0].max_capacity == 256 and cfg.dr.warm_standby_base == 10
    database = config_of("acme-prod", (f"{D0}.minCapacity", 1), (f"{D0}.maxCapacity", 1))
    assert parse_stack_config(database, SOURCE).data.databases[0].max_capacity == 1


def test_several_data_problems_are_reported_together() -> None:
    field_errors = config_of("acme-prod", (f"{B0}.versioned", False), (f"{D0}.engineVersion", "9.6"),
                             (f"{BACKUP}.schedule", "daily"))
    assert [issue.path for issue in issues_of(field_errors)] == [
        f"{B0}.versioned", f"{D0}.engineVersion", f"{BACKUP}.schedule"]
    cross_errors = config_of("acme-prod", ("connect:data.databases", [LEDGER, {"name": "documents"}]),
                             (f"{S1}.uses", ["ledger", "nope"]), (DR_CERT, DELETE), (f"{DR}.cidr", "10.61.0.0/24"))
    assert [issue.path for issue in issues_of(cross_errors)] == [
        "connect:data.databases[1].name", f"{S1}.uses[1]", DR_CERT, f"{DR}.cidr"]


def test_a_huge_value_is_cut_short_in_the_report() -> None:
    for path in (f"{B0}.name", f"{BACKUP}.schedule", DR_CERT, f"{DR}.cidr", f"{S1}.uses"):
        value: Any = ["x" * 100_000] if path.endswith("uses") else "x" * 100_000
        issues = issues_of(config_of("acme-prod", (path, value)))
        assert issues and all(len(issue.message) < 400 for issue in issues), (path, issues)
        assert "100002 characters" in issues[0].message, issues[0].message


# --- robustness: any value in any field gives StackConfigError, never another exception -------------

ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 0.5, 1.5, 16.6, 256.5, -0.0, float("nan"), float("inf"), 10**40, -(10**40),
    10**5000, "", " ", "\n", "\x00", "x" * 100_000, "ünïcödé", "🚀", "١٢", "documents", "ledger", "16.6", "35",
    "cron(0 5 * * ? *)", "10.61.0.0/16", "pilot-light", [], {}, [None], [[]], [{}], ["ledger", "ledger"],
    [1, 2], {"a": None}, {"": ""}, {1: "x"}, {"name": "documents"}, b"bytes", (1, 2), frozenset(), [[[["deep"]]]],
]
DATA_FIELDS = [
    "connect:data", "connect:data.buckets", "connect:data.fileSystems", "connect:data.databases",
    "connect:data.unknownKey", B0, f"{B0}.name", f"{B0}.versioned", f"{B0}.unknownKey", "connect:data.buckets[1]",
    D0, f"{D0}.name", f"{D0}.engine", f"{D0}.engineVersion", f"{D0}.minCapacity", f"{D0}.maxCapacity",
    f"{D0}.backupRetentionDays", f"{D0}.unknownKey",
]
DR_FIELDS = [
    DR, f"{DR}.mode", f"{DR}.backup", f"{DR}.warmStandbyBase", f"{DR}.cidr", DR_CERT, f"{DR}.unknownKey",
    f"{BACKUP}.schedule", f"{BACKUP}.retentionDays", f"{BACKUP}.copyRetentionDays", f"{BACKUP}.continuous",
    f"{BACKUP}.unknownKey",
]
FIELD_PATHS = (
    [("acme-prod", path) for path in [*DATA_FIELDS, *DR_FIELDS, f"{S0}.uses", f"{S0}.uses[0]", f"{S1}.uses[1]"]]
    + [("globex-prod", path) for path in (F0, f"{F0}.name", f"{F0}.path", f"{F0}.unknownKey", f"{DR}.cidr",
                                          f"{DR}.warmStandbyBase", DR_CERT, f"{D0}.maxCapacity")]
    + [("acme-staging", path) for path in (DR_CERT, f"{DR}.mode", "connect:data")]
    + [("acme-account", path) for path in ("connect:data", "connect:dr", "connect:data.buckets", f"{DR}.mode")]
)


def test_there_are_about_forty_odd_values() -> None:
    assert len(ODD_VALUES) >= 40


@each_field_path(FIELD_PATHS)
def test_odd_values_only_ever_raise_stack_config_error(stack: str, path: str) -> None:
    for value in ODD_VALUES:
        error = parse_odd(STACKS[stack], path, value)
        # No value floods the report (huge strings are cut short, huge numbers are not printed).
        assert error is None or all(len(issue.message) < 400 for issue in error.issues), (path, value)
