"""The SDK internals the engine relies on (connectctl/engine/sdk.py), one test per point: each fails when an SDK
upgrade changes what the engine counts on. And no other module of connectctl/ or components/ uses a private name
of the SDKs."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_policy
import pytest
from pulumi.runtime import known_types, rpc
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import analyzer_pb2, source_pb2
from pulumi_policy import proxy

from connectctl.engine import sdk
from connectctl.engine.analyzer import analyze, analyze_via_servicer
from connectctl.engine.capture import CapturedResource

ROOT = Path(__file__).resolve().parents[2]
PRIVATE_USE = re.compile(r"\b(?:pulumi|pulumi_policy)(?:\.\w+)*\.(_[a-z]\w*)|from (?:pulumi|pulumi_policy)[\w.]* "
                         r"import[^\n]*\b(_[A-Za-z]\w*)|\._SECRET_KEYS\b|\._sync_await\b|\._get_stack_trace\b")


# --- 1, 2: wire values ---------------------------------------------------------------------------------------------


def test_the_signatures_are_the_sdks() -> None:
    assert rpc._special_sig_key == sdk.SECRET_SIG_KEY
    assert rpc._special_secret_sig == sdk.SECRET_SIG
    assert rpc._special_output_value_sig == sdk.OUTPUT_SIG
    assert rpc._special_resource_sig == sdk.RESOURCE_SIG
    assert {rpc._special_asset_sig, rpc._special_archive_sig} == sdk.ASSET_SIGS


def test_the_unknown_sentinels_are_the_sdks() -> None:
    sentinels = {value for name, value in vars(proxy).items() if re.fullmatch(r"UNKNOWN_\w+_VALUE", name)}
    assert sentinels == sdk.UNKNOWN_SENTINELS
    assert rpc.UNKNOWN in sdk.UNKNOWN_SENTINELS


# --- 3-6: the program run ------------------------------------------------------------------------------------------


def test_the_runtime_state_the_engine_resets_is_there() -> None:
    """`start_run` resets `ROOT` and the settings' RPC manager and outputs, and hands `MockSettings` (which sets
    whatever it is given) the attributes the SDK's `Settings` reads."""
    from pulumi.runtime.mocks import MockEngine, MockSettings

    assert hasattr(runtime_settings.ROOT, "set") and hasattr(runtime_settings.ROOT, "get")
    assert hasattr(runtime_settings.SETTINGS.rpc_manager, "clear")
    assert hasattr(runtime_settings.SETTINGS.outputs, "clear")
    plain = runtime_settings.Settings(project="p", stack="s")
    for name in ("monitor", "monitor_features", "engine", "project", "stack", "dry_run", "organization", "callbacks"):
        assert hasattr(plain, name), name
    mocked = MockSettings(project="p", stack="s", dry_run=True, engine=MockEngine(None))
    assert (mocked.project, mocked.stack, mocked.dry_run) == ("p", "s", True)
    assert callable(runtime_settings.configure)


def test_sync_await_runs_a_coroutine_to_its_end() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert sdk.sync_await(answer()) == 42


def test_the_stack_trace_hook_is_replaced_and_restored() -> None:
    original = sdk_resource._get_stack_trace
    assert callable(original) and not inspect.signature(original).parameters  # called with no argument
    with sdk.no_source_positions():
        assert list(sdk_resource._get_stack_trace().frames) == []
        assert isinstance(sdk_resource._get_stack_trace(), source_pb2.StackTrace)
    assert sdk_resource._get_stack_trace is original


def test_contains_unknowns_answers_as_the_sdks_and_its_callers_reach_it_through_rpc() -> None:
    unknown = known_types.is_unknown  # the predicate the walk uses
    assert callable(unknown)
    original = rpc.contains_unknowns
    value = {"a": [1, {"b": pulumi.output.UNKNOWN}], "c": "known"}
    assert sdk.contains_unknowns(value) == original(value)
    with sdk.acyclic_unknown_checks():
        assert rpc.contains_unknowns is sdk.contains_unknowns
        assert pulumi.output.contains_unknowns([pulumi.output.UNKNOWN]) is True  # through the attribute
        assert "rpc.contains_unknowns(" in inspect.getsource(pulumi.output.contains_unknowns)
    assert rpc.contains_unknowns is original


# --- 7-10: the policy pack -----------------------------------------------------------------------------------------


def _resource(urn: str = "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", **inputs: object) -> CapturedResource:
    return CapturedResource(urn=urn, type="aws:s3/bucket:Bucket", name="b", custom=True, parent="", provider="",
                            protect=False, retain_on_delete=False, dependencies=[], property_dependencies={},
                            inputs=dict(inputs), outputs=dict(inputs))


