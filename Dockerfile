# The portal's image, for the web server, the Celery worker and beat alike.
# Dependencies come from the lock only (pinned, with hashes); static files are collected at
# build time; everything runs as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PROMETHEUS_MULTIPROC_DIR=/app/var/metrics

WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/base.txt

COPY . .
# Build-time values only: nothing here is used at run time, where the environment decides.
RUN pip install --no-cache-dir --no-deps . \
 && DEBUG=true python manage.py compilemessages --ignore '.venv/*' \
 && SECRET_KEY=collectstatic-at-build EMAIL_URL=consolemail:// \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput \
 && rm -f /tmp/build.sqlite3

RUN useradd --create-home --uid 10001 chorus \
 && mkdir -p /app/var/metrics /app/var/beat \
 && chown -R chorus /app/var
USER chorus

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --retries=10 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status == 200 else 1)"]
CMD ["gunicorn", "chorus.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
