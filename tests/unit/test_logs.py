from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
import structlog

from core.logs import NOISY_LOGGERS, LogFormat, configure_logging, get_logger

KEY = "kraken-key-0123456789abcdef"
SECRET = "c3VwZXItc2VjcmV0+/LXByaXZhdGU="  # base64, with characters URLs and JSON escape
TOKEN = "123456789:AAE-secret_bot_token_value"
SECRETS = (KEY, SECRET, TOKEN)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


pytestmark = pytest.mark.usefixtures("restore_logging")  # see tests/conftest.py


def configured(fmt: LogFormat = "json", level: str = "INFO") -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level, fmt, SECRETS, stream=stream)
    return stream


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def log_everything_that_might_leak() -> None:
    log = get_logger("core.exchange")
    log.info("calling %s", f"https://api.kraken.com/0/private/Balance?key={KEY}")
    log.info("request", url=f"https://api.telegram.org/bot{TOKEN}/getMe", note=f"s={SECRET}")
    log.info("nested", data={"headers": {"API-Key": KEY, "API-Sign": "sig"}, "ids": [SECRET]})
    log.info("encoded", query=f"secret={quote(SECRET, safe='')}", obj=ValueError(KEY))
    logging.getLogger("httpx").warning("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    logging.getLogger("telegram.ext").error("token %s refused", TOKEN)
    try:
        raise RuntimeError(f"auth failed for {KEY} with {SECRET}")
    except RuntimeError:
        log.exception("structlog traceback")
        logging.getLogger("ccxt.base.exchange").exception("stdlib traceback")


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_secrets_never_appear_in_any_log_line(fmt: LogFormat) -> None:
    stream = configured(fmt)

    log_everything_that_might_leak()

    output = stream.getvalue()
    assert "auth failed for *** with ***" in output
    assert "bot***/getMe" in output
    for secret in SECRETS:
        assert secret not in output
        assert quote(secret, safe="") not in output
        assert json.dumps(secret)[1:-1] not in output


def test_secrets_are_redacted_on_stderr_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console", SECRETS)

    log_everything_that_might_leak()

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "structlog traceback" in captured.err
    for secret in SECRETS:
        assert secret not in captured.err


def test_values_under_sensitive_key_names_are_hidden() -> None:
    stream = configured()

    get_logger("t").info(
        "keys", password="hunter2", authorization="Bearer x", api_key="k", token="t", ok="fine"
    )

    [line] = json_lines(stream)
    assert line["password"] == line["authorization"] == line["api_key"] == line["token"] == "***"
    assert line["ok"] == "fine"


def test_json_mode_writes_one_parseable_object_per_line_with_an_iso_utc_timestamp() -> None:
    stream = configured("json")

    get_logger("core.planner").info("planned", orders=3)
    logging.getLogger("sqlalchemy.pool").warning("pool %s", "busy")

    first, second = json_lines(stream)
    assert first["event"] == "planned"
    assert (first["level"], first["logger"], first["orders"]) == ("info", "core.planner", 3)
    assert (second["event"], second["logger"]) == ("pool busy", "sqlalchemy.pool")
    stamp = datetime.fromisoformat(str(first["timestamp"]).replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0)


def test_json_mode_renders_exceptions_as_text() -> None:
    stream = configured("json")

    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        get_logger("t").exception("failed")

    [line] = json_lines(stream)
    assert "ZeroDivisionError" in str(line["exception"])


def test_auto_mode_writes_json_when_not_on_a_terminal() -> None:
    stream = configured("auto")

    get_logger("t").info("hello")

    assert json_lines(stream)[0]["event"] == "hello"


def test_auto_mode_writes_plain_console_text_on_a_terminal() -> None:
    stream = Terminal()
    configure_logging("INFO", "auto", stream=stream)

    get_logger("t").info("hello", user_id=7)

    line = stream.getvalue()
    assert "hello" in line
    assert "user_id=7" in line
    assert "\x1b[" not in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_bound_contextvars_appear_in_structlog_and_stdlib_lines() -> None:
    stream = configured()
    structlog.contextvars.bind_contextvars(user_id=42, command="/rebalance", plan_id="p-1")

    get_logger("bot.telegram.handlers").info("command received")
    logging.getLogger("telegram").info("sent reply")

    for line in json_lines(stream):
        assert (line["user_id"], line["command"], line["plan_id"]) == (42, "/rebalance", "p-1")


def test_noisy_libraries_log_only_warnings_unless_debug() -> None:
    stream = configured(level="INFO")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).info("chatter")
        logging.getLogger(name).warning("problem")
    logging.getLogger("aiohttp.client").info("useful")

    events = [(line["logger"], line["event"]) for line in json_lines(stream)]
    assert events == [(name, "problem") for name in NOISY_LOGGERS] + [("aiohttp.client", "useful")]

    stream = configured(level="DEBUG")
    logging.getLogger("httpx").debug("chatter")
    assert json_lines(stream)[0]["event"] == "chatter"


def test_the_level_filters_structlog_and_stdlib_alike() -> None:
    stream = configured(level="warning")

    get_logger("t").info("hidden")
    logging.getLogger("ccxt").info("hidden too")
    get_logger("t").warning("shown")

    assert [line["event"] for line in json_lines(stream)] == ["shown"]


def test_configuring_twice_is_safe_and_logs_each_line_once() -> None:
    configured()
    stream = configured()

    get_logger("t").info("once")

    assert len(json_lines(stream)) == 1
    ours = [h for h in logging.getLogger().handlers if type(h).__module__ == "core.logs"]
    assert len(ours) == 1


def test_a_logger_made_before_configuration_follows_the_later_set_up() -> None:
    log = get_logger("early")
    stream = configured()

    log.info("late", token=TOKEN)

    [line] = json_lines(stream)
    assert (line["event"], line["logger"], line["token"]) == ("late", "early", "***")


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        configure_logging("LOUD", "json")
