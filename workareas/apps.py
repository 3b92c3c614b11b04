from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkareasConfig(AppConfig):
    name = "workareas"
    verbose_name = _("Work areas")
