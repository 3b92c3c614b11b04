"""`make bench-sirene` (and the end of `make bench`): the figures of the local Sirene mirror.

1. Import: invented stock files in INSEE's layout (structures/sirene/generate.py), at least two
   million establishments, imported by `manage.py sirene_import` in its own process: rows a
   second, the time the national files would take at that rate, and the import's peak memory.
2. Look-up: `lookup_establishment` on random SIRETs of the mirror, in this process: p50/p95.
3. Search: "Find my company" queries (a full name, one word, a name with a postal code): p95.
4. Surge: registrations (steps 1 to 3, Django's test client, a new IP each) run by worker
   processes as fast as they go, against a fake INSEE that counts every request: completed,
   errors, structures verified from the mirror, requests to INSEE.

The database (--database-url) is dropped and created again, and dropped at the end unless
--keep: the 2-million-row mirror takes about 1.5 GB. It reports, it does not judge.
"""

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
NATIONAL_ESTABLISHMENTS = 40_000_000
NATIONAL_COMPANIES = 28_000_000
LOOKUP_TARGET_MS = 5.0
SEARCH_TARGET_MS = 50.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Figures of the Sirene mirror (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=2_000_000, help="establishments generated")
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--surge", type=int, default=2_000, help="registrations, steps 1-3")
    parser.add_argument("--surge-seconds", type=float, default=60.0, help="the target window")
    parser.add_argument("--surge-processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/chorus_sirene_bench",
        help="dropped and created again",
    )  # fmt: skip
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/13", help="flushed")
    parser.add_argument("--workdir", type=Path, default=None, help="where the files go")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--reuse-files", action="store_true",
        help="use the stock files already in --workdir (they are then kept)",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/)")
    return parser.parse_args(argv)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(round(p / 100 * len(ordered) + 0.5)) - 1, 0)] if ordered else 0.0


def environment(options) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": options.database_url,
        "REDIS_URL": options.cache_url,
        "CELERY_BROKER_URL": "memory://",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "EMAIL_URL": "consolemail://",
        "ALLOWED_HOSTS": "testserver,localhost",
        "SIRENE_BACKEND": "insee",
        "SIRENE_API_KEY": "bench-key",
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args: str) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout, time.monotonic() - started


def import_figures(options, env, workdir: Path) -> dict:
    from structures.sirene.generate import write_stock_files

    establishments = workdir / "StockEtablissement_utf8.zip"
    companies = workdir / "StockUniteLegale_utf8.zip"
    started = time.monotonic()
    if options.reuse_files and establishments.exists() and companies.exists():
        print(f"bench-sirene: reusing the files in {workdir}", flush=True)
    else:
        print(f"bench-sirene: generating {options.rows:,} establishments...", flush=True)
        establishments, companies = write_stock_files(workdir, establishments=options.rows, seed=1)
    generated = time.monotonic() - started
    figures = {"rows": options.rows, "generate_s": generated}
    for key, path, national in (
        ("establishments", establishments, NATIONAL_ESTABLISHMENTS),
        ("companies", companies, NATIONAL_COMPANIES),
    ):
        print(f"bench-sirene: importing {path.name}...", flush=True)
        out, seconds = manage(env, "sirene_import", "--no-progress", str(path))
        rows = int(
            re.search(r"([\d,]+) (?:establishments|companies) imported", out)
            .group(1)
            .replace(",", "")
        )
        peak = float(re.search(r"peak memory ([\d,.]+) MB", out).group(1).replace(",", ""))
        # The command's own rate: the time Django takes to start is not the import's.
        rate = float(re.search(r"\(([\d,]+) rows/s", out).group(1).replace(",", ""))
        figures[key] = {
            "rows": rows,
            "seconds": seconds,
            "rows_per_s": rate,
            "file_mb": path.stat().st_size / 1e6,
            "peak_memory_mb": peak,
            "national_rows": national,
            "national_estimate_s": national / rate,
        }
    return figures


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def lookup_figures(count: int) -> dict:
    from django.db import connection

    from structures.sirene import lookup_establishment

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT siret FROM sirene_establishment TABLESAMPLE SYSTEM (1) LIMIT %s", [count]
        )
        sirets = [row[0] for row in cursor.fetchall()]
    random.shuffle(sirets)
    timings = []
    for siret in sirets:
        started = time.perf_counter()
        lookup_establishment(siret)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "count": len(timings),
        "p50_ms": percentile(timings, 50),
        "p95_ms": percentile(timings, 95),
    }


