"""Every private detail of the Pulumi SDKs the offline engine relies on, in one place.

The engine runs the real program and the real policy pack in process, without the engine binary, and for that it
reaches past the public API of `pulumi` (3.272) and `pulumi_policy` (1.21) at the points below; nothing else in
connectctl/ or components/ does (the pack has its own list: policies/connect_guardrails/sdk.py). Each point says
what it uses and why; tests/connectctl/test_sdk.py fails when an SDK upgrade changes one of them. Check this list
at every SDK upgrade.

Wire values, spelled out so that reading a plan, a state file or a preview needs no SDK import:

1. `SECRET_SIG_KEY`, `SECRET_SIG`: `pulumi.runtime.rpc._special_sig_key` and `_special_secret_sig`, how a secret
   travels in properties (`{SECRET_SIG_KEY: SECRET_SIG, "value": ...}`); `OUTPUT_SIG`, `RESOURCE_SIG` and
   `ASSET_SIGS` (`_special_output_value_sig`, `_special_resource_sig`, `_special_asset_sig`,
   `_special_archive_sig`), the other signed values. Why: captures, state exports and previews carry secrets so,
   every report masks them, and the provider check looks through the others.
2. `UNKNOWN_SENTINELS`: `pulumi_policy.proxy.UNKNOWN_*_VALUE` (the string one is `pulumi.runtime.rpc.UNKNOWN`),
   what stands for a value not known until apply. Why: reports, the provider check and the AWS rules read them.

The program run (connectctl/engine/runner.py):

3. `start_run`: the SDK's process-global state, `pulumi.runtime.settings.ROOT` and `SETTINGS.rpc_manager` /
   `SETTINGS.outputs` (reset, so that runs in one process do not see each other) and `MockSettings` /
   `MockEngine` of `pulumi.runtime.mocks` (what `pulumi.runtime.set_mocks` builds, here with our own monitor and
   the features it supports). Why: `set_mocks` neither resets the state nor takes a monitor.
4. `sync_await`: `pulumi.runtime.sync_await._sync_await`, how the SDK's test mode runs the program's coroutine to
   its end on the SDK's event loop. Why: the program runs synchronously, as a `set_mocks` program does.
5. `no_source_positions`: `pulumi.runtime.resource._get_stack_trace`, replaced during a run by an empty trace.
   Why: the SDK walks the whole Python stack of every resource constructor for the engine's diagnostics, 16% of
   acme-prod's program time; the offline engine never reads it.
6. `acyclic_unknown_checks`: `pulumi.runtime.rpc.contains_unknowns`, replaced during a run by `contains_unknowns`
   (the same walk, with `pulumi.runtime.known_types.is_unknown`), relying on the SDK's callers reaching it
   through the `rpc` module's attribute. Why: the SDK's version leaves a reference cycle per call (5 s of
   garbage collection at 200 services).

The policy pack (connectctl/engine/analyzer.py):

7. `not_applicable_error`: `pulumi_policy.policy._NotApplicableError`, what `policy.not_applicable()` raises.
   Why: the servicer skips the policy for that resource, and so must `analyze`.
8. `cannot_run`: the servicer's wording for a policy stopped by an unknown value during preview
   (`pulumi_policy.proxy.UnknownValueError`). Why: `analyze` reports it exactly as the served pack does.
9. `servicer` and `SERVED_PACK_VERSION`: `pulumi_policy.policy._PolicyAnalyzerServicer`, the object
   `PolicyPack` serves over gRPC, built with version "0.0.1" as `PolicyPack` builds it. Why: it is the
   reference evaluation `analyze` is held equal to (`analyzer.analyze_via_servicer`).
10. `policy_view`: `pulumi_policy.deserialize.deserialize_properties` and `pulumi_policy.proxy.unknown_checking_proxy`,
   from modules the package does not export. Why: they are how the servicer hands properties to a policy, and
   `analyze` hands them the same way.

The provider SDK (pulumi_aws, its generated layout; connectctl/engine/runner.py):

11. `lazy_provider_packages`: pulumi_aws's generated package layout: each service package (`pulumi_aws.ec2`...)
   is an `__init__.py` of `from .<module> import *` lines (one per resource or function module, each with an
   `__all__` near its top, or one of the shared `_enums` and `_inputs`) and `from . import outputs`, and the top
   package finds its service packages with `importlib.util.find_spec` when it is imported
   (`_utilities.lazy_import`). Why: a package's first use imports every module of it (ec2: 180), and a plan's
   process spent about 0.2-0.3 s CPU creating classes of resources the program never declares. During the
   engine's runs a service package runs its own `__init__.py` without the resource and function modules' star
   imports, and imports such a module on the first use of one of its names: the same classes, fewer of them.
   A package of any other shape (`pulumi_aws.config`) loads as usual.

The deployed program (components/) uses none of these.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import re
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_policy import EnforcementLevel, Policy

__all__ = ["ASSET_SIGS", "OUTPUT_SIG", "RESOURCE_SIG", "SECRET_SIG", "SECRET_SIG_KEY", "SERVED_PACK_VERSION",
           "UNKNOWN_SENTINELS", "acyclic_unknown_checks", "cannot_run", "contains_unknowns", "end_run",
           "lazy_provider_packages",
           "no_source_positions", "not_applicable_error", "policy_view", "servicer", "start_run", "sync_await"]

# --- 1, 2: wire values -------------------------------------------------------------------------------------------

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"  # _special_output_value_sig: an output value (value, secret, deps)
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"  # _special_resource_sig: a resource reference
ASSET_SIGS = frozenset({"c44067f5952c0a294b673a41bacd8c17", "0def7320c3a5731c473e5ecbe6d01bc7"})  # asset, archive
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (pulumi.runtime.rpc.UNKNOWN)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})

# --- 3-6: the program run ------------------------------------------------------------------------------------------


def start_run(monitor: Any, *, project: str, stack: str, preview: bool, config: dict[str, str],
              secret_keys: list[str]) -> None:
    """Reset the SDK's global state and configure it to send registrations to `monitor` (a `MockMonitor`)."""
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.mocks import MockEngine, MockSettings

    runtime_settings.ROOT.set(None)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    runtime_config.set_all_config(dict(config), list(secret_keys))
    settings = MockSettings(
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=MockEngine(None),
        project=project,
        stack=stack,
        dry_run=preview,
        organization="organization",
        callbacks=None,
    )
    runtime_settings.configure(settings)


