"""The portal's WSGI application with every request profiled by pyinstrument (`run.py --profile`).

Each gunicorn worker adds every request to one pyinstrument session per page ("POST /activate/",
tokens folded) and writes them, as text, under BENCH_PROFILE_DIR (default
bench/results/profiles.tmp) every WRITE_EVERY seconds and when it exits. run.py uses sync
workers for a profiled run, so each profile is one request at a time. Profiling slows requests
down: the figures of a profiled run are not the real ones; read the profiles for where the time
goes, not for how much there is.
"""

import atexit
import os
import re
import threading
import time
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer
from pyinstrument.session import Session

from chorus.wsgi import application as portal

OUT = Path(
    os.environ.get(
        "BENCH_PROFILE_DIR", Path(__file__).resolve().parent / "results" / "profiles.tmp"
    )
)
_TOKEN = re.compile(r"^/activate/(?!done/|resend/)[^/]+/$")
WRITE_EVERY = 30.0
_sessions: dict[str, Session] = {}
_lock = threading.Lock()
_written_at = time.monotonic()


def _page(environ) -> str:
    path = environ.get("PATH_INFO", "")
    if _TOKEN.match(path):
        path = "/activate/<token>/"
    return f"{environ.get('REQUEST_METHOD', 'GET')} {path}"


def application(environ, start_response):
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        return list(portal(environ, start_response))
    finally:
        profiler.stop()
        page = _page(environ)
        with _lock:
            previous = _sessions.get(page)
            session = profiler.last_session
            _sessions[page] = session if previous is None else Session.combine(previous, session)
        if time.monotonic() - _written_at > WRITE_EVERY:
            _write()


@atexit.register
def _write() -> None:
    global _written_at
    OUT.mkdir(parents=True, exist_ok=True)
    with _lock:
        _written_at = time.monotonic()
        for page, session in _sessions.items():
            name = re.sub(r"[^A-Za-z0-9]+", "_", page).strip("_") or "root"
            text = ConsoleRenderer(unicode=True, color=False, show_all=False).render(session)
            (OUT / f"{name}.{os.getpid()}.txt").write_text(text)
