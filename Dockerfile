# CMO Portal image: one image for the web (gunicorn), the Celery worker and Celery beat.
# docker-compose.yml picks the process with `command`; the default is the web server.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cmo_portal.settings.production \
    MPLCONFIGDIR=/tmp/matplotlib

# Debian libraries WeasyPrint needs for PDF rendering (Pango, HarfBuzz, a font).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# The unprivileged account every process of the image runs as.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --create-home --home-dir /home/portal \
        --shell /usr/sbin/nologin portal

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root (read-only for the app); see .dockerignore for what is left out.
COPY . .

# Static files (hashed and compressed by whitenoise's manifest storage) are collected at build
# time. The settings only build configuration at import: the secret key is a throwaway that is
# never part of the image's environment, and DATABASE_URL/REDIS_URL point nowhere (nothing
# connects; setting REDIS_URL also keeps base.py from creating its filesystem broker folders).
RUN DJANGO_SECRET_KEY=build-time-only-not-a-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@127.0.0.1:1/build \
    REDIS_URL=redis://127.0.0.1:1/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown portal:portal /app/var

USER portal

EXPOSE 8000

CMD ["gunicorn", "cmo_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
