import pytest
from django.core.cache import cache

from tests.factories import MembershipFactory


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Pages are rendered with the production storage (hashed names from the manifest)."""
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttles, the INSEE cache and sessions live in the cache: every test starts empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def manager(db):
    """An active primary manager of a verified structure."""
    return MembershipFactory(primary_manager=True)


@pytest.fixture
def logged_in_manager(client, manager):
    client.force_login(manager.user)
    return manager
