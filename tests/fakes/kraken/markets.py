"""Assets and asset pairs: the recorded Kraken catalogue plus synthetic markets.

The catalogue starts from the bundled fixtures (``tests/fakes/kraken_fixtures``):
``AssetPairs.json`` (21 pairs, January 2026 shape, served verbatim) and ``Assets.json``
(2021 shape). Two things are added to the assets, not to the files:

* ``"status": "enabled"`` on every asset: current Kraken sends it (ccxt's own
  ``fetch_currencies`` docstring shows it) and ccxt marks a currency inactive without it;
* the assets that pairs reference but the 2021 file lacks (``EURQ``, ``0G``, ``AGLD``, ``AIO``),
  plus the ``.F`` (opt-in rewards) ids ``XBT.F`` and ``ETH.F``. Their ``decimals`` are plausible
  values chosen here, not recordings.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .util import JsonDict, KrakenError, quantum

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "kraken_fixtures"

UNKNOWN_PAIR = "EQuery:Unknown asset pair"
UNKNOWN_ASSET = "EQuery:Unknown asset"

EXTRA_ASSETS: dict[str, tuple[str, int, int]] = {
    # id: (altname, decimals, display_decimals)
    "EURQ": ("EURQ", 8, 4),
    "0G": ("0G", 10, 5),
    "AGLD": ("AGLD", 10, 5),
    "AIO": ("AIO", 10, 5),
    "XBT.F": ("XBT.F", 10, 5),
    "ETH.F": ("ETH.F", 10, 5),
}

# ccxt unified code -> Kraken asset id, for codes whose id is not the plain code.
ASSET_IDS: dict[str, str] = {
    "BTC": "XXBT",
    "XBT": "XXBT",
    "ETH": "XETH",
    "DOGE": "XXDG",
    "XDG": "XXDG",
    "XRP": "XXRP",
    "LTC": "XLTC",
    "EUR": "ZEUR",
    "USD": "ZUSD",
    "GBP": "ZGBP",
    "CAD": "ZCAD",
    "JPY": "ZJPY",
    "AUD": "ZAUD",
}
_WS_CODES = {"BTC": "XBT", "DOGE": "XDG"}


def load_fixture(name: str) -> Any:
    """Parse one bundled fixture file (a recorded Kraken response body)."""
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


@dataclass
class Pair:
    """One asset pair; ``info`` is the exact ``AssetPairs`` entry served on the wire."""

    id: str
    info: JsonDict

    @property
    def altname(self) -> str:
        return str(self.info["altname"])

    @property
    def wsname(self) -> str:
        return str(self.info.get("wsname", self.altname))

    @property
    def base(self) -> str:
        return str(self.info["base"])

    @property
    def quote(self) -> str:
        return str(self.info["quote"])

    @property
    def lot_decimals(self) -> int:
        return int(self.info["lot_decimals"])

    @property
    def pair_decimals(self) -> int:
        return int(self.info["pair_decimals"])

    @property
    def cost_decimals(self) -> int:
        return int(self.info.get("cost_decimals", self.pair_decimals))

    @property
    def ordermin(self) -> Decimal:
        return Decimal(str(self.info.get("ordermin", "0")))

    @property
    def costmin(self) -> Decimal:
        return Decimal(str(self.info.get("costmin", "0")))

    @property
    def tick_size(self) -> Decimal:
        raw = self.info.get("tick_size")
        return Decimal(str(raw)) if raw is not None else quantum(self.pair_decimals)

    @property
    def status(self) -> str:
        return str(self.info.get("status", "online"))

    @property
    def taker_fee_pct(self) -> Decimal:
        return Decimal(str(self.info["fees"][0][1]))

    @property
    def maker_fee_pct(self) -> Decimal:
        tiers = self.info.get("fees_maker") or self.info["fees"]
        return Decimal(str(tiers[0][1]))


class Catalog:
    """Assets and pairs, with lookup by pair id, altname, wsname or ccxt symbol."""

    def __init__(self, assets: dict[str, JsonDict], pairs: dict[str, JsonDict]) -> None:
        self.assets: dict[str, JsonDict] = assets
        self.pairs: dict[str, Pair] = {}
        self._aliases: dict[str, str] = {}
        self._by_assets: dict[tuple[str, str], Pair] = {}
        for pair_id, info in pairs.items():
            self.add_pair(pair_id, info)

    @classmethod
    def from_fixtures(cls) -> Catalog:
        assets: dict[str, JsonDict] = copy.deepcopy(load_fixture("Assets.json")["result"])
        for asset_id, (altname, decimals, display) in EXTRA_ASSETS.items():
            assets.setdefault(asset_id, _asset_entry(altname, decimals, display))
        for entry in assets.values():
            entry.setdefault("status", "enabled")
        pairs = copy.deepcopy(load_fixture("AssetPairs.json")["result"])
        return cls(assets, pairs)

    def add_pair(self, pair_id: str, info: JsonDict) -> Pair:
        if pair_id in self.pairs:
            raise ValueError(f"pair {pair_id} already exists")
        pair = Pair(pair_id, info)
        self.pairs[pair_id] = pair
        for alias in (pair_id, pair.altname, pair.wsname):
            self._aliases.setdefault(alias, pair_id)
        self._by_assets.setdefault((pair.base, pair.quote), pair)
        return pair

    def between(self, base: str, quote: str) -> Pair | None:
        """The pair trading asset id ``base`` against ``quote``, if any."""
        return self._by_assets.get((base, quote))

    def add_asset(self, asset_id: str, decimals: int = 10, display_decimals: int = 5) -> None:
        entry = _asset_entry(asset_id, decimals, display_decimals)
        self.assets.setdefault(asset_id, entry | {"status": "enabled"})

    def resolve(self, name: str) -> Pair | None:
        """Pair for a pair id (``XXBTZEUR``), altname (``XBTEUR``), wsname or ``BTC/EUR``."""
        pair_id = self._aliases.get(name)
        if pair_id is None and "/" in name:
            base, _, quote = name.partition("/")
            ws = f"{_WS_CODES.get(base, base)}/{_WS_CODES.get(quote, quote)}"
            pair_id = self._aliases.get(ws)
        return self.pairs[pair_id] if pair_id is not None else None

    def require(self, name: str) -> Pair:
        pair = self.resolve(name)
        if pair is None:
            raise KrakenError(UNKNOWN_PAIR)
        return pair

    def require_many(self, names: str | None) -> list[Pair]:
        """Pairs named by a comma-separated ``pair=`` value; every pair if None/empty."""
        if not names:
            return list(self.pairs.values())
        return [self.require(name.strip()) for name in names.split(",") if name.strip()]

    def asset_decimals(self, asset_id: str) -> int:
        entry = self.assets.get(asset_id) or self.assets.get(asset_id.partition(".")[0])
        return int(entry["decimals"]) if entry else 10


def _asset_entry(altname: str, decimals: int, display_decimals: int) -> JsonDict:
    return {
        "aclass": "currency",
        "altname": altname,
        "decimals": decimals,
        "display_decimals": display_decimals,
    }


def asset_id(code: str) -> str:
    """Kraken asset id for a ccxt-style code (``BTC`` -> ``XXBT``, ``AAA`` -> ``AAA``)."""
    return ASSET_IDS.get(code, code)
