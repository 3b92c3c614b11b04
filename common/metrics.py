"""The portal's own Prometheus counters (django-prometheus adds the request metrics).

Counted where things happen, in whatever process they happen: web processes, Celery workers.
With PROMETHEUS_MULTIPROC_DIR set to a folder they all share, the `/metrics` page adds up every
process's counts (prometheus_client's multiprocess mode). Figures read from the database
(mails waiting, structures awaiting verification, the INSEE quota left) are gauges computed
when `/metrics` is read (chorus.metrics).
"""

from prometheus_client import Counter

REGISTRATIONS_STARTED = Counter(
    "chorus_registrations_started",
    "Step 1 passed: a registration started (the establishment was found).",
)
# Registrations completed, activations, log-ins, their failures, second-factor failures,
# lock-outs: every audited event, by kind (audit.services.record).
AUDIT_EVENTS = Counter(
    "chorus_audit_events", "Audited events, by kind (audit.models.AuditEvent.Kind).", ["kind"]
)
MAILS = Counter(
    "chorus_mails",
    "Outbox mails: queued, sent, retried (an attempt refused, another planned), failed (for "
    "good), superseded (replaced before leaving).",
    ["event"],
)
INSEE = Counter(
    "chorus_insee",
    "INSEE Sirene client: lookups, mirror_hits (answered by the local mirror), cache_hits, "
    "requests (sent to INSEE), retries, "
    "rate_limited (refused by our own limiter), too_many_requests (429 from INSEE), found, "
    "not_found, not_public, unavailable.",
    ["event"],
)
