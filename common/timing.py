"""Server-Timing header: where a request's time went (SQL, password hashing), for the benchmark.

Turned on by SERVER_TIMING=true; off, nothing is wrapped or measured.
"""

import contextvars
import time

from django.db import connection

_hash_seconds: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "hash_seconds", default=None
)


def add_hash_time(seconds: float) -> None:
    bucket = _hash_seconds.get()
    if bucket is not None:
        bucket.append(seconds)


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = []

        def count(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append(time.perf_counter() - started)

        hashes: list[float] = []
        token = _hash_seconds.set(hashes)
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(count):
                response = self.get_response(request)
        finally:
            _hash_seconds.reset(token)
        total = time.perf_counter() - started
        response["Server-Timing"] = ", ".join(
            [
                f"app;dur={total * 1000:.2f}",
                f'db;dur={sum(queries) * 1000:.2f};desc="{len(queries)} queries"',
                f"hash;dur={sum(hashes) * 1000:.2f}",
            ]
        )
        response["X-SQL-Queries"] = str(len(queries))
        return response
