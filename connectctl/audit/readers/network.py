"""EC2 networking: the stack's VPCs and everything in them, as `aws:ec2/*` and `aws:vpc/*` resources.

The VPCs are the ones tagged for the stack; everything else is read inside them, tagged or not (a hand-made
resource in the stack's VPC is the stack's problem). AWS's own defaults are read the way the program adopts them: the
default security group and network ACL as `DefaultSecurityGroup` / `DefaultNetworkAcl`, the main route table only
when a subnet falls back on it (no explicit association). Security group rules are read one by one
(DescribeSecurityGroupRules), as the program declares them (`SecurityGroupIngressRule` / `EgressRule`).
"""

from __future__ import annotations

from typing import Any

from connectctl.audit.readers import Reader, Scope, compact, tag_map
from connectctl.audit.view import LiveResource

VPC, SUBNET = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"
ROUTE_TABLE, ROUTE = "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route"
ASSOCIATION, MAIN_ASSOCIATION = ("aws:ec2/routeTableAssociation:RouteTableAssociation",
                                 "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation")
PROPAGATION = "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"
IGW, NAT, EIP = "aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"
GROUP, DEFAULT_GROUP = "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS, EGRESS = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                   "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
ACL, DEFAULT_ACL = "aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ACL_ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
FLOW_LOG, ENDPOINT = "aws:ec2/flowLog:FlowLog", "aws:ec2/vpcEndpoint:VpcEndpoint"
VPN_GATEWAY, CUSTOMER_GATEWAY = "aws:ec2/vpnGateway:VpnGateway", "aws:ec2/customerGateway:CustomerGateway"
VPN = "aws:ec2/vpnConnection:VpnConnection"
LIVE = [{"Name": "state", "Values": ["pending", "available"]}]
# Every network ACL's final deny (IPv4, IPv6): AWS's, never declared
# (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html).
DEFAULT_DENY = frozenset({32767, 32768})


def _vpc_filter(scope: Scope, region: str, name: str = "vpc-id") -> list[dict[str, Any]]:
    return [{"Name": name, "Values": scope.ids(VPC, region)}]


def read_vpcs(scope: Scope, region: str) -> None:
    """The VPCs tagged for the stack."""
    ec2 = scope.client("ec2", region)
    filters = [{"Name": "tag:connect:client", "Values": [scope.client_name]},
               {"Name": "tag:connect:environment", "Values": [scope.environment]}]
    for vpc in scope.pages(ec2, "describe_vpcs", "Vpcs", Filters=filters):
        ipv6 = next((a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
                     if a.get("Ipv6CidrBlockState", {}).get("State") == "associated"), None)
        scope.add(LiveResource(VPC, vpc["VpcId"], region, compact({
            "cidrBlock": vpc.get("CidrBlock"), "ipv6CidrBlock": ipv6, "instanceTenancy": vpc.get("InstanceTenancy"),
            "tags": tag_map(vpc.get("Tags"))}), vpc["VpcId"], scope.arn("ec2", region, f"vpc/{vpc['VpcId']}")))


def read_subnets(scope: Scope, region: str) -> None:
    """Every subnet of the stack's VPCs."""
    if not scope.ids(VPC, region):
        return
    for subnet in scope.pages(scope.client("ec2", region), "describe_subnets", "Subnets",
                              Filters=_vpc_filter(scope, region)):
        ipv6 = next((a["Ipv6CidrBlock"] for a in subnet.get("Ipv6CidrBlockAssociationSet", [])
                     if a.get("Ipv6CidrBlockState", {}).get("State") == "associated"), None)
        scope.add(LiveResource(SUBNET, subnet["SubnetId"], region, compact({
            "vpcId": subnet["VpcId"], "cidrBlock": subnet.get("CidrBlock"), "ipv6CidrBlock": ipv6,
            "availabilityZone": subnet.get("AvailabilityZone"),
            "mapPublicIpOnLaunch": bool(subnet.get("MapPublicIpOnLaunch")),
            "assignIpv6AddressOnCreation": bool(subnet.get("AssignIpv6AddressOnCreation")),
            "tags": tag_map(subnet.get("Tags"))}), subnet["SubnetId"], subnet.get("SubnetArn")))


