"""`rebalance-bot` end to end, in-process: `bot.cli.main.main(argv)` on a real SQLite file in
`tmp_path`, paper mode on the bundled market snapshot (no network), reading stdout, stderr
and the exit code. Nothing is mocked; the only stand-in is stdin, which is not a terminal.

The snapshot account is the README's worked example: 0.5 BTC, 2 ETH, 20 SOL, 1000 ADA at
40,000 / 2,500 / 100 / 0.5 EUR against 40/30/20/10, so a rebalance is due (BTC +32.7 pp).
"""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.app.rebalancer import HEARTBEAT_KEY
from core.bootstrap import open_rebalancer, utc_now
from core.config import Settings
from core.store.db import SCHEMA_HEAD, current_revision, make_engine
from core.store.repo import Store
from tests.integration.cli_harness import Cli, Result, use_paper_env

DEFAULT_TARGETS = {"BTC": "40.00%", "ETH": "30.00%", "SOL": "20.00%", "ADA": "10.00%"}


@pytest.fixture(autouse=True)
def paper_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    use_paper_env(monkeypatch, tmp_path, db_url)


pytestmark = pytest.mark.usefixtures("restore_logging")  # see tests/conftest.py


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATABASE_URL pointing at a file that does not exist yet (no migrations, no targets)."""
    path = tmp_path / "db.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path


def row(out: str, *cells: str) -> bool:
    """Whether some line of a table holds `cells` in order, separated by blanks only."""
    pattern = r"^\s*" + r"\s+".join(re.escape(c) for c in cells) + r"(\s|$)"
    return re.search(pattern, out, re.MULTILINE) is not None


def order_amount(out: str, side: str, asset: str) -> Decimal:
    """The amount in the preview's order row for `side` `asset`."""
    found = re.search(rf"^{side}\s+{asset}\s+([\d.]+)\s", out, re.MULTILINE)
    assert found is not None, f"no {side} {asset} order in:\n{out}"
    return Decimal(found.group(1))


