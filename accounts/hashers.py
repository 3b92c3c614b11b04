"""Argon2id with parameters chosen on purpose (settings ARGON2_*), a bounded number of hashes at
once per process, and its time reported to the Server-Timing header when that is on.

Django's defaults (100 MiB, 2 passes, 8 lanes: about 0.28 CPU-second a hash on a 2-core
server) made every page queue behind the few requests that hash. The portal follows OWASP's
password storage figures for Argon2id (19 MiB, 2 passes, 1 lane, the first of its equivalent
settings); the README says what a hash costs here and what it costs an attacker, and
`manage.py password_hash_cost` measures it on an operator's own hardware.

Django rehashes a password whose parameters differ from these at the next successful log-in
(`must_update`), so changing them upgrades existing accounts as people come back.
"""

import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

from common.timing import add_hash_time

_slots: threading.BoundedSemaphore | None = None
_slots_size = 0
_slots_lock = threading.Lock()


def _hash_slots() -> threading.BoundedSemaphore:
    """ARGON2_CONCURRENT_HASHES slots for this process (rebuilt if the setting changes)."""
    global _slots, _slots_size
    size = max(1, settings.ARGON2_CONCURRENT_HASHES)
    with _slots_lock:
        if _slots is None or _slots_size != size:
            _slots, _slots_size = threading.BoundedSemaphore(size), size
        return _slots


@contextmanager
def hash_slot():
    """At most ARGON2_CONCURRENT_HASHES hashes at once in this process; the hash's time goes
    to the Server-Timing header.

    A gunicorn process serves several requests in threads; argon2 releases the GIL, so
    without a bound four log-ins in one process take four cores' worth of hashing while the
    pages that do not hash wait for the CPU. With one slot a process hashes one password at
    a time and its other threads keep answering; the waiting is done by the log-ins."""
    slots = _hash_slots()
    slots.acquire()
    started = time.perf_counter()  # the hash itself, not the wait for a slot
    try:
        yield
    finally:
        add_hash_time(time.perf_counter() - started)
        slots.release()


class TimedArgon2PasswordHasher(Argon2PasswordHasher):
    @property
    def time_cost(self):
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self):
        return settings.ARGON2_MEMORY_KIB

    @property
    def parallelism(self):
        return settings.ARGON2_PARALLELISM

    def encode(self, password, salt):
        with hash_slot():
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with hash_slot():
            return super().verify(password, encoded)
