"""A Kraken-compatible fake REST server (see ``tests/fakes/kraken_server.py`` for the guide)."""

from .app import RequestRecord
from .auth import TEST_API_KEY, TEST_API_SECRET, sign
from .orders import Order
from .server import FakeKraken
from .tickers import Quote

__all__ = [
    "TEST_API_KEY",
    "TEST_API_SECRET",
    "FakeKraken",
    "Order",
    "Quote",
    "RequestRecord",
    "sign",
]
