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

from tests.fakes import fake_telegram
from tests.fakes.fake_telegram import *  # noqa: F403 - the package's public names, listed once there

__all__ = fake_telegram.__all__

if __name__ == "__main__":
    raise SystemExit(fake_telegram.main())
