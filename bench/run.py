"""`make bench`: a load benchmark of the onboarding journey, printing the figures it must reach.

Starts the production-like stack on loopback (bench/stack.py), drives virtual users through the
journey with locust (bench/locustfile.py), then prints every figure against its target and
writes them to bench/results/<date>.json. It reports, it does not judge: the exit status is 0
unless the stack could not start (1) or the run was interrupted (130). See bench/README.md.
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import figures
import sirets
from stack import Stack, StackError, StackOptions

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
LIMITER_REFUSAL = "sirene rate limit reached"  # structures/sirene/limiter.py's warning

SCENARIOS = ("capacity", "throughput", "latency", "load", "burst")
SIRET_RANGE = 1_000_000  # SIRETs of each scenario: sirets.siret_for(offset + 0..999_999)
SIRET_OFFSETS = {
    "capacity": 0,
    "latency": 1_000_000,
    "load": 2_000_000,
    "burst": 3_000_000,
    "throughput": 4_000_000,
    "throughput_before": 5_000_000,
}
# The throughput scenario runs twice in one invocation: as configured, then with the portal
# as it was before its pages and hashes were tuned (Django's argon2 parameters, no bound on
# hashes at once, every page rendered in full), so the ratio is read inside one run.
BEFORE = {
    "ARGON2_MEMORY_KIB": "102400",
    "ARGON2_TIME_COST": "2",
    "ARGON2_PARALLELISM": "8",
    "ARGON2_CONCURRENT_HASHES": "1000",
    "PREPARED_PAGES_SECONDS": "0",
}
MIN_JOURNEYS_RATIO = 4.0
PEER = Path(__file__).resolve().parent.parent.parent / "shared" / "peers" / "allauth_signup"

# The targets of the issue.
MAX_ERRORS_AT_LOAD = 0
MIN_FLOOR_RATIO = 0.50
MAX_P95_MS = 150.0
MAX_SQL_QUERIES = 8
MIN_HASH_SHARE = 0.80
MAX_MAIL_P95_S = 2.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        description="Load benchmark of the onboarding journey (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--quick", action="store_true", help="short durations, to try the bench")
    scenario = parser.add_argument_group("scenarios")
    scenario.add_argument("--capacity-users", type=int, default=20)
    scenario.add_argument("--phase-seconds", type=float, default=6.0, help="per page, capacity")
    scenario.add_argument("--throughput-users", type=int, default=20, help="journeys, no pause")
    scenario.add_argument("--throughput-seconds", type=float, default=45.0)
    scenario.add_argument("--probe-users", type=int, default=2, help="light-page probes")
    scenario.add_argument("--latency-users", type=int, default=20, help="scenario (a)")
    scenario.add_argument("--latency-seconds", type=float, default=60.0)
    scenario.add_argument("--load-users", type=int, default=50, help="scenario (b)")
    scenario.add_argument("--load-seconds", type=float, default=60.0)
    scenario.add_argument("--burst-count", type=int, default=200, help="scenario (c)")
    scenario.add_argument("--burst-seconds", type=float, default=60.0)
    scenario.add_argument("--burst-users", type=int, default=50)
    scenario.add_argument("--think-min", type=float, default=0.5, help="seconds between pages")
    scenario.add_argument("--think-max", type=float, default=1.5)
    scenario.add_argument("--mail-timeout", type=float, default=30.0)
    stack = parser.add_argument_group("stack")
    stack.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/chorus_bench",
        help="dropped and created again",
    )  # fmt: skip
    stack.add_argument("--cache-url", default="redis://127.0.0.1:6379/13", help="flushed")
    stack.add_argument("--broker-url", default="redis://127.0.0.1:6379/14", help="flushed")
    stack.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn processes")
    stack.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    stack.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    stack.add_argument("--celery-concurrency", type=int, default=2)
    stack.add_argument("--insee-quota", type=int, default=30, help="fake INSEE, per minute")
    stack.add_argument("--sirene-rate-limit", type=int, default=30, help="our limiter")
    stack.add_argument("--beat", action="store_true", help="run Celery beat in the worker")
    stack.add_argument(
        "--profile", action="store_true",
        help="profile every request with pyinstrument (slower; see bench/profiled_wsgi.py)",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/<date>)")
    parser.add_argument(
        "--peer", action="store_true",
        help="also run django-allauth's sign-up beside it (../shared/peers/allauth_signup)",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.quick:
        options.phase_seconds = min(options.phase_seconds, 3.0)
        options.latency_seconds = min(options.latency_seconds, 20.0)
        options.load_seconds = min(options.load_seconds, 20.0)
        options.throughput_seconds = min(options.throughput_seconds, 20.0)
        options.burst_count = min(options.burst_count, 60)
        options.burst_seconds = min(options.burst_seconds, 20.0)
    if options.profile:
        options.worker_class = "sync"  # one request per process: profiles without thread noise
    options.scenarios = [name.strip() for name in options.scenarios.split(",") if name.strip()]
    unknown = set(options.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return options


class Bench:
    def __init__(self, options: argparse.Namespace, stack: Stack, workdir: Path) -> None:
        self.options = options
        self.stack = stack
        self.workdir = workdir
        self.run_id = datetime.now().strftime("%H%M%S")

    # Running locust.

    def locust(
        self, *, name: str, mode: str, users: int, spawn_rate: float, run_time: float, **env
    ) -> tuple[list[list], dict, dict]:
        """Run locust headless; its samples, its meta, and the CPU used by client and server."""
        out = self.workdir / f"{name}.samples.json"
        environment = {
            **os.environ,
            "BENCH_MODE": mode,
            "BENCH_OUT": str(out),
            "BENCH_MAILBOX": self.stack.mailbox.url,
            "BENCH_TAG": f"{self.run_id}{name}",
            "BENCH_SIRET_OFFSET": str(SIRET_OFFSETS[name]),
            "BENCH_USERS": str(users),
            "BENCH_THINK_MIN": str(self.options.think_min),
            "BENCH_THINK_MAX": str(self.options.think_max),
            "BENCH_MAIL_TIMEOUT": str(self.options.mail_timeout),
            **{key: str(value) for key, value in env.items()},
        }
        argv = [
            sys.executable, "-m", "locust",
            "-f", str(BENCH / "locustfile.py"),
            "--headless", "--only-summary",
            "--users", str(users),
            "--spawn-rate", f"{spawn_rate:.3f}",
            "--run-time", f"{max(int(run_time), 1)}s",
            "--stop-timeout", "0",
            "--host", self.stack.url,
            "--loglevel", "WARNING",
            "--exit-code-on-error", "0",
        ]  # fmt: skip
        load_before = os.getloadavg()[0]
        server_cpu = self.stack.process_tree_cpu("gunicorn")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        with (self.workdir / f"locust-{name}.log").open("w") as log:
            process = subprocess.Popen(
                argv, cwd=BENCH.parent, env=environment, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            self.stack.processes[f"locust-{name}"] = process
            try:
                process.wait(timeout=run_time + 120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            del self.stack.processes[f"locust-{name}"]
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        server = self.stack.process_tree_cpu("gunicorn") - server_cpu
        cpu = {
            "client_cores": client / wall,
            "server_cores": server / wall,
            "wall_s": wall,
            # Others' work on the machine shows here: the figures are only as quiet as it was.
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        }
        if not out.exists():
            raise RuntimeError(f"locust wrote no samples: see {self.workdir}/locust-{name}.log")
        data = json.loads(out.read_text())
        return data["samples"], data["meta"], cpu

    # What the stack saw.

    def insee_snapshot(self) -> dict:
        refusals = self.stack.log_count("gunicorn", LIMITER_REFUSAL) + self.stack.log_count(
            "celery", LIMITER_REFUSAL
        )
        return {
            "requests": len(self.stack.insee.requests),
            "refused_by_limiter": refusals,
            "limit_in_use": self.stack.limiter_slots_taken(),
        }

    def insee_diff(self, before: dict, name: str) -> dict:
        """What INSEE saw since `before`: the calls for this scenario's SIRETs (exact, whenever
        they came), every 429 answered meanwhile, and our limiter's refusals meanwhile (from the
        logs: a request of the previous scenario still running on the server counts here)."""
        after = self.insee_snapshot()
        first, last = SIRET_OFFSETS[name], SIRET_OFFSETS[name] + SIRET_RANGE
        indexes = [sirets.index_of(request.siret) for request in self.stack.insee.requests]
        mine = [index for index in indexes if index is not None and first <= index < last]
        meanwhile = self.stack.insee.requests[before["requests"] :]
        return {
            "calls": len(mine),
            "answered_429": sum(1 for request in meanwhile if request.status == 429),
            "refused_by_limiter": after["refused_by_limiter"] - before["refused_by_limiter"],
            "limit_in_use_at_start": before["limit_in_use"],
        }

    def verification(self, name: str) -> dict:
        rows = self.stack.query(
            "SELECT s.verification, count(DISTINCT s.id) FROM structures_structure s "
            "JOIN structures_membership m ON m.structure_id = s.id "
            "JOIN accounts_user u ON u.id = m.user_id WHERE u.email LIKE %s GROUP BY 1",
            (f"bench-{self.run_id}{name}-%",),
        )
        return dict(rows)

    def mails(self, name: str, wait: float = 15.0, kind: str = "activation") -> dict:
        """Commit-to-SMTP delays of this scenario's mails of a kind (activation, or mfa_code:
        the second step's codes), once none is pending (or after `wait` seconds)."""
        pattern = f"bench-{self.run_id}{name}-%"
        sql = (
            "SELECT message_id, created_at, sent_at, status FROM accounts_outgoingemail "
            'WHERE kind = %s AND "to" LIKE %s'
        )
        deadline = time.monotonic() + wait
        while True:
            rows = self.stack.query(sql, (kind, pattern))
            arrivals = self.stack.smtp.by_message_id()
            if all(row[0] in arrivals for row in rows) or time.monotonic() > deadline:
                return figures.mail_delays(rows, arrivals)
            time.sleep(0.5)

    # The scenarios.

    def capacity(self) -> dict:
        options = self.options
        pages = 11  # locustfile.CAPACITY_PAGES
        users = options.capacity_users
        samples, meta, cpu = self.locust(
            name="capacity", mode="capacity", users=users, spawn_rate=users,
            run_time=90 + pages * options.phase_seconds,
            BENCH_PHASE_SECONDS=options.phase_seconds,
        )  # fmt: skip
        if "t0" not in meta:
            raise RuntimeError("capacity: the users never got ready; see the locust log")
        result = figures.capacity_figures(samples, meta, warmup=min(1.0, options.phase_seconds / 4))
        result.update(users=users, phase_seconds=options.phase_seconds, cpu=cpu)
        return result

    def journeys(self, name: str, users: int, seconds: float) -> dict:
        before = self.insee_snapshot()
        samples, _meta, cpu = self.locust(
            name=name, mode="journey", users=users, spawn_rate=max(users / 5, 1),
            run_time=seconds,
        )  # fmt: skip
        result = figures.journey_figures(samples)
        result.update(
            users=users,
            cpu=cpu,
            mail=self.mails(name),
            code_mail=self.mails(name, kind="mfa_code"),
            insee=self.insee_diff(before, name),
            structures=self.verification(name),
        )
        return result

    def throughput(self) -> dict:
        """Whole journeys back to back (no pause) with light-page probes beside them: as
        configured, then as before (BEFORE), on the same stack and data."""
        now = self._closed_loop("throughput", probe_url=self.stack.light_url)
        self.stack.restart_web(BEFORE)
        try:
            before = self._closed_loop("throughput_before", probe_url=self.stack.url)
        finally:
            self.stack.restart_web({})
        ratio = None
        if now["journeys_per_s"] and before["journeys_per_s"]:
            ratio = now["journeys_per_s"] / before["journeys_per_s"]
        return {"now": now, "before": before, "ratio": ratio, "before_env": BEFORE}

    def _closed_loop(self, name: str, probe_url: str) -> dict:
        options = self.options
        users, probes = options.throughput_users, options.probe_users
        samples, _meta, cpu = self.locust(
            name=name, mode="journey", users=users + probes, spawn_rate=max(users / 2, 1),
            run_time=options.throughput_seconds,
            BENCH_THINK_MIN=0, BENCH_THINK_MAX=0, BENCH_PROBE_USERS=probes,
            BENCH_PROBE_URL=probe_url,
        )  # fmt: skip
        probe = [s for s in samples if s[figures.NAME].startswith("probe ")]
        journey = [s for s in samples if not s[figures.NAME].startswith("probe ")]
        result = figures.journey_figures(journey)
        ok = [s[figures.MS] for s in probe if s[figures.OK]]
        result.update(
            users=users,
            cpu=cpu,
            probe={
                "page": "GET /login/",
                "pool": "light" if probe_url == self.stack.light_url else "main",
                "requests": len(probe),
                "errors": len(probe) - len(ok),
                "p50_ms": figures.percentile(ok, 50),
                "p95_ms": figures.percentile(ok, 95),
            },
        )
        return result

    def peer(self) -> dict:
        """django-allauth's sign-up on the same machine, same services, same durations."""
        script = PEER / "bench.py"
        if not script.exists():
            return {"error": f"{script} not found"}
        seconds = max(int(self.options.phase_seconds * 2), 10)
        argv = [
            "python3", str(script), "--users", str(self.options.capacity_users),
            "--duration", str(seconds), "--no-results-file",
        ]  # fmt: skip
        log = self.workdir / "peer.log"
        with log.open("w") as errors:
            done = subprocess.run(
                argv, stdout=subprocess.PIPE, stderr=errors, text=True, timeout=1800, check=False
            )
        try:
            report = json.loads(done.stdout[done.stdout.index("{") :])
        except ValueError:
            return {"error": f"the peer's benchmark printed no figures: see {log}"}
        rows = {}
        for row in report.get("summary", []):
            rows[row["scenario"]] = {
                "rps": row.get("requests_per_s") or row.get("rps"),
                "p95_ms": (row.get("latency_ms") or {}).get("p95"),
                "errors": row.get("errors"),
            }
        return {"scenarios": rows}

    def burst(self) -> dict:
        options = self.options
        count, users = options.burst_count, min(options.burst_users, options.burst_count)
        pacing = users * options.burst_seconds / count
        before = self.insee_snapshot()
        samples, _meta, cpu = self.locust(
            name="burst", mode="burst", users=users, spawn_rate=users / pacing,
            run_time=options.burst_seconds + 60,
            BENCH_BURST_COUNT=count, BENCH_BURST_PACING=pacing,
        )  # fmt: skip
        registrations = figures.custom_events(samples, "JOURNEY", "registration")
        completed = [s for s in registrations if s[figures.OK]]
        start, end = figures.window(samples)
        return {
            "registrations": count,
            "users": users,
            "completed": len(completed),
            "duration_s": end - start,
            "registration_p95_s": (figures.percentile([s[3] for s in completed], 95) or 0) / 1000,
            "pages": figures.page_table(samples, end - start),
            "errors": figures.errors(samples),
            "cpu": cpu,
            "mail": self.mails("burst", wait=30.0),
            "insee": self.insee_diff(before, "burst"),
            "structures": self.verification("burst"),
        }

    def run(self) -> dict:
        results: dict = {}
        for name in self.options.scenarios:
            started = time.monotonic()
            print(f"bench: scenario {name}...", flush=True)
            if name == "capacity":
                results[name] = self.capacity()
            elif name == "throughput":
                results[name] = self.throughput()
            elif name == "latency":
                results[name] = self.journeys(
                    name, self.options.latency_users, self.options.latency_seconds
                )
            elif name == "load":
                results[name] = self.journeys(
                    name, self.options.load_users, self.options.load_seconds
                )
            else:
                results[name] = self.burst()
            print(f"bench: scenario {name} done in {time.monotonic() - started:.0f} s", flush=True)
        if self.options.peer:
            print("bench: django-allauth's sign-up beside it (peer)...", flush=True)
            results["peer"] = self.peer()
        return results


