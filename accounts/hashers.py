"""Argon2, timed for the Server-Timing header when it is on (same algorithm, same hashes)."""

import time

from django.contrib.auth.hashers import Argon2PasswordHasher

from common.timing import add_hash_time


class TimedArgon2PasswordHasher(Argon2PasswordHasher):
    def encode(self, password, salt):
        started = time.perf_counter()
        try:
            return super().encode(password, salt)
        finally:
            add_hash_time(time.perf_counter() - started)

    def verify(self, password, encoded):
        started = time.perf_counter()
        try:
            return super().verify(password, encoded)
        finally:
            add_hash_time(time.perf_counter() - started)
