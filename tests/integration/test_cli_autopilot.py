"""`rebalance-bot status|pause|resume [--json]`, and the trigger in stats and history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration.cli_harness import Cli, use_paper_env

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture(autouse=True)
def paper_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    use_paper_env(monkeypatch, tmp_path, db_url)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def test_status_shows_the_mode_pause_strategy_next_check_last_run_and_cap(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOPILOT", "auto")
    monkeypatch.setenv("AUTOPILOT_MAX_TRADE_VALUE", "500")
    monkeypatch.setenv("REBALANCE_TO", "halfway")
    out = cli.ok("status")
    assert "Autopilot: auto" in out
    assert "Paused: no" in out
    assert "Strategy: halfway (REBALANCE_TO)" in out
    assert "Next check: once the bot runs" in out
    assert "Last run: none yet" in out
    assert "Cap per automatic run: 500.00 EUR" in out
    assert "Automatic runs today (UTC): 0 of 4" in out


def test_pause_persists_until_resume(cli: Cli) -> None:
    assert "Autopilot paused" in cli.ok("pause")
    assert "already paused" in cli.ok("pause")
    assert re.search(r"^Paused: yes, since .* UTC", cli.ok("status"), re.MULTILINE)
    assert "Autopilot resumed" in cli.ok("resume")
    assert "was not paused" in cli.ok("resume")
    assert "Paused: no" in cli.ok("status")


def test_json_bodies_are_plain_dicts(cli: Cli) -> None:
    assert json.loads(cli.ok("pause", "--json")) == {"paused": True, "changed": True}
    body = json.loads(cli.ok("status", "--json"))
    assert body["mode"] == "off" and body["paused"] is True and body["paused_by"] == "cli"
    assert body["strategy"] == "target" and body["max_trade_value"] is None
    assert (body["max_runs_per_day"], body["runs_today"], body["last_run"]) == (4, 0, None)
    assert body["next_check_at"] is None
    assert json.loads(cli.ok("resume", "--json")) == {"paused": False, "changed": True}


def test_stats_and_history_show_what_started_each_run(cli: Cli) -> None:
    cli.ok("rebalance", "--yes")
    assert "Started by: manual 1" in cli.ok("stats")
    assert cli.ok("history").splitlines()[0].endswith("(manual)")
    body = json.loads(cli.ok("status", "--json"))
    assert body["last_run"]["trigger"] == "manual"
    assert body["last_run"]["outcome"] == "full"
