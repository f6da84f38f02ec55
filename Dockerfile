# rebalance-bot: slim image, non-root, SQLite on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    DATABASE_URL=sqlite:////data/rebalance.db \
    LOG_FORMAT=json \
    PTB_TIMEDELTA=1

RUN pip install --no-cache-dir "uv==0.13.8" \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin bot \
    && mkdir -p /data && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY core ./core
COPY bot ./bot
COPY alembic ./alembic
RUN uv sync --frozen --no-dev && chown -R root:root /app

USER bot
VOLUME ["/data"]

# Migrations are applied on start by the command itself (and by `rebalance-bot migrate`).
# With API_TOKEN_READ/API_TOKEN_TRADE set, `healthcheck` asks the running API's /healthz.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/app/.venv/bin/rebalance-bot", "healthcheck"]

ENTRYPOINT ["/app/.venv/bin/rebalance-bot"]
CMD ["run"]
