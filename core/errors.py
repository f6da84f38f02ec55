"""The project's error tree: every failure the core can report, and who handles it.

RebalanceError                  base; front ends turn these (and only these) into words
├── ConfigError                 settings refused at start: print the one-line message, exit 2
├── InputError                  a user typed something wrong (symbol, weights, number):
│                               reply with the message, change nothing
├── PortfolioError              the portfolio cannot be planned (empty, no prices at all)
├── ExchangeError               anything the exchange said or failed to say; raised only by
│   │                           exchange adapters, always `from` the original exception
│   ├── TemporaryError          worth trying again later: reads are retried with backoff
│   │   ├── RateLimited         a Kraken counter ran over: REST (EAPI:Rate limit exceeded)
│   │   │                       or the pair's trading counter (EOrder:Rate limit exceeded)
│   │   ├── NonceRejected       EAPI:Invalid nonce: nothing was done, safe to ask again
│   │   └── ExchangeUnavailable EService:Unavailable/Busy, timeouts, 5xx, HTML pages
│   ├── AuthenticationError     key, signature or permission refused: tell the owner to
│   │                           check KRAKEN_API_KEY / KRAKEN_API_SECRET; never retried
│   ├── OrderRejected           the exchange refused one order (reason = Kraken's text);
│   │   │                       the order was certainly not placed (nor amended)
│   │   ├── InsufficientFunds   not enough free funds for it
│   │   ├── MarketNotTradable   pair not `online` (cancel_only, post_only, halted)
│   │   └── PostOnlyRejected    EOrder:Post only order: a post-only order (or amend) would
│   │                           have taken liquidity; nothing changed: re-price at the touch
│   ├── UnknownPair             EQuery:Unknown asset pair
│   ├── UnknownOrder            EOrder:Unknown order: no OPEN order has this id (it filled,
│   │                           was cancelled, or never existed): read its state, do not retry
│   └── OrderOutcomeUnknown     AddOrder was sent but its answer was lost (timeout, dropped
│       │                       connection, 5xx, HTML): resolve by looking the order up by
│       │                       its client order id, NEVER by sending it again
│       ├── AmendOutcomeUnknown an AmendOrder's answer was lost: read the order (its price
│       │                       and quantity say whether the amend applied), never resend blind
│       └── CancelOutcomeUnknown a CancelOrder's answer was lost: read the order (open or
│                               not) before doing anything else with it
├── ExecutionRefused            a prepared plan may not run (expired, other user, already
│                               executed, cooldown, prices moved, busy): say why, place nothing
├── StorageError                the database failed: the operation did not happen
└── OperationRefused            a maintenance step refused (another bot runs on this
                                database, restore over a run in progress, a file that is
                                no backup): say why, exit non-zero, change nothing
"""

from __future__ import annotations

from collections.abc import Mapping


class RebalanceError(Exception):
    """Base of every error the core raises on purpose."""


class ConfigError(RebalanceError):
    """Settings were refused at start; the message names the variable and a right example."""


class InputError(RebalanceError):
    """User input was wrong; the message says what. `code` says which kind of input (a front
    end adds an example of a right call in its own syntax) and `data` the particulars."""

    def __init__(
        self, message: str, *, code: str = "bad_input", data: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.data: Mapping[str, object] = dict(data or {})


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
    """Kraken's REST call counter (or a pair's trading counter) was exceeded."""


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


class PostOnlyRejected(OrderRejected):
    """A post-only order or amend would have crossed the book; nothing was placed or changed."""


class UnknownPair(ExchangeError):
    """The exchange does not know this asset pair."""


class UnknownOrder(ExchangeError):
    """No open order has this id: it filled, was cancelled or never existed. Read its state."""


class OrderOutcomeUnknown(ExchangeError):
    """An order was sent but its answer was lost: look it up by client order id."""


class AmendOutcomeUnknown(OrderOutcomeUnknown):
    """An amend was sent but its answer was lost: read the order to see if it applied."""


class CancelOutcomeUnknown(OrderOutcomeUnknown):
    """A cancel was sent but its answer was lost: read the order to see if it is still open."""


FRESH_PLAN = "fresh_plan"  # ExecutionRefused.next_step: the way on is a new plan


class ExecutionRefused(RebalanceError):
    """A prepared plan may not be executed; `code` is a stable machine-readable reason and
    `data` its particulars (times, assets), for front ends to word in their own terms.
    `next_step` is FRESH_PLAN when the user's way on is a new plan (each front end names its
    own command for that), or "" when the message says it all."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        data: Mapping[str, object] | None = None,
        next_step: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.data: Mapping[str, object] = dict(data or {})
        self.next_step = next_step


class StorageError(RebalanceError):
    """The database failed; the operation was rolled back."""


class OperationRefused(RebalanceError):
    """A maintenance step may not run now or on this input (another bot runs on the
    database, a backup of a server database, a file that is no backup): nothing was changed.
    `code` is stable (`instance_running`, `backup_unsupported`, `restore_busy`,
    `restore_not_a_database`, `restore_schema_newer`, ...) and `data` its particulars."""

    def __init__(
        self, message: str, *, code: str, data: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.data: Mapping[str, object] = dict(data or {})
