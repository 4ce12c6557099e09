"""Static facts about AWS commercial regions.

Validation must reject a region or zone that does not exist *before* any cloud call, so the
list lives here rather than behind an invoke. Zone letters are the standard Availability Zones
(Local and Wavelength Zones are not used by the platform).
"""

from __future__ import annotations

# region code -> letters of its standard Availability Zones, in order.
REGION_ZONES: dict[str, str] = {
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "ac",
    "us-west-2": "abcd",
    "ca-central-1": "abd",
    "ca-west-1": "abc",
    "mx-central-1": "abc",
    "sa-east-1": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "af-south-1": "abc",
    "me-south-1": "abc",
    "me-central-1": "abc",
    "il-central-1": "abc",
    "ap-east-1": "abc",
    "ap-south-1": "abc",
    "ap-south-2": "abc",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-southeast-3": "abc",
    "ap-southeast-4": "abc",
    "ap-southeast-5": "abc",
    "ap-southeast-7": "abc",
}

# Zone letter -> fixed slot in the VPC's CIDR plan. Slots never depend on list position.
ZONE_SLOTS = "abcdefgh"


def zones_of(region: str) -> list[str]:
    """Standard zone names of a region, in letter order."""
    return [f"{region}{letter}" for letter in REGION_ZONES.get(region, "")]


def zone_slot(zone: str) -> int:
    """The fixed CIDR slot of a zone, taken from its letter (us-east-1c -> 2)."""
    return ZONE_SLOTS.index(zone[-1])

# Elastic Load Balancing's log-delivery account per region, for regions opened before August 2022
# (AWS documentation: "Enable access logs for your Application Load Balancer"). Newer regions use
# the service principal `logdelivery.elasticloadbalancing.amazonaws.com` instead.
ELB_LOG_DELIVERY_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


def zone_id_prefix(region: str) -> str:
    """The short region code AWS uses in zone ids: us-east-1 -> use1, ap-southeast-2 -> apse2."""
    area, direction, number = region.split("-")
    short = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
             "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}[direction]
    return f"{area}{short}{number}"
