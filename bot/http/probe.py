"""`rebalance-bot healthcheck` when the API is on: ask the running process's /healthz (the
Docker HEALTHCHECK), so the answer covers the server too, not only the database."""

from __future__ import annotations

import httpx

from core.config import Settings

TIMEOUT_S = 5.0
ANY_ADDRESS = {"0.0.0.0", "::", ""}


def healthz_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.api_host in ANY_ADDRESS else settings.api_host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.api_port}/healthz"


def probe(settings: Settings) -> int:
    """0 when /healthz answers 200; 1 otherwise, with the reason in one line."""
    try:
        answer = httpx.get(healthz_url(settings), timeout=TIMEOUT_S)
    except httpx.HTTPError as e:
        print(f"unhealthy: the HTTP API does not answer ({type(e).__name__})", flush=True)
        return 1
    if answer.status_code == 200:
        print("healthy", flush=True)
        return 0
    try:
        reasons = "; ".join(answer.json().get("reasons", [])) or answer.text
    except ValueError:
        reasons = answer.text[:200]
    print(f"unhealthy: {reasons}", flush=True)
    return 1
