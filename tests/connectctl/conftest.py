"""Fixtures the connectctl tests share."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest


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
