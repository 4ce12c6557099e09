"""The stack's names: Route 53 hosted zones, their records and health checks, and Resolver endpoints.

Zones and health checks are global and the stack's when tagged for it; a zone's records are read with it (the
apex's SOA and NS records are AWS's, not declared). Resolver endpoints are regional, the stack's when tagged for
it or placed in its VPCs.
"""

from __future__ import annotations

from typing import Any

from connectctl.audit.readers import Reader, Scope, compact, tag_map
from connectctl.audit.readers.network import VPC
from connectctl.audit.view import LiveResource

ZONE, RECORD = "aws:route53/zone:Zone", "aws:route53/record:Record"
HEALTH_CHECK, RESOLVER = "aws:route53/healthCheck:HealthCheck", "aws:route53/resolverEndpoint:ResolverEndpoint"
APEX_ONLY = frozenset({"SOA", "NS"})


def _bare(name: str) -> str:
    """A DNS name as the program writes it: without the root's dot."""
    return name[:-1] if name.endswith(".") else name


def _tags(route53: Any, kind: str, ids: list[str]) -> dict[str, dict[str, str]]:
    """Tags of hosted zones or health checks, 10 at a time (ListTagsForResources' limit:
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListTagsForResources.html)."""
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), 10):
        answer = route53.list_tags_for_resources(ResourceType=kind, ResourceIds=ids[start:start + 10])
        for item in answer.get("ResourceTagSets", []):
            found[item["ResourceId"]] = tag_map(item.get("Tags"))
    return found


def _record(zone_id: str, record: dict[str, Any]) -> dict[str, Any]:
    alias = record.get("AliasTarget")
    failover = record.get("Failover")
    return compact({
        "zoneId": zone_id, "name": _bare(record["Name"]), "type": record["Type"], "ttl": record.get("TTL"),
        "records": [r["Value"] for r in record.get("ResourceRecords", [])] or None,
        "aliases": [{"name": _bare(alias["DNSName"]), "zoneId": alias["HostedZoneId"],
                     "evaluateTargetHealth": bool(alias.get("EvaluateTargetHealth"))}] if alias else None,
        "setIdentifier": record.get("SetIdentifier"),
        "failoverRoutingPolicies": [{"type": failover}] if failover else None,
        "weightedRoutingPolicies": [{"weight": record["Weight"]}] if "Weight" in record else None,
        "healthCheckId": record.get("HealthCheckId")})


def read_zones(scope: Scope, region: str) -> None:
    """Hosted zones tagged for the stack, with the VPCs they answer in and their records; the health checks tagged
    for it."""
    route53 = scope.client("route53", region)
    zones = list(scope.pages(route53, "list_hosted_zones", "HostedZones"))
    ids = [str(z["Id"]).rsplit("/", 1)[-1] for z in zones]
    tags = _tags(route53, "hostedzone", ids)
    for zone, zone_id in zip(zones, ids, strict=True):
        if not scope.ours(tags.get(zone_id, {})):
            continue
        vpcs = route53.get_hosted_zone(Id=zone_id).get("VPCs", []) if zone.get("Config", {}).get("PrivateZone") \
            else []
        name = _bare(zone["Name"])
        scope.add(LiveResource(ZONE, name, region, compact({
            "name": name, "comment": zone.get("Config", {}).get("Comment") or None,
            "vpcs": [{"vpcId": v["VPCId"], "vpcRegion": v["VPCRegion"]} for v in vpcs] or None,
            "tags": tags[zone_id]}), zone_id, f"arn:{scope.partition}:route53:::hostedzone/{zone_id}"))
        for record in scope.pages(route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone_id):
            if record["Type"] in APEX_ONLY and _bare(record["Name"]) == name:
                continue
            key = "_".join(filter(None, (_bare(record["Name"]), record["Type"], record.get("SetIdentifier"))))
            scope.add(LiveResource(RECORD, key, region, _record(zone_id, record), f"{zone_id}_{key}"))
    checks = list(scope.pages(route53, "list_health_checks", "HealthChecks"))
    check_tags = _tags(route53, "healthcheck", [c["Id"] for c in checks])
    for check in checks:
        if not scope.ours(check_tags.get(check["Id"], {})):
            continue
        config = check.get("HealthCheckConfig", {})
        identifier = config.get("AlarmIdentifier") or {}
        scope.add(LiveResource(HEALTH_CHECK, check["Id"], region, compact({
            "type": config.get("Type"), "cloudwatchAlarmName": identifier.get("Name"),
            "cloudwatchAlarmRegion": identifier.get("Region"),
            "insufficientDataHealthStatus": config.get("InsufficientDataHealthStatus"),
            "childHealthchecks": config.get("ChildHealthChecks") or None,
            "childHealthThreshold": config.get("HealthThreshold"), "fqdn": config.get("FullyQualifiedDomainName"),
            "port": config.get("Port"), "resourcePath": config.get("ResourcePath"),
            "tags": check_tags[check["Id"]]}), check["Id"],
            f"arn:{scope.partition}:route53:::healthcheck/{check['Id']}"))


def read_resolvers(scope: Scope, region: str) -> None:
    """Resolver endpoints tagged for the stack or placed in its VPCs, with their addresses."""
    resolver = scope.client("route53resolver", region)
    vpcs = set(scope.ids(VPC, region))
    for endpoint in scope.pages(resolver, "list_resolver_endpoints", "ResolverEndpoints"):
        arn = endpoint["Arn"]
        tags = tag_map(list(scope.pages(resolver, "list_tags_for_resource", "Tags", ResourceArn=arn)))
        if not (scope.ours(tags) or endpoint.get("HostVPCId") in vpcs):
            continue
        addresses = list(scope.pages(resolver, "list_resolver_endpoint_ip_addresses", "IpAddresses",
                                     ResolverEndpointId=endpoint["Id"]))
        scope.add(LiveResource(RESOLVER, endpoint.get("Name") or endpoint["Id"], region, compact({
            "name": endpoint.get("Name"), "direction": endpoint.get("Direction"),
            "securityGroupIds": endpoint.get("SecurityGroupIds") or None,
            "ipAddresses": [compact({"subnetId": a.get("SubnetId"), "ip": a.get("Ip")}) for a in addresses] or None,
            "protocols": endpoint.get("Protocols") or None, "tags": tags}), endpoint["Id"], arn,
            {"hostVpcId": endpoint.get("HostVPCId")}))


READERS = (
    Reader("hosted zones", "route53", ("ListHostedZones", "ListTagsForResources", "GetHostedZone",
                                       "ListResourceRecordSets", "ListHealthChecks"),
           (ZONE, RECORD, HEALTH_CHECK), read_zones, "global"),
    Reader("resolver endpoints", "route53resolver", ("ListResolverEndpoints", "ListTagsForResource",
                                                     "ListResolverEndpointIpAddresses"), (RESOLVER,), read_resolvers),
)