ROUTE_TARGETS = {"GatewayId": "gatewayId", "NatGatewayId": "natGatewayId", "TransitGatewayId": "transitGatewayId",
                 "VpcPeeringConnectionId": "vpcPeeringConnectionId",
                 "EgressOnlyInternetGatewayId": "egressOnlyGatewayId",
                 "NetworkInterfaceId": "networkInterfaceId", "CarrierGatewayId": "carrierGatewayId",
                 "LocalGatewayId": "localGatewayId", "CoreNetworkArn": "coreNetworkArn"}
ROUTE_DESTINATIONS = {"DestinationCidrBlock": "destinationCidrBlock",
                      "DestinationIpv6CidrBlock": "destinationIpv6CidrBlock",
                      "DestinationPrefixListId": "destinationPrefixListId"}


def _route(scope: Scope, region: str, table: str, route: dict[str, Any]) -> LiveResource | None:
    """A route as `aws:ec2/route:Route`; None for what no program declares as one: the local route, routes a VPN
    gateway propagates, and the routes gateway endpoints add (their `routeTableIds`)."""
    gateway = str(route.get("GatewayId", ""))
    if gateway == "local" or gateway.startswith("vpce-") or route.get("Origin") == "EnableVgwRoutePropagation":
        return None
    inputs: dict[str, Any] = {"routeTableId": table}
    inputs |= {name: route[key] for key, name in ROUTE_DESTINATIONS.items() if route.get(key)}
    inputs |= {name: route[key] for key, name in ROUTE_TARGETS.items() if route.get(key)}
    destination = next((route[key] for key in ROUTE_DESTINATIONS if route.get(key)), "?")
    return LiveResource(ROUTE, f"{table}_{destination}", region, inputs, f"r-{table}{destination}")


