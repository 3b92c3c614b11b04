"""The figures of the benchmark, computed from the samples written by locustfile.py.

A sample is [method, name, start (epoch s), response time (ms), ok, HTTP status, SQL queries,
app ms, db ms, hash ms, error] (see locustfile._record).
"""

import math
from collections import Counter, defaultdict

METHOD, NAME, START, MS, OK, STATUS, SQL, APP, DB, HASH, ERROR = range(11)
HTTP_METHODS = ("GET", "POST")

# The pages where a password is hashed (argon2): the latency target does not apply to them.
HASHING_PAGES = ("POST /activate/", "POST /login/")
JOURNEY_ORDER = [
    "GET /",
    "POST /register/",
    "GET /register/details/",
    "POST /register/details/",
    "GET /register/areas/",
    "POST /register/areas/",
    "GET /register/sent/",
    "GET /activate/<token>/",
    "GET /activate/",
    "POST /activate/",
    "GET /login/",
    "POST /login/",
    "GET /login/verify/",
    "POST /login/verify/",
    "GET /dashboard/",
]


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def window(samples: list[list]) -> tuple[float, float]:
    """From the first request's start to the last one's end."""
    if not samples:
        return 0.0, 0.0
    return (
        min(s[START] for s in samples),
        max(s[START] + s[MS] / 1000 for s in samples),
    )


def page_table(samples: list[list], duration: float) -> dict[str, dict]:
    """Per page ("GET /register/details/"): requests, errors, rps, latency percentiles, SQL
    queries, server time and the share of it spent hashing."""
    groups: dict[str, list[list]] = defaultdict(list)
    for sample in samples:
        if sample[METHOD] in HTTP_METHODS and sample[NAME] != "prepare":
            groups[f"{sample[METHOD]} {sample[NAME]}"].append(sample)
    table = {}
    for page, group in groups.items():
        ok = [s for s in group if s[OK]]
        times = [s[MS] for s in ok]
        sql = [s[SQL] for s in ok if s[SQL] is not None]
        app = [s[APP] for s in ok if s[APP] is not None]
        hashed = [(s[HASH], s[APP]) for s in ok if s[HASH] is not None and s[APP]]
        table[page] = {
            "requests": len(group),
            "errors": len(group) - len(ok),
            "rps": len(ok) / duration if duration else None,
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "p99_ms": percentile(times, 99),
            "sql_p50": percentile(sql, 50),
            "sql_max": max(sql) if sql else None,
            "app_p50_ms": percentile(app, 50),
            "app_p95_ms": percentile(app, 95),
            "db_p50_ms": percentile([s[DB] for s in ok if s[DB] is not None], 50),
            "hash_share": (
                sum(h for h, _ in hashed) / sum(a for _, a in hashed) if hashed else None
            ),
            "hash_p50_ms": percentile([h for h, _ in hashed], 50),
        }
    return dict(sorted(table.items(), key=lambda item: _page_rank(item[0])))


def _page_rank(page: str) -> tuple[int, str]:
    return (JOURNEY_ORDER.index(page) if page in JOURNEY_ORDER else len(JOURNEY_ORDER), page)


def errors(samples: list[list]) -> dict:
    """Failed requests and failed journey steps (the mail that never came), by message."""
    failed = [s for s in samples if not s[OK]]
    messages = Counter(s[ERROR] or "unknown" for s in failed)
    return {"count": len(failed), "messages": dict(messages.most_common(10))}


def custom_events(samples: list[list], method: str, name: str) -> list[list]:
    return [s for s in samples if s[METHOD] == method and s[NAME] == name]


def journey_figures(samples: list[list]) -> dict:
    start, end = window(samples)
    duration = end - start
    complete = custom_events(samples, "JOURNEY", "complete")
    mail_waits = [s[MS] for s in custom_events(samples, "MAIL", "activation mail") if s[OK]]
    code_waits = [s[MS] for s in custom_events(samples, "MAIL", "code mail") if s[OK]]
    return {
        "duration_s": duration,
        "journeys": len(complete),
        "journeys_per_s": len(complete) / duration if duration else None,
        "journey_p50_s": _seconds(percentile([s[MS] for s in complete], 50)),
        "mail_wait_p50_ms": percentile(mail_waits, 50),
        "code_wait_p50_ms": percentile(code_waits, 50),
        "requests_per_s": (
            sum(1 for s in samples if s[METHOD] in HTTP_METHODS) / duration if duration else None
        ),
        "pages": page_table(samples, duration),
        "errors": errors(samples),
    }


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


FLOOR = "GET /bench/floor/"  # bench_urls.floor: a minimal view through the same middleware


def capacity_figures(samples: list[list], meta: dict, warmup: float) -> dict:
    """Requests per second of each page asked alone, against the floor (FLOOR) measured
    first and last in the same run; only the requests started after `warmup` seconds of each
    phase count."""
    t0, length, pages = meta["t0"], meta["phase_seconds"], meta["pages"]
    phases = []
    for index, page in enumerate(pages):
        begin, end = t0 + index * length + warmup, t0 + (index + 1) * length
        group = [
            s
            for s in samples
            if s[NAME].startswith(f"capacity {index}:") and begin <= s[START] < end
        ]
        ok = [s for s in group if s[OK]]
        times = [s[MS] for s in ok]
        sql = [s[SQL] for s in ok if s[SQL] is not None]
        phases.append(
            {
                "page": f"GET {page}",
                "requests": len(group),
                "errors": len(group) - len(ok),
                "rps": len(ok) / (end - begin),
                "p50_ms": percentile(times, 50),
                "p95_ms": percentile(times, 95),
                "sql_max": max(sql) if sql else None,
                "app_p50_ms": percentile([s[APP] for s in ok if s[APP] is not None], 50),
            }
        )
    floors = [phase["rps"] for phase in phases if phase["page"] == FLOOR]
    floor = sum(floors) / len(floors) if floors else None
    for phase in phases:
        phase["ratio"] = phase["rps"] / floor if floor else None
    return {
        "floor_rps": floor,
        "floor_first_rps": floors[0] if floors else None,
        "floor_last_rps": floors[-1] if floors else None,
        "pages": [phase for phase in phases if phase["page"] != FLOOR],
        "floor_phases": [phase for phase in phases if phase["page"] == FLOOR],
        "prepare_errors": errors([s for s in samples if s[NAME] == "prepare"]),
    }


def mail_delays(rows: list[tuple], arrivals: dict) -> dict:
    """Mails (activation, second-step code) from commit (the outbox row's created_at) to the
    SMTP sink.

    rows: (message_id, created_at, sent_at, status) from accounts_outgoingemail.
    """
    delays, worker_delays, missing = [], [], 0
    for message_id, created_at, sent_at, _status in rows:
        mail = arrivals.get(message_id)
        if mail is None:
            missing += 1
            continue
        delays.append(mail.arrived_at - created_at.timestamp())
        if sent_at is not None:
            worker_delays.append((sent_at - created_at).total_seconds())
    return {
        "mails": len(rows),
        "delivered": len(delays),
        "missing": missing,
        "p50_s": percentile(delays, 50),
        "p95_s": percentile(delays, 95),
        "max_s": max(delays) if delays else None,
        "sent_at_p95_s": percentile(worker_delays, 95),
    }
