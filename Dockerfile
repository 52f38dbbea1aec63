# incidentbot: the Slack bot as a container. Build from the repository root:
#   docker build -t incidentbot .
# Runs as a non-root user; `incidentbot serve` is the entry point (HTTP mode by default).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INCIDENTBOT_LOG_FORMAT=json \
    XDG_DATA_HOME=/data \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /src
COPY pyproject.toml README.md ./
COPY incidentbot ./incidentbot
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin incidentbot \
    && mkdir -p /data \
    && chown 10001:10001 /data

WORKDIR /data
USER 10001:10001
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]

ENTRYPOINT ["incidentbot", "serve"]
CMD ["--http", "--port", "3000"]
