"""ccxt's Kraken client with two additions: an envelope check and paced, serialized private calls.

Both hook into ccxt's public extension points (`handle_errors`, `request`), so every call,
unified (`fetch_balance`) or implicit (`private_post_queryorders`), goes through them.
"""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt
from typing_extensions import override

from core.app.meter import CallMeter
from core.exchange.kraken_errors import NotKrakenEnvelope, translate
from core.exchange.pacing import PrivateGate


class KrakenClient(ccxt.kraken):  # type: ignore[misc]
    """`ccxt.async_support.kraken` that refuses non-envelope answers and paces private calls.

    ccxt's own Kraken client returns an HTML page answered with HTTP 200 as an empty
    balance, or an order without an id; here it raises `NotKrakenEnvelope` instead.
    """

    def __init__(
        self, config: dict[str, Any], gate: PrivateGate, meter: CallMeter | None = None
    ) -> None:
        super().__init__(config)
        self.gate = gate
        self.meter = meter or CallMeter()

    @override
    def handle_errors(
        self,
        code: int,
        reason: str,
        url: str,
        method: str,
        headers: Any,
        body: str,
        response: Any,
        request_headers: Any,
        request_body: Any,
    ) -> None:
        """Kraken's errors as ccxt raises them; then refuse anything that is not the envelope."""
        super().handle_errors(
            code, reason, url, method, headers, body, response, request_headers, request_body
        )
        if is_envelope(response) or str(code) in self.httpExceptions:
            return  # an HTTP error status is raised by ccxt's own status check, next
        content_type = (headers or {}).get("Content-Type", "no content type")
        raise NotKrakenEnvelope(
            f"{method} {_path(url)} answered HTTP {code} ({content_type}) with "
            f"{_snippet(body)} instead of Kraken's JSON envelope"
        )

    @override
    async def request(
        self,
        path: str,
        api: Any = "public",
        method: str = "GET",
        params: Any = None,
        config: Any = None,
    ) -> Any:
        """One REST call; private ones one at a time, each after the counter's wait."""
        self.meter.request(str(path))
        try:
            return await self._paced(path, api, method, params, config)
        except Exception as e:
            self.meter.error(type(translate(e)).__name__)
            raise

    async def _paced(self, path: str, api: Any, method: str, params: Any, config: Any) -> Any:
        params = {} if params is None else params
        config = {} if config is None else config
        if _api_name(api) != "private":
            return await super().request(path, api, method, params, config)
        async with self.gate.slot(path):
            try:
                return await super().request(path, api, method, params, config)
            except (ccxt.DDoSProtection, ccxt.RateLimitExceeded):
                self.gate.rate_limited()
                raise


def is_envelope(response: object) -> bool:
    """Kraken's `{"error": [], "result": ...}` (errors were raised before this is asked)."""
    return (
        isinstance(response, dict)
        and isinstance(response.get("error"), list)
        and "result" in response
    )


def _api_name(api: Any) -> str:
    return str(api[0] if isinstance(api, list | tuple) and api else api)


def _path(url: str) -> str:
    """The URL's path only (`/0/private/Balance`): hosts and query strings stay out of logs."""
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[-1].split("?", 1)[0] if "/" in rest else url


def _snippet(body: str | None, limit: int = 60) -> str:
    text = " ".join((body or "").split())
    if not text:
        return "an empty body"
    return repr(text if len(text) <= limit else text[:limit] + "…")
