"""Helpers of the admin tests."""

from django.contrib.messages import get_messages


def log_in(client, email, password):
    """Log in through the real admin login form (axes and the audit log see it)."""
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": password})
    assert response.status_code == 302, "the admin login failed"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, url, action, objects):
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects]})


def listed(response, model=None) -> set:
    """The primary keys on the changelist page (of one model when given)."""
    return {
        obj.pk
        for obj in response.context["cl"].result_list
        if model is None or isinstance(obj, model)
    }
