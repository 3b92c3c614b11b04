"""The portal's WSGI application with every request profiled by pyinstrument (`run.py --profile`).

Each gunicorn worker keeps one pyinstrument session per page ("POST /activate/", tokens folded)
and writes them, as text, under BENCH_PROFILE_DIR (default bench/results/profiles.tmp) when
it exits. Profiling slows requests down: the figures of a profiled run are not the real ones;
read the profiles for where time goes, not for how much there is.
"""

import atexit
import os
import re
import threading
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.session import Session

from chorus.wsgi import application as portal

OUT = Path(
    os.environ.get(
        "BENCH_PROFILE_DIR", Path(__file__).resolve().parent / "results" / "profiles.tmp"
    )
)
_TOKEN = re.compile(r"^/activate/(?!done/|resend/)[^/]+/$")
_sessions: dict[str, Session] = {}
_lock = threading.Lock()


def _page(environ) -> str:
    path = environ.get("PATH_INFO", "")
    if _TOKEN.match(path):
        path = "/activate/<token>/"
    return f"{environ.get('REQUEST_METHOD', 'GET')} {path}"


def application(environ, start_response):
    profiler = Profiler(interval=0.0005, async_mode="disabled")
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


@atexit.register
def _write() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with _lock:
        for page, session in _sessions.items():
            name = re.sub(r"[^A-Za-z0-9]+", "_", page).strip("_") or "root"
            profiler = Profiler()
            profiler._last_session = session
            text = profiler.output_text(unicode=True, color=False, show_all=False)
            path = OUT / f"{name}.{os.getpid()}.txt"
            path.write_text(text)
