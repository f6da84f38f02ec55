"""A fake Telegram Bot API server for end-to-end tests of the bot (see ``server.FakeTelegram``)."""

from .html_entities import EntityParseError, parse_html, utf16_length
from .process import main
from .server import DEFAULT_TOKEN, FakeTelegram
from .state import ApiRequest, FakeUser, SentPhoto, UploadedFile
from .validation import ApiError
from .waits import FakeTelegramTimeout

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
