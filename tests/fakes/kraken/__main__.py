"""``python -m tests.fakes.kraken`` (same as ``python -m tests.fakes.kraken_server``)."""

from .cli import main

main()
