"""The portal's settings, plus the benchmark's floor (bench_urls): the stack runs with these."""

from chorus.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
