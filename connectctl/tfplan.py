"""`connectctl plan STACK --format tfplan`: the offline plan as Terraform plan JSON, for the field's scanners.

Why: Checkov, Trivy, KICS and most reviewers' tooling read `terraform show -json` plans, not Pulumi
files. pulumi-aws is bridged from the Terraform AWS provider, so every AWS resource the program
registers is a Terraform resource under another spelling, and the spelling maps mechanically:

- type token: `aws:<module>/<camelName>:<Class>` -> `aws_<module>_<snake_name>` (`aws:ecs/taskDefinition:...`
  -> `aws_ecs_task_definition`); `MODULE_PREFIXES` holds the modules whose Terraform prefix differs
  (`ec2` has none: `aws:ec2/vpc:Vpc` -> `aws_vpc`), `TYPE_EXCEPTIONS` the types the bridge renamed
  (`aws:lb/loadBalancer:LoadBalancer` -> `aws_lb`);
- property: camelCase wire name -> snake_case; a list of nested blocks, which the bridge pluralised
  (`rule` -> `rules`), back to the singular; `PROPERTY_EXCEPTIONS` holds the renamed properties
  (`aws_cloudwatch_metric_alarm.alarm_name` is Pulumi's `name`) and the blocks Terraform already
  names in the plural (`placement_constraints`);
- shape: a nested object is a Terraform block the bridge flattened because it has MaxItems=1, so it
  becomes a one-element list; maps (tags) stay objects. Shapes come from the pulumi_aws SDK's input
  types (`connectctl.engine.provider_schema`), not from the values.
- references: a property fed by another resource (Pulumi's property dependencies) gets a reference
  expression `{"references": ["aws_vpc.acme_prod_vpc.id", "aws_vpc.acme_prod_vpc"]}` in
  `configuration`, placed on the nested attribute whose value came from that resource when the value
  shows it, else on the top-level attribute. Checkov builds its graph edges from these, so its
  cross-resource checks (a bucket and its public access block) link.

The rule and tables were checked against the Terraform AWS provider 6.25 schema (as the generated
@cdktf/provider-aws 21.22.1 bindings spell it) for every input of every type the committed stacks use,
names and block shapes; inputs newer than 6.25 follow the rule unchecked. Types are also tested against
Checkov's list of Terraform AWS resource types (tests/connectctl/test_tfplan.py).

What cannot be expressed, and what stands in for it:
- `schema_version`: the provider's per-resource schema versions are not in the SDK; 0 (no scanner
  reads it);
- values are the program's inputs, not the provider's defaults and computed attributes; unknown inputs
  (a preview) are left out of `values`/`after` and marked in `after_unknown`, as Terraform does;
- which attribute of a resource fed a property: Pulumi records the resource only; the attribute is the
  output whose value equals the input (`arn`, `name`), else `id`;
- components: Terraform has modules, but the plan keeps one flat root module (every resource name
  already carries its component's prefix); resource options (protect, ignoreChanges) have no place;
- resources that are not AWS resources (stack references) or only read (`Resource.get`) are left out;
- secrets: masked as in the JSON document (`[secret]`), and marked in `sensitive_values`/`after_sensitive`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY, CapturedResource
from connectctl.engine.provider_schema import PropertySchema, resource_schemas
from connectctl.engine.regions import PROVIDER_TYPE
from connectctl.engine.sdk import UNKNOWN_SENTINELS
from connectctl.plan import SECRET, Plan, mask

FORMAT_VERSION = "1.2"
#: The Terraform release whose plan format this document follows; no Terraform ran.
TERRAFORM_VERSION = "1.9.8"
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"

#: Pulumi modules whose Terraform resources carry another prefix than the module's name.
MODULE_PREFIXES: dict[str, str] = {
    "ec2": "",  # aws_vpc, aws_subnet, aws_eip, aws_flow_log (its aws_ec2_* resources are exceptions)
    "apigateway": "api_gateway",
    "cfg": "config",
    "amp": "prometheus",
    "directoryservice": "directory_service",
}

#: Types the bridge renamed: the mechanical rule would name a Terraform type that does not exist.
TYPE_EXCEPTIONS: dict[str, str] = {
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:alb/loadBalancer:LoadBalancer": "aws_alb",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/optionGroup:OptionGroup": "aws_db_option_group",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",  # deprecated in pulumi-aws 7 for `aws:s3/bucket:Bucket`
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
}

#: Properties (type token, Pulumi property path with dots) the mechanical rule names wrongly.
PROPERTY_EXCEPTIONS: dict[tuple[str, str], str] = {
    # renamed by the bridge
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"): "alarm_name",
    ("aws:sns/topicSubscription:TopicSubscription", "topic"): "topic_arn",
    # lists of blocks that Terraform already names in the plural (the rule would singularise them)
    ("aws:appautoscaling/policy:Policy",
     "targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.dimensions"): "dimensions",
    ("aws:appautoscaling/policy:Policy",
     "targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics"): "metrics",
    ("aws:appautoscaling/policy:Policy",
     "targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics.metricStat.metric.dimensions"):
        "dimensions",
    ("aws:backup/selection:Selection", "conditions.stringEquals"): "string_equals",
    ("aws:backup/selection:Selection", "conditions.stringNotEquals"): "string_not_equals",
    ("aws:cloudwatch/eventTarget:EventTarget", "runCommandTargets"): "run_command_targets",
    ("aws:ecs/service:Service", "placementConstraints"): "placement_constraints",
    ("aws:ecs/service:Service", "serviceConnectConfiguration.services.clientAlias.testTrafficRules"):
        "test_traffic_rules",
    ("aws:ecs/service:Service", "volumeConfiguration.managedEbsVolume.tagSpecifications"): "tag_specifications",
    ("aws:ecs/service:Service", "vpcLatticeConfigurations"): "vpc_lattice_configurations",
    ("aws:ecs/taskDefinition:TaskDefinition", "placementConstraints"): "placement_constraints",
    ("aws:s3/bucket:Bucket", "replicationConfiguration.rules"): "rules",
    # lists of strings the bridge pluralised
    ("aws:cloudtrail/trail:Trail", "advancedEventSelectors.fieldSelectors.endsWiths"): "ends_with",
    ("aws:cloudtrail/trail:Trail", "advancedEventSelectors.fieldSelectors.notEndsWiths"): "not_ends_with",
    ("aws:cloudtrail/trail:Trail", "advancedEventSelectors.fieldSelectors.startsWiths"): "starts_with",
    ("aws:cloudtrail/trail:Trail", "advancedEventSelectors.fieldSelectors.notStartsWiths"): "not_starts_with",
}

_UNKNOWN = object()  # a value known only after apply
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]")


class _Sensitive:
    """A masked value: printed masked, marked in `after_sensitive`."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def snake(name: str) -> str:
    """`enableDnsHostnames` -> `enable_dns_hostnames`, `proxyProtocolV2` -> `proxy_protocol_v2`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def singular(name: str) -> str:
    """The last word of a snake_case name in the singular, undoing the bridge's pluralisation.

    `rules` -> `rule`, `policies` -> `policy`, `aliases` -> `alias`; words that only look plural
    (`ingress`, `status`, `alias`, `analysis`) stay.
    """
    head, _, word = name.rpartition("_")
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zzes", "uses", "ases")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        word = word[:-1]
    return f"{head}_{word}" if head else word


def terraform_type(token: str) -> str:
    """The Terraform type of a pulumi-aws type token (`aws:ec2/vpc:Vpc` -> `aws_vpc`)."""
    return TYPE_EXCEPTIONS.get(token) or mechanical_type(token)


def mechanical_type(token: str) -> str:
    """The rule alone: `aws_` + the module's prefix + the snake_case resource name."""
    module, _, name = token.split(":")[1].partition("/")
    prefix = MODULE_PREFIXES.get(module, module)
    return f"aws_{prefix}_{snake(name)}" if prefix else f"aws_{snake(name)}"


