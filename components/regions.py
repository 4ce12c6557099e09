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
