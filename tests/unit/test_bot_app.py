"""Building and starting the bot: settings checked at start, handlers wired in one place."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram.ext import CallbackQueryHandler, TypeHandler

from bot.telegram import auth
from bot.telegram.app import build_application, run_bot, startup_problem
from tests.unit.test_bot_fakes import bot_settings


def test_a_missing_token_stops_the_start_with_one_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = bot_settings(telegram_bot_token=None)
    assert run_bot(settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN is not set" in err


def test_settings_refuse_a_malformed_allow_list_before_the_bot_starts() -> None:
    from core.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="TELEGRAM_ALLOWED_USERS"):
        load_settings(_env_file=None, telegram_allowed_users="123,abc")


def test_an_empty_allow_list_is_allowed_to_start_and_lets_nobody_in() -> None:
    assert startup_problem(bot_settings(telegram_allowed_users="")) is None


def test_the_bot_talks_to_the_configured_telegram_api_url() -> None:
    app = build_application(bot_settings(telegram_api_url="http://127.0.0.1:9/"))
    assert app.bot.base_url.startswith("http://127.0.0.1:9/bot")
    assert app.bot.base_file_url.startswith("http://127.0.0.1:9/file/bot")


def test_the_auth_gate_runs_first_for_every_update_including_button_presses() -> None:
    app = build_application(bot_settings())
    [gate] = app.handlers[-1]
    assert isinstance(gate, TypeHandler) and gate.type is Update
    assert gate.callback is auth.gate
    assert min(app.handlers) == -1
    assert any(isinstance(h, CallbackQueryHandler) for h in app.handlers[0])


def test_one_error_handler_is_registered() -> None:
    app = build_application(bot_settings())
    assert len(app.error_handlers) == 1
