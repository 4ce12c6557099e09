"""The price list `connectctl capacity` multiplies by: `data/prices.yaml`, validated before any use.

Prices live in a reviewed data file, not in code, so that updating them is a one-line diff that
names its source and date; a wrong file is a clear error (file, field, what is allowed), never a
silently wrong estimate.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from components.regions import REGION_ZONES

ROOT = Path(__file__).resolve().parents[1]
# Found next to the package, whatever the working directory.
DEFAULT_PRICE_FILE = ROOT / "data" / "prices.yaml"


class PriceFileError(Exception):
    """A price file that cannot be used; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True)


Price = Field(ge=0, allow_inf_nan=False)


class RegionPrices(_Model):
    """On-demand list prices of one region, USD."""

    fargate_vcpu_hour: float = Price
    fargate_gb_hour: float = Price
    nat_gateway_hour: float = Price
    public_ipv4_hour: float = Price
    alb_hour: float = Price
    alb_lcu_hour: float = Price
    vpn_connection_hour: float = Price
    resolver_endpoint_eni_hour: float = Price
    interface_endpoint_az_hour: float = Price
    kms_key_month: float = Price
    backup_storage_gb_month: float = Price
    cloudwatch_alarm_month: float = Price
    cloudwatch_dashboard_month: float = Price
    # Route 53 is global: its zone and health checks are priced where the stack's primary provider runs (the same
    # list price in every region).
    route53_hosted_zone_month: float = Price
    route53_health_check_month: float = Price


class Assumptions(_Model):
    """Usage the plan cannot tell: stated in the file and printed with every report."""

    alb_lcu_per_hour: float = Field(ge=0, allow_inf_nan=False)
    backup_gb_per_store: float = Field(ge=0, allow_inf_nan=False)


class PriceList(_Model):
    """The whole file: where the prices come from, when they were taken, and the prices per region."""

    source: list[str] = Field(min_length=1)
    taken: datetime.date
    currency: Literal["USD"]
    hours_per_month: float = Field(gt=0, le=744, allow_inf_nan=False)
    note: str = ""
    assumptions: Assumptions
    regions: dict[str, RegionPrices] = Field(min_length=1)

    @field_validator("source")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        bad = [url for url in value if not url.startswith("https://")]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an https:// URL; allowed: the public pages or price list files "
                             "the prices were read from")
        return value

    @field_validator("regions")
    @classmethod
    def _region_codes(cls, value: dict[str, RegionPrices]) -> dict[str, RegionPrices]:
        unknown = sorted(set(value) - set(REGION_ZONES))
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not an AWS region code; allowed: {', '.join(REGION_ZONES)}")
        return value

    def region(self, code: str, file: str, why: str) -> RegionPrices:
        """Prices of one region; a region the file does not price is an error, never a zero."""
        try:
            return self.regions[code]
        except KeyError:
            raise PriceFileError(f"{file}: regions: no prices for {code} ({why}); priced: "
                                 f"{', '.join(sorted(self.regions))}") from None


def shown_path(path: Path) -> str:
    """Relative to the repository when inside it, as users see stack files."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Keys of the mapping that holds `loc[-1]` (top level, `assumptions` or a region)."""
    model: type[_Model] = PriceList
    if loc[:1] == ("assumptions",):
        model = Assumptions
    elif loc[:1] == ("regions",) and len(loc) == 3:
        model = RegionPrices
    return [str(f.alias) for f in model.model_fields.values()]


def load_prices(path: Path = DEFAULT_PRICE_FILE) -> PriceList:
    """Read and validate a price file; every problem is reported with its field path."""
    shown = shown_path(path)
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PriceFileError(f"{shown}: no such price file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceFileError(f"{shown}: cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise PriceFileError(f"{shown}{where}: YAML error: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise PriceFileError(f"{shown}: a price file is a mapping with source, taken, currency, hoursPerMonth, "
                             f"assumptions and regions; got {type(data).__name__}")
    try:
        return PriceList.model_validate(data)
    except ValidationError as exc:
        lines = [f"{shown}: invalid price file ({exc.error_count()} problem(s))"]
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = f"unknown key; allowed: {', '.join(_allowed_keys(tuple(error['loc'])))}"
            elif error["type"] == "missing":
                message = "required key is missing"
            elif error["type"] != "value_error":
                message = f"{message}; got {error.get('input')!r}"
            lines.append(f"  {_loc(tuple(error['loc']))}: {message}")
        raise PriceFileError("\n".join(lines)) from None
