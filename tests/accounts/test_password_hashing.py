"""Argon2id with the configured parameters, existing hashes upgraded as people come back, and
a bounded number of hashes at once per process."""

import threading
import time

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher, make_password
from django.core.management import call_command
from django.test import override_settings

from accounts import secret
from accounts.hashers import TimedArgon2PasswordHasher
from tests.factories import ANSWER, PASSWORD, UserFactory
from tests.mail import last_link

DJANGO_DEFAULTS = {"ARGON2_MEMORY_KIB": 102_400, "ARGON2_TIME_COST": 2, "ARGON2_PARALLELISM": 8}


def _parameters(encoded: str) -> tuple[int, int, int]:
    decoded = get_hasher("argon2").decode(encoded)
    return decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]


def test_new_hashes_use_the_configured_parameters(settings):
    """A password set today is hashed with ARGON2_* (OWASP's 19 MiB, 2 passes, 1 lane)."""
    encoded = make_password("Un mot de passe sûr 2026")
    assert encoded.startswith("argon2$argon2id$")
    assert _parameters(encoded) == (19_456, 2, 1)
    assert (settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST) == (19_456, 2)


@pytest.mark.django_db
def test_an_older_hash_is_upgraded_at_the_next_log_in(client):
    """A password hashed with Django's default parameters is rehashed when its owner logs in."""
    with override_settings(**DJANGO_DEFAULTS):
        user = UserFactory(active=True)
    assert _parameters(user.password) == (102_400, 2, 8)
    response = client.post("/login/", {"login-email": user.email, "login-password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert _parameters(user.password) == (19_456, 2, 1)
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_a_wrong_password_upgrades_nothing(client):
    """Only the right password rehashes: a wrong one leaves the stored hash alone."""
    with override_settings(**DJANGO_DEFAULTS):
        user = UserFactory(active=True)
    before = user.password
    client.post("/login/", {"login-email": user.email, "login-password": "Not the password 1"})
    user.refresh_from_db()
    assert user.password == before


@pytest.mark.django_db
def test_an_older_secret_answer_is_upgraded_when_given_right(client):
    """The secret answer's hash follows the parameters too, when the person next gives it."""
    with override_settings(**DJANGO_DEFAULTS):
        user = UserFactory(active=True)
    assert secret.answer_hash_outdated(user.secret_answer_hash)
    client.post("/password/forgot/", {"email": user.email})
    path = last_link(user.email, "/password/reset/").removeprefix("http://127.0.0.1:8000")
    client.get(path)
    new = "Another good one 2026!"
    client.post("/password/reset/", {"answer": ANSWER, "password": new, "confirmation": new})
    user.refresh_from_db()
    assert user.check_password(new)
    assert _parameters(user.secret_answer_hash) == (19_456, 2, 1)
    assert secret.answer_matches(ANSWER, user.secret_answer_hash)


def _peak_concurrency(monkeypatch, hashes: int) -> int:
    """Hashes `hashes` passwords from as many threads; the most seen inside argon2 at once."""
    inside, peak, lock = 0, 0, threading.Lock()
    original = Argon2PasswordHasher.encode

    def slow_encode(self, password, salt):
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        time.sleep(0.05)
        try:
            return original(self, password, salt)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(Argon2PasswordHasher, "encode", slow_encode)
    hasher = TimedArgon2PasswordHasher()
    threads = [
        threading.Thread(target=hasher.encode, args=(f"password {n}", hasher.salt()))
        for n in range(hashes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return peak


def test_one_process_hashes_one_password_at_a_time(monkeypatch, settings):
    """Four log-ins in the threads of one process hash one after the other (the default)."""
    settings.ARGON2_CONCURRENT_HASHES = 1
    assert _peak_concurrency(monkeypatch, 4) == 1


def test_the_bound_follows_the_setting(monkeypatch, settings):
    """ARGON2_CONCURRENT_HASHES=2 lets two hashes run together, never three."""
    settings.ARGON2_CONCURRENT_HASHES = 2
    assert _peak_concurrency(monkeypatch, 6) == 2


def test_the_cost_command_prints_the_parameters_and_the_cost(capsys):
    """`manage.py password_hash_cost` says the parameters, a hash's CPU time, the attack cost."""
    call_command("password_hash_cost", "--rounds", "2", "--target-ms", "10000")
    out = capsys.readouterr().out
    assert "memory 19456 KiB (19 MiB), 2 passes, 1 lane(s)" in out
    assert "ms of CPU" in out and "core-hours" in out
    assert "within the target of 10000 ms" in out
