"""Fixtures and helpers the connectctl tests share (import the helpers: `from tests.connectctl.conftest import
connectctl`)."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def connectctl(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, as CI runs it (`env`: the whole environment; default: this one's)."""
    return subprocess.run([sys.executable, "-m", "connectctl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)


def stack_file(tmp_path: Path, text: str, name: str = "acme-prod") -> Path:
    """`text` written as the stack file of stack `name` (Pulumi.<name>.yaml) in `tmp_path`."""
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text)
    return path


def project_copy(root: Path) -> Path:
    """A project of its own under `root` (Pulumi.yaml, the entry point, the stack files), for files the tests
    write and where a default output may land."""
    project = root / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    return project


@pytest.fixture
def html_endpoint() -> Iterator[str]:
    """A local HTTP server that answers every request with an HTML page and 200: a proxy or portal, not AWS."""
    class Html(http.server.BaseHTTPRequestHandler):
        def _page(self) -> None:
            body = b"<html><body><h1>Welcome to the corporate proxy</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _page

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
