from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from accounts import signals  # noqa: F401  (connects the log-in audit receivers)
        from accounts.services import links, mfa
        from outbox import kinds

        # A mailed link's secret is minted when its mail leaves.
        for kind in links.PURPOSE_OF_KIND:
            kinds.register(
                kind,
                before_send=links.link_mail_sending,
                not_sent=links.link_mail_not_sent,
                newest_only=True,
            )
        # So is the code of a second-step mail.
        kinds.register(
            mfa.EMAIL_CODE_KIND,
            before_send=mfa.email_code_mail_sending,
            not_sent=mfa.email_code_mail_not_sent,
            newest_only=True,
        )
