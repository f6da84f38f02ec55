"""``python -m tests.fakes.kraken_server``: run the fake as a process.

Prints one JSON line ``{"url": ..., "api_key": ..., "api_secret": ...}`` on stdout once the
port is bound, then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from .auth import TEST_API_KEY, TEST_API_SECRET
from .server import FakeKraken


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.kraken_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--tier", choices=["starter", "intermediate", "pro"], default=None)
    parser.add_argument("--api-key", default=TEST_API_KEY)
    parser.add_argument("--api-secret", default=TEST_API_SECRET)
    parser.add_argument("--seed", type=int, default=None, help="seed for order/trade ids")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    kraken = FakeKraken(
        api_key=args.api_key,
        api_secret=args.api_secret,
        host=args.host,
        port=args.port,
        latency=args.latency,
        rate_limit_tier=args.tier,
        seed=args.seed,
    )
    async with kraken:
        line = {"url": kraken.url, "api_key": kraken.api_key, "api_secret": kraken.api_secret}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))