def test_not_applicable_is_what_the_sdk_raises() -> None:
    args = pulumi_policy.ResourceValidationArgs("aws:s3/bucket:Bucket", {}, "urn:x", "b", None, None)  # type: ignore[arg-type]
    with pytest.raises(sdk.not_applicable_error()):
        args.not_applicable("n/a")


def test_the_servicer_reads_as_analyze_and_words_unknowns_as_cannot_run() -> None:
    """A pack of one policy that reads an unknown value: the servicer's diagnostic is `cannot_run`'s."""
    from pulumi_policy import EnforcementLevel

    def read(args: pulumi_policy.ResourceValidationArgs, report: pulumi_policy.ReportViolation) -> None:
        if args.props["bucket"] != "x":
            report("not x", None)

    policy = pulumi_policy.ResourceValidationPolicy("reads-bucket", "Reads the bucket name.", read)
    servicer = sdk.servicer("pack", [policy], EnforcementLevel.MANDATORY)
    assert sdk.SERVED_PACK_VERSION == "0.0.1"
    from connectctl.engine.analyzer import _struct

    request = analyzer_pb2.AnalyzeRequest(type="aws:s3/bucket:Bucket", urn="urn:x", name="b",
                                          properties=_struct({"bucket": rpc.UNKNOWN}))
    (diagnostic,) = servicer.Analyze(request, None).diagnostics
    with pytest.raises(proxy.UnknownValueError) as raised:
        _ = sdk.policy_view({"bucket": rpc.UNKNOWN})["bucket"]
    assert diagnostic.message == sdk.cannot_run("reads-bucket", "pack", raised.value.message)


def test_policy_view_decodes_and_raises_on_unknowns() -> None:
    view = sdk.policy_view({"name": "b", "secret": {sdk.SECRET_SIG_KEY: sdk.SECRET_SIG, "value": "s"},
                            "later": rpc.UNKNOWN})
    assert view["name"] == "b" and view["secret"] == "s"
    with pytest.raises(proxy.UnknownValueError):
        _ = view["later"]


def test_one_analyzer_path_two_evaluations_same_findings() -> None:
    resources = [_resource(bucket="b", tags={"connect:tenant": "acme"})]
    assert sorted(analyze(resources), key=str) == sorted(analyze_via_servicer(resources), key=str)


# --- 11: the provider SDK's package layout --------------------------------------------------------------------------

# What the program declares from (components/): each package's public names must be the same lazily and eagerly.
USED_SERVICES = ("appautoscaling", "backup", "cloudtrail", "cloudwatch", "ec2", "ecr", "ecs", "efs", "iam", "kms",
                 "lb", "rds", "route53", "s3", "sns", "ssm", "vpc")
_NAMES = """
import json, sys
from connectctl.engine import sdk
mode = sys.argv[1]
assert sdk.lazy_provider_packages() is True
if mode == "eager":
    sys.meta_path = [f for f in sys.meta_path if type(f).__name__ != "_ServicePackageFinder"]
import pulumi_aws
packages = {s: getattr(pulumi_aws, s) for s in sys.argv[2:]}
assert all(p.__loader__ and p._utilities for p in packages.values())  # loaded (pulumi_aws's modules are lazy)

def what(value):
    kind = type(value).__name__
    return f"{kind} {getattr(value, '__module__', None) if kind != 'module' else value.__name__}." + \
        f"{getattr(value, '__qualname__', '')}"

found = {}
for service, package in packages.items():
    names = sorted(n for n in dir(package) if not n.startswith("_"))
    # in reverse order `get_x_output` is met before `get_x`: the module `get_x` is imported by its other name
    order = reversed(names) if mode == "lazy-reversed" else names
    found[service] = dict(sorted((name, what(getattr(package, name))) for name in order))
print(json.dumps(found))
"""


