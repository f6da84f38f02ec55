"""`rebalance-bot rebalance --yes` over a fake Api: the report of an executed plan always
reaches the terminal, whatever happens when the CLI tidies up afterwards."""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from dataclasses import dataclass

import pytest

from bot.cli.main import COMMANDS
from bot.cli.rebalance import EXIT_BY_OUTCOME, Output
from core.domain.statuses import RunOutcome
from core.errors import InputError, StorageError
from tests.unit.test_bot_fakes import FakeFacade

REBALANCE, _ = COMMANDS["rebalance"]
YES = argparse.Namespace(yes=True, force=False)


@dataclass
class CancelFails(FakeFacade):
    """The database refuses the CLI's withdrawal of its plan (a write lock held too long)."""

    def cancel(self, plan_id: str, user_id: str) -> None:
        super().cancel(plan_id, user_id)
        raise StorageError("the database failed (this write was rolled back): locked")


def test_an_executed_plan_is_reported_even_when_the_database_then_fails() -> None:
    app = CancelFails(outcome=RunOutcome.UNKNOWN)
    result = asyncio.run(REBALANCE(app, YES))  # type: ignore[arg-type]
    assert isinstance(result, Output)
    assert result.exit_code == EXIT_BY_OUTCOME[RunOutcome.UNKNOWN] == 5
    assert "nothing was changed" not in result.text.lower()
    assert app.called("cancel") == []  # an executed plan is spent: nothing to withdraw


def test_a_plan_the_cli_could_not_ask_about_is_withdrawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal to say y/N on
    app = FakeFacade()
    with pytest.raises(InputError, match="no terminal"):
        asyncio.run(REBALANCE(app, argparse.Namespace(yes=False, force=False)))  # type: ignore[arg-type]
    assert app.called("cancel") == [("plan-1", "cli")]
    assert app.called("execute") == []
