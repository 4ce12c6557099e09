"""One moto server per test module: a free port on 127.0.0.1, our moto extensions, empty backends, its settings.

Why one helper: four modules started the same server the same way (and restored the same environment by hand).
moto's backends live in the process, not in the server, so a module that ran before in this worker left its
resources behind: every server starts with a reset.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

from moto.server import ThreadedMotoServer

from tests.connectctl import moto_extensions, moto_seed

T = TypeVar("T")
# The audit reads no AMIs (moto would load thousands); the access roles attach AWS managed policies.
AUDIT_SETTINGS = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


@contextmanager
def settings(values: dict[str, str]) -> Iterator[None]:
    """Environment variables for the server's life, put back as they were afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def serving(extended: Callable[[], AbstractContextManager[T]], values: dict[str, str]) -> Iterator[tuple[str, T]]:
    """(endpoint, what `extended()` yields): the extensions are installed before the server builds its routes."""
    with settings(values), extended() as extensions:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"),
                                   timeout=30).close()
            yield endpoint, extensions
        finally:
            server.stop()


@contextmanager
def moto_server() -> Iterator[tuple[str, moto_extensions.MotoExtensions]]:
    """The audit's server: our extensions (tunnel telemetry, recovery points...) and `AUDIT_SETTINGS`."""
    with serving(moto_extensions.extended_moto, AUDIT_SETTINGS) as started:
        yield started


def seeded_acme(endpoint: str, extensions: moto_extensions.MotoExtensions) -> moto_seed.Seed:
    """acme's account, production and staging, seeded by hand as tests/connectctl/moto_seed.py describes."""
    from connectctl.audit.context import load_stack_config

    _, prod = load_stack_config("acme-prod")
    _, staging = load_stack_config("acme-staging")
    _, account = load_stack_config("acme-account")
    assert account.registry is not None
    return moto_seed.seed_account(endpoint, extensions, prod, staging, list(account.registry.repositories))