# Targets.


def targets(results: dict) -> list[dict]:
    """Each target of the issue: what was measured, PASS or MISS (None: not measured)."""
    checks = []

    def check(target: str, passed: bool | None, measured: str) -> None:
        checks.append({"target": target, "pass": passed, "measured": measured})

    load = results.get("load")
    if load:
        count = load["errors"]["count"]
        check("0 errors at 50 users (load)", count <= MAX_ERRORS_AT_LOAD, f"{count} errors")
    capacity = results.get("capacity")
    if capacity:
        low = [p for p in capacity["pages"] if (p["ratio"] or 0) < MIN_FLOOR_RATIO]
        worst = min(capacity["pages"], key=lambda p: p["ratio"] or 0)
        check(
            "each journey GET page >= 50 % of the floor's req/s",
            not low,
            f"worst {worst['page']} {_percent(worst['ratio'])}"
            + (f"; {len(low)} pages under" if low else ""),
        )
    latency = results.get("latency")
    if latency:
        pages = {
            page: row
            for page, row in latency["pages"].items()
            if page not in figures.HASHING_PAGES and row["p95_ms"] is not None
        }
        slow = [page for page, row in pages.items() if row["p95_ms"] >= MAX_P95_MS]
        worst = max(pages.items(), key=lambda item: item[1]["p95_ms"])
        check(
            "p95 < 150 ms at 20 users, pages that do not hash",
            not slow,
            f"worst {worst[0]} {worst[1]['p95_ms']:.0f} ms"
            + (f"; {len(slow)} pages over" if slow else ""),
        )
    sql = {}
    for name in ("latency", "load", "burst"):
        for page, row in (results.get(name) or {}).get("pages", {}).items():
            if row["sql_max"] is not None:
                sql[page] = max(sql.get(page, 0), row["sql_max"])
    for page in (capacity or {}).get("pages", []):
        if page["sql_max"] is not None:
            sql[page["page"]] = max(sql.get(page["page"], 0), page["sql_max"])
    if sql:
        over = [page for page, count in sql.items() if count > MAX_SQL_QUERIES]
        worst = max(sql.items(), key=lambda item: item[1])
        check(
            "<= 8 SQL queries per page",
            not over,
            f"worst {worst[0]} {worst[1]}" + (f"; over: {', '.join(over)}" if over else ""),
        )
    if latency and "POST /activate/" in latency["pages"]:
        share = latency["pages"]["POST /activate/"]["hash_share"]
        check(
            "activation POST: argon2 hashing >= 80 % of its time",
            share is not None and share >= MIN_HASH_SHARE,
            "n/a" if share is None else f"{share:.0%} (at 20 users)",
        )
    delays = {
        name: results[name]["mail"]
        for name in ("latency", "load", "burst")
        if name in results and results[name]["mail"]["p95_s"] is not None
    }
    if delays:
        worst_name, worst = max(delays.items(), key=lambda item: item[1]["p95_s"])
        missing = sum(mail["missing"] for mail in delays.values())
        check(
            "activation mail p95 < 2 s from commit",
            worst["p95_s"] < MAX_MAIL_P95_S and not missing,
            f"worst p95 {worst['p95_s']:.2f} s ({worst_name})"
            + (f"; {missing} not delivered" if missing else ""),
        )
    throughput = results.get("throughput")
    if throughput:
        now, before, ratio = throughput["now"], throughput["before"], throughput["ratio"]
        check(
            f">= {MIN_JOURNEYS_RATIO:.0f}x the journeys a second of before, 20 users, no pause",
            ratio is not None and ratio >= MIN_JOURNEYS_RATIO,
            f"{_num(now['journeys_per_s'], '.2f')}/s vs {_num(before['journeys_per_s'], '.2f')}/s"
            f" = {_num(ratio, '.2f')}x",
        )
        probe = now["probe"]
        check(
            "light page p95 < 150 ms while the journeys saturate the CPU",
            probe["p95_ms"] is not None and probe["p95_ms"] < MAX_P95_MS and not probe["errors"],
            f"GET /login/ p95 {_ms(probe['p95_ms'])} ms, {probe.get('pool', 'main')} pool "
            f"(before, one pool: {_ms(before['probe']['p95_ms'])} ms), "
            f"server {now['cpu']['server_cores']:.2f} cores",
        )
    burst = results.get("burst")
    if burst:
        complete = burst["completed"] == burst["registrations"]
        delivered = burst["mail"]["delivered"] == burst["registrations"]
        over = burst["insee"]["answered_429"]
        check(
            f"burst: all {burst['registrations']} complete, 0 over the INSEE quota",
            complete and delivered and over == 0,
            f"{burst['completed']} complete in {burst['duration_s']:.0f} s, "
            f"{burst['mail']['delivered']} mails, {over} INSEE 429",
        )
    return checks


