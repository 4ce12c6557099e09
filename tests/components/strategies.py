"""Hypothesis strategies for valid environment stack files, built on the committed ones as templates.

A `World` is what a test varies: services, VPN connections, data stores, zones, NAT mode, whether the
client brings its own egress IPs, and the DR mode. Everything else (tenant, network block, certificates,
alerts, backup plan) comes from the template, `stacks/Pulumi.acme-prod.yaml` or `globex-prod.yaml`, and
`World.doc()` renders the whole stack file. Only valid files are generated (no filtering): names are
unique per kind and drawn from disjoint vocabularies that no fixed resource name uses, so a resource
belongs to an item when the item's name is a hyphen-delimited run of the resource's name; routes, peers,
ASNs, on-premises ranges and tunnel addresses are distinct by construction.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from components.config import CONNECT_KEYS, FARGATE_SIZES, MAX_SERVICE_NAME
from components.regions import zones_of

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ("acme-prod", "globex-prod")
GENERATED_KEYS = ("connect:services", "connect:vpn", "connect:data")
DR_MODES = ("backup-restore", "pilot-light", "warm-standby")
STORE_KINDS = ("buckets", "fileSystems", "databases")
# Disjoint vocabularies (service words, store words, data-centre cities), none a word of a fixed resource name.
SERVICE_WORDS = ("payments", "ledger", "checkout", "catalogue", "identity", "quotes", "pricing", "shipping",
                 "loyalty", "onboarding", "internationalization", "fraudscoring")
SERVICE_KINDS = ("api", "worker", "svc")
STORE_WORDS = ("invoices", "receipts", "archive", "statements", "uploads", "contracts", "journal", "claims")
STORE_SUFFIX = {"buckets": "docs", "fileSystems": "files", "databases": "db"}
CITIES = ("santiago", "lima", "bogota", "quito", "caracas", "montevideo", "asuncion", "lapaz")
SMALL_SIZES = {cpu: FARGATE_SIZES[cpu][:3] for cpu in (256, 512, 1024, 2048)}


def _load(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text()))


@dataclass(frozen=True)
class Template:
    """A committed environment stack file with the parts the strategies generate taken out."""

    stack: str
    doc: dict[str, Any]
    repositories: tuple[str, ...]

    @property
    def config(self) -> dict[str, Any]:
        """The template's `config:` mapping."""
        return dict(self.doc["config"])

    @property
    def region(self) -> str:
        """Primary region."""
        return str(self.config["aws:region"])

    @property
    def dr_region(self) -> str:
        """DR region."""
        return str(self.config["connect:tenant"]["drRegion"])

    @property
    def account_id(self) -> str:
        """Tenant account."""
        return str(self.config["connect:tenant"]["accountId"])

    @property
    def amazon_side_asn(self) -> int:
        """The template's VPN gateway ASN (customer ASNs must differ from it)."""
        return int((self.config.get("connect:vpn") or {}).get("amazonSideAsn", 64512))

    def max_zones(self, dr_mode: str) -> int:
        """The most zones a stack may span: 4, the region's zones, and the DR region's when it has a standby."""
        limit = min(4, len(zones_of(self.region)))
        return min(limit, len(zones_of(self.dr_region))) if dr_mode != "backup-restore" else limit


