"""Number and time formatting shared by every front end. Pure; values in, text out."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal


def money(value: Decimal, places: int = 2) -> str:
    """1234.5 -> '1,234.50'; a value that rounds to zero never shows a sign ('-0.00')."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    q = abs(q) if q == 0 else q
    return f"{q:,.{places}f}"


def amount(value: Decimal, places: int = 8) -> str:
    """A base-currency amount without trailing zeros: 0.22500000 -> '0.225'."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    return f"{q.normalize():f}" if q else "0"


def price(value: Decimal | None) -> str:
    """Prices keep enough significant digits for cheap coins: 0.5 -> '0.5000'."""
    if value is None:
        return "n/a"
    if value >= 1000:
        return money(value, 2)
    if value >= 1:
        return money(value, 4 if value < 10 else 2)
    return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"


def pct(value: Decimal | None, places: int = 1) -> str:
    """12.345 -> '12.3%'."""
    return "—" if value is None else f"{value:.{places}f}%"


def pp(value: Decimal | None, places: int = 1) -> str:
    """A drift in percentage points, signed: '+12.3 pp'."""
    if value is None:
        return "—"
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return f"{q:+.{places}f} pp" if q else f"{Decimal(0):.{places}f} pp"


def plural(count: int, word: str, many: str | None = None) -> str:
    """A count with its noun: (1, 'buy') -> '1 buy', (3, 'buy') -> '3 buys'."""
    return f"{count} {word if count == 1 else many or word + 's'}"


SOURCE_NAMES = {"kraken": "Kraken (live prices)", "kraken-public": "Kraken public API"}


def source_name(name: str) -> str:
    """How a market-data source is called in replies: 'kraken' -> 'Kraken (live prices)'."""
    return SOURCE_NAMES.get(name, name)


def how_far(rebalance_to: str, fraction: Decimal, due: bool) -> str:
    """The plan's REBALANCE_TO strategy and the fraction of the way to target it trades."""
    if not due:
        return (
            "Nothing is out of band, so no strategy applies: these orders go all the way "
            "to target (what a forced rebalance trades)."
        )
    way = "all the way" if fraction == 1 else f"{pct(fraction * 100)} of the way"
    return f"Strategy: {rebalance_to} (REBALANCE_TO); the orders go {way} to target."


def pool_note(total: Decimal, pool: Decimal, quote: str) -> str:
    """'' when the pool is the whole account, else what part of it a rebalance trades."""
    if pool == total:
        return ""
    return f"rebalanced pool: {money(pool)} {quote}"


OUTCOME_WORDS = {"unknown": "outcome not known yet"}  # the others read as they are


def outcome(value: str) -> str:
    """A run's outcome as history shows it: 'full', 'partial', 'outcome not known yet'."""
    return OUTCOME_WORDS.get(value, value)


def unknown_orders(count: int, history: str) -> str:
    """What an order of unknown outcome means, and what happens next (`history`: the front
    end's own command, '/history' or '`rebalance-bot history`'; "" inside the history)."""
    see = f"; see {history}" if history else ""
    if count == 1:
        return (
            "1 order's outcome is not known yet: it may have been placed; "
            f"it will be checked again automatically{see}."
        )
    return (
        f"{count} orders' outcomes are not known yet: they may have been placed; "
        f"they will be checked again automatically{see}."
    )


PROBLEMS = {
    "storage": "The database failed during the rebalance",
    "internal": "An internal error stopped the rebalance",
}


def problem(code: str, history: str) -> str:
    """A run cut short after orders may have gone out: never 'nothing was changed'."""
    what = PROBLEMS.get(code, "The rebalance stopped early")
    return f"{what}: orders may have been placed; see {history}. Nothing is sent twice."


def not_bought(assets: list[str], reasons: list[str]) -> str:
    """Planned buys the re-sizing dropped: 'Not bought: ETH, SOL (below ...)'."""
    why = "; ".join(dict.fromkeys(reasons))
    return f"Not bought: {', '.join(assets)} ({why})."


def triggers(counts: dict[str, int] | None) -> str:
    """What started the runs: 'manual 2, autopilot 1' ('' without runs)."""
    return ", ".join(f"{name} {n}" for name, n in sorted((counts or {}).items()) if n)


def signed_money(value: Decimal | None) -> str:
    """A gain or loss: '+1,234.50', '-37.79', '0.00'; 'n/a' when unknown."""
    if value is None:
        return "n/a"
    text = money(value)
    return text if value < 0 or text.strip("0.,-") == "" else "+" + text


def signed_pct(value: Decimal | None) -> str:
    """A gain or loss in percent: '+5.0%', '-0.3%', '—' when unknown."""
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + pct(value)


def minute(moment: datetime | None) -> str:
    """A moment to the minute, in UTC: '2026-12-04 21:28 UTC'; '—' when unknown."""
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"