def read_route_tables(scope: Scope, region: str) -> None:
    """Route tables with their routes, subnet associations and VPN route propagations; the main table only when a
    subnet uses it implicitly."""
    if not scope.ids(VPC, region):
        return
    tables = list(scope.pages(scope.client("ec2", region), "describe_route_tables", "RouteTables",
                              Filters=_vpc_filter(scope, region)))
    associated = {a["SubnetId"] for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    implicit = {s.inputs["vpcId"] for s in scope.found(SUBNET, region) if s.id not in associated}
    for table in tables:
        table_id, vpc = table["RouteTableId"], table["VpcId"]
        main = any(a.get("Main") for a in table.get("Associations", []))
        if main and vpc not in implicit and not any(a.get("SubnetId") for a in table.get("Associations", [])):
            continue  # AWS's main table, which no subnet of the stack uses
        scope.add(LiveResource(ROUTE_TABLE, table_id, region, {"vpcId": vpc, "tags": tag_map(table.get("Tags"))},
                               table_id, scope.arn("ec2", region, f"route-table/{table_id}")))
        for route in table.get("Routes", []):
            found = _route(scope, region, table_id, route)
            if found is not None:
                scope.add(found)
        for association in table.get("Associations", []):
            if association.get("Main"):
                scope.add(LiveResource(MAIN_ASSOCIATION, association["RouteTableAssociationId"], region,
                                       {"vpcId": vpc, "routeTableId": table_id},
                                       association["RouteTableAssociationId"]))
            elif association.get("SubnetId"):
                scope.add(LiveResource(ASSOCIATION, association["RouteTableAssociationId"], region,
                                       {"subnetId": association["SubnetId"], "routeTableId": table_id},
                                       association["RouteTableAssociationId"]))
        for propagation in table.get("PropagatingVgws", []):
            gateway = propagation["GatewayId"]
            scope.add(LiveResource(PROPAGATION, f"{gateway}_{table_id}", region,
                                   {"vpnGatewayId": gateway, "routeTableId": table_id}, f"{gateway}_{table_id}"))


def read_gateways(scope: Scope, region: str) -> None:
    """Internet gateways attached to the stack's VPCs, and its NAT gateways (those that exist or are coming up)."""
    if not scope.ids(VPC, region):
        return
    ec2 = scope.client("ec2", region)
    for gateway in scope.pages(ec2, "describe_internet_gateways", "InternetGateways",
                               Filters=_vpc_filter(scope, region, "attachment.vpc-id")):
        gateway_id = gateway["InternetGatewayId"]
        vpc = next((a["VpcId"] for a in gateway.get("Attachments", []) if a.get("VpcId")), None)
        scope.add(LiveResource(IGW, gateway_id, region, compact({"vpcId": vpc, "tags": tag_map(gateway.get("Tags"))}),
                               gateway_id, scope.arn("ec2", region, f"internet-gateway/{gateway_id}")))
    for nat in scope.pages(ec2, "describe_nat_gateways", "NatGateways", Filters=[*_vpc_filter(scope, region), *LIVE]):
        addresses = nat.get("NatGatewayAddresses", [])
        primary = next((a for a in addresses if a.get("IsPrimary")), addresses[0] if addresses else {})
        secondary = [a["AllocationId"] for a in addresses if a is not primary and a.get("AllocationId")]
        nat_id = nat["NatGatewayId"]
        scope.add(LiveResource(NAT, nat_id, region, compact({
            "subnetId": nat.get("SubnetId"), "allocationId": primary.get("AllocationId"),
            "connectivityType": nat.get("ConnectivityType"), "secondaryAllocationIds": secondary or None,
            "tags": tag_map(nat.get("Tags"))}), nat_id, scope.arn("ec2", region, f"natgateway/{nat_id}"),
            {"publicIp": primary.get("PublicIp"), "networkInterfaceId": primary.get("NetworkInterfaceId")}))


def read_addresses(scope: Scope, region: str) -> None:
    """Elastic IPs tagged for the stack, used by its NAT gateways or bound to an interface in its VPCs."""
    ec2 = scope.client("ec2", region)
    vpcs = scope.ids(VPC, region)
    interfaces = {i["NetworkInterfaceId"] for i in scope.pages(
        ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=_vpc_filter(scope, region))} if vpcs else set()
    nat_allocations = {r.inputs.get("allocationId") for r in scope.found(NAT, region)}
    nat_allocations |= {a for r in scope.found(NAT, region) for a in r.inputs.get("secondaryAllocationIds", [])}
    for address in ec2.describe_addresses()["Addresses"]:  # not paginated: an account holds a few
        tags = tag_map(address.get("Tags"))
        allocation = address.get("AllocationId")
        if not (scope.ours(tags) or allocation in nat_allocations or address.get("NetworkInterfaceId") in interfaces):
            continue
        scope.add(LiveResource(EIP, allocation or address["PublicIp"], region, compact({
            "domain": address.get("Domain"), "instance": address.get("InstanceId"),
            "networkInterface": address.get("NetworkInterfaceId"),
            "associateWithPrivateIp": address.get("PrivateIpAddress"), "publicIpv4Pool": address.get("PublicIpv4Pool"),
            "tags": tags}), allocation or address["PublicIp"],
            scope.arn("ec2", region, f"elastic-ip/{allocation}") if allocation else None,
            compact({"publicIp": address.get("PublicIp"), "allocationId": allocation,
                     "associationId": address.get("AssociationId")})))


def _rule_inputs(rule: dict[str, Any]) -> dict[str, Any]:
    """A security group rule as `SecurityGroupIngressRule` / `EgressRule` inputs (no ports for all protocols)."""
    protocol = str(rule.get("IpProtocol"))
    ports = {} if protocol == "-1" else {"fromPort": rule.get("FromPort"), "toPort": rule.get("ToPort")}
    return compact({
        "securityGroupId": rule["GroupId"], "ipProtocol": protocol, **ports, "cidrIpv4": rule.get("CidrIpv4"),
        "cidrIpv6": rule.get("CidrIpv6"), "prefixListId": rule.get("PrefixListId"),
        "referencedSecurityGroupId": (rule.get("ReferencedGroupInfo") or {}).get("GroupId"),
        "description": rule.get("Description"), "tags": tag_map(rule.get("Tags"))})


def read_security_groups(scope: Scope, region: str) -> None:
    """Every security group of the stack's VPCs (the VPC's default one as `DefaultSecurityGroup`), and each of
    their rules as a rule resource."""
    if not scope.ids(VPC, region):
        return
    ec2 = scope.client("ec2", region)
    groups = list(scope.pages(ec2, "describe_security_groups", "SecurityGroups", Filters=_vpc_filter(scope, region)))
    for group in groups:
        group_id, tags = group["GroupId"], tag_map(group.get("Tags"))
        arn = scope.arn("ec2", region, f"security-group/{group_id}")
        if group.get("GroupName") == "default":
            scope.add(LiveResource(DEFAULT_GROUP, group_id, region, {"vpcId": group["VpcId"], "ingress": [],
                                                                     "egress": [], "tags": tags}, group_id, arn))
        else:
            scope.add(LiveResource(GROUP, group_id, region, compact({
                "vpcId": group.get("VpcId"), "name": group.get("GroupName"), "description": group.get("Description"),
                "tags": tags}), group_id, arn))
    ids = [g["GroupId"] for g in groups]
    # A filter takes at most 200 values (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html
    # #query-filtering, "up to 200 values").
    for start in range(0, len(ids), 200):
        for rule in scope.pages(ec2, "describe_security_group_rules", "SecurityGroupRules",
                                Filters=[{"Name": "group-id", "Values": ids[start:start + 200]}]):
            rule_id = rule["SecurityGroupRuleId"]
            scope.add(LiveResource(EGRESS if rule.get("IsEgress") else INGRESS, rule_id, region, _rule_inputs(rule),
                                   rule_id, rule.get("SecurityGroupRuleArn")
                                   or scope.arn("ec2", region, f"security-group-rule/{rule_id}")))


def _acl_entry(entry: dict[str, Any]) -> dict[str, Any]:
    ports = entry.get("PortRange") or {}
    icmp = entry.get("IcmpTypeCode") or {}
    return compact({
        "ruleNo": entry.get("RuleNumber"), "action": entry.get("RuleAction"), "protocol": entry.get("Protocol"),
        "cidrBlock": entry.get("CidrBlock"), "ipv6CidrBlock": entry.get("Ipv6CidrBlock"),
        "fromPort": ports.get("From", 0), "toPort": ports.get("To", 0), "icmpType": icmp.get("Type"),
        "icmpCode": icmp.get("Code")})


def read_network_acls(scope: Scope, region: str) -> None:
    """Network ACLs of the stack's VPCs with their entries (AWS's final deny left out, as no program declares it);
    the default ACL as `DefaultNetworkAcl` with the subnets that fall back on it, the others' subnets as
    `NetworkAclAssociation`s."""
    if not scope.ids(VPC, region):
        return
    for acl in scope.pages(scope.client("ec2", region), "describe_network_acls", "NetworkAcls",
                           Filters=_vpc_filter(scope, region)):
        acl_id = acl["NetworkAclId"]
        entries = [e for e in acl.get("Entries", []) if e.get("RuleNumber") not in DEFAULT_DENY]
        subnets = sorted(a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId"))
        inputs: dict[str, Any] = {
            "ingress": [_acl_entry(e) for e in entries if not e.get("Egress")],
            "egress": [_acl_entry(e) for e in entries if e.get("Egress")], "tags": tag_map(acl.get("Tags"))}
        arn = scope.arn("ec2", region, f"network-acl/{acl_id}")
        if acl.get("IsDefault"):
            scope.add(LiveResource(DEFAULT_ACL, acl_id, region,
                                   {"defaultNetworkAclId": acl_id, **inputs, "subnetIds": subnets},
                                   acl_id, arn, {"vpcId": acl["VpcId"]}))
            continue
        scope.add(LiveResource(ACL, acl_id, region, {"vpcId": acl["VpcId"], **inputs}, acl_id, arn))
        for association in acl.get("Associations", []):
            if association.get("SubnetId"):
                scope.add(LiveResource(ACL_ASSOCIATION, association["NetworkAclAssociationId"], region,
                                       {"networkAclId": acl_id, "subnetId": association["SubnetId"]},
                                       association["NetworkAclAssociationId"]))


def read_flow_logs(scope: Scope, region: str) -> None:
    """The flow logs of the stack's VPCs, whatever their state (the live check `vpc-flow-logs` reads the state)."""
    if not scope.ids(VPC, region):
        return
    for flow in scope.pages(scope.client("ec2", region), "describe_flow_logs", "FlowLogs",
                            Filters=_vpc_filter(scope, region, "resource-id")):
        destination = flow.get("LogDestination")
        if not destination and flow.get("LogGroupName"):
            destination = scope.arn("logs", region, f"log-group:{flow['LogGroupName']}")
        flow_id = flow["FlowLogId"]
        scope.add(LiveResource(FLOW_LOG, flow_id, region, compact({
            "vpcId": flow.get("ResourceId"), "trafficType": flow.get("TrafficType"),
            "logDestinationType": flow.get("LogDestinationType"), "logDestination": destination,
            "iamRoleArn": flow.get("DeliverLogsPermissionArn"),
            "maxAggregationInterval": flow.get("MaxAggregationInterval"), "logFormat": flow.get("LogFormat"),
            "tags": tag_map(flow.get("Tags"))}), flow_id, scope.arn("ec2", region, f"vpc-flow-log/{flow_id}")))


def read_endpoints(scope: Scope, region: str) -> None:
    """VPC endpoints of the stack's VPCs (deleted ones left out)."""
    if not scope.ids(VPC, region):
        return
    for endpoint in scope.pages(scope.client("ec2", region), "describe_vpc_endpoints", "VpcEndpoints",
                                Filters=_vpc_filter(scope, region)):
        if str(endpoint.get("State", "")).lower() in ("deleted", "deleting", "failed", "rejected"):
            continue
        endpoint_id = endpoint["VpcEndpointId"]
        scope.add(LiveResource(ENDPOINT, endpoint_id, region, compact({
            "vpcId": endpoint.get("VpcId"), "serviceName": endpoint.get("ServiceName"),
            "vpcEndpointType": endpoint.get("VpcEndpointType"), "privateDnsEnabled": endpoint.get("PrivateDnsEnabled"),
            "subnetIds": endpoint.get("SubnetIds") or None,
            "securityGroupIds": [g["GroupId"] for g in endpoint.get("Groups", [])] or None,
            "routeTableIds": endpoint.get("RouteTableIds") or None, "policy": endpoint.get("PolicyDocument"),
            "tags": tag_map(endpoint.get("Tags"))}), endpoint_id,
            scope.arn("ec2", region, f"vpc-endpoint/{endpoint_id}")))


TUNNEL_LISTS = {"IkeVersions": "IkeVersions", "Phase1EncryptionAlgorithms": "Phase1EncryptionAlgorithms",
                "Phase2EncryptionAlgorithms": "Phase2EncryptionAlgorithms",
                "Phase1IntegrityAlgorithms": "Phase1IntegrityAlgorithms",
                "Phase2IntegrityAlgorithms": "Phase2IntegrityAlgorithms",
                "Phase1DHGroupNumbers": "Phase1DhGroupNumbers", "Phase2DHGroupNumbers": "Phase2DhGroupNumbers"}
TUNNEL_VALUES = {"TunnelInsideCidr": "InsideCidr", "TunnelInsideIpv6Cidr": "InsideIpv6Cidr",
                 "DpdTimeoutAction": "DpdTimeoutAction", "DpdTimeoutSeconds": "DpdTimeoutSeconds",
                 "Phase1LifetimeSeconds": "Phase1LifetimeSeconds", "Phase2LifetimeSeconds": "Phase2LifetimeSeconds",
                 "RekeyFuzzPercentage": "RekeyFuzzPercentage", "RekeyMarginTimeSeconds": "RekeyMarginTimeSeconds",
                 "ReplayWindowSize": "ReplayWindowSize", "StartupAction": "StartupAction"}


def _tunnel(number: int, options: dict[str, Any]) -> dict[str, Any]:
    """One tunnel's options as the connection's `tunnel<N>...` inputs. DescribeVpnConnections answers the tunnels'
    pre-shared keys and the device configuration too
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TunnelOption.html): never copied."""
    found: dict[str, Any] = {}
    for key, name in TUNNEL_LISTS.items():
        if key in options:
            found[f"tunnel{number}{name}"] = [v.get("Value") for v in options[key]]
    for key, name in TUNNEL_VALUES.items():
        if options.get(key) is not None:
            found[f"tunnel{number}{name}"] = options[key]
    logs = (options.get("LogOptions") or {}).get("CloudWatchLogOptions")
    if logs:
        found[f"tunnel{number}LogOptions"] = {"cloudwatchLogOptions": compact({
            "logEnabled": logs.get("LogEnabled"), "logGroupArn": logs.get("LogGroupArn"),
            "logOutputFormat": logs.get("LogOutputFormat")})}
    return found


def read_vpn(scope: Scope, region: str) -> None:
    """VPN gateways attached to the stack's VPCs or tagged for it, their connections (and those tagged for the
    stack) and the connections' customer gateways."""
    ec2 = scope.client("ec2", region)
    tagged = [{"Name": "tag:connect:client", "Values": [scope.client_name]},
              {"Name": "tag:connect:environment", "Values": [scope.environment]}]
    gateways: dict[str, dict[str, Any]] = {}
    searches = [tagged] + ([_vpc_filter(scope, region, "attachment.vpc-id")] if scope.ids(VPC, region) else [])
    for filters in searches:
        for gateway in ec2.describe_vpn_gateways(Filters=filters)["VpnGateways"]:  # not paginated
            if gateway.get("State") in ("available", "pending"):
                gateways[gateway["VpnGatewayId"]] = gateway
    for gateway_id, gateway in gateways.items():
        vpc = next((a["VpcId"] for a in gateway.get("VpcAttachments", []) if a.get("State") == "attached"), None)
        scope.add(LiveResource(VPN_GATEWAY, gateway_id, region, compact({
            "vpcId": vpc, "amazonSideAsn": str(gateway["AmazonSideAsn"]) if gateway.get("AmazonSideAsn") else None,
            "tags": tag_map(gateway.get("Tags"))}), gateway_id, scope.arn("ec2", region, f"vpn-gateway/{gateway_id}")))
    connections: dict[str, dict[str, Any]] = {}
    searches = [[*tagged, *LIVE]]
    if gateways:
        searches.append([{"Name": "vpn-gateway-id", "Values": list(gateways)}, *LIVE])
    for filters in searches:
        for connection in ec2.describe_vpn_connections(Filters=filters)["VpnConnections"]:
            connections[connection["VpnConnectionId"]] = connection
    customers = sorted({c["CustomerGatewayId"] for c in connections.values() if c.get("CustomerGatewayId")})
    if customers:
        for customer in ec2.describe_customer_gateways(CustomerGatewayIds=customers)["CustomerGateways"]:
            customer_id = customer["CustomerGatewayId"]
            scope.add(LiveResource(CUSTOMER_GATEWAY, customer_id, region, compact({
                "bgpAsn": customer.get("BgpAsn"), "ipAddress": customer.get("IpAddress"), "type": customer.get("Type"),
                "deviceName": customer.get("DeviceName"), "tags": tag_map(customer.get("Tags"))}), customer_id,
                scope.arn("ec2", region, f"customer-gateway/{customer_id}")))
    for vpn_id, connection in connections.items():
        options = connection.get("Options") or {}
        inputs = compact({
            "customerGatewayId": connection.get("CustomerGatewayId"), "vpnGatewayId": connection.get("VpnGatewayId"),
            "transitGatewayId": connection.get("TransitGatewayId"), "type": connection.get("Type"),
            "staticRoutesOnly": options.get("StaticRoutesOnly"), "tags": tag_map(connection.get("Tags"))})
        tunnels = options.get("TunnelOptions") or []
        outputs: dict[str, Any] = {}
        for number, tunnel in enumerate(tunnels[:2], start=1):
            inputs |= _tunnel(number, tunnel)
            if tunnel.get("OutsideIpAddress"):
                outputs[f"tunnel{number}Address"] = tunnel["OutsideIpAddress"]
        scope.add(LiveResource(VPN, vpn_id, region, inputs, vpn_id,
                               scope.arn("ec2", region, f"vpn-connection/{vpn_id}"), outputs))


DESCRIBE_VPC_CALLS = ("DescribeVpcs",)
READERS = (
    Reader("vpcs", "ec2", DESCRIBE_VPC_CALLS, (VPC,), read_vpcs),
    Reader("subnets", "ec2", ("DescribeSubnets",), (SUBNET,), read_subnets),
    Reader("route tables", "ec2", ("DescribeRouteTables",), (ROUTE_TABLE, ROUTE, ASSOCIATION, MAIN_ASSOCIATION,
                                                              PROPAGATION), read_route_tables),
    Reader("gateways", "ec2", ("DescribeInternetGateways", "DescribeNatGateways"), (IGW, NAT), read_gateways),
    Reader("elastic ips", "ec2", ("DescribeNetworkInterfaces", "DescribeAddresses"), (EIP,), read_addresses),
    Reader("security groups", "ec2", ("DescribeSecurityGroups", "DescribeSecurityGroupRules"),
           (GROUP, DEFAULT_GROUP, INGRESS, EGRESS), read_security_groups),
    Reader("network acls", "ec2", ("DescribeNetworkAcls",), (ACL, DEFAULT_ACL, ACL_ASSOCIATION), read_network_acls),
    Reader("flow logs", "ec2", ("DescribeFlowLogs",), (FLOW_LOG,), read_flow_logs),
    Reader("vpc endpoints", "ec2", ("DescribeVpcEndpoints",), (ENDPOINT,), read_endpoints),
    Reader("vpn", "ec2", ("DescribeVpnGateways", "DescribeVpnConnections", "DescribeCustomerGateways"),
           (VPN_GATEWAY, VPN, CUSTOMER_GATEWAY), read_vpn),
)
