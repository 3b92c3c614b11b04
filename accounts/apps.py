from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from accounts import signals  # noqa: F401  (connects the log-in audit receivers)
        from accounts.services import links
        from outbox import kinds

        # A mailed link's lifetime starts when its mail leaves.
        for kind, _template in links.MAIL_KINDS.values():
            kinds.register(kind, after_sent=links.link_mail_sent)
