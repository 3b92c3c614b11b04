import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttles, the INSEE cache and sessions live in the cache: every test starts empty."""
    cache.clear()
    yield
    cache.clear()
