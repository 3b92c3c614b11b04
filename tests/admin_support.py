"""Helpers of the admin tests."""

from django.contrib.messages import get_messages
from django.forms import CheckboxInput


def log_in(client, email, password):
    """Log in as the admin does: the admin's log-in page leads to the portal's, with its two
    steps (axes and the audit log see them)."""
    from tests.mfa import log_in as log_in_both_steps

    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/login/")
    response = log_in_both_steps(client, email, password, next_url="/admin/")
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


def change_form_data(response) -> dict:
    """The POST data of an admin add or change page as shown: every editable field with its
    current value, and each inline's management form and rows."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {management.add_prefix(name): management[name].value() for name in management.fields}
        )
        forms += inline.formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if field.disabled or value is None:
                continue
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[form.add_prefix(name)] = "on"
                continue
            data[form.add_prefix(name)] = value
    return data
