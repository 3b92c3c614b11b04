"""The e-mail based user model and its manager."""

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.db import IntegrityError, transaction

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_create_user_is_inactive_with_normalised_email():
    """create_user stores the login e-mail trimmed and lower-cased, inactive, no password."""
    user = User.objects.create_user(email="  Claire.Martin@Example.ORG ")
    assert user.email == "claire.martin@example.org"
    assert user.contact_email == "claire.martin@example.org"
    assert not user.is_active and not user.is_staff
    assert not is_password_usable(user.password)


def test_create_user_with_password_hashes_with_argon2():
    """Passwords are hashed with argon2."""
    user = User.objects.create_user(email="a@example.org", password="Factur3s-Publiques!")
    assert user.password.startswith("argon2$")
    assert user.check_password("Factur3s-Publiques!")


def test_create_superuser():
    """create_superuser makes an active staff superuser."""
    user = User.objects.create_superuser(email="Admin@Example.org", password="x")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.email == "admin@example.org"
    with pytest.raises(ValueError):
        User.objects.create_superuser(email="b@example.org", password="x", is_staff=False)


def test_email_is_required():
    """No e-mail, no user."""
    with pytest.raises(ValueError):
        User.objects.create_user(email="")


def test_email_unique_case_insensitively():
    """The same address in other capitals is the same account."""
    User.objects.create_user(email="claire@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="CLAIRE@example.org")
    assert User.objects.count() == 1


def test_database_refuses_case_variants_written_directly():
    """The database itself refuses two addresses differing only by case."""
    User.objects.create_user(email="dup@example.org")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="Dup@Example.org", password="!")])


def test_natural_key_lookup_ignores_case():
    """Logging in with capitals finds the account."""
    user = User.objects.create_user(email="claire@example.org")
    assert User.objects.get_by_natural_key("Claire@EXAMPLE.org") == user


def test_createsuperuser_asks_for_the_email():
    """createsuperuser works with the e-mail as username field."""
    from django.core.management import call_command

    call_command("createsuperuser", "--noinput", "--email", "root@example.org", verbosity=0)
    assert User.objects.get(email="root@example.org").is_superuser
