"""The image and the compose files: validated by `docker compose config` where Docker is."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    return result.returncode == 0


needs_compose = pytest.mark.skipif(not _compose_available(), reason="docker compose is absent")


def compose_config(*files: str) -> dict:
    args = ["docker", "compose"]
    for name in files:
        args += ["-f", str(ROOT / name)]
    result = subprocess.run(
        [*args, "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "SECRET_KEY": "compose-config-check"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_compose
def test_compose_file_is_valid_with_health_checks():
    """web, worker and beat each have a health check; the worker shares its counters' folder."""
    services = compose_config("docker-compose.yml")["services"]
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["web"]["environment"]["REDIS_URL"].startswith("redis://redis")


@needs_compose
def test_replicas_override_puts_two_webs_behind_the_proxy():
    """The override runs two web replicas without host ports, the proxy alone publishes one."""
    services = compose_config("docker-compose.yml", "docker-compose.replicas.yml")["services"]
    assert services["web"]["deploy"]["replicas"] == 2
    assert not services["web"].get("ports")
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    assert services["proxy"]["ports"][0]["published"] == "8000"
    assert services["proxy"]["healthcheck"]["test"]


def test_dockerfile_builds_from_the_lock_as_a_non_root_user():
    """The image installs the hashed lock, collects static files at build, runs unprivileged."""
    text = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/base.txt" in text
    assert re.search(r"RUN .*manage\.py collectstatic --noinput", text, re.DOTALL)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*", text, re.MULTILINE)


@needs_compose
def test_pools_override_routes_public_pages_to_a_light_pool():
    """The pools override adds a second web pool behind the proxy, which routes the public GET
    pages to it and everything else to the main pool."""
    services = compose_config("docker-compose.yml", "docker-compose.pools.yml")["services"]
    assert "gunicorn" in " ".join(services["web-light"]["command"])
    assert not services["web"].get("ports") and not services["web-light"].get("ports")
    assert "nginx-pools.conf" in str(services["proxy"]["volumes"])


def test_pools_proxy_sends_only_public_gets_to_the_light_pool():
    """Only GETs of the pages kept for visitors (and static files) go to the light pool: a POST
    to the log-in, which hashes a password, never does."""
    conf = (ROOT / "deploy" / "nginx-pools.conf").read_text()
    routed = re.findall(r'"~\^(GET|POST):([^"]+)"\s+chorus_light;', conf)
    assert {method for method, _path in routed} == {"GET"}
    assert {path for _method, path in routed} >= {"/$", "/login/$", "/help/$", "/password/forgot/$"}
