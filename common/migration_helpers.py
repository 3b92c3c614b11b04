"""Operations the migrations of several apps share."""

from django.db import migrations


def content_type_moved(model: str, *, from_app: str, to_app: str) -> migrations.RunPython:
    """The content type (and so the permissions granted on it) follows a model that moved to
    another app, both ways."""

    def move(source: str, target: str):
        def run(apps, schema_editor):
            ContentType = apps.get_model("contenttypes", "ContentType")
            if not ContentType.objects.filter(app_label=target, model=model).exists():
                ContentType.objects.filter(app_label=source, model=model).update(app_label=target)

        return run

    return migrations.RunPython(move(from_app, to_app), move(to_app, from_app))
