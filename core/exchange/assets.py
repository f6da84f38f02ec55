"""Kraken asset ids to the common codes the rest of the project uses (XXBT -> BTC). Pure."""

from __future__ import annotations

# Kraken's own names for two assets whose common code differs.
_ALIASES = {"XBT": "BTC", "XDG": "DOGE"}

# The legacy ids that carry an X (crypto) or Z (fiat) class prefix. Only these are stripped:
# newer ids (SOL, ADA, DOT, XTZ, ZRX, 0G ...) have no prefix, whatever letter they start with.
_LEGACY = frozenset(
    {
        "XETC", "XETH", "XLTC", "XMLN", "XREP", "XXBT", "XXDG", "XXLM", "XXMR", "XXRP", "XZEC",
        "ZAUD", "ZCAD", "ZEUR", "ZGBP", "ZJPY", "ZUSD",
    }
)  # fmt: skip


def normalize_asset(kraken_id: str) -> str:
    """The common code of a Kraken asset id: XXBT -> BTC, ZEUR -> EUR, XDG -> DOGE, SOL -> SOL.

    A balance suffix is kept: XBT.F -> BTC.F, XXBT.M -> BTC.M.
    """
    head, dot, suffix = kraken_id.strip().upper().partition(".")
    if head in _LEGACY:
        head = head[1:]
    return _ALIASES.get(head, head) + dot + suffix
