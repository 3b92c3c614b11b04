"""A fake VIES REST API on 127.0.0.1: real HTTP, so the real client code is what gets tested.

    with FakeVies({"BE0403170701": {"isValid": True, "name": "...", "address": "..."}}) as vies:
        settings.VIES_API_URL = vies.url
        vies.program("BE0403170701", ["MS_UNAVAILABLE", 503])  # two failures, then the body
        assert vies.count("BE0403170701") == 3

For each `GET .../ms/<country>/vat/<number>`: a malformed path -> 400 with userError
INVALID_INPUT; a programmed answer for the number, consumed one per request (an int is an HTTP
status with VIES' error body, a string a userError answered with 200); then the body, its
`isValid` false for an unknown number, as VIES answers.
"""

import json
import re
import sys
import threading
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r".*/ms/([A-Z]{2})/vat/([0-9A-Z+*]{2,13})\Z")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its socket before a delayed answer: expected here.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.server.fake._handle(self)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class FakeVies:
    """A threaded HTTP server answering like VIES' `/ms/{country}/vat/{number}`."""

    def __init__(self, bodies: dict[str, dict] | None = None, *, delay: float = 0.0) -> None:
        self.bodies = dict(bodies or {})
        self.delay = delay
        self._lock = threading.Lock()
        self._programmes: dict[str, deque] = {}
        self._counts: Counter[str] = Counter()
        self._server: _Server | None = None

    def __enter__(self) -> "FakeVies":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}"

    def program(self, number: str, answers: list) -> None:
        """Answer the next requests for `number` with `answers` in turn (see the docstring)."""
        with self._lock:
            self._programmes[number] = deque(answers)

    def count(self, number: str) -> int:
        with self._lock:
            return self._counts[number]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        match = _PATH.match(handler.path.split("?")[0])
        if not match:
            return self._send(handler, 400, {"actionSucceed": False, "userError": "INVALID_INPUT"})
        number = match.group(1) + match.group(2)
        with self._lock:
            self._counts[number] += 1
            programme = self._programmes.get(number)
            answer = programme.popleft() if programme else None
        if self.delay:
            threading.Event().wait(self.delay)
        if isinstance(answer, int):
            error = {"error": "SERVICE_UNAVAILABLE"}
            return self._send(handler, answer, {"actionSucceed": False, "errorWrappers": [error]})
        if isinstance(answer, str):
            return self._send(handler, 200, {"isValid": False, "userError": answer})
        body = self.bodies.get(number, {"isValid": False, "userError": "INVALID"})
        return self._send(handler, 200, {"vatNumber": match.group(2), **body})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