def search_figures(count: int) -> dict:
    from django.db import connection

    from structures.sirene import search_companies

    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT u."denominationUniteLegale", e."codePostalEtablissement" '
            "FROM sirene_legal_unit u TABLESAMPLE SYSTEM (1) "
            'JOIN sirene_establishment e ON e.siren = u.siren AND e."etablissementSiege" = %s '
            "WHERE u.\"denominationUniteLegale\" <> '' LIMIT %s",
            ["true", count],
        )
        samples = cursor.fetchall()
    kinds: dict[str, list[float]] = {"full name": [], "one word": [], "name + postal code": []}
    found = 0
    for index, (name, postal_code) in enumerate(samples):
        kind = list(kinds)[index % 3]
        query = name.lower() if kind != "one word" else name.split()[0].lower()
        place = postal_code if kind == "name + postal code" else ""
        started = time.perf_counter()
        results = search_companies(query, place=place)
        kinds[kind].append((time.perf_counter() - started) * 1000)
        found += bool(results)
    every = [value for values in kinds.values() for value in values]
    return {
        "count": len(every),
        "found_share": found / len(every) if every else 0,
        "p50_ms": percentile(every, 50),
        "p95_ms": percentile(every, 95),
        "by_kind_p95_ms": {kind: percentile(values, 95) for kind, values in kinds.items()},
    }


def _register_chunk(job: tuple[dict, list[str], int]) -> dict:
    env, sirets, offset = job
    setup_django(env)
    from django.test import Client

    from tests.journey import DETAILS

    outcome = {"completed": 0, "errors": []}
    # One client (its handler loads the middleware once); a new person each time: no cookies,
    # an address of their own.
    client = Client()
    for number, siret in enumerate(sirets):
        index = offset + number
        client.cookies.clear()
        address = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
        email = f"surge-{index}@bench.example"
        steps = (
            ("/register/", {"email": email, "siret": siret}),
            ("/register/details/", {**DETAILS, "company_name": "Bench"}),
            ("/register/areas/", {"areas": ["issued-invoices"]}),
        )
        for path, data in steps:
            response = client.post(path, data, REMOTE_ADDR=address)
            if response.status_code != 302:
                outcome["errors"].append(f"{path} {response.status_code}")
                break
        else:
            outcome["completed"] += 1
    return outcome


def surge_figures(options, env: dict) -> dict:
    from django.db import connection

    from structures.models import Structure
    from tests.fakes.insee import FakeInsee

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.siret FROM sirene_establishment e TABLESAMPLE SYSTEM (2) "
            "JOIN sirene_legal_unit u ON u.siren = e.siren "
            "WHERE e.\"etatAdministratifEtablissement\" = 'A' "
            "AND e.\"statutDiffusionEtablissement\" = 'O' "
            "LIMIT %s",
            [options.surge],
        )
        sirets = [row[0] for row in cursor.fetchall()]
    connection.close()
    processes = max(options.surge_processes, 1)
    with FakeInsee({}, api_key="bench-key") as insee:
        worker_env = {**env, "SIRENE_API_URL": insee.url}
        chunks = [sirets[start::processes] for start in range(processes)]
        jobs = [(worker_env, chunk, start * len(sirets)) for start, chunk in enumerate(chunks)]
        started = time.monotonic()
        with ProcessPoolExecutor(processes) as pool:
            outcomes = list(pool.map(_register_chunk, jobs))
        seconds = time.monotonic() - started
        insee_requests = insee.count()
    completed = sum(outcome["completed"] for outcome in outcomes)
    errors = [error for outcome in outcomes for error in outcome["errors"]]
    verified = Structure.objects.filter(
        siret__in=sirets,
        verification=Structure.Verification.VERIFIED,
        insee_source__startswith="mirror:",
    ).count()
    return {
        "registrations": len(sirets),
        "processes": processes,
        "completed": completed,
        "seconds": seconds,
        "per_minute": completed / seconds * 60 if seconds else 0,
        "verified_from_mirror": verified,
        "insee_requests": insee_requests,
        "errors": len(errors),
        "error_sample": errors[:5],
    }