def plan_statuses(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [status for (status,) in connection.execute("SELECT status FROM plans")]


def runs_in_history(cli: Cli) -> int:
    return len(re.findall(r"^#\d+ ", cli.ok("history", "50"), re.MULTILINE))


def database_path(tmp_path: Path) -> Path:
    return tmp_path / "rebalance.db"  # where conftest's `db_url` put the migrated copy


def assert_one_line_without_traceback(result: Result) -> str:
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    return result.err_lines[0]


# -- preview and check ----------------------------------------------------------------------


def test_preview_prints_the_worked_example_and_exits_0(cli: Cli) -> None:
    out = cli.ok("preview")

    assert "Rebalance preview (paper mode)" in out
    assert "Market data: bundled snapshot of 2026-01-12" in out
    assert "(not live)" in out
    assert "Total value: 27,500.00 EUR" in out
    assert order_amount(out, "SELL", "BTC") == Decimal("0.225")
    assert Decimal("1.28") < order_amount(out, "BUY", "ETH") < Decimal("1.30")
    assert Decimal("34.6") < order_amount(out, "BUY", "SOL") < Decimal("34.8")
    assert Decimal(4450) < order_amount(out, "BUY", "ADA") < Decimal(4470)
    first_buy = out.index("BUY ")
    assert out.index("SELL ") < first_buy, "sells come first"
    assert "Skipped" in out
    assert "1 sell(s), 3 buy(s)" in out
    assert "estimated fees" in out


def test_preview_places_nothing(cli: Cli) -> None:
    cli.ok("preview")

    assert cli.ok("history") == "No rebalances yet.\n"
    assert "Rebalance due: yes." in cli.ok("check")


def test_check_prints_weights_targets_and_drift_and_says_a_rebalance_is_due(cli: Cli) -> None:
    out = cli.ok("check")

    assert "Portfolio check (paper mode)" in out
    assert "Market data: bundled snapshot of 2026-01-12" in out
    assert row(out, "Asset", "Amount", "Price", "Value", "Weight", "Target", "Drift")
    assert row(out, "BTC", "0.5", "40,000.00", "20,000.00", "72.7%", "40.0%", "+32.7 pp")
    assert row(out, "ETH", "2", "2,500.00", "5,000.00", "18.2%", "30.0%", "-11.8 pp")
    assert row(out, "SOL", "20", "100.00", "2,000.00", "7.3%", "20.0%", "-12.7 pp")
    assert row(out, "ADA", "1000", "0.5", "500.00", "1.8%", "10.0%", "-8.2 pp")
    assert "Rebalance due: yes. BTC is +32.7 pp off its target (band ±5.0 pp)." in out
    assert "Orders" not in out


# -- rebalance -----------------------------------------------------------------------------


def test_rebalance_yes_executes_the_plan_and_prints_the_report(cli: Cli) -> None:
    out = cli.ok("rebalance", "--yes")

    assert "Rebalance preview (paper mode)" in out, "the plan is shown before it runs"
    assert "  SELL BTC: filled" in out, "each order is reported as it ends"
    assert "Rebalance full" in out
    assert row(out, "SELL", "BTC", "0.225", "0.225")
    assert "Totals: 4 filled, 0 failed, 0 skipped" in out
    assert "Drift before: 32.7 pp; after: 0.1 pp." in out
    assert "Rebalance due: no." in cli.ok("check")
    assert runs_in_history(cli) == 1


def test_a_second_rebalance_inside_the_cooldown_is_refused_with_one_line_and_exit_1(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("rebalance", "--yes")
    cli.ok("targets", "BTC=50,ETH=50")  # a rebalance is due again, well inside the hour

    result = cli("rebalance", "--yes")

    assert result.code == 1
    line = assert_one_line_without_traceback(result)
    assert line.startswith("rebalance-bot: The last rebalance ran at ")
    assert "cooldown (REBALANCE_COOLDOWN_MINUTES=60)" in line
    assert "Nothing was placed." in line
    assert result.out == "", "a plan that could never be confirmed is not shown"
    assert runs_in_history(cli) == 1
    assert "pending" not in plan_statuses(database_path(tmp_path))


def test_force_does_not_get_past_the_cooldown(cli: Cli) -> None:
    cli.ok("rebalance", "--yes")

    result = cli("rebalance", "--yes", "--force")

    assert result.code == 1
    assert "cooldown" in assert_one_line_without_traceback(result)
    assert runs_in_history(cli) == 1


def test_rebalance_yes_places_nothing_when_no_rebalance_is_due_and_force_trades(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCE_COOLDOWN_MINUTES", "0")
    cli.ok("rebalance", "--yes")

    in_band = cli.ok("rebalance", "--yes")

    assert "Rebalance due: no." in in_band
    assert "No rebalance is due" in in_band
    assert "nothing was placed" in in_band
    assert "--force" in in_band
    assert "Rebalance full" not in in_band
    assert runs_in_history(cli) == 1

    forced = cli.ok("rebalance", "--yes", "--force")

    assert "Rebalance full" in forced
    assert runs_in_history(cli) == 2
    latest = cli.ok("history", "1")
    assert latest.startswith("#2 ")
    assert "#1 " not in latest


def test_rebalance_without_a_terminal_and_without_yes_refuses_and_leaves_no_pending_plan(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # piped, so never a confirmation

    result = cli("rebalance")

    assert result.code == 1
    line = assert_one_line_without_traceback(result)
    assert line == "rebalance-bot: no terminal to confirm on: run `rebalance-bot rebalance --yes`"
    assert "Rebalance preview (paper mode)" in result.out
    assert "Rebalance full" not in result.out
    assert plan_statuses(database_path(tmp_path)) == ["cancelled"]
    assert cli.ok("history") == "No rebalances yet.\n"
    assert "Rebalance full" in cli.ok("rebalance", "--yes")


# -- locks ---------------------------------------------------------------------------------


def test_lock_takes_any_case_and_locking_again_says_it_was_already_locked(cli: Cli) -> None:
    assert cli.ok("lock", "btc") == "BTC locked.\n"
    assert cli.ok("lock", "BTC") == "BTC was already locked.\n"

    out = cli.ok("locked")

    assert row(out, "Asset", "Locked by", "Since", "Reason")
    assert row(out, "BTC", "cli")
    assert out.count("BTC") == 1


def test_lock_of_an_unknown_symbol_exits_1_naming_it_and_locks_nothing(cli: Cli) -> None:
    result = cli("lock", "XYZ")

    assert result.code == 1
    assert result.out == ""
    assert "XYZ" in assert_one_line_without_traceback(result)
    assert cli.ok("locked") == "No locked assets.\n"


def test_lock_of_the_quote_currency_is_refused(cli: Cli) -> None:
    result = cli("lock", "EUR")

    assert result.code == 1
    assert "EUR is the quote currency" in assert_one_line_without_traceback(result)


def test_lock_keeps_its_reason_and_a_locked_asset_is_left_out_of_the_plan(cli: Cli) -> None:
    cli.ok("lock", "BTC", "--reason", "long-term hold")

    assert row(cli.ok("locked"), "BTC", "cli")
    assert "long-term hold" in cli.ok("locked")
    out = cli.ok("preview")
    assert not row(out, "SELL", "BTC")
    assert not row(out, "BUY", "BTC")
    assert re.search(r"^BTC .*locked$", out, re.MULTILINE)
    # Drift is measured inside the pool: ETH is 5,000 of the 7,500 EUR not locked (66.7 %)
    # against 30 of the 60 target points left (50 %), so +16.7 pp and a rebalance is due.
    assert "Rebalance due: yes. ETH is +16.7 pp off its target (band ±5.0 pp)." in out
    assert re.search(r"^BTC .* 72\.7%  locked$", out, re.MULTILINE)  # its share of the account


def test_unlock_says_whether_there_was_a_lock_and_unlock_all_counts_them(cli: Cli) -> None:
    cli.ok("lock", "BTC")
    cli.ok("lock", "ETH")

    assert cli.ok("unlock", "btc") == "BTC unlocked.\n"
    assert cli.ok("unlock", "BTC") == "BTC was not locked.\n"
    assert cli.ok("unlock", "--all") == "Unlocked 1 asset(s).\n"
    assert cli.ok("unlock", "--all") == "Unlocked 0 asset(s).\n"
    assert cli.ok("locked") == "No locked assets.\n"


def test_unlock_without_a_symbol_or_all_exits_1_and_says_how(cli: Cli) -> None:
    cli.ok("lock", "BTC")

    result = cli("unlock")

    assert result.code == 1
    line = assert_one_line_without_traceback(result)
    assert "rebalance-bot unlock BTC" in line
    assert "--all" in line
    assert row(cli.ok("locked"), "BTC", "cli")


# -- targets -------------------------------------------------------------------------------


def assert_targets(out: str, expected: dict[str, str]) -> None:
    shown = dict(re.findall(r"^(\w+)\s+(\d+\.\d\d%)$", out, re.MULTILINE))
    assert shown == expected, out


def test_targets_shows_the_default_weights(cli: Cli) -> None:
    out = cli.ok("targets")

    assert out.startswith("Targets:\n")
    assert_targets(out, DEFAULT_TARGETS)


def test_targets_with_a_spec_saves_the_new_weights(cli: Cli) -> None:
    out = cli.ok("targets", "BTC=50,ETH=50")

    assert out.startswith("Saved. Targets:")
    assert_targets(out, {"BTC": "50.00%", "ETH": "50.00%"})
    assert_targets(cli.ok("targets"), {"BTC": "50.00%", "ETH": "50.00%"})


def test_targets_that_do_not_sum_to_100_are_refused_and_change_nothing(cli: Cli) -> None:
    result = cli("targets", "BTC=50,ETH=40")

    assert result.code == 1
    assert result.out == ""
    assert "sum to 90" in assert_one_line_without_traceback(result)
    assert_targets(cli.ok("targets"), DEFAULT_TARGETS)


def test_targets_with_an_unknown_symbol_are_refused_and_change_nothing(cli: Cli) -> None:
    result = cli("targets", "FOO=100")

    assert result.code == 1
    assert "FOO" in assert_one_line_without_traceback(result)
    assert_targets(cli.ok("targets"), DEFAULT_TARGETS)


# -- stats and history ---------------------------------------------------------------------


def test_stats_and_history_say_so_before_any_rebalance(cli: Cli) -> None:
    stats = cli.ok("stats")

    assert "Rebalances: 0 (none)" in stats
    assert "Cooldown ends" not in stats
    assert "Locked: none" in stats
    assert cli.ok("history") == "No rebalances yet.\n"


def test_stats_and_history_report_a_rebalance_after_it_ran(cli: Cli) -> None:
    cli.ok("rebalance", "--yes")
    cli.ok("lock", "SOL")

    stats = cli.ok("stats")

    assert "Rebalances: 1 (full 1)" in stats
    assert re.search(r"^Traded: [\d,]+\.\d\d EUR; fees: [\d,]+\.\d\d EUR$", stats, re.M)
    assert "Average drift before: 32.7 pp; after: 0.1 pp" in stats
    assert re.search(r"^Last: .* UTC, full$", stats, re.MULTILINE)
    assert "Cooldown ends: " in stats
    assert re.search(r"Volume by asset \(EUR\): ADA .*, BTC 8,998\.20, ETH .*, SOL ", stats)
    assert "Locked: SOL" in stats

    history = cli.ok("history")

    lines = history.splitlines()
    assert re.match(
        r"#1 .* UTC full: traded [\d,.]+, fees [\d,.]+, drift 32\.7 pp -> 0\.1 pp", lines[0]
    )
    assert lines[1] == "    SELL 0.225/0.225 BTC filled"
    assert [line.split()[2] for line in lines[2:]] == ["SOL", "ETH", "ADA"]
    assert all(line.endswith(" filled") for line in lines[1:])


def test_history_0_is_refused_by_argparse_with_exit_2(cli: Cli) -> None:
    result = cli("history", "0")

    assert result.code == 2
    assert result.out == ""
    assert "'0' is not a positive whole number" in result.err
    assert "Traceback" not in result.err


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        ("TARGET_WEIGHTS", "BTC=50", "sum to 50"),
        ("TRADING_MODE", "live", "KRAKEN_API_KEY and KRAKEN_API_SECRET"),
        ("MAX_ORDERS", "abc", "'abc' is not a whole number"),
        ("DRIFT_BAND_PCT", "0", "greater than 0"),
    ],
    ids=lambda setting: f"{setting[0]}={setting[1]}",
)
def test_a_malformed_setting_prints_one_line_naming_it_and_exits_2(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, fresh_db: Path, setting: tuple[str, str, str]
) -> None:
    name, value, problem = setting
    monkeypatch.setenv(name, value)

    result = cli("check")

    assert result.code == 2
    assert result.out == ""
    line = assert_one_line_without_traceback(result)
    assert line.startswith(f"rebalance-bot: configuration error: {name}: ")
    assert problem in line
    assert not fresh_db.exists(), "refused before the database was opened"


def test_target_weights_with_an_unknown_symbol_exit_2_naming_it_and_seed_nothing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, fresh_db: Path
) -> None:
    monkeypatch.setenv("TARGET_WEIGHTS", "BTC=50,XYZ=50")

    result = cli("check")

    assert result.code == 2
    assert result.out == ""
    line = assert_one_line_without_traceback(result)
    assert line.startswith("rebalance-bot: configuration error: TARGET_WEIGHTS: XYZ ")
    store = Store(make_engine(f"sqlite:///{fresh_db}"))
    try:
        assert store.get_targets() == {}
    finally:
        store.close()

    monkeypatch.delenv("TARGET_WEIGHTS")
    assert_targets(cli.ok("targets"), DEFAULT_TARGETS)


def test_target_weights_seed_an_empty_database_only(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, fresh_db: Path
) -> None:
    monkeypatch.setenv("TARGET_WEIGHTS", "BTC=60,ETH=40")
    assert_targets(cli.ok("targets"), {"BTC": "60.00%", "ETH": "40.00%"})

    monkeypatch.setenv("TARGET_WEIGHTS", "BTC=50,SOL=50")

    assert_targets(cli.ok("targets"), {"BTC": "60.00%", "ETH": "40.00%"})


# -- errors and tracebacks -----------------------------------------------------------------


def test_debug_prints_a_traceback_on_an_error(cli: Cli) -> None:
    result = cli("--debug", "lock", "XYZ")

    assert result.code == 1
    assert result.err.startswith("Traceback (most recent call last):")
    assert "InputError" in result.err
    assert result.err_lines[-1].startswith("rebalance-bot: XYZ ")


def test_debug_tracebacks_and_error_lines_never_show_a_secret(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "999999:AAsecretTOKENneverSHOWN"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)

    result = cli("--debug", "lock", token)  # pasted by mistake: echoed in the error

    assert result.code == 1
    assert "Traceback" in result.err
    assert "AAsecretTOKENneverSHOWN" not in result.err + result.out


@pytest.mark.parametrize(
    "argv",
    [
        ("lock", "XYZ"),
        ("lock", "B@D"),
        ("unlock",),
        ("targets", "BTC=50,ETH=40"),
        ("targets", "BTC=abc"),
        ("rebalance",),
    ],
    ids=" ".join,
)
def test_errors_print_one_line_and_no_traceback_without_debug(
    cli: Cli, argv: tuple[str, ...]
) -> None:
    result = cli(*argv)

    assert result.code == 1
    assert assert_one_line_without_traceback(result).startswith("rebalance-bot: ")


def test_a_database_url_that_cannot_be_used_is_one_line_without_debug(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "nosuchdb://somewhere/db")

    result = cli("check")

    assert result.code == 1
    assert "nosuchdb" in assert_one_line_without_traceback(result)


def test_a_database_file_that_is_not_a_database_is_one_line_without_debug(
    cli: Cli, fresh_db: Path
) -> None:
    fresh_db.write_bytes(b"this is not a database, " * 200)
    fresh_db.chmod(0o600)

    result = cli("check")

    assert result.code == 1
    assert "not a database" in assert_one_line_without_traceback(result)


# -- migrate and healthcheck ---------------------------------------------------------------


def test_migrate_brings_a_new_database_to_the_newest_schema_and_exits_0(
    cli: Cli, fresh_db: Path
) -> None:
    assert cli.ok("migrate") == "Database is up to date.\n"
    assert current_revision(f"sqlite:///{fresh_db}") == SCHEMA_HEAD
    assert cli.ok("migrate") == "Database is up to date.\n"


def test_healthcheck_exits_1_while_the_bot_has_never_recorded_a_heartbeat(cli: Cli) -> None:
    result = cli("healthcheck")

    assert result.code == 1
    assert result.out == "unhealthy: the bot has not recorded a heartbeat yet\n"


def test_healthcheck_exits_0_after_a_fresh_heartbeat(cli: Cli, db_url: str) -> None:
    async def beat() -> None:
        settings = Settings(
            _env_file=None, trading_mode="paper", paper_market_data="snapshot", database_url=db_url
        )
        async with open_rebalancer(settings) as app:
            app.heartbeat()

    asyncio.run(beat())

    assert cli.ok("healthcheck") == "healthy\n"


def test_healthcheck_exits_1_when_the_last_heartbeat_is_stale(cli: Cli, db_url: str) -> None:
    then = utc_now() - timedelta(minutes=10)
    store = Store(make_engine(db_url))
    store.kv_set(HEARTBEAT_KEY, then.isoformat(), then)
    store.close()

    result = cli("healthcheck")

    assert result.code == 1
    assert re.fullmatch(r"unhealthy: last heartbeat 6\d\d s ago\n", result.out)


def test_healthcheck_exits_1_when_the_database_cannot_be_used(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "nosuchdb://somewhere/db")

    result = cli("healthcheck")

    assert result.code == 1
    assert result.out == "unhealthy: database: StorageError\n"


def test_healthcheck_on_a_missing_database_says_so_and_creates_nothing(
    cli: Cli, fresh_db: Path
) -> None:
    result = cli("healthcheck")
    assert result.code == 1
    assert "does not exist" in result.out
    assert not fresh_db.exists()


@pytest.mark.parametrize(
    "argv",
    [("history", "0"), ("export", "fills", "--since", "2026-13-01"), ("basis", "BTC"), ("nope",)],
    ids=" ".join,
)
def test_a_malformed_command_line_is_one_line_and_exit_2(cli: Cli, argv: tuple[str, ...]) -> None:
    result = cli(*argv)

    assert result.code == 2
    (line,) = result.err_lines
    assert line.startswith("rebalance-bot") and "--help`)" in line
