"""A fake INSEE Sirene API on 127.0.0.1: real HTTP, so the real client code is what gets tested.

In tests:

    with FakeInsee({"52601815590833": body}, api_key="test-key") as insee:
        settings.SIRENE_API_URL = insee.url
        insee.program("52601815590833", statuses=[503, 503])  # two failures, then the body
        ...
        assert insee.count("52601815590833") == 3
        assert insee.requests[0].header("X-INSEE-Api-Key-Integration") == "test-key"

For a benchmark, from the command line (Ctrl-C prints what it served):

    python -m tests.fakes.insee --port 8123 --quota 30 --api-key bench-key \
        --stub-file structures/sirene/sample_establishments.json

Behaviour, in this order for each `GET .../siret/<siret>` (any path prefix is accepted, so
SIRENE_API_URL may end with /api-sirene/3.11):
- a path that is not /siret/<14 digits> -> 400 (INSEE's answer to a malformed SIRET);
- with `api_key` set, a missing or different X-INSEE-Api-Key-Integration header -> 401;
- with `quota_per_minute` set, more than that many accepted requests in the last `quota_window`
  seconds -> 429 with Retry-After (refused requests do not use up the quota);
- a programmed status for this SIRET, consumed one per request (200 means "serve the body");
  a programmed delay applies to every request for the SIRET, `delay` to all requests;
- then the bodies, in the stub file's format: a full response -> 200; {"status": N} -> N with
  INSEE's error body; an unknown SIRET -> 404 with INSEE's "Aucun élément trouvé" body.

`GET .../siret?q=dateDernierTraitementEtablissement:[<date> TO *]&nombre=N&curseur=C` (the
establishments changed since a date, as `sirene_update` asks) answers from `changes`, a list
of `etablissement` objects: those whose dateDernierTraitementEtablissement is at or after the
date, N at a time, with INSEE's cursor header (`curseur`, `curseurSuivant`, equal on the last
page); 404 when none changed. The API key and the quota apply as above; `programmed` statuses
are taken from `program("changes", ...)`.
"""