def report(results: dict, options) -> None:
    imported = results["import"]
    print("\nSirene mirror figures")
    for key in ("establishments", "companies"):
        row = imported[key]
        print(
            f"  import {key:<14} {row['rows']:>11,} rows in {row['seconds']:>6.0f} s = "
            f"{row['rows_per_s']:>8,.0f} rows/s; peak memory {row['peak_memory_mb']:.0f} MB; "
            f"national file (~{row['national_rows'] / 1e6:.0f} M rows) ~ "
            f"{row['national_estimate_s'] / 60:.0f} min"
        )
    lookup = results["lookup"]
    print(
        f"  look-up            {lookup['count']:>5} SIRETs: p50 {lookup['p50_ms']:.2f} ms, "
        f"p95 {lookup['p95_ms']:.2f} ms (target < {LOOKUP_TARGET_MS:.0f} ms, in-process)"
    )
    search = results["search"]
    kinds = ", ".join(f"{kind} {value:.1f}" for kind, value in search["by_kind_p95_ms"].items())
    print(
        f"  search             {search['count']:>5} queries over "
        f"{imported['establishments']['rows']:,} rows: "
        f"p50 {search['p50_ms']:.1f} ms, p95 {search['p95_ms']:.1f} ms "
        f"(target < {SEARCH_TARGET_MS:.0f} ms); p95 by kind: {kinds}; "
        f"{search['found_share']:.0%} found something"
    )
    surge = results["surge"]
    within = "within" if surge["seconds"] <= options.surge_seconds else "NOT within"
    print(
        f"  surge              {surge['completed']:,}/{surge['registrations']:,} registrations "
        f"(steps 1-3) in {surge['seconds']:.0f} s by {surge['processes']} processes = "
        f"{surge['per_minute']:,.0f} a minute ({within} {options.surge_seconds:.0f} s); "
        f"{surge['verified_from_mirror']:,} verified from the mirror, "
        f"{surge['insee_requests']} requests to INSEE, {surge['errors']} errors"
    )


def main(argv=None) -> int:
    options = parse_args(argv)
    env = environment(options)
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="sirene-bench-"))
    results: dict = {"date": datetime.now().isoformat(timespec="seconds"), "options": {
        "rows": options.rows, "lookups": options.lookups, "searches": options.searches,
        "surge": options.surge,
    }}  # fmt: skip
    try:
        import redis

        redis.Redis.from_url(options.cache_url).flushdb()
        recreate_database(options.database_url)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        setup_django(env)
        results["import"] = import_figures(options, env, workdir)
        print("bench-sirene: look-ups, searches, surge...", flush=True)
        results["lookup"] = lookup_figures(options.lookups)
        results["search"] = search_figures(options.searches)
        results["surge"] = surge_figures(options, env)
    finally:
        if not options.keep:
            from django.db import connections

            connections.close_all()
            recreate_database(options.database_url, drop_only=True)
        if options.workdir is None:
            for path in workdir.glob("Stock*"):
                path.unlink()
    report(results, options)
    RESULTS.mkdir(exist_ok=True)
    output = options.output or RESULTS / f"sirene-{datetime.now():%Y-%m-%dT%H%M}.json"
    output.write_text(json.dumps(results, indent=2))
    print(f"\nFigures written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