def terraform_property(token: str, path: str, prop: PropertySchema | None) -> str:
    """The Terraform name of the property at `path` (Pulumi names with dots) of a `token` resource."""
    return PROPERTY_EXCEPTIONS.get((token, path)) or mechanical_property(path, prop)


def mechanical_property(path: str, prop: PropertySchema | None) -> str:
    """The rule alone: snake_case, and a list of blocks back in the singular."""
    name = snake(path.rpartition(".")[2])
    if prop is not None and prop.kind == "array" and prop.items is not None and prop.items.kind == "object":
        return singular(name)
    return name


def terraform_name(name: str) -> str:
    """A valid Terraform resource name from a Pulumi resource name (`acme-prod-vpc` -> `acme_prod_vpc`)."""
    cleaned = _NAME_CHARS.sub("_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"r_{cleaned}"


def to_tfplan(plan: Plan) -> dict[str, Any]:
    """The plan as Terraform plan JSON (format 1.2): every AWS resource a create, secrets masked."""
    return _Exporter(plan).document()


class _Exporter:
    """One conversion: addresses first (references need them all), then each resource."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.secrets = plan.secrets()
        self.by_urn = {r.urn: r for r in plan.resources}
        self.resources = [r for r in plan.resources if _is_terraform_resource(r)]
        self.schemas = resource_schemas(sorted({r.type for r in self.resources}))
        self.addresses = _addresses(self.resources)
        self.provider_keys = {r.urn: _provider_config_key(r) for r in plan.resources if r.type == PROVIDER_TYPE}

    def document(self) -> dict[str, Any]:
        """The whole document: planned values, changes (all creates) and configuration, resource by resource."""
        planned, changes, configured = [], [], []
        for r in self.resources:
            address = self.addresses[r.urn]
            tf_type, _, name = address.partition(".")
            tree = self._object(r.type, "", r.inputs, self._properties(r.type))
            values = _values(tree)
            head = {"address": address, "mode": "managed", "type": tf_type, "name": name}
            planned.append({**head, "provider_name": PROVIDER_NAME, "schema_version": 0, "values": values,
                            "sensitive_values": _marks(tree, _is_sensitive)})
            changes.append({**head, "provider_name": PROVIDER_NAME, "change": {
                "actions": ["create"], "before": None, "after": values,
                "after_unknown": _marks(tree, _is_unknown), "before_sensitive": False,
                "after_sensitive": _marks(tree, _is_sensitive)}})
            config: dict[str, Any] = {**head, "provider_config_key": self._provider_of(r),
                                      "expressions": self._expressions(r), "schema_version": 0}
            depends_on = sorted({self.addresses[u] for u in r.dependencies if u in self.addresses} -
                                {self.addresses[u] for urns in r.property_dependencies.values() for u in urns
                                 if u in self.addresses})
            if depends_on:
                config["depends_on"] = depends_on
            configured.append(config)
        return {
            "format_version": FORMAT_VERSION,
            "terraform_version": TERRAFORM_VERSION,
            "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes,
            "configuration": {"provider_config": self._provider_config(),
                              "root_module": {"resources": configured}},
            "applyable": bool(changes),
            "complete": True,
            "errored": False,
        }

    # -- values

    def _properties(self, token: str) -> Mapping[str, PropertySchema]:
        schema = self.schemas.get(token)
        return schema.properties if schema is not None else {}

    def _object(self, token: str, path: str, value: Mapping[str, Any],
                props: Mapping[str, PropertySchema]) -> dict[str, Any]:
        """A Pulumi object's properties under their Terraform names (`__` keys are Pulumi's bookkeeping)."""
        out: dict[str, Any] = {}
        for key in sorted(value):
            if key.startswith("__"):
                continue
            prop = props.get(key)
            where = f"{path}.{key}" if path else key
            out[terraform_property(token, where, prop)] = self._value(token, where, value[key], prop)
        return out

    def _value(self, token: str, path: str, value: Any, prop: PropertySchema | None) -> Any:
        """A value in Terraform's shape, with `_UNKNOWN` and `_Sensitive` leaves still marked."""
        if isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG:
            inner = self._value(token, path, value.get("value"), prop)
            return _UNKNOWN if inner is _UNKNOWN else _Sensitive(SECRET)
        if isinstance(value, str):
            if value in UNKNOWN_SENTINELS:
                return _UNKNOWN
            masked = mask(value, self.secrets)
            return masked if masked == value else _Sensitive(masked)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        kind = prop.kind if prop is not None else ""
        if kind == "string" and isinstance(value, dict | list):
            return self._encoded(value)
        if isinstance(value, list):
            items = prop.items if prop is not None else None
            if items is not None and items.kind == "object":  # a list of blocks: each element an object
                return [self._object(token, path, v, items.properties) if _is_plain_object(v)
                        else self._value(token, path, v, None) for v in value]
            return [self._value(token, path, v, items) for v in value]
        if isinstance(value, dict):
            if prop is None or kind != "object":  # maps keep the user's keys, unknown shapes stay as they are
                return {k: self._value(token, path, v, None) for k, v in sorted(value.items())}
            return [self._object(token, path, value, prop.properties)]  # a MaxItems=1 block: a one-element list
        return value

    def _encoded(self, value: dict[str, Any] | list[Any]) -> Any:
        """A policy document given as an object: Terraform holds the JSON text (unknown if any part is)."""
        text = json.dumps(value, sort_keys=True)
        if any(sentinel in text for sentinel in UNKNOWN_SENTINELS):
            return _UNKNOWN
        masked = json.dumps(mask(value, self.secrets), sort_keys=True)
        return masked if masked == text else _Sensitive(masked)

    # -- configuration

    def _expressions(self, r: CapturedResource) -> dict[str, Any]:
        """Reference expressions for the properties other resources fed, on the attribute that shows it."""
        expressions: dict[str, Any] = {}
        props = self._properties(r.type)
        for key in sorted(r.property_dependencies):
            sources = [self.by_urn[u] for u in sorted(r.property_dependencies[key]) if u in self.addresses]
            if not sources or key not in r.inputs:
                continue
            attribute = terraform_property(r.type, key, props.get(key))
            placed = self._place(r.type, key, r.inputs[key], props.get(key), self._outputs_by_value(sources))
            if placed is not None and {self.addresses[s.urn] for s in sources} <= set(_referenced(placed)):
                expressions[attribute] = placed
                continue  # else a source shows nowhere (unknown in a preview): all on the block, as below
            expressions[attribute] = {"references": [
                ref for s in sources
                for ref in (f"{self.addresses[s.urn]}.{_fed_attribute(s, r.inputs[key])}", self.addresses[s.urn])]}
        return expressions

    def _place(self, token: str, path: str, raw: Any, prop: PropertySchema | None,
               by_value: Mapping[str, list[str]]) -> list[dict[str, Any]] | None:
        """A block's reference expressions, nested as Terraform nests them, or None.

        Only for blocks (a top-level attribute gets its references where it is), and only where a
        nested value equals an output of a feeding resource; None otherwise (in a preview they are unknown).
        """
        if prop is None:
            return None
        if prop.kind == "object" and isinstance(raw, dict):
            elements, props = [raw], prop.properties
        elif prop.kind == "array" and prop.items is not None and prop.items.kind == "object" and isinstance(raw, list):
            elements, props = raw, prop.items.properties
        else:
            return None
        blocks: list[dict[str, Any]] = []
        for element in elements:
            block: dict[str, Any] = {}
            for key, value in sorted(element.items()) if isinstance(element, dict) else ():
                where, sub = f"{path}.{key}", props.get(key)
                name = terraform_property(token, where, sub)
                nested = self._place(token, where, value, sub, by_value)
                refs = list(dict.fromkeys(ref for leaf in _leaves(value) for ref in by_value.get(leaf, ())))
                if nested is not None:
                    block[name] = nested
                elif refs:
                    block[name] = {"references": refs}
            blocks.append(block)
        return blocks if any(blocks) else None

    def _outputs_by_value(self, sources: Iterable[CapturedResource]) -> dict[str, list[str]]:
        """Output value -> references to it (`aws_lb_target_group.x.arn`, `aws_lb_target_group.x`)."""
        found: dict[str, list[str]] = {}
        for s in sources:
            address = self.addresses[s.urn]
            for value, attribute in _output_values(s):
                found.setdefault(value, [f"{address}.{attribute}", address])
        return found

    def _provider_of(self, r: CapturedResource) -> str:
        urn = r.provider.rpartition("::")[0] if r.provider else ""
        return self.provider_keys.get(urn, "aws")

    def _provider_config(self) -> dict[str, Any]:
        """Each AWS provider the program made, with its settings as constant expressions."""
        config: dict[str, Any] = {}
        for r in self.plan.resources:
            if r.type != PROVIDER_TYPE:
                continue
            key = self.provider_keys[r.urn]
            entry: dict[str, Any] = {"name": "aws", "full_name": PROVIDER_NAME}
            if key != "aws":
                entry["alias"] = key.partition(".")[2]
            entry["expressions"] = {
                (singular(snake(k)) if _is_blocks(v) else snake(k)): _constant(v)
                for k, v in sorted(mask(_decoded(r.inputs), self.secrets).items()) if not k.startswith("__")
            }
            config[key] = entry
        if any(self._provider_of(r) == "aws" for r in self.resources) and "aws" not in config:
            config["aws"] = {"name": "aws", "full_name": PROVIDER_NAME}
        return config