import argparse
import json
import math
import signal
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY_HEADER = "X-INSEE-Api-Key-Integration"
DEFAULT_STUB_FILE = (
    Path(__file__).resolve().parents[2] / "structures" / "sirene" / "sample_establishments.json"
)
_MESSAGES = {
    301: "Unité légale fermée pour cause de doublon",
    400: "Nombre incorrect de paramètres ou paramètre mal formé",
    401: "Jeton d'accès manquant ou invalide",
    403: "Droits insuffisants pour accéder aux données de cette unité",
    429: "Quota d'interrogations de l'API dépassé",
    500: "Erreur interne du serveur",
    503: "Service indisponible",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, and what it answered."""

    path: str
    siret: str
    headers: dict[str, str]
    status: int
    received_at: float

    def header(self, name: str) -> str | None:
        """The value of a request header, whatever its case."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


@dataclass
class _Programme:
    statuses: deque[int] = field(default_factory=deque)
    delay: float = 0.0
    retry_after: str | None = None
    location: str | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeInsee"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its socket before a delayed answer: expected here.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.fake.verbose:
            super().log_message(format, *args)


class FakeInsee:
    """A threaded HTTP server answering like INSEE's `/siret/{siret}` (see the module docstring)."""

    def __init__(
        self,
        bodies: dict[str, dict] | None = None,
        *,
        api_key: str | None = None,
        quota_per_minute: int | None = None,
        quota_window: float = 60.0,
        delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        self.bodies: dict[str, dict] = dict(bodies or {})
        self.changes: list[dict] = []
        self.api_key = api_key
        self.quota_per_minute = quota_per_minute
        self.quota_window = quota_window
        self.delay = delay
        self.verbose = verbose
        self._address = (host, port)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._programmes: dict[str, _Programme] = {}
        self._accepted: deque[float] = deque()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_stub_file(cls, path: str | Path = DEFAULT_STUB_FILE, **options: Any) -> "FakeInsee":
        """A fake serving the bodies of a stub file ({siret: body or {"status": N}})."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), **options)

    # Life cycle.

    def start(self) -> "FakeInsee":
        """Listen (on a free port unless one was given) and serve in a background thread."""
        self._server = _Server(self._address, _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-insee",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "FakeInsee":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL to put in SIRENE_API_URL."""
        if self._server is None:
            raise RuntimeError("FakeInsee is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # Programming and inspection.

    def program(
        self,
        siret: str,
        *,
        statuses: list[int] | tuple[int, ...] = (),
        delay: float = 0.0,
        retry_after: str | int | None = None,
        location: str | None = None,
    ) -> None:
        """Answer the next requests for `siret` with `statuses` in turn (200 = the body), each
        after `delay` seconds; Retry-After and Location headers go with 429 and 301 answers."""
        with self._lock:
            self._programmes[siret] = _Programme(
                statuses=deque(statuses),
                delay=delay,
                retry_after=None if retry_after is None else str(retry_after),
                location=location,
            )

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def count(self, siret: str | None = None) -> int:
        """How many requests were received, for one SIRET or in all."""
        return sum(1 for request in self.requests if siret is None or request.siret == siret)

    def status_counts(self) -> Counter[int]:
        """How many answers of each HTTP status were sent."""
        return Counter(request.status for request in self.requests)

    def reset(self) -> None:
        """Forget requests, programmes and quota use."""
        with self._lock:
            self._requests.clear()
            self._programmes.clear()
            self._accepted.clear()

    # Serving.

    def _decide(
        self, path: str, request_headers: dict[str, str]
    ) -> tuple[str, int, Any, dict, float]:
        """(siret, status, body, extra headers, delay) for one request, recorded under the lock."""
        api_key = next(
            (v for k, v in request_headers.items() if k.lower() == API_KEY_HEADER.lower()), None
        )
        route = path.split("?", 1)[0].rstrip("/")
        marker = route.rfind("/siret/")
        siret = route[marker + len("/siret/") :] if marker >= 0 else ""
        changes = route.endswith("/siret") and "q=" in path
        if changes:
            siret = "changes"
        now = time.monotonic()
        with self._lock:
            programme = self._programmes.get(siret)
            delay = self.delay + (programme.delay if programme else 0.0)
            headers: dict[str, str] = {}
            if changes:
                if self.api_key is not None and api_key != self.api_key:
                    status, body = 401, None
                elif self.quota_per_minute is not None and self._over_quota(now):
                    status, body = 429, None
                    headers["Retry-After"] = "1"
                elif programme and programme.statuses and programme.statuses[0] != 200:
                    status, body = programme.statuses.popleft(), None
                else:
                    self._accepted.append(now)
                    status, body = self._changes_page(path)
            elif not (len(siret) == 14 and siret.isascii() and siret.isdigit()):
                status, body = 400, None
            elif self.api_key is not None and api_key != self.api_key:
                status, body = 401, None
            elif self.quota_per_minute is not None and self._over_quota(now):
                status, body = 429, None
                wait = self._accepted[0] + self.quota_window - now
                headers["Retry-After"] = str(max(math.ceil(wait), 1))
            else:
                self._accepted.append(now)
                status, body = self._answer(siret, programme, headers)
            self._requests.append(RecordedRequest(path, siret, request_headers, status, now))
        return siret, status, body, headers, delay

    def _changes_page(self, path: str) -> tuple[int, Any]:
        query = parse_qs(urlsplit(path).query)
        criterion = query.get("q", [""])[0]
        since = criterion.partition("[")[2].partition(" TO")[0]
        size = int(query.get("nombre", ["20"])[0])
        cursor = query.get("curseur", ["*"])[0]
        matching = [
            item
            for item in self.changes
            if str(item.get("dateDernierTraitementEtablissement") or "") >= since
        ]
        if not matching:
            return 404, {"header": {"statut": 404, "message": "Aucun élément trouvé"}}
        start = 0 if cursor == "*" else int(cursor)
        page = matching[start : start + size]
        following = str(start + len(page)) if page else cursor
        return 200, {
            "header": {
                "statut": 200,
                "message": "OK",
                "total": len(matching),
                "debut": start,
                "nombre": len(page),
                "curseur": cursor,
                "curseurSuivant": following,
            },
            "etablissements": page,
        }

    def _over_quota(self, now: float) -> bool:
        while self._accepted and self._accepted[0] <= now - self.quota_window:
            self._accepted.popleft()
        return len(self._accepted) >= (self.quota_per_minute or 0)

    def _answer(self, siret: str, programme: _Programme | None, headers: dict) -> tuple[int, Any]:
        if programme and programme.statuses:
            status = programme.statuses.popleft()
            if status == 429 and programme.retry_after is not None:
                headers["Retry-After"] = programme.retry_after
            if status == 301 and programme.location:
                headers["Location"] = programme.location
            if status != 200:
                return status, None
        body = self.bodies.get(siret)
        if body is None:
            return 404, {
                "header": {"statut": 404, "message": f"Aucun élément trouvé pour le siret {siret}"}
            }
        if "etablissement" not in body:
            return int(body.get("status", 500)), None
        return 200, body

    def _handle(self, handler: _Handler) -> None:
        siret, status, body, headers, delay = self._decide(
            handler.path, dict(handler.headers.items())
        )
        if delay:
            time.sleep(delay)
        if body is None:
            body = {"header": {"statut": status, "message": _MESSAGES.get(status, "Erreur")}}
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)


def main(argv: list[str] | None = None) -> None:
    """Serve a stub file until Ctrl-C, then print how many answers of each status were sent."""
    parser = argparse.ArgumentParser(description="A fake INSEE Sirene API for local benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--stub-file", default=str(DEFAULT_STUB_FILE))
    parser.add_argument("--quota", type=int, default=None, help="requests per minute, then 429")
    parser.add_argument("--api-key", default=None, help="require this X-INSEE-Api-Key-Integration")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    options = parser.parse_args(argv)

    fake = FakeInsee.from_stub_file(
        options.stub_file,
        api_key=options.api_key,
        quota_per_minute=options.quota,
        delay=options.delay,
        host=options.host,
        port=options.port,
        verbose=options.verbose,
    ).start()
    stopping = threading.Event()
    # Ctrl-C or a plain `kill` (what a benchmark script sends) both end it cleanly; SIGINT is
    # set explicitly because a background job inherits it ignored.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    quota = f"{options.quota}/min" if options.quota else "none"
    print(
        f"Fake INSEE on {fake.url} ({len(fake.bodies)} SIRETs, quota {quota}). Ctrl-C stops.",
        flush=True,
    )
    try:
        while not stopping.wait(1):
            pass
    finally:
        fake.stop()
        counts = ", ".join(f"{status}: {n}" for status, n in sorted(fake.status_counts().items()))
        print(f"{fake.count()} requests served ({counts or 'none'}).", flush=True)


if __name__ == "__main__":
    main()
