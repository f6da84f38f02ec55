"""409 Conflict from getUpdates: another poller on this bot's token, somewhere else.

PTB's polling loop already backs off by itself on any error from getUpdates (1 s, then
1.5× each time, up to 30 s) and keeps polling; it hands each error to the updater's
`error_callback`, which is `ConflictWatch`. The bot keeps running; at the first 409 of a
spell (none for `quiet_s` before it) one error is logged and the allowed users are told
once (`tell_users`); later 409s of the same spell are logged as warnings only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram.error import Conflict, TelegramError

from bot.telegram import messages
from bot.telegram.jobs import broadcast
from bot.telegram.state import BotApp
from core.logs import get_logger

log = get_logger(__name__)

CONFLICT = "another instance is polling this bot token (409 Conflict)"
QUIET_S = 600.0  # a 409 after this long without one starts a new spell (told again)


class ConflictWatch:
    """The polling loop's error callback (it must not raise): logs, and tells users once."""

    def __init__(
        self,
        on_spell: Callable[[], object],
        quiet_s: float = QUIET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_spell, self.quiet_s, self.clock = on_spell, quiet_s, clock
        self.last: float | None = None

    def __call__(self, error: TelegramError) -> None:
        if not isinstance(error, Conflict):
            log.warning("polling Telegram failed; retrying", error=str(error))
            return
        now, last = self.clock(), self.last
        self.last = now
        if last is not None and now - last < self.quiet_s:
            log.warning(CONFLICT, next="still backing off")
            return
        log.error(CONFLICT, next="backing off and polling again; stop the other instance")
        self.on_spell()


def tell_users(app: BotApp) -> Callable[[], object]:
    """What a new spell of conflicts does: send the allowed users the notice (in a task)."""

    def tell() -> object:
        users = sorted(app.bot_data.config.allowed_users)
        notice = broadcast(app.bot, users, messages.CONFLICT_NOTICE)
        return app.create_task(notice, name="conflict-notice")

    return tell
