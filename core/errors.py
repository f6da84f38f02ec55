"""The project's error tree: every failure the core can report, and who handles it.

RebalanceError                  base; front ends turn these (and only these) into words
├── ConfigError                 settings refused at start: print the one-line message, exit 2
├── InputError                  a user typed something wrong (symbol, weights, number):
│                               reply with the message, change nothing
├── PortfolioError              the portfolio cannot be planned (empty, no prices at all)
├── ExchangeError               anything the exchange said or failed to say; raised only by
│   │                           exchange adapters, always `from` the original exception
│   ├── TemporaryError          worth trying again later: reads are retried with backoff
│   │   ├── RateLimited         Kraken's REST counter ran over (EAPI:Rate limit exceeded)
│   │   ├── NonceRejected       EAPI:Invalid nonce: nothing was done, safe to ask again
│   │   └── ExchangeUnavailable EService:Unavailable/Busy, timeouts, 5xx, HTML pages
│   ├── AuthenticationError     key, signature or permission refused: tell the owner to
│   │                           check KRAKEN_API_KEY / KRAKEN_API_SECRET; never retried
│   ├── OrderRejected           the exchange refused one order (reason = Kraken's text);
│   │   ├── InsufficientFunds   the order was certainly not placed
│   │   └── MarketNotTradable   pair not `online` (cancel_only, post_only, halted)
│   ├── UnknownPair             EQuery:Unknown asset pair
│   └── OrderOutcomeUnknown     AddOrder was sent but its answer was lost (timeout, dropped
│                               connection, 5xx, HTML): resolve by looking the order up by
│                               its client order id, NEVER by sending it again
├── ExecutionRefused            a prepared plan may not run (expired, other user, already
│                               executed, cooldown, prices moved, busy): say why, place nothing
└── StorageError                the database failed: the operation did not happen
"""

from __future__ import annotations


class RebalanceError(Exception):
    """Base of every error the core raises on purpose."""


class ConfigError(RebalanceError):
    """Settings were refused at start; the message names the variable and a right example."""


class InputError(RebalanceError):
    """User input was wrong; the message says what and gives an example of a right call."""


class PortfolioError(RebalanceError):
    """The portfolio cannot be planned (for example it is worth nothing)."""


class ExchangeError(RebalanceError):
    """The exchange failed or refused; `reason` keeps the exchange's own words."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class TemporaryError(ExchangeError):
    """A transient failure: reads may be retried with backoff; orders are looked up instead."""


class RateLimited(TemporaryError):
    """Kraken's REST call counter was exceeded."""


class NonceRejected(TemporaryError):
    """Kraken refused the nonce; the request had no effect."""


class ExchangeUnavailable(TemporaryError):
    """Kraken is down, busy, slow, or answered something that is not its JSON envelope."""


class AuthenticationError(ExchangeError):
    """The API key, its signature or its permissions were refused."""


class OrderRejected(ExchangeError):
    """The exchange refused an order; it was certainly not placed."""


class InsufficientFunds(OrderRejected):
    """The account lacks the funds for this order."""


class MarketNotTradable(OrderRejected):
    """The market is not `online` (cancel_only, post_only, reduce_only, halted)."""


class UnknownPair(ExchangeError):
    """The exchange does not know this asset pair."""


class OrderOutcomeUnknown(ExchangeError):
    """An order was sent but its answer was lost: look it up by client order id."""


class ExecutionRefused(RebalanceError):
    """A prepared plan may not be executed; `code` is a stable machine-readable reason."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class StorageError(RebalanceError):
    """The database failed; the operation was rolled back."""
