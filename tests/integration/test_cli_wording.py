"""The terminal speaks in `rebalance-bot ...` commands: nothing it prints, output or error,
names a Telegram command. Paper mode on the bundled snapshot, in process (see cli_harness)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.cli_harness import Cli, use_paper_env

pytestmark = pytest.mark.usefixtures("restore_logging")  # see tests/conftest.py

# A slash command as Telegram users type it: "/lock", "/targets BTC=40", not a path or a URL.
TELEGRAM_COMMAND = re.compile(r"(?<![\w/.:~])/[a-z]+\b")


@pytest.fixture(autouse=True)
def paper_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    use_paper_env(monkeypatch, tmp_path, db_url)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def telegram_commands(text: str) -> list[str]:
    return TELEGRAM_COMMAND.findall(text)


def test_an_unknown_asset_to_lock_gets_a_terminal_example(cli: Cli) -> None:
    result = cli("lock", "FOO")
    assert result.code == 1
    assert "FOO is not a Kraken asset tradable against EUR." in result.err
    assert "Example: rebalance-bot lock BTC" in result.err


def test_targets_that_do_not_sum_to_100_get_a_terminal_example(cli: Cli) -> None:
    result = cli("targets", "BTC=70,ETH=20")
    assert result.code == 1
    assert "sum to 90, not 100" in result.err
    assert "Example: rebalance-bot targets BTC=40,ETH=30,SOL=20,ADA=10" in result.err


def test_untradable_targets_get_a_terminal_example(cli: Cli) -> None:
    result = cli("targets", "BTC=50,FOO=50")
    assert "not tradable against EUR on Kraken: FOO." in result.err
    assert "Example: rebalance-bot targets" in result.err


@pytest.mark.parametrize(
    "argv",
    [
        ("check",),
        ("preview",),
        ("rebalance",),
        ("rebalance", "--yes"),
        ("rebalance", "--yes"),  # again: now nothing is due
        ("lock", "FOO"),
        ("lock", "EUR"),
        ("lock", "b-t-c"),
        ("lock", "BTC"),
        ("unlock",),
        ("unlock", "BTC"),
        ("locked",),
        ("targets",),
        ("targets", "BTC=70,ETH=20"),
        ("targets", "BTC=50,FOO=50"),
        ("targets", "garbage"),
        ("stats",),
        ("history",),
        ("history", "-n", "0"),
        ("--help",),
    ],
)
def test_nothing_the_cli_prints_names_a_telegram_command(cli: Cli, argv: tuple[str, ...]) -> None:
    result = cli(*argv)
    assert telegram_commands(result.out + result.err) == [], result
