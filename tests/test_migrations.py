"""Moving the outbox and the audit log out of accounts keeps every row of a live database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The schema before the outbox and audit apps existed.
BEFORE = [
    ("accounts", "0001_initial"),
    ("outbox", None),
    ("audit", None),
    ("structures", "0001_initial"),
    ("workareas", "0002_seed_catalogue"),
    ("helpdesk", "0001_initial"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    nodes = [target for target in targets if target[1] is not None]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_database_filled_before_the_move_keeps_registrations_mails_and_audit_events():
    """Registrations, mails (with the link each one carries) and audit events written at the
    previous schema are all found, with their content, after migrating to the new one."""
    try:
        old = _migrate(BEFORE)
        User = old.get_model("accounts", "User")
        OneTimeToken = old.get_model("accounts", "OneTimeToken")
        OldEmail = old.get_model("accounts", "OutgoingEmail")
        OldEvent = old.get_model("accounts", "AuditEvent")
        Structure = old.get_model("structures", "Structure")
        Membership = old.get_model("structures", "Membership")
        ContentType = old.get_model("contenttypes", "ContentType")
        ContentType.objects.get_or_create(app_label="accounts", model="outgoingemail")

        now = timezone.now()
        user = User.objects.create(email="claire@example.org", password="!", is_active=False)
        structure = Structure.objects.create(
            siret="52601815590833", siren="526018155", name="Ateliers du Pont Neuf"
        )
        membership = Membership.objects.create(
            user=user, structure=structure, role="primary_manager", status="awaiting_activation"
        )
        token = OneTimeToken.objects.create(
            user=user,
            purpose="activation",
            token_hash="a" * 64,
            expires_at=now,
        )
        mail = OldEmail.objects.create(
            kind="activation",
            to=user.email,
            subject="Activate your account",
            body_text="Open /activate/secret/",
            status="sent",
            sent_at=now,
            user=user,
            token=token,
            message_id="<1@chorus-pro.local>",
        )
        plain_mail = OldEmail.objects.create(
            kind="help_ack", to="someone@example.org", subject="Thanks", body_text="Hello"
        )
        event = OldEvent.objects.create(
            kind="registration", user=user, email=user.email, detail={"siret": structure.siret}
        )
    finally:
        _migrate(_latest())

    from accounts.models import OneTimeToken as NewToken
    from accounts.models import User as NewUser
    from audit.models import AuditEvent
    from outbox.models import OutgoingEmail
    from structures.models import Membership as NewMembership

    assert NewUser.objects.get(pk=user.pk).email == "claire@example.org"
    assert NewMembership.objects.get(pk=membership.pk).structure_id == structure.pk
    moved = OutgoingEmail.objects.get(pk=mail.pk)
    assert (moved.kind, moved.to, moved.status, moved.user_id, moved.message_id) == (
        "activation",
        "claire@example.org",
        "sent",
        user.pk,
        "<1@chorus-pro.local>",
    )
    assert moved.body_text == "Open /activate/secret/"
    assert NewToken.objects.get(pk=token.pk).mail_id == mail.pk
    assert OutgoingEmail.objects.get(pk=plain_mail.pk).subject == "Thanks"
    moved_event = AuditEvent.objects.get(pk=event.pk)
    assert (moved_event.kind, moved_event.user_id, moved_event.detail) == (
        "registration",
        user.pk,
        {"siret": "52601815590833"},
    )
    from django.contrib.contenttypes.models import ContentType as NewContentType

    assert NewContentType.objects.filter(app_label="outbox", model="outgoingemail").exists()
    assert not NewContentType.objects.filter(app_label="accounts", model="outgoingemail").exists()


def test_make_run_default_database_migrates_from_scratch(tmp_path):
    """The embedded default of `make run` (SQLite, which rebuilds tables on most schema
    changes) migrates from an empty file to the latest schema."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EMAIL_URL")}
    env.update(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
