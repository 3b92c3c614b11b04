"""`manage.py password_hash_cost`: what one password hash costs here, with the configured
Argon2id parameters, and what that buys against someone who stole the hashes."""

import statistics
import time

from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.core.management.base import BaseCommand, CommandError

# An offline attacker's budget for the figures printed (README, "Passwords").
GUESSES = 10**10  # a large dictionary of likely passwords and their variants
CORE_HOUR_EUROS = 0.02  # rented cloud CPU


class Command(BaseCommand):
    help = "Measures the cost of one password hash with the configured Argon2id parameters."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=10, help="hashes measured")
        parser.add_argument(
            "--target-ms",
            type=float,
            default=None,
            help="also say whether one hash stays under this many CPU milliseconds",
        )

    def handle(self, *args, rounds, target_ms, **options):
        hasher = get_hasher("argon2")
        hasher.encode("warm up the allocator", hasher.salt())
        cpu, wall = [], []
        for number in range(max(1, rounds)):
            password = f"Measured password {number}!"
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            encoded = hasher.encode(password, hasher.salt())
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started_wall)
        if not hasher.verify(password, encoded):
            raise CommandError("the hasher does not verify its own hash")
        cpu_s, wall_s = statistics.median(cpu), statistics.median(wall)
        guesses_per_core_s = 1 / cpu_s if cpu_s else float("inf")
        core_hours = GUESSES * cpu_s / 3600
        out = self.stdout.write
        out(
            f"Argon2id: memory {settings.ARGON2_MEMORY_KIB} KiB "
            f"({settings.ARGON2_MEMORY_KIB / 1024:.0f} MiB), {settings.ARGON2_TIME_COST} passes, "
            f"{settings.ARGON2_PARALLELISM} lane(s); at most {settings.ARGON2_CONCURRENT_HASHES} "
            "hash(es) at once per web process"
        )
        out(
            f"one hash: {cpu_s * 1000:.1f} ms of CPU, {wall_s * 1000:.1f} ms wall "
            f"(median of {rounds})"
        )
        out(f"one core hashes {guesses_per_core_s:.0f} passwords a second")
        out(
            f"an attacker trying {GUESSES:.0e} guesses on one stolen hash: {core_hours:,.0f} "
            f"core-hours, about {core_hours * CORE_HOUR_EUROS:,.0f} EUR of rented CPU, and "
            f"{settings.ARGON2_MEMORY_KIB / 1024:.0f} MiB of memory for each guess in flight"
        )
        if target_ms is not None:
            verdict = "within" if cpu_s * 1000 <= target_ms else "OVER"
            out(f"{verdict} the target of {target_ms:.0f} ms of CPU a hash")
