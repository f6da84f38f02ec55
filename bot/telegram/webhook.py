"""Webhook mode: Telegram POSTs updates to TELEGRAM_WEBHOOK_URL (through the owner's TLS
proxy) and they arrive here, on the HTTP API's server and port. A request without the right
`X-Telegram-Bot-Api-Secret-Token` header (TELEGRAM_WEBHOOK_SECRET, compared in constant
time) is refused with 403 and never reaches the bot."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.telegram.state import BotApp
from core.logs import get_logger
from telegram import Update

log = get_logger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def router(app: BotApp, path: str, secret: str) -> APIRouter:
    """The one route Telegram posts to: checks the secret, queues the update for the bot."""
    found = APIRouter()
    expected = secret.encode()

    @found.post(path, include_in_schema=False, response_model=None)
    async def telegram_update(request: Request) -> dict[str, Any] | JSONResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(expected, given):
            log.warning("webhook request without the right secret token refused")
            return _error(403, "forbidden", f"wrong or missing {SECRET_HEADER}")
        try:
            update = Update.de_json(await request.json(), app.bot)
        except (ValueError, TypeError, KeyError):
            return _error(422, "bad_body", "the body is not a Telegram Update")
        await app.update_queue.put(update)
        return {"ok": True}

    return found


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
