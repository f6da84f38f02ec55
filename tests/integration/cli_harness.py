"""Runs `rebalance-bot ARGV...` in this process (`bot.cli.main.main`) and collects what it
printed: the harness of the in-process CLI tests."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli.main import main
from core.config import Settings


@dataclass(frozen=True)
class Result:
    """One finished `rebalance-bot` command."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


class Cli:
    """Runs `rebalance-bot ARGV...` in this process and collects what it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: str) -> Result:
        self._capsys.readouterr()  # drop anything printed before the command
        try:
            code = main(list(argv))
        except SystemExit as e:  # argparse refuses its own way
            code = e.code if isinstance(e.code, int) else 1
        out, err = self._capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *argv: str) -> str:
        """stdout of a command that must succeed without a word on stderr."""
        result = self(*argv)
        assert (result.code, result.err) == (0, ""), result
        return result.out


def _settings_env_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def use_paper_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    """Paper mode on the snapshot, a migrated database of its own, no .env, no secrets."""
    monkeypatch.chdir(tmp_path)  # no .env file here
    ours = _settings_env_names()
    for name in list(os.environ):
        upper = name.upper()
        if upper in ours or upper.startswith(("KRAKEN_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRADING_MODE", "paper")
    monkeypatch.setenv("PAPER_MARKET_DATA", "snapshot")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