def _public_names(mode: str) -> dict[str, dict[str, str]]:
    """Each package's public names, and what each is (type, module, qualified name), loaded in `mode`."""
    done = subprocess.run([sys.executable, "-c", _NAMES, mode, *USED_SERVICES], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def _exported(path: Path) -> set[str]:
    """The names a generated module's `__all__` lists (none when there is no such module)."""
    if not path.is_file():
        return set()
    found = re.search(r"^__all__ = \[(.*?)\]", path.read_text(encoding="utf-8"), re.M | re.S)
    return set(re.findall(r"'(\w+)'", found.group(1))) if found else set()


def test_every_service_package_has_the_generated_layout() -> None:
    """The layout `lazy_provider_packages` reads: all but `config` (a module class of its own) have it."""
    import pulumi_aws

    root = Path(pulumi_aws.__file__).parent
    packages = sorted(p.name for p in root.iterdir() if (p / "__init__.py").is_file())
    odd = [name for name in packages if sdk._layout(root / name) is None]
    assert odd == ["config"]
    index, eager = sdk._layout(root / "ec2")  # type: ignore[misc]
    assert (index["Vpc"], index["VpcArgs"], index["get_subnets_output"]) == ("vpc", "vpc", "get_subnets")
    assert "SecurityGroupIngressArgs" not in index  # `_inputs`' names come with the package
    kept = [line for line in eager.splitlines() if line and not line.startswith("#")]
    assert kept == ["import builtins as _builtins", "from .. import _utilities", "import typing",
                    "from ._enums import *", "from ._inputs import *", "from . import outputs"]


def test_no_name_is_exported_by_a_shared_module_and_a_resource_module() -> None:
    """What makes the order of the star imports irrelevant to the lazy binding (sdk.py, `_ServicePackageLoader`)."""
    import pulumi_aws

    root = Path(pulumi_aws.__file__).parent
    assert _exported(root / "ec2" / "_inputs.py") and _exported(root / "ec2" / "_enums.py")
    for service in USED_SERVICES:
        index, _ = sdk._layout(root / service)  # type: ignore[misc]
        shared = _exported(root / service / "_enums.py") | _exported(root / service / "_inputs.py")
        assert not shared & set(index), service


def test_lazy_packages_expose_exactly_the_names_and_objects_of_the_eager_ones() -> None:
    eager = _public_names("eager")
    assert set(eager) == set(USED_SERVICES) and len(eager["ec2"]) > 1000
    assert eager["rds"]["get_cluster_snapshot"] == "function pulumi_aws.rds.get_cluster_snapshot.get_cluster_snapshot"
    assert eager["ec2"]["vpc"] == "module pulumi_aws.ec2.vpc."
    for mode in ("lazy", "lazy-reversed"):  # a function module met first by its function, or by another name
        lazy = _public_names(mode)
        for service in USED_SERVICES:
            assert lazy[service] == eager[service], (mode, service)


def test_a_lazy_package_imports_a_resource_module_on_first_use_only() -> None:
    probe = """
import sys
from connectctl.engine import sdk
assert sdk.lazy_provider_packages() is True and sdk.lazy_provider_packages() is True
import pulumi_aws as aws
vpc = aws.ec2.Vpc
from pulumi_aws.ec2.vpc import Vpc
assert vpc is Vpc and aws.ec2.VpcArgs is aws.ec2.vpc.VpcArgs
assert aws.ec2.SecurityGroupIngressArgs is aws.ec2._inputs.SecurityGroupIngressArgs
assert aws.ec2.outputs.SecurityGroupIngress is not None
assert "pulumi_aws.ec2.ami" not in sys.modules and "pulumi_aws.ec2.vpc" in sys.modules
try:
    aws.ec2.NoSuchThing
except AttributeError as exc:
    assert "pulumi_aws.ec2" in str(exc) and "NoSuchThing" in str(exc)
else:
    raise AssertionError("no AttributeError")
print(sum(name.startswith("pulumi_aws.ec2.") for name in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 10  # vpc, _enums, _inputs, outputs: not the package's 180 modules


def test_every_route_to_a_function_module_gives_the_function() -> None:
    probe = """
import types
from connectctl.engine import sdk
sdk.lazy_provider_packages()
import pulumi_aws as aws
from pulumi_aws.ec2 import get_subnets
import pulumi_aws.ecs.get_cluster
assert isinstance(aws.iam.get_policy_document_output, types.FunctionType)  # the module met by another name
assert isinstance(aws.iam.get_policy_document, types.FunctionType)
assert isinstance(get_subnets, types.FunctionType) and isinstance(aws.ecs.get_cluster, types.FunctionType)
assert isinstance(aws.ec2.vpc, types.ModuleType)  # a module none of whose names is its own: the module
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_lazy_packages_take_effect_only_before_pulumi_aws_is_imported() -> None:
    probe = """
import sys
import pulumi_aws
from connectctl.engine import sdk
assert sdk.lazy_provider_packages() is False
assert not [f for f in sys.meta_path if type(f).__name__ == "_ServicePackageFinder"]
pulumi_aws.ec2.Vpc
assert "pulumi_aws.ec2.ami" in sys.modules  # the package loaded every module, as it always did
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# --- nowhere else --------------------------------------------------------------------------------------------------


def test_no_other_module_uses_a_private_name_of_the_sdks() -> None:
    allowed = {ROOT / "connectctl" / "engine" / "sdk.py"}
    found = []
    for folder in ("connectctl", "components"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in allowed:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = re.sub(r"`[^`]*`", "", line.split("#", 1)[0])  # prose quoting a name is not a use
                if PRIVATE_USE.search(code) and not code.lstrip().startswith(('"', "'")):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "SDK internals belong in connectctl/engine/sdk.py"
