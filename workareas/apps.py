from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkareasConfig(AppConfig):
    name = "workareas"
    verbose_name = _("Work areas")

    def ready(self):
        from structures.signals import joined_by_domain
        from workareas.rights import domain_joiner_rights_narrowed

        joined_by_domain.connect(domain_joiner_rights_narrowed, dispatch_uid="domain-joiner-rights")
