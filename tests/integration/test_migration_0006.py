"""Revision 0006 (maker-first): existing journal rows stay market orders; a downgrade drops the
maker tables and the leg columns and keeps every journal row."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.app.maker_ports import ChangeKind, LegIntent, MakerOrderRecord
from core.domain.models import Side
from core.domain.orders import OrderType
from core.store.db import current_revision, downgrade, make_engine, upgrade
from core.store.repo import Store
from tests.integration.test_migrations import column_names, rows, table_names

pytestmark = pytest.mark.both_engines
AT_0004 = (
    "INSERT INTO plans (id, user_id, created_at, expires_at, status, content_hash, prices_json,"
    " payload_json, mode) VALUES ('old', '1', '2026-01-12 12:00:00',"
    " '2026-01-12 12:02:00', 'executed', 'ab', '{}', '{}', 'live')",
    "INSERT INTO journal (plan_id, client_order_id, symbol, side, amount, status,"
    " exchange_order_id, filled_amount, cost, fee, created_at, updated_at, mode) VALUES ('old',"
    " 'c-old', 'BTC/EUR', 'sell', '0.1', 'filled', 'O-1', '0.1', '4000', '16',"
    " '2026-01-12 12:00:05', '2026-01-12 12:00:10', 'live')",
)
LEG_COLUMNS = {"maker_order_id", "order_type", "limit_price", "post_only"}
NOW = datetime(2026, 1, 12, 12, 5, tzinfo=UTC)


@pytest.fixture
def url(empty_db_url: str) -> str:
    upgrade(empty_db_url, "0005")
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        for sql in AT_0004:
            connection.exec_driver_sql(sql)
    engine.dispose()
    return empty_db_url


def test_upgrading_to_0006_keeps_every_journal_row_a_market_order(url: str) -> None:
    upgrade(url, "0006")
    assert rows(
        url, "SELECT client_order_id, order_type, limit_price, maker_order_id FROM journal"
    ) == [("c-old", "market", None, None)]
    assert {"maker_orders", "order_changes"} <= table_names(url)


def test_downgrading_0006_drops_the_maker_tables_and_keeps_the_journal_rows(url: str) -> None:
    upgrade(url, "0006")
    store = Store(make_engine(url))
    try:
        maker = MakerOrderRecord(
            "m-1", "old", None, "BTC/EUR", Side.BUY, Decimal("0.1"), Decimal(40000),
            Decimal("0.004"), NOW, "live",
        )  # fmt: skip
        store.start_maker_order(maker)
        leg = LegIntent(
            "old", None, "m-1", "c-leg", "BTC/EUR", Side.BUY, Decimal("0.1"), OrderType.LIMIT,
            Decimal(39990), True, "live",
        )  # fmt: skip
        store.journal_leg(leg, NOW)
        store.journal_change("c-leg", ChangeKind.CANCEL, NOW)
        assert [x.maker_order_id for x in store.legs(["m-1"])] == ["m-1"]
    finally:
        store.close()

    downgrade(url, "0005")

    assert current_revision(url) == "0005"
    assert not {"maker_orders", "order_changes"} & table_names(url)
    assert not LEG_COLUMNS & column_names(url, "journal")
    assert rows(url, "SELECT client_order_id FROM journal ORDER BY id") == [("c-old",), ("c-leg",)]
