"""Run the fake as its own process: ``python -m tests.fakes.telegram_server --port 0``.

Prints one JSON line ``{"url", "token", "base_url", "base_file_url"}`` once it listens, then
serves until SIGTERM or SIGINT. Drive it through the ``/_control`` routes (see ``control``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from .server import DEFAULT_TOKEN, FakeTelegram


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--lenient-ampersand",
        action="store_true",
        help="keep a bare '&' in HTML literally, as Telegram does, instead of rejecting it",
    )
    args = parser.parse_args(argv)
    asyncio.run(_serve(args))
    return 0


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(
        args.token, host=args.host, port=args.port, strict_ampersand=not args.lenient_ampersand
    )
    async with fake:
        announcement = {
            "url": fake.url,
            "token": fake.token,
            "base_url": fake.base_url,
            "base_file_url": fake.base_file_url,
        }
        sys.stdout.write(json.dumps(announcement) + "\n")
        sys.stdout.flush()
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