def end_run() -> None:
    """Release the root stack resource (it holds every resource of the run)."""
    from pulumi.runtime import settings as runtime_settings

    runtime_settings.ROOT.set(None)


def sync_await(awaitable: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to its end on the SDK's event loop, as the SDK's test mode does."""
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(awaitable)


@contextmanager
def no_source_positions() -> Iterator[None]:
    """Registrations without the SDK's source position (the Python stack of each constructor).

    Why: the SDK extracts the whole call stack of every resource constructor and turns each frame's
    file into a `file://` URI for the engine's diagnostics, about 0.3 ms per resource in our
    component-deep program (16% of acme-prod's program time); the offline engine never reads them.
    What is captured (type, name, parent, options, inputs, dependencies) does not change.
    """
    from pulumi.runtime import resource as sdk_resource
    from pulumi.runtime.proto import source_pb2

    original = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = source_pb2.StackTrace  # an empty trace: no source position
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = original


def _first_is_unknown(val: Any) -> bool:
    """The SDK's `known_types.is_unknown`, bound on first use (the SDK is not imported at start-up)."""
    global _is_unknown
    from pulumi.runtime import known_types

    _is_unknown = known_types.is_unknown
    return _is_unknown(val)


_is_unknown: Callable[[Any], bool] = _first_is_unknown


def contains_unknowns(val: Any, seen: set[int] | None = None) -> bool:
    """`pulumi.runtime.rpc.contains_unknowns`, the same walk and answer, without its per-call reference cycle.

    Why: the SDK's version defines a recursive inner function on every call, a closure that refers to itself,
    so each of the ~30 calls per resource leaves a cycle only the collector frees: 24,000 of the 26,000 objects
    acme-prod's program leaves to its final collection beyond the SDK floor's (5 s of collection at 200 services).
    """
    if _is_unknown(val):
        return True
    seen = set() if seen is None else seen
    if id(val) in seen:
        return False
    seen.add(id(val))
    if isinstance(val, dict):
        return any(contains_unknowns(val[key], seen) for key in val)
    if isinstance(val, list):
        return any(contains_unknowns(item, seen) for item in val)
    return False


@contextmanager
def acyclic_unknown_checks() -> Iterator[None]:
    """The SDK checks values for unknowns with `contains_unknowns` above during runs (every caller goes through
    the `rpc` module's attribute); restored afterwards."""
    from pulumi.runtime import rpc as sdk_rpc

    original = sdk_rpc.contains_unknowns
    sdk_rpc.contains_unknowns = contains_unknowns
    try:
        yield
    finally:
        sdk_rpc.contains_unknowns = original


# --- 7-10: the policy pack -----------------------------------------------------------------------------------------

SERVED_PACK_VERSION = "0.0.1"  # `PolicyPack` builds its servicer with this version (the CLI reports its own)


def not_applicable_error() -> type[Exception]:
    """The exception `policy.not_applicable()` raises (the servicer then skips the policy for the resource)."""
    from pulumi_policy.policy import _NotApplicableError

    return _NotApplicableError


def cannot_run(policy: str, pack: str, message: str) -> str:
    """The servicer's diagnostic for a policy that met an unknown value during preview (`UnknownValueError`)."""
    return f"can't run policy '{policy}' from policy pack '{pack}@v{SERVED_PACK_VERSION}' during preview: {message}"


def servicer(pack: str, policies: list[Policy], level: EnforcementLevel) -> Any:
    """The pack's analyzer servicer, as `PolicyPack` builds it to serve over gRPC (`Configure`, `Analyze`,
    `AnalyzeStack` taking the engine's protobuf requests)."""
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    return _PolicyAnalyzerServicer(pack, SERVED_PACK_VERSION, policies, level)


def policy_view(properties: Any) -> Any:
    """Properties as the servicer hands them to a policy: decoded (`deserialize_properties`: secrets, assets)
    and wrapped read-only (`unknown_checking_proxy`: reading an unknown value raises `UnknownValueError`)."""
    from pulumi_policy.deserialize import deserialize_properties
    from pulumi_policy.proxy import unknown_checking_proxy

    return unknown_checking_proxy(deserialize_properties(properties))


# --- 11: the provider SDK's package layout -------------------------------------------------------------------------

PROVIDER_PACKAGE = "pulumi_aws"
_STAR_IMPORT = re.compile(r"^from \.(\w+) import \*$", re.M)
_SUBMODULE_IMPORT = re.compile(r"^from \. import (\w+)$", re.M)
_EXPORTS = re.compile(r"^__all__ = \[(.*?)\]", re.M | re.S)
_EXPORTED_NAME = re.compile(r"'(\w+)'")
_SHARED = ("_enums", "_inputs")  # star-imported modules every resource module of the package imports anyway
_LAYOUT_LINES = frozenset({"import builtins as _builtins", "from .. import _utilities", "import typing"})
_HEAD = 8192  # bytes read of a module to find its `__all__` (pulumi_aws 7.51: always within the first 4 KiB)


def _layout(directory: Path) -> tuple[dict[str, str], str] | None:
    """A service package's names (name -> the resource or function module defining it) and its `__init__.py`
    without the star imports of those modules, read from the `__init__.py` and each module's `__all__`; None when
    the package is not of the generated shape."""
    try:
        text = (directory / "__init__.py").read_text(encoding="utf-8")
    except OSError:
        return None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if any(not (_STAR_IMPORT.match(line) or _SUBMODULE_IMPORT.match(line) or line in _LAYOUT_LINES)
           for line in lines):
        return None  # e.g. pulumi_aws.config (a module class of its own)
    index: dict[str, str] = {}
    for module in _STAR_IMPORT.findall(text):
        if module in _SHARED:
            continue
        try:
            with open(directory / f"{module}.py", encoding="utf-8") as source:
                exports = _EXPORTS.search(source.read(_HEAD))
        except OSError:
            return None
        if exports is None:
            return None
        for name in _EXPORTED_NAME.findall(exports.group(1)):
            index[name] = module  # a later star import wins, as in the package's own `__init__`
    deferred = {f"from .{module} import *" for module in index.values()}
    eager = "\n".join("" if line in deferred else line for line in text.splitlines())  # line numbers kept
    return index, eager


class _ServicePackage(ModuleType):
    """A service package whose resource and function modules load on first use.

    The import system binds every submodule it imports to its package's attribute (`ec2.get_vpc` = the module);
    in the eager package the star import that follows rebinds the names the module exports, the same-named
    function over the module. Here binding a submodule, by whatever route it was imported (a name's first use,
    `from pulumi_aws.ec2 import get_vpc`, `import pulumi_aws.ec2.get_vpc`), binds its exported names the same way.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if isinstance(value, ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            loader = self.__spec__.loader if self.__spec__ else None
            for exported in getattr(loader, "exports", {}).get(name, ()):
                super().__setattr__(exported, getattr(value, exported))


class _ServicePackageLoader(importlib.abc.Loader):
    """Runs a service package's `__init__.py` without its resource and function modules' star imports, which
    `_ServicePackage` and the package's `__getattr__` (PEP 562) perform module by module on first use instead."""

    def __init__(self, directory: Path, layout: tuple[dict[str, str], str]) -> None:
        self.directory, self.layout = directory, layout
        self.exports: dict[str, list[str]] = {}  # module -> the names its star import binds
        for name, module in layout[0].items():
            self.exports.setdefault(module, []).append(name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        index, eager = self.layout
        package, deferred = module.__name__, self.exports

        def __getattr__(name: str) -> Any:  # only for names not in the namespace yet
            defining = index.get(name)
            if defining is not None:  # importing it binds its names (`_ServicePackage.__setattr__`)
                loaded = importlib.import_module(f"{package}.{defining}")
                return vars(module)[name] if name in vars(module) else getattr(loaded, name)
            if name in deferred:  # a module none of whose names is its own: the module, as eagerly
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")

        def __dir__() -> list[str]:
            return sorted({*vars(module), *index, *deferred})

        module.__class__ = _ServicePackage
        vars(module).update(__getattr__=__getattr__, __dir__=__dir__)
        # `_enums`, `_inputs` and `outputs` are imported here, by the `__init__`'s own lines, in its order. No name
        # is exported both by them and by a resource or function module (pulumi-aws 7.51: tests/connectctl/
        # test_sdk.py checks it), so the order of the star imports decides nothing the lazy binding could change.
        exec(compile(eager, str(self.directory / "__init__.py"), "exec"), vars(module))


class _ServicePackageFinder(importlib.abc.MetaPathFinder):
    """Finds `pulumi_aws.<service>` packages of the generated shape and gives them `_ServicePackageLoader`."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        top, _, service = fullname.partition(".")
        if top != PROVIDER_PACKAGE or not service or "." in service or not path:
            return None
        for entry in path:
            directory = Path(entry) / service
            layout = _layout(directory)
            if layout is not None:
                spec = importlib.machinery.ModuleSpec(fullname, _ServicePackageLoader(directory, layout),
                                                      origin=str(directory / "__init__.py"), is_package=True)
                spec.submodule_search_locations = [str(directory)]
                spec.has_location = True
                return spec
        return None


def lazy_provider_packages() -> bool:
    """From now on in this process, pulumi_aws's service packages import their resource modules on first use.

    Takes effect only when pulumi_aws itself is not imported yet (its top package looks the service packages up
    when it is imported); True when it does. Idempotent.
    """
    if any(isinstance(finder, _ServicePackageFinder) for finder in sys.meta_path):
        return True
    if PROVIDER_PACKAGE in sys.modules:
        return False
    sys.meta_path.insert(0, _ServicePackageFinder())
    return True
