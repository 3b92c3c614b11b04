"""Stop `make test` at once, with the command to run, when PostgreSQL or Redis does not answer."""

import os
import sys
from urllib.parse import urlsplit

import psycopg
import redis

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/chorus"
DEFAULT_REDIS = "redis://127.0.0.1:6379/1"


def main() -> int:
    problems = []
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if db_url.startswith("postgres"):
        parts = urlsplit(db_url)
        # Connect to the maintenance database: the test database is created by the tests.
        maintenance = parts._replace(path="/postgres").geturl()
        try:
            psycopg.connect(maintenance, connect_timeout=3).close()
        except Exception as exc:
            problems.append(
                f"PostgreSQL does not answer at {parts.hostname}:{parts.port or 5432} ({exc}).\n"
                "  Start it with: pg_ctlcluster --skip-systemctl-redirect "
                "$(ls /etc/postgresql) main start"
            )
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:
        problems.append(
            f"Redis does not answer at {redis_url} ({exc}).\n"
            '  Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
            "--appendonly no"
        )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
