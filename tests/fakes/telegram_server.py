"""A fake Telegram Bot API server for end-to-end tests.

In-process::

    async with FakeTelegram(token="123:ABC") as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url)
              .base_file_url(tg.base_file_url).build()

As a process: ``python -m tests.fakes.telegram_server --port 0 --token T`` prints one JSON line
``{"url": ...}`` and serves until SIGTERM; drive it through ``/_control/...`` (see
``tests.fakes.fake_telegram.control``).

The code lives in the ``tests.fakes.fake_telegram`` package (not ``.../telegram``, which would
shadow python-telegram-bot for anything run with ``tests/fakes`` on ``sys.path``).
"""

from tests.fakes.fake_telegram import (
    DEFAULT_TOKEN,
    ApiError,
    ApiRequest,
    EntityParseError,
    FakeTelegram,
    FakeTelegramTimeout,
    FakeUser,
    SentPhoto,
    UploadedFile,
    main,
    parse_html,
    utf16_length,
)

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "ApiRequest",
    "EntityParseError",
    "FakeTelegram",
    "FakeTelegramTimeout",
    "FakeUser",
    "SentPhoto",
    "UploadedFile",
    "main",
    "parse_html",
    "utf16_length",
]

if __name__ == "__main__":
    raise SystemExit(main())
