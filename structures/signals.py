"""What structures announce to the apps above them (which may not be imported from here)."""

from django.dispatch import Signal

# A newcomer at a proven e-mail domain joined without a manager's decision (membership=).
joined_by_domain = Signal()
