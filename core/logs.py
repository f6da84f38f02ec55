"""structlog set-up: call `configure_logging()` once at start, then `get_logger(__name__)`.

Every line, from structlog or from a stdlib logger (ccxt, httpx, telegram, sqlalchemy,
aiohttp, apscheduler), goes through one `ProcessorFormatter` on the root logger's handler:
JSON lines when stderr is not a terminal, plain console text when it is. Registered secrets
are replaced by `***` in every value, in formatted tracebacks and in the final line.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TextIO
from urllib.parse import quote

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["auto", "json", "console"]

REDACTED = "***"
NOISY_LOGGERS = ("httpx", "sqlalchemy.engine", "apscheduler", "alembic")
_SENSITIVE_KEY_PARTS = (
    "apikey",
    "api_key",
    "api_sign",
    "secret",
    "token",
    "password",
    "passphrase",
    "authorization",
)


def _is_sensitive_key(key: object) -> bool:
    name = str(key).lower().replace("-", "_")
    return any(part in name for part in _SENSITIVE_KEY_PARTS)


def _variants(secret: str) -> set[str]:
    """The secret as written, URL-encoded and JSON-escaped: the forms a log line may hold."""
    return {secret, quote(secret, safe=""), quote(secret), json.dumps(secret)[1:-1]}


class Redactor:
    """Replaces registered secret strings, and values under sensitive keys, with `***`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for secret in secrets if secret for form in _variants(secret)}
        self._secrets = sorted(forms, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def value(self, value: Any) -> Any:
        """A copy of `value` with secrets scrubbed, recursing into mappings and sequences."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {
                k: REDACTED if _is_sensitive_key(k) else self.value(v) for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item) for item in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        text = str(value)
        scrubbed = self.scrub(text)
        return value if scrubbed == text else scrubbed

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        """The structlog processor: scrub every value, hide every sensitive key's value."""
        return {
            key: REDACTED if _is_sensitive_key(key) else self.value(value)
            for key, value in event_dict.items()
        }


class _RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """A `ProcessorFormatter` that scrubs the finished line too, whatever the renderer did."""

    def __init__(self, redactor: Redactor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.scrub(super().format(record))


class _Handler(logging.StreamHandler[TextIO]):
    """The one handler this module installs on the root logger (found again by its type)."""


def _shared_processors() -> list[Processor]:
    """Steps common to structlog and stdlib records, before exceptions are rendered."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def _renderer(fmt: LogFormat, stream: TextIO) -> Processor:
    as_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    if as_json:
        return structlog.processors.JSONRenderer(default=str)
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


def _formatter(fmt: LogFormat, stream: TextIO, redactor: Redactor) -> logging.Formatter:
    return _RedactingFormatter(
        redactor,
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,
            _renderer(fmt, stream),
        ],
    )


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.strip().upper())
    if number is None:
        raise ValueError(f"unknown log level {level!r}; use DEBUG, INFO, WARNING or ERROR")
    return number


def _install_handler(handler: logging.Handler, level: int) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    noisy_level = logging.NOTSET if level <= logging.DEBUG else logging.WARNING
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(noisy_level)


def configure_logging(
    level: str,
    fmt: LogFormat,
    secrets: Iterable[str] = (),
    *,
    stream: TextIO | None = None,
) -> None:
    """Send all logs to `stream` (stderr by default) with `secrets` redacted; safe to repeat."""
    target = stream if stream is not None else sys.stderr
    redactor = Redactor(secrets)
    handler = _Handler(target)
    handler.setFormatter(_formatter(fmt, target, redactor))
    _install_handler(handler, _level_number(level))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger named `name` (usually `__name__`) that follows the current set-up."""
    return structlog.stdlib.get_logger(name)