def load_template(stack: str) -> Template:
    """The committed stack file (secrets and generated keys removed) and its account stack's repositories."""
    doc = _load(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    client = doc["config"]["connect:tenant"]["client"]
    account = _load(ROOT / "stacks" / f"Pulumi.{client}-account.yaml")
    config = {k: v for k, v in doc["config"].items()  # the template's own secrets (pre-shared keys) go too
              if k not in GENERATED_KEYS and (k in CONNECT_KEYS or not k.startswith("connect:"))}
    network = dict(config["connect:network"])
    for key in ("availabilityZones", "natGateways", "egressIpAllocationIds"):
        network.pop(key, None)
    config["connect:network"] = network
    return Template(stack, {"config": config},
                    tuple(account["config"]["connect:registry"]["repositories"]))


TEMPLATE = {stack: load_template(stack) for stack in TEMPLATES}


def allocation_id(zone: str) -> str:
    """The client's own EIP allocation for a zone: stable per zone, so adding a zone adds one id."""
    return "eipalloc-" + hashlib.sha256(zone.encode()).hexdigest()[:17]


def psk_value(key: str) -> dict[str, str]:
    """A `secure:` placeholder, as the committed stack files hold (the offline engine never decrypts)."""
    return {"secure": "v1:" + hashlib.sha256(key.encode()).hexdigest()[:24]}


@dataclass(frozen=True)
class World:
    """The generated part of a stack file; `doc()` renders it into the template."""

    template: str
    services: tuple[dict[str, Any], ...]
    connections: tuple[dict[str, Any], ...]
    stores: tuple[tuple[str, dict[str, Any]], ...]  # (kind, store), in declaration order per kind
    zones: int | tuple[str, ...]
    nat: str
    own_eips: bool
    dr_mode: str
    nat_zone: str | None = None  # named zones: where a single NAT gateway sits (`natZone`, rendered in single mode)

    @property
    def tpl(self) -> Template:
        """The template this world renders into."""
        return TEMPLATE[self.template]

    def zone_names(self) -> list[str]:
        """The zones the environment spans, as the program resolves them (slot order)."""
        if isinstance(self.zones, int):
            return zones_of(self.tpl.region)[:self.zones]
        return sorted(self.zones)

    def dr_zone_names(self) -> list[str]:
        """The standby's zones (the first available ones of the DR region), none without a standby."""
        if self.dr_mode == "backup-restore":
            return []
        return zones_of(self.tpl.dr_region)[:len(self.zone_names())]

    def nat_zones(self) -> list[str]:
        """Zones holding a NAT gateway."""
        zones = self.zone_names()
        return zones if self.nat == "perAz" else [self.nat_zone or zones[0]]

    def replace(self, **changes: Any) -> World:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def doc(self) -> dict[str, Any]:
        """The stack file (`{"config": {...}}`)."""
        doc = copy.deepcopy(self.tpl.doc)
        config = doc["config"]
        network = config["connect:network"]
        network["availabilityZones"] = self.zones if isinstance(self.zones, int) else list(self.zones)
        network["natGateways"] = self.nat
        if self.nat == "single" and self.nat_zone is not None:
            network["natZone"] = self.nat_zone
        if self.own_eips:
            network["egressIpAllocationIds"] = {zone: allocation_id(zone) for zone in self.nat_zones()}
        config["connect:dr"] = {**config["connect:dr"], "mode": self.dr_mode}
        config["connect:services"] = [copy.deepcopy(s) for s in self.services]
        config["connect:vpn"] = {"amazonSideAsn": self.tpl.amazon_side_asn,
                                 "connections": [copy.deepcopy(c) for c in self.connections]}
        data: dict[str, list[dict[str, Any]]] = {}
        for kind, store in self.stores:
            data.setdefault(kind, []).append(copy.deepcopy(store))
        config["connect:data"] = data
        for connection in self.connections:
            for tunnel in connection.get("tunnels", []):
                if "presharedKeySecret" in tunnel:
                    key = tunnel["presharedKeySecret"]
                    config[f"connect:{key}"] = psk_value(key)
        return doc

    def store_names(self) -> list[str]:
        """Every store name."""
        return [store["name"] for _, store in self.stores]


# --- items -----------------------------------------------------------------------------------------------------


@st.composite
def services(draw: st.DrawFn, tpl: Template, words: list[str], stores: list[str]) -> list[dict[str, Any]]:
    """One service per word: a valid production service using some of `stores`."""
    result = []
    explicit: set[int] = set()
    for word in words:
        name = f"{word}-{draw(st.sampled_from([k for k in SERVICE_KINDS if len(word) + len(k) < MAX_SERVICE_NAME]))}"
        cpu = draw(st.sampled_from(sorted(SMALL_SIZES)))
        base = draw(st.integers(2, 4))
        service: dict[str, Any] = {
            "name": name,
            "image": {"repository": draw(st.sampled_from(tpl.repositories))},
            "cpu": cpu,
            "memory": draw(st.sampled_from(SMALL_SIZES[cpu])),
            "port": draw(st.integers(1, 65535)),
            "capacity": {"base": base, "max": draw(st.integers(base, base + 8))},
        }
        if draw(st.booleans()):
            service["image"]["tag"] = f"{draw(st.integers(0, 9))}.{draw(st.integers(0, 20))}.{draw(st.integers(0, 9))}"
        else:
            service["image"]["digest"] = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
        route = draw(st.sampled_from(["path", "paths", "host", "both"]))
        routes: dict[str, list[str]] = {}
        if route in ("path", "paths", "both"):
            routes["paths"] = [f"/{word}/*"] + ([f"/v2/{word}/*"] if route == "paths" else [])
        if route in ("host", "both"):
            routes["hosts"] = [f"{word}.{tpl.stack}.internal"]
        service["routes"] = routes
        priority = draw(st.none() | st.integers(1, 999))  # derived priorities are 1000-48999
        if priority is not None and priority not in explicit:
            explicit.add(priority)
            service["priority"] = priority
        if draw(st.booleans()):
            service["healthCheck"] = {"path": f"/{word}/health", "interval": draw(st.integers(5, 300)),
                                      "healthyThreshold": draw(st.integers(2, 10))}
        if draw(st.booleans()):
            service["scaling"] = {"cpuTarget": draw(st.integers(10, 75)),
                                  "requestsPerTarget": draw(st.none() | st.integers(1, 5000))}
        if draw(st.booleans()):
            service["environment"] = {"LOG_LEVEL": draw(st.sampled_from(["debug", "info", "warn"]))}
        if draw(st.booleans()):
            service["secrets"] = {"API_TOKEN": f"arn:aws:secretsmanager:{tpl.region}:{tpl.account_id}:secret:"
                                               f"{tpl.stack}/{name}-Ab12Cd"}
        if draw(st.booleans()):
            service["readOnlyRootFilesystem"] = draw(st.booleans())
        if stores:
            used = draw(st.lists(st.sampled_from(stores), unique=True, max_size=len(stores)))
            if used:
                service["uses"] = used
        result.append(service)
    return result


@st.composite
def connections(draw: st.DrawFn, tpl: Template, slots: list[int]) -> list[dict[str, Any]]:
    """One VPN connection per slot (0-7): its city, peer, ASN, ranges and tunnel addresses come from the slot."""
    result = []
    asn_base = 65001 if tpl.amazon_side_asn != 65001 else 65101
    for slot in slots:
        city = CITIES[slot]
        connection: dict[str, Any] = {
            "name": f"dc-{city}",
            "peerIp": f"190.98.{210 + slot}.{draw(st.integers(1, 254))}",
            # 2-byte and 4-byte ASNs, also above 2147483647 (the provider's `bgpAsnExtended`)
            "bgpAsn": draw(st.sampled_from([asn_base + slot, 4200000 + slot, 4200000000 + slot])),
            "onPremCidrs": [f"172.{16 + slot}.0.0/16"] + ([f"192.168.{slot}.0/24"] if draw(st.booleans()) else []),
        }
        if draw(st.booleans()):
            connection["staticRoutes"] = draw(st.booleans())
        if draw(st.booleans()):
            connection["reachableTiers"] = draw(st.sampled_from([["app"], ["data"], ["app", "data"]]))
        tunnels = draw(st.sampled_from(["default", "cidrs", "keys"]))
        if tunnels != "default":
            pair = [{"insideCidr": f"169.254.{10 + slot}.{4 * t}/30"} for t in (0, 1)]
            if tunnels == "keys":
                for t, tunnel in enumerate(pair, start=1):
                    tunnel["presharedKeySecret"] = f"vpnPsk{city.capitalize()}{t}"
            connection["tunnels"] = pair
        result.append(connection)
    return result


@st.composite
def stores(draw: st.DrawFn, words: list[str], kinds: tuple[str, ...] = STORE_KINDS) -> list[tuple[str, dict[str, Any]]]:
    """One data store per word, of a random kind among `kinds`."""
    result = []
    for word in words:
        kind = draw(st.sampled_from(kinds))
        store: dict[str, Any] = {"name": f"{word}-{STORE_SUFFIX[kind]}"}
        if kind == "fileSystems" and draw(st.booleans()):
            store["path"] = f"/{word}"
        if kind == "databases":
            low = draw(st.sampled_from([0.5, 1, 2]))
            store |= {"minCapacity": low, "maxCapacity": draw(st.sampled_from([max(1, low), 8, 16])),
                      "backupRetentionDays": draw(st.integers(1, 35))}
            if draw(st.booleans()):
                store["engineVersion"] = draw(st.sampled_from(["16.4", "16.6", "17.4"]))
        result.append((kind, store))
    return result


@st.composite
def zones(draw: st.DrawFn, tpl: Template, dr_mode: str, count: int) -> int | tuple[str, ...]:
    """`count` zones: the count itself, or that many zone names of the region in any order."""
    if draw(st.booleans()):
        return count
    names = draw(st.lists(st.sampled_from(zones_of(tpl.region)[:6]), min_size=count, max_size=count, unique=True))
    return tuple(names)


# --- worlds ----------------------------------------------------------------------------------------------------


@st.composite
def worlds(
    draw: st.DrawFn,
    *,
    n_services: tuple[int, int] = (1, 3),
    n_connections: tuple[int, int] = (0, 2),
    n_stores: tuple[int, int] = (0, 3),
    store_kinds: tuple[str, ...] = STORE_KINDS,
    zone_room: int = 0,
) -> World:
    """A valid environment stack; `zone_room` leaves that many zones free for a test to add."""
    stack = draw(st.sampled_from(TEMPLATES))
    tpl = TEMPLATE[stack]
    dr_mode = draw(st.sampled_from(DR_MODES))
    store_words = draw(st.lists(st.sampled_from(STORE_WORDS), min_size=n_stores[0], max_size=n_stores[1],
                                unique=True))
    store_list = draw(stores(store_words, store_kinds))
    names = [f"{w}-{STORE_SUFFIX[k]}" for w, (k, _) in zip(store_words, store_list, strict=True)]
    service_words = draw(st.lists(st.sampled_from(SERVICE_WORDS), min_size=n_services[0], max_size=n_services[1],
                                  unique=True))
    slots = draw(st.lists(st.integers(0, len(CITIES) - 1), min_size=n_connections[0], max_size=n_connections[1],
                          unique=True))
    top = tpl.max_zones(dr_mode) - zone_room
    count = draw(st.integers(2, top))
    zones_ = draw(zones(tpl, dr_mode, count))
    return World(
        template=stack,
        services=tuple(draw(services(tpl, service_words, names))),
        connections=tuple(draw(connections(tpl, slots))),
        stores=tuple(store_list),
        zones=zones_,
        nat=draw(st.sampled_from(["perAz", "single"])),
        own_eips=draw(st.booleans()),
        dr_mode=dr_mode,
        nat_zone=None if isinstance(zones_, int) else draw(st.sampled_from(sorted(zones_))),
    )


@dataclass(frozen=True)
class Addition:
    """A stack (`before`) and the same stack with one more item (`after`); `owners` name the item's resources."""

    kind: str
    before: World
    after: World
    owners: tuple[str, ...]

    @property
    def alone(self) -> bool:
        """The item is the only one of its kind (the first added, the last removed)."""
        count = {"service": len(self.after.services), "connection": len(self.after.connections),
                 "store": len(self.after.stores), "zone": len(self.after.zone_names())}[self.kind]
        return count == 1


def _insert(draw: st.DrawFn, items: tuple[Any, ...], item: Any) -> tuple[Any, ...]:
    at = draw(st.integers(0, len(items)))
    return (*items[:at], item, *items[at:])


# worlds() arguments that leave room for one more item of the kind
ROOM: dict[str, dict[str, Any]] = {"service": {"n_services": (0, 3)}, "connection": {"n_connections": (0, 2)},
                                   "store": {"n_stores": (0, 2)}, "zone": {"zone_room": 1}}


@st.composite
def additions(draw: st.DrawFn, kind: str, **options: Any) -> Addition:
    """A world and one more service, connection, (unused) data store or zone, inserted at a random position.

    `options` go to `worlds()`, over the room the kind needs. A zone may come anywhere, also before a single NAT
    gateway's (`natZone` keeps it where it is).
    """
    world = draw(worlds(**{**ROOM[kind], **options}))
    if kind == "service":
        free = [w for w in SERVICE_WORDS if not any(s["name"].startswith(f"{w}-") for s in world.services)]
        (extra,) = draw(services(world.tpl, [draw(st.sampled_from(free))], world.store_names()))
        if "priority" in extra and extra["priority"] in {s.get("priority") for s in world.services}:
            del extra["priority"]
        after = world.replace(services=_insert(draw, world.services, extra))
        return Addition(kind, world, after, (extra["name"],))
    if kind == "connection":
        taken = {CITIES.index(c["name"].removeprefix("dc-")) for c in world.connections}
        slot = draw(st.sampled_from([s for s in range(len(CITIES)) if s not in taken]))
        (extra,) = draw(connections(world.tpl, [slot]))
        after = world.replace(connections=_insert(draw, world.connections, extra))
        return Addition(kind, world, after, (extra["name"],))
    if kind == "store":
        free = [w for w in STORE_WORDS if not any(n.startswith(f"{w}-") for n in world.store_names())]
        (store,) = draw(stores([draw(st.sampled_from(free))], options.get("store_kinds", STORE_KINDS)))
        after = world.replace(stores=_insert(draw, world.stores, store))  # rendered by kind, order kept
        return Addition(kind, world, after, (store[1]["name"],))
    if kind == "zone":
        if isinstance(world.zones, int):
            after = world.replace(zones=world.zones + 1)
        else:
            named = world.zones
            free = [z for z in zones_of(world.tpl.region)[:6] if z not in named]
            after = world.replace(zones=_insert(draw, named, draw(st.sampled_from(free))))
        added = [z for z in after.zone_names() if z not in world.zone_names()]
        added += [z for z in after.dr_zone_names() if z not in world.dr_zone_names()]
        return Addition(kind, world, after, tuple(added))
    raise ValueError(kind)


@st.composite
def shuffled(draw: st.DrawFn, world: World, uses: bool = True) -> World:
    """The same stack with every order-free list permuted: services, connections, stores, zone names, and
    inside them `reachableTiers`, `onPremCidrs` and (unless `uses` is false) `uses`."""

    def perm(items: Any) -> list[Any]:
        return list(draw(st.permutations(list(items))))

    services_ = []
    for service in perm(world.services):
        service = copy.deepcopy(service)
        if "uses" in service and uses:
            service["uses"] = perm(service["uses"])
        services_.append(service)
    connections_ = []
    for connection in perm(world.connections):
        connection = copy.deepcopy(connection)
        connection["onPremCidrs"] = perm(connection["onPremCidrs"])
        if "reachableTiers" in connection:
            connection["reachableTiers"] = perm(connection["reachableTiers"])
        connections_.append(connection)
    zones_ = world.zones if isinstance(world.zones, int) else tuple(perm(world.zones))
    return world.replace(services=tuple(services_), connections=tuple(connections_),
                         stores=tuple(perm(world.stores)), zones=zones_)