# Printing.


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _num(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_report(report: dict) -> None:
    results = report["results"]
    stack = report["stack"]
    print()
    print(f"Chorus Pro onboarding benchmark, {report['date']}")
    print(
        f"  gunicorn {stack['workers']} x {stack['worker_class']}"
        + (f" ({stack['threads']} threads)" if stack["worker_class"] == "gthread" else "")
        + f", celery concurrency {stack['celery_concurrency']}, {stack['cores']} cores, "
        f"INSEE quota {stack['insee_quota']}/min, our limit {stack['sirene_rate_limit']}/min"
    )
    capacity = results.get("capacity")
    if capacity:
        print()
        print(
            f"Capacity: each GET page alone, {capacity['users']} users without pause, "
            f"{capacity['phase_seconds']:.0f} s each"
        )
        print(
            f"  floor {figures.FLOOR}: {_num(capacity['floor_rps'], '.0f')} req/s "
            f"(first {_num(capacity['floor_first_rps'], '.0f')}, "
            f"last {_num(capacity['floor_last_rps'], '.0f')}). " + _cpu(capacity["cpu"])
        )
        print(f"  {'page':<26}{'req/s':>8}{'x floor':>9}{'p50':>7}{'p95':>7}{'SQL':>5}{'err':>5}")
        for page in capacity["pages"]:
            mark = "PASS" if (page["ratio"] or 0) >= MIN_FLOOR_RATIO else "MISS"
            print(
                f"  {page['page']:<26}{page['rps']:>8.1f}{_percent(page['ratio']):>8} "
                f"{_ms(page['p50_ms']):>6}{_ms(page['p95_ms']):>7}"
                f"{_num(page['sql_max'], 'd'):>5}{page['errors']:>5}  {mark}"
            )
    for name, label in (("latency", "(a)"), ("load", "(b)")):
        scenario = results.get(name)
        if not scenario:
            continue
        print()
        print(
            f"Journeys {label}: {scenario['users']} users for {scenario['duration_s']:.0f} s: "
            f"{scenario['journeys']} journeys, {_num(scenario['journeys_per_s'], '.2f')}/s "
            f"(p50 {_num(scenario['journey_p50_s'])} s each), "
            f"{_num(scenario['requests_per_s'])} req/s, {scenario['errors']['count']} errors"
        )
        print("  " + _cpu(scenario["cpu"]))
        _print_pages(scenario["pages"])
        _print_mail_insee(scenario)
        for message, count in scenario["errors"]["messages"].items():
            print(f"  error x{count}: {message}")
    burst = results.get("burst")
    if burst:
        print()
        print(
            f"Burst (c): {burst['registrations']} registrations (steps 1-3) by "
            f"{burst['users']} users: {burst['completed']} complete in "
            f"{burst['duration_s']:.0f} s (p95 {burst['registration_p95_s']:.2f} s each), "
            f"{burst['errors']['count']} errors"
        )
        print("  " + _cpu(burst["cpu"]))
        _print_pages(burst["pages"])
        _print_mail_insee(burst)
        for message, count in burst["errors"]["messages"].items():
            print(f"  error x{count}: {message}")
    throughput = results.get("throughput")
    if throughput:
        print()
        print(
            "Throughput: whole journeys back to back (no pause), "
            f"{throughput['now']['users']} users, with light-page probes beside them"
        )
        for label, row in (("as configured", throughput["now"]), ("before", throughput["before"])):
            probe = row["probe"]
            print(
                f"  {label:<14} {_num(row['journeys_per_s'], '.2f')} journeys/s "
                f"({row['journeys']} in {row['duration_s']:.0f} s, {row['errors']['count']} "
                f"errors); GET /login/ probe ({probe.get('pool', 'main')} pool) "
                f"p50 {_ms(probe['p50_ms'])} ms, p95 "
                f"{_ms(probe['p95_ms'])} ms; " + _cpu(row["cpu"])
            )
        print(
            f"  ratio {_num(throughput['ratio'], '.2f')}x; before = "
            + ", ".join(f"{k}={v}" for k, v in throughput["before_env"].items())
        )
    peer = results.get("peer")
    if peer:
        print()
        print("Peer: django-allauth's e-mail sign-up, same machine, same services (its loadgen)")
        if "error" in peer:
            print(f"  {peer['error']}")
        for scenario, row in peer.get("scenarios", {}).items():
            print(
                f"  {scenario:<14} {_num(row['rps'], '.1f')} req/s, p95 {_ms(row['p95_ms'])} ms, "
                f"errors {row['errors']}"
            )
        signup = peer.get("scenarios", {}).get("signup", {}).get("rps")
        if throughput and signup:
            print(
                f"  our whole journeys/s {_num(throughput['now']['journeys_per_s'], '.2f')} beside "
                f"its sign-up POST cycles/s {signup:.2f} (a sign-up is 3 requests, our journey 15)"
            )
    print()
    print("Targets")
    for check in report["targets"]:
        mark = {True: "PASS", False: "MISS", None: "n/a "}[check["pass"]]
        print(f"  {mark}  {check['target']:<55} {check['measured']}")
    print()


def _cpu(cpu: dict) -> str:
    return (
        f"CPU: server {cpu['server_cores']:.2f} cores, client {cpu['client_cores']:.2f}; "
        f"machine load average {cpu['load_before']:.1f} -> {cpu['load_after']:.1f}"
    )


def _print_pages(pages: dict) -> None:
    print(
        f"  {'page':<26}{'n':>6}{'req/s':>7}{'p50':>6}{'p95':>6}{'p99':>6}"
        f"{'SQL':>5}{'app50':>6}{'app95':>6}{'db50':>5}{'hash':>6}{'err':>5}"
    )
    for page, row in pages.items():
        share = "" if not row["hash_share"] else f"{row['hash_share']:.0%}"
        print(
            f"  {page:<26}{row['requests']:>6}{_num(row['rps']):>7}{_ms(row['p50_ms']):>6}"
            f"{_ms(row['p95_ms']):>6}{_ms(row['p99_ms']):>6}{_num(row['sql_max'], 'd'):>5}"
            f"{_ms(row['app_p50_ms']):>6}{_ms(row['app_p95_ms']):>6}{_ms(row['db_p50_ms']):>5}"
            f"{share:>6}{row['errors']:>5}"
        )


def _print_mail_insee(scenario: dict) -> None:
    mail, insee, structures = scenario["mail"], scenario["insee"], scenario["structures"]
    print(
        f"  activation mails: {mail['delivered']}/{mail['mails']} at the SMTP sink, commit to "
        f"SMTP p50 {_num(mail['p50_s'], '.2f')} s, p95 {_num(mail['p95_s'], '.2f')} s, "
        f"max {_num(mail['max_s'], '.2f')} s"
    )
    code = scenario.get("code_mail")
    if code:
        print(
            f"  code mails (log-in): {code['delivered']}/{code['mails']} at the SMTP sink, "
            f"commit to SMTP p50 {_num(code['p50_s'], '.2f')} s, "
            f"p95 {_num(code['p95_s'], '.2f')} s, max {_num(code['max_s'], '.2f')} s"
        )
    print(
        f"  INSEE: {insee['calls']} calls, {insee['refused_by_limiter']} refused by our limiter, "
        f"{insee['answered_429']} answered 429 ({insee['limit_in_use_at_start']} of our limit "
        "in use at the start); structures: "
        + ", ".join(f"{state} {count}" for state, count in sorted(structures.items()))
    )


# Main.


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    now = datetime.now()
    date = now.strftime("%Y-%m-%dT%H%M")
    RESULTS.mkdir(exist_ok=True)
    workdir = RESULTS / f"{date}.tmp"  # logs and raw samples, ignored by git
    stack_options = StackOptions(
        database_url=options.database_url,
        cache_url=options.cache_url,
        broker_url=options.broker_url,
        workers=options.workers,
        threads=options.threads,
        worker_class=options.worker_class,
        celery_concurrency=options.celery_concurrency,
        insee_quota=options.insee_quota,
        sirene_rate_limit=options.sirene_rate_limit,
        beat=options.beat,
        wsgi_app="bench.profiled_wsgi:application" if options.profile else "chorus.wsgi",
        graceful_timeout=60 if options.profile else 5,  # time to write the profiles
    )
    stack = Stack(stack_options, workdir)
    signal.signal(signal.SIGTERM, _terminate)
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(
            f"bench: the machine is busy (load average {load:.1f} on {os.cpu_count()} cores): "
            "the figures will be lower and noisier than on a quiet machine",
            flush=True,
        )
    print(f"bench: starting the stack (logs in {workdir})", flush=True)
    try:
        try:
            stack.start()
        except StackError as exc:
            print(f"bench: the stack could not start: {exc}", file=sys.stderr)
            return 1
        print(f"bench: portal on {stack.url}", flush=True)
        results = Bench(options, stack, workdir).run()
    except KeyboardInterrupt:
        print("\nbench: interrupted, stopping everything", file=sys.stderr)
        return 130
    finally:
        stack.stop()

    report = {
        "date": date,
        "options": {key: value for key, value in vars(options).items() if key != "output"},
        "load_average_at_start": load,
        "stack": {
            "cores": os.cpu_count(),
            "workers": options.workers,
            "worker_class": options.worker_class,
            "threads": options.threads,
            "celery_concurrency": options.celery_concurrency,
            "insee_quota": options.insee_quota,
            "sirene_rate_limit": options.sirene_rate_limit,
        },
        "results": results,
    }
    report["targets"] = targets(results)
    print_report(report)
    output = options.output or RESULTS / f"{date}.json"
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"bench: figures written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