def _is_terraform_resource(r: CapturedResource) -> bool:
    """AWS resources the program manages: not components, providers, stack references or `.get()` reads."""
    return r.custom and not r.external and r.type.startswith("aws:")


def _addresses(resources: list[CapturedResource]) -> dict[str, str]:
    """URN -> unique Terraform address; a clash (same type and cleaned name) gets a short URN digest."""
    taken: set[str] = set()
    found: dict[str, str] = {}
    for r in sorted(resources, key=lambda r: r.urn):
        address = f"{terraform_type(r.type)}.{terraform_name(r.name)}"
        if address in taken:
            address = f"{address}_{hashlib.sha256(r.urn.encode()).hexdigest()[:8]}"
        taken.add(address)
        found[r.urn] = address
    return found


def _provider_config_key(r: CapturedResource) -> str:
    """`aws` for a default provider, `aws.<name>` for one the program made (`aws.dr`)."""
    return "aws" if r.name.startswith("default") else f"aws.{terraform_name(r.name)}"


def _output_values(r: CapturedResource) -> list[tuple[str, str]]:
    """(value, Terraform attribute) of a resource's string outputs, `id` first, then `arn`, then by name."""
    pairs = [(r.id, "id")] if r.id else []
    order = sorted(r.outputs, key=lambda k: (k != "id", k != "arn", k))
    pairs += [(v, snake(k)) for k in order if isinstance(v := r.outputs[k], str) and v not in UNKNOWN_SENTINELS]
    return pairs


