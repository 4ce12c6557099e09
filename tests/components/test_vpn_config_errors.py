"""Bad connectivity config in, precise issues out: `connect:vpn`, its pre-shared keys, `connect:alerts`.

Every case starts from a valid stack file (acme-prod: one BGP link with provided keys; acme-staging:
one static link to a documentation address; globex-prod: two BGP links; acme-account), changes one
thing and checks the exact path(s) of the issues reported and the key phrases of the first message:
what is wrong and what is allowed instead (the Site-to-Site VPN quotas vpn_config cites).
Pre-shared key values are checked like the others, and must never appear in any message.
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
    error_of,
    issues_of,
    parse_odd,
)

PROJECT = load_project()
FILES = {name: load_stack(PROJECT, name) for name in ("acme-prod", "acme-staging", "globex-prod", "acme-account")}
STACKS = {name: stack.config for name, stack in FILES.items()}
SECRETS = {name: list(stack.secret_keys) for name, stack in FILES.items()}
C0, C1 = "connect:vpn.connections[0]", "connect:vpn.connections[1]"
T0, T1 = f"{C0}.tunnels[0]", f"{C0}.tunnels[1]"
PSK1, PSK2 = "connect:vpnPskSantiago1", "connect:vpnPskSantiago2"
PUBLIC = "the public IPv4 address of the client's VPN device"
NOT_PUBLIC = "is not a public address (private, shared, multicast or reserved)"
ASN_RANGE = "allowed: 1 to 4294967294"
PRIVATE_ASN = "allowed: 64512-65534 or 4200000000-4294967294"
ENCRYPTION = "allowed: AES128, AES256, AES128-GCM-16, AES256-GCM-16"
INTEGRITY = "allowed: SHA1, SHA2-256, SHA2-384, SHA2-512"
PHASE1_DH = "allowed: 2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24"
PHASE2_DH = "allowed: 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24"
RESERVED_INSIDE = ["169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30", "169.254.4.0/30",
                   "169.254.5.0/30", "169.254.169.252/30"]
CONNECTION_KEYS = "name, peerIp, bgpAsn, staticRoutes, onPremCidrs, reachableTiers, tunnels, crypto"
PSK_RULE = "8-64 letters, digits, '.' and '_', not starting with 0"
# globex-prod's links, both switched to static routing (dc-lima: 10.100.0.0/16, dc-bogota: 10.101.0.0/16).
BOTH_STATIC = [(f"{C0}.staticRoutes", True), (f"{C1}.staticRoutes", True)]
# A VPN block without pre-shared keys, for account stacks (which hold no secret keys).
PLAIN_VPN = STACKS["globex-prod"]["connect:vpn"]

config_of = changer(STACKS)

CASES: dict[str, Case] = {
    # --- peer IP: the client device's public address ---------------------------------------------
    "peer-private-10": ("acme-prod", [(f"{C0}.peerIp", "10.1.2.3")], [f"{C0}.peerIp"],
                        [f"10.1.2.3 {NOT_PUBLIC}", PUBLIC]),
    "peer-private-192-168": ("acme-prod", [(f"{C0}.peerIp", "192.168.10.1")], [f"{C0}.peerIp"],
                             [f"192.168.10.1 {NOT_PUBLIC}", PUBLIC]),
    "peer-private-172-16": ("acme-prod", [(f"{C0}.peerIp", "172.20.0.1")], [f"{C0}.peerIp"], [NOT_PUBLIC]),
    "peer-shared-100-64": ("acme-prod", [(f"{C0}.peerIp", "100.64.0.1")], [f"{C0}.peerIp"],
                           [f"100.64.0.1 {NOT_PUBLIC}", PUBLIC]),
    "peer-loopback": ("acme-prod", [(f"{C0}.peerIp", "127.0.0.1")], [f"{C0}.peerIp"], [f"127.0.0.1 {NOT_PUBLIC}"]),
    "peer-unspecified": ("acme-prod", [(f"{C0}.peerIp", "0.0.0.0")], [f"{C0}.peerIp"], [NOT_PUBLIC]),
    "peer-reserved-240": ("acme-prod", [(f"{C0}.peerIp", "240.0.0.1")], [f"{C0}.peerIp"], [NOT_PUBLIC]),
    "peer-broadcast": ("acme-prod", [(f"{C0}.peerIp", "255.255.255.255")], [f"{C0}.peerIp"], [NOT_PUBLIC]),
    "peer-link-local": ("acme-prod", [(f"{C0}.peerIp", "169.254.7.7")], [f"{C0}.peerIp"], [NOT_PUBLIC]),
    "peer-malformed-three-octets": ("acme-prod", [(f"{C0}.peerIp", "190.98.210")], [f"{C0}.peerIp"],
                                    ["'190.98.210' is not an IPv4 address", "allowed: the device's public IPv4"]),
    "peer-malformed-octet-256": ("acme-prod", [(f"{C0}.peerIp", "190.98.210.256")], [f"{C0}.peerIp"],
                                 ["is not an IPv4 address"]),
    "peer-hostname": ("acme-prod", [(f"{C0}.peerIp", "vpn.acme.example")], [f"{C0}.peerIp"],
                      ["'vpn.acme.example' is not an IPv4 address"]),
    "peer-ipv6": ("acme-prod", [(f"{C0}.peerIp", "2001:db8::1")], [f"{C0}.peerIp"], ["is not an IPv4 address"]),
    "peer-with-prefix": ("acme-prod", [(f"{C0}.peerIp", "190.98.210.10/32")], [f"{C0}.peerIp"],
                         ["is not an IPv4 address"]),
    "peer-documentation-in-production": (
        "acme-prod", [(f"{C0}.peerIp", "198.51.100.20")], [f"{C0}.peerIp"],
        ["198.51.100.20 is a documentation-only address", "never a stack that deploys", PUBLIC],
    ),
    "peer-documentation-test-net-1-in-production": (
        "acme-prod", [(f"{C0}.peerIp", "192.0.2.10")], [f"{C0}.peerIp"],
        ["documentation-only", "never a stack that deploys"],
    ),
    "staging-link-private-peer": ("acme-staging", [(f"{C0}.peerIp", "10.9.9.9")], [f"{C0}.peerIp"], [NOT_PUBLIC]),
    # --- ASNs -----------------------------------------------------------------------------------
    "bgp-asn-0": ("acme-prod", [(f"{C0}.bgpAsn", 0)], [f"{C0}.bgpAsn"], ["0 is not a BGP ASN", ASN_RANGE]),
    "bgp-asn-4294967295": ("acme-prod", [(f"{C0}.bgpAsn", 4294967295)], [f"{C0}.bgpAsn"],
                           ["4294967295 is not a BGP ASN", ASN_RANGE]),
    "bgp-asn-string": ("acme-prod", [(f"{C0}.bgpAsn", "65010")], [f"{C0}.bgpAsn"],
                       ["'65010' is not a BGP ASN", ASN_RANGE]),
    "bgp-asn-negative": ("acme-prod", [(f"{C0}.bgpAsn", -65010)], [f"{C0}.bgpAsn"], [ASN_RANGE]),
    "bgp-asn-boolean": ("acme-prod", [(f"{C0}.bgpAsn", True)], [f"{C0}.bgpAsn"], ["True is not a BGP ASN"]),
    "bgp-asn-float": ("acme-prod", [(f"{C0}.bgpAsn", 65010.0)], [f"{C0}.bgpAsn"], ["65010.0 is not a BGP ASN"]),
    "amazon-asn-public-7224": ("acme-prod", [("connect:vpn.amazonSideAsn", 7224)], ["connect:vpn.amazonSideAsn"],
                               ["7224 is not a private ASN", PRIVATE_ASN]),
    "amazon-asn-above-range": ("acme-prod", [("connect:vpn.amazonSideAsn", 4294967295)],
                               ["connect:vpn.amazonSideAsn"], ["4294967295 is not a private ASN", PRIVATE_ASN]),
    "amazon-asn-65535": ("acme-prod", [("connect:vpn.amazonSideAsn", 65535)], ["connect:vpn.amazonSideAsn"],
                         [PRIVATE_ASN]),
    "amazon-asn-64511": ("acme-prod", [("connect:vpn.amazonSideAsn", 64511)], ["connect:vpn.amazonSideAsn"],
                         [PRIVATE_ASN]),
    "amazon-asn-string": ("acme-prod", [("connect:vpn.amazonSideAsn", "64512")], ["connect:vpn.amazonSideAsn"],
                          ["'64512' is not a private ASN"]),
    "bgp-asn-equals-amazon-side": (
        "acme-prod", [(f"{C0}.bgpAsn", 64512)], [f"{C0}.bgpAsn"],
        ["64512 equals connect:vpn.amazonSideAsn", "different from the Amazon side"],
    ),
    "amazon-side-equals-second-link": (
        "globex-prod", [("connect:vpn.amazonSideAsn", 65200)], [f"{C1}.bgpAsn"], ["65200 equals"],
    ),
    # --- on-premises ranges -----------------------------------------------------------------------
    "onprem-inside-vpc": ("acme-prod", [(f"{C0}.onPremCidrs", ["10.40.128.0/17"])], [f"{C0}.onPremCidrs[0]"],
                          ["10.40.128.0/17 overlaps the VPC block 10.40.0.0/16", "ranges outside it"]),
    "onprem-contains-vpc": ("acme-prod", [(f"{C0}.onPremCidrs", ["172.16.0.0/16", "10.0.0.0/8"])],
                            # the DR VPC (10.42/16) is inside 10.0.0.0/8 too
                            [f"{C0}.onPremCidrs[1]", "connect:dr.cidr"],
                            ["10.0.0.0/8 overlaps the VPC block 10.40.0.0/16"]),
    "onprem-whole-internet": ("acme-prod", [(f"{C0}.onPremCidrs", ["0.0.0.0/0"])], [f"{C0}.onPremCidrs"],
                              ["'0.0.0.0/0' is the whole internet", "the data centre's own ranges"]),
    "onprem-host-bits": ("acme-prod", [(f"{C0}.onPremCidrs", ["172.16.0.1/16"])], [f"{C0}.onPremCidrs"],
                         ["'172.16.0.1/16' is not a CIDR block with its host bits clear", "e.g. 172.16.0.0/16"]),
    "onprem-empty": ("acme-prod", [(f"{C0}.onPremCidrs", [])], [f"{C0}.onPremCidrs"],
                     ["no range", "at least one CIDR block"]),
    "onprem-missing": ("acme-prod", [(f"{C0}.onPremCidrs", DELETE)], [f"{C0}.onPremCidrs"],
                       ["required key is missing"]),
    "onprem-prefix-33": ("acme-prod", [(f"{C0}.onPremCidrs", ["172.16.0.0/33"])], [f"{C0}.onPremCidrs"],
                         ["'172.16.0.0/33' is not a CIDR block"]),
    "onprem-ipv6": ("acme-prod", [(f"{C0}.onPremCidrs", ["fd00::/8"])], [f"{C0}.onPremCidrs"],
                    ["'fd00::/8' is not a CIDR block"]),
    "onprem-listed-twice": ("acme-staging", [(f"{C0}.onPremCidrs", ["172.16.0.0/16", "172.16.0.0/16"])],
                            [f"{C0}.onPremCidrs"], ["lists a range twice", "each range once"]),
    "onprem-not-a-list": ("acme-prod", [(f"{C0}.onPremCidrs", "172.16.0.0/16")], [f"{C0}.onPremCidrs"],
                          ["'172.16.0.0/16' is not a list", "one '- ' item per entry"]),
    "static-ranges-overlap": (
        "globex-prod", [*BOTH_STATIC, (f"{C1}.onPremCidrs", ["10.100.128.0/17"])], [f"{C1}.onPremCidrs[0]"],
        ["10.100.128.0/17 overlaps 10.100.0.0/16 routed statically to 'dc-lima'", "each range routed to one"],
    ),
    "static-ranges-equal": (
        "globex-prod", [*BOTH_STATIC, (f"{C1}.onPremCidrs", ["10.99.0.0/16", "10.100.0.0/16"])],
        [f"{C1}.onPremCidrs[1]"], ["10.100.0.0/16 overlaps 10.100.0.0/16 routed statically to 'dc-lima'"],
    ),
    "static-routes-not-boolean": ("acme-staging", [(f"{C0}.staticRoutes", "yes")], [f"{C0}.staticRoutes"],
                                  ["'yes' is not a boolean", "allowed: true or false"]),
    "static-routes-number": ("acme-staging", [(f"{C0}.staticRoutes", 1)], [f"{C0}.staticRoutes"],
                             ["1 is not a boolean"]),
    # --- tunnels: inside CIDRs and count -----------------------------------------------------------
    "inside-cidr-29": ("acme-prod", [(f"{T0}.insideCidr", "169.254.10.0/29")], [f"{T0}.insideCidr"],
                       ["'169.254.10.0/29' is not a /30 inside 169.254.0.0/16"]),
    "inside-cidr-31": ("acme-prod", [(f"{T1}.insideCidr", "169.254.10.4/31")], [f"{T1}.insideCidr"],
                       ["is not a /30 inside 169.254.0.0/16"]),
    "inside-cidr-outside-link-local": ("acme-prod", [(f"{T0}.insideCidr", "10.0.0.0/30")], [f"{T0}.insideCidr"],
                                       ["'10.0.0.0/30' is not a /30 inside 169.254.0.0/16", "e.g. 169.254.10.0/30"]),
    "inside-cidr-next-to-link-local": ("acme-prod", [(f"{T0}.insideCidr", "169.255.0.0/30")], [f"{T0}.insideCidr"],
                                       ["is not a /30 inside 169.254.0.0/16"]),
    "inside-cidr-host-bits": ("acme-prod", [(f"{T0}.insideCidr", "169.254.10.1/30")], [f"{T0}.insideCidr"],
                              ["'169.254.10.1/30' is not a CIDR block", "a /30 inside 169.254.0.0/16"]),
    "inside-cidr-not-cidr": ("acme-prod", [(f"{T0}.insideCidr", "link-local")], [f"{T0}.insideCidr"],
                             ["'link-local' is not a CIDR block"]),
    **{
        f"inside-cidr-reserved-{cidr}": (
            "acme-prod", [(f"{T1}.insideCidr", cidr)], [f"{T1}.insideCidr"],
            [f"'{cidr}' is reserved by AWS", "any other /30 of 169.254.0.0/16 except", ", ".join(RESERVED_INSIDE)],
        )
        for cidr in RESERVED_INSIDE
    },
    "inside-cidr-equal-for-both-tunnels": (
        "acme-prod", [(f"{T1}.insideCidr", "169.254.10.0/30")], [f"{T1}.insideCidr"],
        ["169.254.10.0/30 is already an inside range of this connection", "a different /30 per tunnel and region"],
    ),
    "inside-cidr-reused-across-connections": (
        "globex-prod", [(f"{C0}.tunnels", [{"insideCidr": "169.254.30.0/30"}, {"insideCidr": "169.254.20.4/30"}])],
        [f"{C1}.tunnels[1].insideCidr"], ["169.254.20.4/30 is already used by 'dc-lima'", "a /30 unique in the"],
    ),
    "one-tunnel": ("acme-prod", [(f"{C0}.tunnels[1]", DELETE), (PSK2, DELETE)], [f"{C0}.tunnels"],
                   ["1 tunnel(s)", "allowed: exactly 2", "or none for AWS defaults"]),
    "three-tunnels": ("acme-prod", [(f"{C0}.tunnels[2]", {"insideCidr": "169.254.10.8/30"})], [f"{C0}.tunnels"],
                      ["3 tunnel(s)", "allowed: exactly 2"]),
    "no-tunnels-in-a-list": ("globex-prod", [(f"{C1}.tunnels", [])], [f"{C1}.tunnels"],
                             ["0 tunnel(s)", "allowed: exactly 2"]),
    "tunnels-not-a-list": ("globex-prod", [(f"{C1}.tunnels", {"insideCidr": "169.254.20.0/30"})], [f"{C1}.tunnels"],
                           ["is not a list", "keys insideCidr, presharedKeySecret"]),
    "tunnel-unknown-key": ("globex-prod", [(f"{C1}.tunnels[0]", {"insideCIDR": "169.254.20.0/30"})],
                           [f"{C1}.tunnels[0].insideCIDR"],
                           ["unknown key", "did you mean 'insideCidr'?", "insideCidr, presharedKeySecret"]),
    # --- pre-shared key names --------------------------------------------------------------------
    "psk-secret-not-set": (
        "acme-prod", [(PSK1, DELETE)], [f"{T0}.presharedKeySecret"],
        [f"names {PSK1}, which is not set", f"pulumi config set --secret {PSK1}"],
    ),
    "psk-both-secrets-not-set": (
        "acme-prod", [(PSK1, DELETE), (PSK2, DELETE)], [f"{T0}.presharedKeySecret", f"{T1}.presharedKeySecret"],
        ["which is not set"],
    ),
    "psk-name-with-hyphen": (
        "acme-prod", [(f"{T0}.presharedKeySecret", "vpn-psk-1"), (PSK1, DELETE)], [f"{T0}.presharedKeySecret"],
        ["'vpn-psk-1' is not a config key name", "letters and digits, starting with a letter"],
    ),
    "psk-name-with-namespace": (
        "acme-prod", [(f"{T0}.presharedKeySecret", "connect:vpnPskSantiago1"), (PSK1, DELETE)],
        [f"{T0}.presharedKeySecret"], ["'connect:vpnPskSantiago1' is not a config key name", "connect:<name>"],
    ),
    "psk-name-starting-with-digit": (
        "acme-prod", [(f"{T0}.presharedKeySecret", "1psk"), (PSK1, DELETE)], [f"{T0}.presharedKeySecret"],
        ["'1psk' is not a config key name"],
    ),
    "psk-name-empty": (
        "acme-prod", [(f"{T0}.presharedKeySecret", ""), (PSK1, DELETE)], [f"{T0}.presharedKeySecret"],
        ["'' is not a config key name"],
    ),
    "psk-name-is-a-stack-key": (
        "acme-prod", [(f"{T0}.presharedKeySecret", "tenant"), (PSK1, DELETE)], [f"{T0}.presharedKeySecret"],
        ["names connect:tenant, a key of the stack's own configuration", "a key of its own"],
    ),
    "psk-name-is-the-vpn-key": (
        "acme-prod", [(f"{T1}.presharedKeySecret", "vpn"), (PSK2, DELETE)], [f"{T1}.presharedKeySecret"],
        ["names connect:vpn, a key of the stack's own configuration"],
    ),
    # --- crypto: only what AWS offers -------------------------------------------------------------
    "crypto-aes512": ("acme-prod", [(f"{C0}.crypto", {"phase1Encryption": ["AES512"]})],
                      [f"{C0}.crypto.phase1Encryption"], ["'AES512' is not an AWS encryption algorithm", ENCRYPTION]),
    "crypto-lowercase-aes256": ("acme-prod", [(f"{C0}.crypto", {"phase2Encryption": ["aes256"]})],
                                [f"{C0}.crypto.phase2Encryption"], ["'aes256' is not", ENCRYPTION]),
    "crypto-sha3": ("acme-prod", [(f"{C0}.crypto", {"phase1Integrity": ["SHA3"]})], [f"{C0}.crypto.phase1Integrity"],
                    ["'SHA3' is not an AWS integrity algorithm", INTEGRITY]),
    "crypto-md5-phase2": ("acme-prod", [(f"{C0}.crypto", {"phase2Integrity": ["SHA2-256", "MD5"]})],
                          [f"{C0}.crypto.phase2Integrity"], ["'MD5' is not", INTEGRITY]),
    "crypto-dh3-phase1": ("acme-prod", [(f"{C0}.crypto", {"phase1DhGroups": [3]})], [f"{C0}.crypto.phase1DhGroups"],
                          ["3 is not an AWS phase 1 DH group", PHASE1_DH]),
    "crypto-dh5-phase1": ("acme-prod", [(f"{C0}.crypto", {"phase1DhGroups": [20, 5]})],
                          [f"{C0}.crypto.phase1DhGroups"], ["5 is not an AWS phase 1 DH group", PHASE1_DH]),
    "crypto-dh25-phase2": ("acme-prod", [(f"{C0}.crypto", {"phase2DhGroups": [25]})], [f"{C0}.crypto.phase2DhGroups"],
                           ["25 is not an AWS phase 2 DH group", PHASE2_DH]),
    "crypto-dh-as-string": ("acme-prod", [(f"{C0}.crypto", {"phase1DhGroups": ["14"]})],
                            [f"{C0}.crypto.phase1DhGroups"], ["'14' is not an AWS phase 1 DH group", PHASE1_DH]),
    "crypto-dh-as-float": ("acme-prod", [(f"{C0}.crypto", {"phase2DhGroups": [14.0]})],
                           [f"{C0}.crypto.phase2DhGroups"], ["14.0 is not an AWS phase 2 DH group", PHASE2_DH]),
    "crypto-ikev3": ("acme-prod", [(f"{C0}.crypto", {"ikeVersions": ["ikev3"]})], [f"{C0}.crypto.ikeVersions"],
                     ["'ikev3' is not an AWS IKE version", "allowed: ikev1, ikev2"]),
    "crypto-empty-list": ("acme-prod", [(f"{C0}.crypto", {"phase1Encryption": []})],
                          [f"{C0}.crypto.phase1Encryption"], ["[] is not a non-empty list", ENCRYPTION.split(": ")[1]]),
    "crypto-not-a-list": ("acme-prod", [(f"{C0}.crypto", {"ikeVersions": "ikev2"})], [f"{C0}.crypto.ikeVersions"],
                          ["'ikev2' is not a non-empty list", "ikev1, ikev2"]),
    "crypto-duplicates": ("acme-prod", [(f"{C0}.crypto", {"phase1Encryption": ["AES256", "AES256"]})],
                          [f"{C0}.crypto.phase1Encryption"], ["lists a value twice", "each once"]),
    "crypto-unknown-key": ("acme-prod", [(f"{C0}.crypto", {"phase1Encryptions": ["AES256"]})],
                           [f"{C0}.crypto.phase1Encryptions"], ["unknown key", "did you mean 'phase1Encryption'?"]),
    "crypto-not-a-mapping": ("acme-prod", [(f"{C0}.crypto", "strong")], [f"{C0}.crypto"],
                             ["'strong' is not a mapping", "ikeVersions, phase1Encryption"]),
    # --- reachable tiers --------------------------------------------------------------------------
    "tiers-ingress": ("acme-prod", [(f"{C0}.reachableTiers", ["app", "ingress"])], [f"{C0}.reachableTiers[1]"],
                      ["'app' or 'data'", "got 'ingress'"]),
    "tiers-empty": ("acme-prod", [(f"{C0}.reachableTiers", [])], [f"{C0}.reachableTiers"],
                    ["allowed: app and/or data, each once"]),
    "tiers-duplicated": ("globex-prod", [(f"{C0}.reachableTiers", ["data", "data"])], [f"{C0}.reachableTiers"],
                         ["['data', 'data']", "allowed: app and/or data, each once"]),
    # --- connection names, peers and keys -----------------------------------------------------------
    "duplicate-connection-names": ("globex-prod", [(f"{C1}.name", "dc-lima")], [f"{C1}.name"],
                                   ["'dc-lima' is already the name of connect:vpn.connections[0]", "unique names"]),
    "duplicate-peer-ips": ("globex-prod", [(f"{C1}.peerIp", "181.65.132.20")], [f"{C1}.peerIp"],
                           ["181.65.132.20 is already the peer of 'dc-lima'", "one customer gateway per device"]),
    "name-uppercase": ("acme-prod", [(f"{C0}.name", "DC-Santiago")], [f"{C0}.name"],
                       ["'DC-Santiago' is not a connection name", "2-32 lowercase letters, digits and single hyphens"]),
    "name-33-characters": ("acme-prod", [(f"{C0}.name", "d" * 33)], [f"{C0}.name"], ["2-32 lowercase"]),
    "name-one-character": ("acme-prod", [(f"{C0}.name", "d")], [f"{C0}.name"], ["'d' is not a connection name"]),
    "name-double-hyphen": ("acme-prod", [(f"{C0}.name", "dc--santiago")], [f"{C0}.name"], ["single hyphens"]),
    "name-leading-digit": ("acme-prod", [(f"{C0}.name", "1dc")], [f"{C0}.name"], ["starting with a letter"]),
    "name-missing": ("acme-prod", [(f"{C0}.name", DELETE)], [f"{C0}.name"], ["required key is missing"]),
    "peer-missing": ("acme-prod", [(f"{C0}.peerIp", DELETE)], [f"{C0}.peerIp"], ["required key is missing"]),
    "connection-unknown-key-peerIP": (
        "acme-prod", [(f"{C0}.peerIP", "190.98.210.10")], [f"{C0}.peerIP"],
        ["unknown key", "did you mean 'peerIp'?", f"allowed keys: {CONNECTION_KEYS}"],
    ),
    "vpn-unknown-key": ("acme-prod", [("connect:vpn.amazonAsn", 64512)], ["connect:vpn.amazonAsn"],
                        ["unknown key", "did you mean 'amazonSideAsn'?", "amazonSideAsn, connections"]),
    "vpn-key-misspelt": ("acme-staging", [("connect:vpns", {})], ["connect:vpns"],
                         ["unknown key", "did you mean 'connect:vpn'?"]),
    "connections-not-a-list": ("globex-prod", [("connect:vpn.connections", {"name": "dc-lima"})],
                               ["connect:vpn.connections"], ["is not a list", f"keys {CONNECTION_KEYS}"]),
    # --- scope ----------------------------------------------------------------------------------
    "vpn-in-account-stack": ("acme-account", [("connect:vpn", PLAIN_VPN)], ["connect:vpn"],
                             ["not used in an account stack (scope: account)", "connect:tenant, connect:registry"]),
    "alerts-in-account-stack": ("acme-account", [("connect:alerts", {"emails": ["sre-oncall@modyo.example"]})],
                                ["connect:alerts"], ["not used in an account stack"]),
    # --- alerts ---------------------------------------------------------------------------------
    "alerts-email-without-at": ("acme-prod", [("connect:alerts.emails", ["sre-oncall.modyo.example"])],
                                ["connect:alerts.emails"],
                                ["'sre-oncall.modyo.example' is not an email address", "name@domain.tld"]),
    "alerts-email-without-tld": ("acme-prod", [("connect:alerts.emails", ["sre@localhost"])],
                                 ["connect:alerts.emails"], ["is not an email address"]),
    "alerts-email-with-space": ("acme-prod", [("connect:alerts.emails", ["sre oncall@modyo.example"])],
                                ["connect:alerts.emails"], ["is not an email address"]),
    "alerts-email-not-a-list": ("acme-prod", [("connect:alerts.emails", "sre@modyo.example")],
                                ["connect:alerts.emails"], ["is not a list"]),
    "alerts-http-endpoint": (
        "acme-prod", [("connect:alerts.httpsEndpoints", ["http://events.pagerduty.example/x"])],
        ["connect:alerts.httpsEndpoints"],
        ["'http://events.pagerduty.example/x' is not an HTTPS URL", "allowed: https://host/path"],
    ),
    "alerts-https-without-host": ("acme-prod", [("connect:alerts.httpsEndpoints", ["https://"])],
                                  ["connect:alerts.httpsEndpoints"], ["is not an HTTPS URL"]),
    "alerts-unknown-key": ("acme-prod", [("connect:alerts.email", ["sre@modyo.example"])], ["connect:alerts.email"],
                           ["unknown key", "did you mean 'emails'?", "emails, httpsEndpoints"]),
}


def test_there_are_at_least_thirty_five_cases() -> None:
    assert len(CASES) >= 35


@each_case(CASES)
def test_bad_input_names_field_and_allowed_values(
    stack: str, changes: list[tuple[str, Any]], paths: list[str], phrases: list[str]
) -> None:
    assert_issues(issues_of(config_of(stack, *changes), SECRETS[stack]), paths, phrases)


# --- pre-shared key values: checked, never shown ------------------------------------------------------

PLAIN = "in plain text"
INVALID = "is not a valid pre-shared key (value not shown)"
# id -> (value of connect:vpnPskSantiago1, set as a secret?, expected issue paths, phrases of each issue)
PSK_CASES: dict[str, tuple[Any, bool, list[str], list[str]]] = {
    "plain-text": ("Plain.Text_Key42", False, [PSK1], [PLAIN, f"pulumi config set --secret {PSK1}"]),
    "plain-text-and-invalid": ("Plain-Text-Key42", False, [PSK1, PSK1], [PLAIN, INVALID]),
    "too-short": ("Sh0rt_k", True, [PSK1], [INVALID, PSK_RULE]),
    "too-long": ("LongKey" + "x" * 58, True, [PSK1], [INVALID, "8-64"]),
    "starting-with-zero": ("0SecretKey42", True, [PSK1], [INVALID, "not starting with 0"]),
    "with-hyphen": ("Secret-Key-42", True, [PSK1], [INVALID, "letters, digits, '.' and '_'"]),
    "with-space": ("Secret Key 42", True, [PSK1], [INVALID]),
    "with-trailing-newline": ("SecretKey42\n", True, [PSK1], [INVALID]),
    "non-ascii": ("SecretKeyñandú42", True, [PSK1], [INVALID]),
    "a-number": (48151623, True, [PSK1], [INVALID]),
    "a-mapping": ({"value": "SecretKey42"}, True, [PSK1], [INVALID]),
}


@pytest.mark.parametrize(("value", "secret", "paths", "phrases"), list(PSK_CASES.values()), ids=list(PSK_CASES))
def test_bad_pre_shared_key_is_reported_without_its_value(
    value: Any, secret: bool, paths: list[str], phrases: list[str]
) -> None:
    secret_keys = SECRETS["acme-prod"] if secret else [PSK2]
    error = error_of(config_of("acme-prod", (PSK1, value)), secret_keys)
    assert [issue.path for issue in error.issues] == paths, error.issues
    messages = " | ".join(issue.message for issue in error.issues)
    for phrase in phrases:
        assert phrase in messages, (phrase, messages)
    shown = value if isinstance(value, str) else str(value if not isinstance(value, dict) else value["value"])
    for text in (str(error), repr(error.issues), *(issue.path for issue in error.issues)):
        assert shown.strip() not in text, text


def test_pre_shared_key_values_are_accepted_at_the_limits() -> None:
    for value in ("Eight_8.", "k" * 64, "A0000000", "._._._._"):
        cfg = parse_stack_config(config_of("acme-prod", (PSK1, value)), SOURCE, SECRETS["acme-prod"])
        assert cfg.vpn is not None and cfg.vpn.connections[0].tunnels is not None


def test_plain_text_check_is_skipped_without_secret_key_information() -> None:
    cfg = parse_stack_config(config_of("acme-prod", (PSK1, "Plain.Text_Key42")), SOURCE)
    assert cfg.vpn is not None


# --- what is allowed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["acme-prod", "acme-staging", "globex-prod"])
def test_stack_files_with_vpn_links_parse(stack: str) -> None:
    stack_file = load_stack(PROJECT, stack)
    cfg = parse_stack_config(stack_file.config, stack_file.display_path, stack_file.secret_keys)
    assert isinstance(cfg, StackConfig) and cfg.vpn is not None and cfg.vpn.connections
    assert cfg.alerts.emails
    links = {conn.name: conn for conn in cfg.vpn.connections}
    if stack == "acme-prod":
        assert stack_file.secret_keys == [PSK1, PSK2]
        assert [t.preshared_key_secret for t in links["dc-santiago"].tunnels or []] == [
            "vpnPskSantiago1", "vpnPskSantiago2"]
    if stack == "acme-staging":
        assert links["dc-santiago"].static_routes and not links["dc-santiago"].is_documentation_peer()
    if stack == "globex-prod":
        assert sorted(links) == ["dc-bogota", "dc-lima"] and links["dc-lima"].tunnels is None


@pytest.mark.parametrize("address", ["203.0.113.7", "192.0.2.1", "198.51.100.255", "10.0.0.1", "100.64.0.1",
                                     "127.0.0.1", "169.254.1.1", "224.0.0.5", "240.0.0.1", "0.0.0.0"])
def test_a_peer_that_cannot_be_reached_is_refused_in_every_environment(address: str) -> None:
    staging = config_of("acme-staging", (f"{C0}.peerIp", address))
    (issue,) = issues_of(staging, [])
    assert issue.path == f"{C0}.peerIp" and issue.message.startswith(f"{address} is ")
    assert "allowed: the public IPv4 address of the client's VPN device" in issue.message


def test_the_first_and_last_public_addresses_around_a_documentation_range_pass() -> None:
    for address in ("198.51.99.255", "198.51.101.0", "190.98.210.11"):
        cfg = parse_stack_config(config_of("acme-staging", (f"{C0}.peerIp", address)), SOURCE, SECRETS["acme-staging"])
        assert cfg.vpn is not None and cfg.vpn.connections[0].peer_ip == address


def test_overlapping_ranges_are_fine_when_one_link_is_bgp() -> None:
    one_static = config_of("globex-prod", (f"{C0}.staticRoutes", True), (f"{C1}.onPremCidrs", ["10.100.128.0/17"]))
    cfg = parse_stack_config(one_static, SOURCE, [])
    assert cfg.vpn is not None and cfg.vpn.connections[1].on_prem_cidrs == ["10.100.128.0/17"]
    bgp_only = config_of("globex-prod", (f"{C1}.onPremCidrs", ["10.100.0.0/16"]))
    assert parse_stack_config(bgp_only, SOURCE, []).vpn is not None


def test_phase_2_takes_dh_group_5_and_weak_but_aws_valid_crypto_passes_validation() -> None:
    crypto = {"ikeVersions": ["ikev1", "ikev2"], "phase1Encryption": ["AES128"], "phase2Encryption": ["AES128-GCM-16"],
              "phase1Integrity": ["SHA1"], "phase2Integrity": ["SHA1"], "phase1DhGroups": [2, 14],
              "phase2DhGroups": [2, 5, 24]}
    cfg = parse_stack_config(config_of("acme-prod", (f"{C0}.crypto", crypto)), SOURCE, SECRETS["acme-prod"])
    assert cfg.vpn is not None and cfg.vpn.connections[0].crypto.phase2_dh_groups == [2, 5, 24]


def test_tunnels_may_leave_inside_cidr_and_key_to_aws() -> None:
    bare = config_of("globex-prod", (f"{C1}.tunnels", [{}, {"insideCidr": "169.254.169.248/30"}]))
    cfg = parse_stack_config(bare, SOURCE, [])
    assert cfg.vpn is not None and cfg.vpn.connections[1].tunnels is not None


def test_unreferenced_key_is_unknown_while_referenced_keys_are_accepted() -> None:
    config = config_of("acme-prod", ("connect:somethingElse", "x"))
    issues = issues_of(config, SECRETS["acme-prod"])
    assert [issue.path for issue in issues] == ["connect:somethingElse"]
    assert "unknown key" in issues[0].message and "connect:vpn" in issues[0].message
    # A secret key no tunnel names any more is unknown as well.
    orphan = config_of("acme-prod", (f"{T1}.presharedKeySecret", DELETE))
    assert [issue.path for issue in issues_of(orphan, SECRETS["acme-prod"])] == [PSK2]


def test_several_vpn_problems_are_reported_together() -> None:
    field_errors = config_of("globex-prod", (f"{C0}.peerIp", "1.2.3"), (f"{C1}.bgpAsn", 0),
                             ("connect:alerts.emails", ["x"]))
    assert [issue.path for issue in issues_of(field_errors, [])] == [
        f"{C0}.peerIp", f"{C1}.bgpAsn", "connect:alerts.emails"]
    cross_errors = config_of("globex-prod", (f"{C0}.peerIp", "10.0.0.1"), (f"{C1}.name", "dc-lima"),
                             (f"{C1}.onPremCidrs", ["10.60.0.0/24"]))
    assert [issue.path for issue in issues_of(cross_errors, [])] == [
        f"{C0}.peerIp", f"{C1}.name", f"{C1}.onPremCidrs[0]"]


# --- robustness: any value in any field gives StackConfigError, never another exception -------------

ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 65010, 64512, 1.5, 14.0, float("nan"), float("inf"), 10**40, -(10**40),
    "", " ", "\n", "\x00", "x" * 100_000, "d" * 33, "ünïcödé", "🚀", "65010", "ikev2", "AES256",
    "169.254.10.0/30", "190.98.210.10", "10.0.0.0/8", "https://", "vpnPskSantiago1",
    [], {}, [None], [[]], [{}], ["app"] * 3, [1, 2], {"a": None}, {"": ""}, {1: "x"}, {"secure": "v1:x"},
    b"bytes", (1, 2), frozenset(), [[[["deep"]]]],
]
CONNECTION_FIELDS = [
    "name", "peerIp", "bgpAsn", "staticRoutes", "onPremCidrs", "reachableTiers", "tunnels", "crypto", "unknownKey",
    "onPremCidrs[0]", "onPremCidrs[1]", "reachableTiers[0]", "reachableTiers[1]", "tunnels[0]", "tunnels[2]",
    "tunnels[0].insideCidr", "tunnels[1].insideCidr", "tunnels[0].presharedKeySecret",
    "tunnels[1].presharedKeySecret", "tunnels[0].unknownKey",
    "crypto.ikeVersions", "crypto.phase1Encryption", "crypto.phase2Encryption", "crypto.phase1Integrity",
    "crypto.phase2Integrity", "crypto.phase1DhGroups", "crypto.phase2DhGroups", "crypto.unknownKey",
    "crypto.ikeVersions[0]", "crypto.phase1DhGroups[0]",
]
ALERTS_FIELDS = ["emails", "httpsEndpoints", "emails[0]", "emails[1]", "httpsEndpoints[0]", "unknownKey"]
FIELD_PATHS = (
    [("acme-prod", f"{C0}.{field}") for field in CONNECTION_FIELDS]
    + [("acme-staging", f"{C0}.{field}") for field in ("staticRoutes", "onPremCidrs[1]", "tunnels")]
    + [("globex-prod", f"{C1}.{field}") for field in ("name", "peerIp", "onPremCidrs[0]", "tunnels[0].insideCidr")]
    + [("acme-prod", path) for path in ("connect:vpn", "connect:vpn.amazonSideAsn", "connect:vpn.connections",
                                        C0, "connect:vpn.connections[1]", "connect:vpn.unknownKey", PSK1, PSK2)]
    + [("acme-prod", f"connect:alerts.{field}") for field in ALERTS_FIELDS]
    + [("acme-prod", "connect:alerts")]
    + [("acme-account", key) for key in ("connect:vpn", "connect:alerts", "connect:vpn.connections")]
)


def test_there_are_about_forty_odd_values() -> None:
    assert len(ODD_VALUES) >= 40


@each_field_path(FIELD_PATHS)
def test_odd_values_only_ever_raise_stack_config_error(stack: str, path: str) -> None:
    for value in ODD_VALUES:
        for secret_keys in (SECRETS[stack], None):
            error = parse_odd(STACKS[stack], path, value, secret_keys)
            if error is not None:
                report = str(error)
                if path in (PSK1, PSK2) and isinstance(value, str) and len(value) >= 8 and value not in path:
                    assert value not in report, (path, value)
