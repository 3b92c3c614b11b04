import pytest


@pytest.fixture
def admin_client(client, admin_user):
    """A client logged in as a superuser through the real admin login form.

    pytest-django's own admin_client uses force_login, whose request has no REMOTE_ADDR:
    django-axes then logs the IP "unknown" and PostgreSQL refuses it (see the report).
    """
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin_user.email, "password": "password"},
    )
    assert response.status_code == 302, "the admin login failed"
    return client
