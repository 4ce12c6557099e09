"""The provider's Check, offline: the schema derived from the installed pulumi_aws SDK, its cache, and the check.

Every test runs against a schema cache in a temporary directory (`CONNECT_SCHEMA_CACHE`), never the
user's home; the module shares one so the SDK is read once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectctl.engine import provider_schema
from connectctl.engine.capture import CapturedResource
from connectctl.engine.findings import EngineError
from connectctl.engine.project import load_project
from connectctl.engine.provider_check import check_resources
from connectctl.engine.provider_schema import (
    CACHE_ENV,
    SchemaCache,
    default_cache,
    documented_values,
    installed_version,
    resource_schema,
)
from tests.components.plans import planned

STACKS = load_project().stacks()
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
VPN = "aws:ec2/vpnConnection:VpnConnection"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SG = "aws:ec2/securityGroup:SecurityGroup"
VPN_OK: dict[str, Any] = {
    "customerGatewayId": UNKNOWN, "vpnGatewayId": UNKNOWN, "type": "ipsec.1", "staticRoutesOnly": False,
    "tunnel1IkeVersions": ["ikev1", "ikev2"], "tunnel1Phase1DhGroupNumbers": [20.0, 21.0],
    "tunnel1LogOptions": {"cloudwatchLogOptions": {"logEnabled": True, "logOutputFormat": "json"}},
    "tags": {"Name": "dc", "connect:client": "acme"},
}
TASK_OK: dict[str, Any] = {"family": "api", "containerDefinitions": '[{"name": "api"}]', "networkMode": "awsvpc",
                           "cpu": "256", "memory": "512", "requiresCompatibilities": ["FARGATE"]}


@pytest.fixture(scope="module", autouse=True)
def schema_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One temporary schema cache for the module: nothing written under the real home."""
    directory = tmp_path_factory.mktemp("schema-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(directory))
        yield directory



def resource(type_: str, inputs: dict[str, Any], *, custom: bool = True, external: bool = False) -> CapturedResource:
    return CapturedResource(urn=f"urn:pulumi:t::connect::{type_}::r", type=type_, name="r", custom=custom,
                            parent="", provider="", protect=False, retain_on_delete=False, dependencies=[],
                            property_dependencies={}, inputs=inputs, external=external)


def check(type_: str, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in check_resources([resource(type_, inputs)])]


# -- the derived schema


def test_schema_of_a_resource_names_wire_properties_types_required_and_enumerations() -> None:
    vpn = resource_schema(VPN)
    assert vpn is not None and vpn.class_name == "VpnConnection" and vpn.module == "ec2"
    assert set(vpn.required) == {"customerGatewayId", "type"}
    ike = vpn.properties["tunnel1IkeVersions"]
    assert (ike.kind, ike.python_name, ike.items and ike.items.kind) == ("array", "tunnel1_ike_versions", "string")
    assert ike.items is not None and ike.items.enum == ("ikev1", "ikev2")
    assert vpn.properties["tunnel1Phase1DhGroupNumbers"].describe() == (
        "list of integer (one of 2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)")
    assert vpn.properties["type"].python_name == "type"  # plain @pulumi.getter: the function's name
    logs = vpn.properties["tunnel1LogOptions"]
    assert logs.is_single_object() and not logs.is_map()
    assert logs.object_type is not None and logs.object_type.name == "ec2.VpnConnectionTunnel1LogOptionsArgs"
    cloudwatch = logs.properties["cloudwatchLogOptions"]
    assert cloudwatch.properties["logOutputFormat"].enum == ("json", "text")
    assert cloudwatch.properties["logEnabled"].kind == "boolean"
    assert vpn.properties["tags"].is_map() and not vpn.properties["tags"].is_single_object()
    assert vpn.properties["tags"].describe() == "map of string"


def test_schema_kinds_policies_open_enums_deprecations_and_init_args() -> None:
    policy = resource_schema("aws:iam/rolePolicy:RolePolicy")
    assert policy is not None and policy.properties["policy"].describe() == "string or object"
    engine_mode = resource_schema("aws:rds/cluster:Cluster")
    assert engine_mode is not None
    mode = engine_mode.properties["engineMode"]  # Union[str, EngineMode]: known values, not a closed list
    assert mode.enum == () and mode.known_values == ("provisioned", "serverless", "parallelquery", "global")
    instance = resource_schema("aws:rds/clusterInstance:ClusterInstance")  # a bare Enum class is closed
    assert instance is not None and instance.properties["engine"].enum == (
        "aurora", "aurora-mysql", "aurora-postgresql", "mysql", "postgres")
    bucket = resource_schema("aws:s3/bucket:Bucket")
    assert bucket is not None
    assert bucket.properties["acl"].deprecation == "acl is deprecated. Use the s3.BucketAcl resource instead."
    versioning = resource_schema("aws:s3/bucketVersioning:BucketVersioning")  # args class is `...InitArgs`
    assert versioning is not None and versioning.required == ["bucket", "versioningConfiguration"]
    status = versioning.properties["versioningConfiguration"].properties["status"]
    assert status.required and status.enum == ("Enabled", "Suspended", "Disabled")
    v2 = resource_schema("aws:s3/bucketV2:BucketV2")
    assert v2 is not None and v2.deprecation == "s3.BucketV2 has been deprecated in favor of s3.Bucket"


@pytest.mark.parametrize("token", ["pulumi:providers:aws", "connect:vpn:SiteToSiteVpn", "pulumi:pulumi:Stack",
                                   "aws:ec2/noSuchThing:NoSuchThing"])
def test_types_not_in_pulumi_aws_have_no_schema(token: str) -> None:
    assert resource_schema(token) is None


@pytest.mark.parametrize(("doc", "values"), [
    ("IKE versions. Valid values are `ikev1 | ikev2`.", ["ikev1", "ikev2"]),
    ("Docker networking mode. Valid values: `awsvpc`, `bridge`, `host`, and `none`.",
     ["awsvpc", "bridge", "host", "none"]),
    ("Groups. Valid values are `  2 | 14 | 15 `.", ["2", "14", "15"]),
    ("Engine. Valid Values: `aurora-mysql`, `postgres`. (Note that `postgres` is Multi-AZ).",
     ["aurora-mysql", "postgres"]),
    ('Tracing mode. Valid values: `"PassThrough"`, `"Active"`.', ["PassThrough", "Active"]),
    ("Mode. Valid values are `a` or `b`, defaults to `a`.", ["a", "b"]),
    # not a closed list of literals: nothing
    ("Storage. Valid values are `Standard` (stored in VPN) or `SecretsManager` (stored in AWS).", []),
    ("Lifetime. Valid value is between `900` and `28800`.", []),
    ("When `type` is `x`, valid values are `a` and `b`.", []),
    ("Protocol. Valid values are: `sqs`, `sms`. Protocols `email` and `http` are also valid but partially supported.",
     []),
    ("HTTP response code. Valid values are `2XX`, `4XX`, or `5XX`.", []),
    ("Architectures. Valid values are `[\"x86_64\"]` and `[\"arm64\"]`.", []),
    ("Size. Valid values are `1`, `2`, or a number of gigabytes.", []),
    ("Names the engine, e.g. `aurora`.", []),
])
def test_documented_values_only_take_a_clear_closed_list(doc: str, values: list[str]) -> None:
    assert documented_values(doc) == values


# -- the check: one failing and one passing example per rule


def test_vpn_ike_version_outside_the_enumeration_is_refused_with_the_allowed_values() -> None:
    assert check(VPN, VPN_OK) == []
    assert check(VPN, {**VPN_OK, "tunnel1IkeVersions": ["ikev2", "ikev3"]}) == [
        ("tunnel1IkeVersions[1]", 'string "ikev3" is not an allowed value; allowed: ikev1, ikev2')]
    assert check(VPN, {**VPN_OK, "tunnel1Phase1DhGroupNumbers": [20.0, 7.0]}) == [
        ("tunnel1Phase1DhGroupNumbers[1]",
         "number 7 is not an allowed value; allowed: 2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24")]


def test_task_definition_network_mode_outside_the_enumeration() -> None:
    assert check(TASK, TASK_OK) == []
    assert check(TASK, {**TASK_OK, "networkMode": "AWSVPC"}) == []  # validators often ignore case: not flagged
    assert check(TASK, {**TASK_OK, "networkMode": "awsvpc2"}) == [
        ("networkMode", 'string "awsvpc2" is not an allowed value; allowed: awsvpc, bridge, host, none')]


def test_enumeration_in_a_nested_object() -> None:
    logs = {"cloudwatchLogOptions": {"logEnabled": True, "logOutputFormat": "xml"}}
    assert check(VPN, {**VPN_OK, "tunnel1LogOptions": logs}) == [
        ("tunnel1LogOptions.cloudwatchLogOptions.logOutputFormat",
         'string "xml" is not an allowed value; allowed: json, text')]


def test_misspelled_property_names_get_the_nearest_known_names() -> None:
    assert check("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}) == []
    assert check("aws:ec2/vpc:Vpc", {"cidrBlok": "10.0.0.0/16"}) == [
        ("cidrBlok", 'unknown property "cidrBlok" of aws:ec2/vpc:Vpc; did you mean "cidrBlock"? '
                     "(nearest known: cidrBlock, ipv6CidrBlock)")]
    assert check(VPN, {**VPN_OK, "tunnel1IkeVersion": ["ikev2"]}) == [
        ("tunnel1IkeVersion", 'unknown property "tunnel1IkeVersion" of aws:ec2/vpnConnection:VpnConnection; '
                              'did you mean "tunnel1IkeVersions"? (nearest known: tunnel1IkeVersions, '
                              "tunnel2IkeVersions, tunnelInsideIpVersion)")]


def test_misspelled_nested_property_and_a_name_nothing_resembles() -> None:
    logs = {"cloudwatchLogOptions": {"logEnable": True}}
    assert check(VPN, {**VPN_OK, "tunnel1LogOptions": logs}) == [
        ("tunnel1LogOptions.cloudwatchLogOptions.logEnable",
         'unknown property "logEnable" of ec2.VpnConnectionTunnel1LogOptionsCloudwatchLogOptionsArgs; '
         'did you mean "logEnabled"? (nearest known: logEnabled, bgpLogEnabled)')]
    [(path, message)] = check("aws:ec2/internetGateway:InternetGateway", {"qqqq": 1.0})
    assert path == "qqqq"
    assert message == ('unknown property "qqqq" of aws:ec2/internetGateway:InternetGateway; '
                       "known properties: region, tags, vpcId")
    [(_, message)] = check("aws:ec2/internetGateway:InternetGateway", {"vpcIdentifier": "vpc-1"})
    assert message == ('unknown property "vpcIdentifier" of aws:ec2/internetGateway:InternetGateway; '
                       "nearest known properties: vpcId")


def test_wrong_types_are_refused_recursively_with_the_expected_type() -> None:
    ok = [{"fromPort": 443.0, "toPort": "443", "protocol": "tcp", "cidrBlocks": ["10.0.0.0/8"], "self": "true"}]
    assert check(SG, {"ingress": ok}) == []  # "443" and "true": the bridge decodes them (weakly typed)
    bad = [{"fromPort": "https", "toPort": 443.5, "protocol": 6.0, "cidrBlocks": "10.0.0.0/8", "self": "yes"}]
    assert check(SG, {"ingress": bad}) == [
        ("ingress[0].cidrBlocks", 'expected list of string, got string "10.0.0.0/8"'),
        ("ingress[0].fromPort", 'expected integer, got string "https", which does not parse as an integer'),
        ("ingress[0].self", 'expected boolean (true or false), got string "yes"'),
        ("ingress[0].toPort", "expected integer, got number 443.5 (not a whole number)"),
    ]  # protocol 6 for a string: the bridge turns numbers into strings, so it is not flagged


def test_object_list_and_map_shapes() -> None:
    logs = VPN_OK["tunnel1LogOptions"]
    assert check(VPN, {**VPN_OK, "tunnel1LogOptions": [logs]}) == [
        ("tunnel1LogOptions", "expected object ec2.VpnConnectionTunnel1LogOptionsArgs, got a list of 1 item")]
    assert check(VPN, {**VPN_OK, "tags": {"Name": "dc", "connect:owner": {"team": "net"}}}) == [
        ('tags["connect:owner"]', "expected string, got an object")]
    assert check(VPN, {**VPN_OK, "tags": ["Name=dc"]}) == [("tags", "expected map of string, got a list of 1 item")]
    assert check(TASK, {**TASK_OK, "containerDefinitions": [{"name": "api"}]}) == [
        ("containerDefinitions", "expected string, got a list of 1 item")]


def test_policy_documents_as_json_text_or_as_objects_pass() -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    role_policy = "aws:iam/rolePolicy:RolePolicy"
    assert check(role_policy, {"role": UNKNOWN, "policy": json.dumps(document)}) == []
    assert check(role_policy, {"role": UNKNOWN, "policy": document}) == []
    assert check(role_policy, {"role": UNKNOWN, "policy": ["s3:*"]}) == [
        ("policy", "expected string or object, got a list of 1 item")]


def test_missing_required_inputs_top_level_and_nested() -> None:
    no_type = {k: v for k, v in VPN_OK.items() if k != "type"}
    assert check(VPN, no_type) == [
        ("type", 'missing required input "type" of aws:ec2/vpnConnection:VpnConnection (expected string)')]
    assert check(VPN, {**VPN_OK, "type": None}) == check(VPN, no_type)
    assert check(SG, {"ingress": [{"fromPort": 443.0, "toPort": 443.0}]}) == [
        ("ingress[0].protocol", 'missing required input "protocol" of ec2.SecurityGroupIngressArgs (expected string)')]
    versioning = "aws:s3/bucketVersioning:BucketVersioning"
    assert check(versioning, {"bucket": UNKNOWN, "versioningConfiguration": {"status": "Enabled"}}) == []
    assert check(versioning, {"bucket": UNKNOWN, "versioningConfiguration": {"mfaDelete": "Disabled"}}) == [
        ("versioningConfiguration.status",
         'missing required input "status" of s3.BucketVersioningVersioningConfigurationArgs '
         "(expected string (one of Enabled, Suspended, Disabled))")]


def test_deprecated_inputs_and_resource_types() -> None:
    bucket = "aws:s3/bucket:Bucket"
    assert check(bucket, {"bucket": "acme-logs", "forceDestroy": False}) == []
    assert check(bucket, {"bucket": "acme-logs", "acl": "private"}) == [
        ("acl", '"acl" is deprecated: acl is deprecated. Use the s3.BucketAcl resource instead.')]
    rule = "aws:cloudwatch/eventRule:EventRule"
    assert check(rule, {"scheduleExpression": "rate(1 day)", "state": "ENABLED"}) == []
    assert check(rule, {"scheduleExpression": "rate(1 day)", "isEnabled": True}) == [
        ("isEnabled", '"isEnabled" is deprecated: is_enabled is deprecated. Use state instead.')]
    assert check("aws:s3/bucketV2:BucketV2", {"bucket": "acme-logs"}) == [
        ("", "resource type aws:s3/bucketV2:BucketV2 is deprecated: s3.BucketV2 has been deprecated in favor of "
             "s3.Bucket")]


def test_unknowns_outputs_and_references_are_never_judged_secrets_by_their_value() -> None:
    secret = "1b47061264138c4ac30d75fd1eb44270"
    output = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
    reference = {SIG: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x", "id": UNKNOWN}
    assert check(VPN, {**VPN_OK, "tunnel1IkeVersions": UNKNOWN, "tunnel1Phase1DhGroupNumbers": [UNKNOWN, 20.0],
                       "tunnel1LogOptions": UNKNOWN, "tunnel1DpdTimeoutSeconds": UNKNOWN,
                       "tunnel1PresharedKey": {SIG: secret}, "tags": {SIG: output},
                       "customerGatewayId": reference}) == []
    assert check(VPN, {**VPN_OK, "tunnel1IkeVersions": {SIG: secret, "value": ["ikev3"]}}) == [
        ("tunnel1IkeVersions[0]", 'string "ikev3" is not an allowed value; allowed: ikev1, ikev2')]
    assert check(VPN, {**VPN_OK, "tunnel1DpdTimeoutSeconds": {SIG: output, "value": "soon"}}) == [
        ("tunnel1DpdTimeoutSeconds", 'expected integer, got string "soon", which does not parse as an integer')]


def test_providers_components_and_read_resources_are_skipped() -> None:
    garbage = {"notAProperty": ["x"], "tunnel1IkeVersions": "ikev9"}
    assert check_resources([
        resource("pulumi:providers:aws", {"region": "us-east-1", "defaultTags": "x"}),
        resource("connect:vpn:SiteToSiteVpn", garbage, custom=False),
        resource(VPN, garbage, external=True),
    ]) == []


def test_source_callback_locates_offending_values_only() -> None:
    seen: list[object] = []

    def source(value: object) -> str:
        seen.append(value)
        return "stacks/Pulumi.acme-prod.yaml:42 (connect:vpn.connections[0].ikeVersions)"

    inputs = {k: v for k, v in VPN_OK.items() if k != "type"} | {"tunnel1IkeVersions": ["ikev3"]}
    errors = check_resources([resource(VPN, inputs)], source=source)
    assert errors == [
        EngineError("provider-check", "urn:pulumi:t::connect::aws:ec2/vpnConnection:VpnConnection::r",
                    "tunnel1IkeVersions[0]", 'string "ikev3" is not an allowed value; allowed: ikev1, ikev2',
                    "stacks/Pulumi.acme-prod.yaml:42 (connect:vpn.connections[0].ikeVersions)"),
        EngineError("provider-check", "urn:pulumi:t::connect::aws:ec2/vpnConnection:VpnConnection::r",
                    "type", 'missing required input "type" of aws:ec2/vpnConnection:VpnConnection '
                    "(expected string)", ""),
    ]
    assert seen == ["ikev3"]  # a missing input has no value to locate


# -- the committed stacks


def test_the_five_stacks_are_committed() -> None:
    assert {"acme-prod", "acme-staging", "acme-account", "globex-prod", "globex-account"} <= set(STACKS)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_pass_the_provider_check(stack: str, preview: bool) -> None:
    resources = planned(stack, preview).capture.resources
    aws = {r.type for r in resources if r.custom and r.type.startswith("aws:")}
    assert aws and all(resource_schema(t) is not None for t in aws)  # every type really checked
    assert [str(e) for e in check_resources(resources)] == []


# -- the cache


def test_cache_is_read_not_derived_on_the_second_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = SchemaCache(tmp_path)
    assert first.resource("aws:ec2/vpc:Vpc") is not None and first.derived == ["aws:ec2/vpc:Vpc"]
    assert first.path == tmp_path / f"pulumi-aws-{installed_version()}.schema-v{provider_schema.FORMAT}.json"

    def no_derivation(*args: object) -> None:
        raise AssertionError("derived again")

    monkeypatch.setattr(provider_schema, "_Deriver", no_derivation)
    second = SchemaCache(tmp_path)
    vpc = second.resource("aws:ec2/vpc:Vpc")
    assert vpc is not None and "cidrBlock" in vpc.properties and second.derived == []


def test_a_type_not_yet_cached_is_derived_alone_and_added(tmp_path: Path) -> None:
    SchemaCache(tmp_path).resource("aws:ec2/vpc:Vpc")
    later = SchemaCache(tmp_path)
    found = later.resources(["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"])
    assert later.derived == ["aws:ec2/subnet:Subnet"] and all(found.values())
    stored = json.loads(later.path.read_text())
    assert {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"} <= set(stored["resources"])


def test_cache_is_keyed_by_pulumi_aws_version(tmp_path: Path) -> None:
    installed = SchemaCache(tmp_path)
    installed.resource("aws:ec2/vpc:Vpc")
    other = SchemaCache(tmp_path, version="0.0.1")
    other.resource("aws:ec2/vpc:Vpc")
    assert other.derived == ["aws:ec2/vpc:Vpc"]  # another version's file does not count
    assert other.path.name == f"pulumi-aws-0.0.1.schema-v{provider_schema.FORMAT}.json" != installed.path.name
    assert json.loads(other.path.read_text())["version"] == "0.0.1"
    other.path.write_text(installed.path.read_text())  # a file claiming another version is not trusted
    again = SchemaCache(tmp_path, version="0.0.1")
    again.resource("aws:ec2/vpc:Vpc")
    assert again.derived == ["aws:ec2/vpc:Vpc"]


def test_a_damaged_cache_file_is_derived_again(tmp_path: Path) -> None:
    cache = SchemaCache(tmp_path)
    cache.path.write_text("{not json")
    assert cache.resource("aws:ec2/vpc:Vpc") is not None and cache.derived == ["aws:ec2/vpc:Vpc"]
    assert "aws:ec2/vpc:Vpc" in json.loads(cache.path.read_text())["resources"]


def test_the_default_cache_lives_where_the_environment_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert resource_schema("aws:ec2/eip:Eip") is not None
    assert default_cache().directory == tmp_path and default_cache().derived == ["aws:ec2/eip:Eip"]
    assert [p.name for p in tmp_path.iterdir()] == [default_cache().path.name]
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert provider_schema.cache_dir() == tmp_path / "xdg" / "connect"
