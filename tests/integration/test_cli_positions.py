"""`rebalance-bot positions`, `basis`, `export fills|lots` and the stats' monthly lines, in
process, paper mode on the bundled snapshot (the README's worked example account)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from core.domain.exports import FILL_COLUMNS, LOT_COLUMNS
from core.store.db import make_engine, upgrade
from tests.integration.cli_harness import Cli, use_paper_env

pytestmark = pytest.mark.usefixtures("restore_logging")
PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture(autouse=True)
def paper_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    use_paper_env(monkeypatch, tmp_path, db_url)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def line_of(out: str, first: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(first))


def test_positions_lists_each_holding_with_its_estimated_opening_lot_and_totals_last(
    cli: Cli,
) -> None:
    out = cli.ok("positions")

    assert "Positions (paper mode)" in out
    header = line_of(out, "Asset")
    for column in ("Amount", "Avg entry", "First entry", "Price", "Value", "Unrealized"):
        assert column in header
    assert "Realized" in header and "Lock" in header
    assert re.search(r"^BTC\s+0\.5\s+40,000\.00\*\s", out, re.MULTILINE)
    assert re.search(r"^BTC\s.*\d{4}-\d\d-\d\d \d\d:\d\d UTC", out, re.MULTILINE)  # a time
    table = [line for line in out.splitlines() if re.match(r"^(ADA|BTC|ETH|SOL|Total)\s", line)]
    assert table[-1].startswith("Total") and "27,500.00" in table[-1]
    assert "* estimated" in out and "rebalance-bot basis SYMBOL PRICE" in out
    assert "Value over time (1 sample, EUR)" in out


def test_positions_json_is_plain_with_decimal_strings(cli: Cli) -> None:
    cli.ok("rebalance", "--yes")

    body = json.loads(cli.ok("positions", "--json"))

    assert (body["mode"], body["quote"], body["synced"]) == ("paper", "EUR", True)
    btc = next(p for p in body["positions"] if p["asset"] == "BTC")
    assert (btc["amount"], btc["average_price"], btc["estimated"]) == ("0.275", "40000", True)
    assert Decimal(btc["realized"]) < 0  # sold at the bid, after the fee, from a 40,000 lot
    for p in body["positions"]:
        for key in ("amount", "cost", "value", "unrealized", "realized"):
            assert PLAIN_DECIMAL.fullmatch(p[key]), (key, p[key])
    assert set(body["totals"]) >= {"value", "unrealized", "realized", "estimated"}
    assert body["series"]["samples"] >= 1 and "max" in body["series"]["total"]


def test_a_locked_asset_says_so_in_positions(cli: Cli) -> None:
    cli.ok("lock", "SOL")

    assert line_of(cli.ok("positions"), "SOL").endswith("locked")


def test_a_rebalance_exports_one_row_per_fill_with_exactly_the_issue_columns(cli: Cli) -> None:
    cli.ok("rebalance", "--yes")

    out = cli.ok("export", "fills")

    assert out.splitlines()[0] == ",".join(FILL_COLUMNS)
    rows = parsed(out)
    assert [(r["side"], r["asset"]) for r in rows] == [
        ("sell", "BTC"),
        ("buy", "SOL"),
        ("buy", "ETH"),
        ("buy", "ADA"),
    ]
    for r in rows:
        assert r["time"].endswith("Z") and r["mode"] == "paper" and r["quote"] == "EUR"
        for key in ("amount", "price", "cost", "fee"):
            assert PLAIN_DECIMAL.fullmatch(r[key]), (key, r[key])
        assert (r["run_id"], r["trigger"], r["fee_currency"]) == ("1", "manual", "EUR")
    assert rows[0]["amount"] == "0.225"


def test_export_fills_writes_a_file_and_since_leaves_out_earlier_days(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("rebalance", "--yes")
    target = tmp_path / "fills.csv"

    out = cli.ok("export", "fills", "--output", str(target))

    assert out == f"Wrote 4 rows of fills to {target}.\n"
    assert len(parsed(target.read_text())) == 4
    assert cli.ok("export", "fills", "--since", "2999-01-01") == ",".join(FILL_COLUMNS) + "\n"


def test_a_bad_since_is_refused_by_the_parser(cli: Cli) -> None:
    result = cli("export", "fills", "--since", "31/01/2026")

    assert result.code == 2 and "is not a date like 2026-01-31" in result.err


def test_export_lots_has_the_open_lots_and_the_realized_sell(cli: Cli) -> None:
    cli.ok("rebalance", "--yes")

    out = cli.ok("export", "lots")

    assert out.splitlines()[0] == ",".join(LOT_COLUMNS)
    rows = parsed(out)
    (closed,) = [r for r in rows if r["status"] == "closed"]
    assert (closed["asset"], closed["amount"], closed["estimated"]) == ("BTC", "0.225", "true")
    assert Decimal(closed["realized_pnl"]) == Decimal(closed["proceeds"]) - Decimal(closed["cost"])
    open_btc = sum(
        Decimal(r["amount"]) for r in rows if (r["status"], r["asset"]) == ("open", "BTC")
    )
    assert open_btc == Decimal("0.275")


def test_basis_states_the_real_cost_and_positions_stop_estimating_it(cli: Cli) -> None:
    out = cli.ok("basis", "btc", "30000")

    assert out.startswith("BTC: the opening lot of 0.5 now costs 30,000.00 per unit")
    btc = line_of(cli.ok("positions"), "BTC")
    assert "30,000.00 " in btc and "*" not in btc and "+5,000.00" in btc


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("BTC", "0"), "'0' is not a positive price"),
        (("BTC", "2,000"), "Example: rebalance-bot basis BTC 30000"),
        (("ZZZ", "1"), "ZZZ is not a Kraken asset tradable against EUR"),
        (("ZZZ", "1"), "Example: rebalance-bot basis BTC 30000"),  # not `lock`
        (("BTC", "1e5"), "'1e5' is not a positive price"),
        (("DOGE", "1"), "no DOGE is held, so there is no opening lot to price"),
    ],
)
def test_a_bad_basis_gets_one_clear_line_and_exit_1(
    cli: Cli, args: tuple[str, str], words: str
) -> None:
    result = cli("basis", *args)

    assert result.code == 1 and words in result.err and len(result.err_lines) == 1


def test_stats_adds_realized_pnl_fees_and_volume_per_month_and_the_fee_share(cli: Cli) -> None:
    cli.ok("positions")  # a value sample
    cli.ok("rebalance", "--yes")

    out = cli.ok("stats")

    assert re.search(r"^Month\s+Realized\s+Fees\s+Traded\s+Fills$", out, re.MULTILINE)
    assert re.search(
        r"^\d{4}-\d{2}\s+-\d+\.\d\d\s+\d+\.\d\d\s+[\d,]+\.\d\d\s+4$", out, re.MULTILINE
    )
    assert "of the average value (27,500.00 EUR)" in out


def test_the_export_of_a_database_from_the_previous_schema_has_its_earlier_fills(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0004")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO fills (client_order_id, exchange_order_id, symbol, side, amount, price,"
            " cost, fee, fee_currency, filled_at, mode) VALUES ('c-old', 'OOLD-1', 'ETH/EUR',"
            " 'buy', '0.5', '2400', '1200', '4.8', 'EUR', '2026-01-10 09:30:00', 'paper')"
        )
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)

    (row,) = parsed(cli.ok("export", "fills"))

    assert row == {
        "time": "2026-01-10T09:30:00Z",
        "mode": "paper",
        "side": "buy",
        "asset": "ETH",
        "amount": "0.5",
        "price": "2400",
        "cost": "1200",
        "fee": "4.8",
        "fee_currency": "EUR",
        "quote": "EUR",
        "order_id": "OOLD-1",
        "client_order_id": "c-old",
        "run_id": "",
        "trigger": "",
    }