def _fed_attribute(source: CapturedResource, value: Any) -> str:
    """The attribute of `source` whose value the property holds (`arn`); `id` when the value does not show it."""
    wanted = set(_leaves(value))
    return next((attribute for v, attribute in _output_values(source) if v in wanted), "id")


def _referenced(expressions: Any) -> Iterable[str]:
    """Every reference in (nested) expressions."""
    if isinstance(expressions, dict):
        yield from expressions.get("references", ())
        for key, value in expressions.items():
            if key != "references":
                yield from _referenced(value)
    elif isinstance(expressions, list):
        for value in expressions:
            yield from _referenced(value)


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)


def _is_plain_object(value: Any) -> bool:
    """A dict that is an object value, not a secret's wrapper."""
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) != SECRET_SIG


def _is_unknown(value: Any) -> bool:
    return value is _UNKNOWN


def _is_sensitive(value: Any) -> bool:
    return isinstance(value, _Sensitive)


def _values(tree: Any) -> Any:
    """Plain values: unknown attributes left out, unknown list elements null (Terraform's `after`)."""
    if isinstance(tree, dict):
        return {k: _values(v) for k, v in tree.items() if v is not _UNKNOWN}
    if isinstance(tree, list):
        return [None if v is _UNKNOWN else _values(v) for v in tree]
    if isinstance(tree, _Sensitive):
        return tree.value
    return tree


def _marks(tree: Any, marked: Any) -> Any:
    """Terraform's `after_unknown`/`after_sensitive` shape: objects keep only marked keys, lists every element."""
    if marked(tree):
        return True
    if isinstance(tree, dict):
        found = {k: _marks(v, marked) for k, v in tree.items()}
        return {k: v for k, v in found.items() if v is not False}
    if isinstance(tree, list):
        return [_marks(v, marked) for v in tree]
    return False


def _decoded(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Provider inputs arrive JSON-encoded when not strings (`assumeRoles`); decode them."""
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, str) and (value.startswith(("[", "{")) or value in ("true", "false")):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


def _is_blocks(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _constant(value: Any) -> Any:
    """A provider setting as configuration expressions: a constant, or blocks of constants."""
    if _is_blocks(value):
        return [{snake(k): _constant(v) for k, v in sorted(block.items())} for block in value]
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return [{snake(k): {"constant_value": v} for k, v in sorted(value.items())}]  # default_tags { tags = {} }
    return {"constant_value": value}
