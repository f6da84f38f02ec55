"""The positions body (CLI --json, and an HTTP endpoint later): plain JSON, exact strings."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from bot.bodies_positions import basis_body, positions_body
from core.app.position_results import BasisResult, PositionsReport
from core.domain.ledger import build_ledger
from core.domain.models import DataSource
from core.domain.pnl import positions, totals
from core.domain.series import ValueSample, summarize
from tests.unit.builders import EUR, NOW
from tests.unit.lot_builders import issue_example


def report() -> PositionsReport:
    ledger = build_ledger("live", EUR, issue_example())
    held = positions(ledger, {"ETH": Decimal(4000)})
    samples = (
        ValueSample(NOW, {"ETH": Decimal(2000)}, Decimal(2100)),
        ValueSample(NOW + timedelta(hours=1), {"ETH": Decimal("1999.5")}, Decimal("2099.5")),
    )
    return PositionsReport(
        mode="live",
        quote=EUR,
        as_of=NOW,
        source=DataSource("kraken", NOW),
        positions=held,
        locked=frozenset({"ETH"}),
        totals=totals(held),
        cash=Decimal(100),
        samples=samples,
        series=summarize(samples),
        synced=True,
    )


def test_the_body_survives_json_and_holds_the_issue_numbers_as_exact_strings() -> None:
    body = json.loads(json.dumps(positions_body(report())))

    (eth,) = body["positions"]
    assert eth == {
        "asset": "ETH",
        "amount": "0.5",
        "cost": "1506",
        "average_price": "3012",
        "first_entry": "2025-12-14T12:00:00Z",
        "price": "4000",
        "value": "2000",
        "unrealized": "494",
        "unrealized_pct": "32.80",
        "realized": "2462",
        "estimated": False,
        "realized_estimated": False,
        "locked": True,
    }
    assert body["totals"]["realized"] == "2462" and body["totals"]["unpriced"] == []
    assert (body["mode"], body["market_data"], body["cash"]) == ("live", "kraken", "100")
    total = body["series"]["total"]
    assert (total["first"]["value"], total["min"]["value"]) == ("2100", "2099.5")
    assert body["series"]["assets"]["ETH"]["max"] == {
        "time": "2026-01-12T12:00:00Z",
        "value": "2000",
    }


def test_an_unpriced_position_has_null_figures_not_zero() -> None:
    ledger = build_ledger("live", EUR, issue_example())
    held = positions(ledger, {})
    body = positions_body(
        PositionsReport("live", EUR, NOW, DataSource("kraken", NOW), held, frozenset(),
                        totals(held), Decimal(0), (), None, True)
    )  # fmt: skip

    (eth,) = body["positions"]
    assert (eth["price"], eth["value"], eth["unrealized"], eth["unrealized_pct"]) == (None,) * 4
    assert body["totals"]["unpriced"] == ["ETH"] and body["series"] is None


def test_the_basis_body() -> None:
    body = basis_body(BasisResult("paper", "BTC", Decimal("30000.50"), Decimal("0.5"), 1))

    assert body == {"mode": "paper", "asset": "BTC", "price": "30000.5", "amount": "0.5", "lots": 1}
