"""The HTTP server beside the bot, in its event loop: the API (bot/http) and, in webhook
mode, the route Telegram posts updates to (bot/telegram/webhook.py), on one host and port."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from bot.http.app import create_app
from bot.http.server import ApiServer, http_state, serving
from bot.telegram import webhook as webhook_route
from bot.telegram.state import BotApp, Webhook
from core.config import Settings


def http_server(
    settings: Settings, app: BotApp, webhook: Webhook | None
) -> AbstractAsyncContextManager[ApiServer]:
    state = http_state(settings, lambda: app.bot_data.facade)
    if webhook is None:
        return serving(settings, state.api, app=create_app(state))
    routes = [webhook_route.router(app, webhook.path, webhook.secret)]
    served = create_app(state, public_paths=frozenset({webhook.path}), routers=routes)
    return serving(settings, state.api, app=served)
