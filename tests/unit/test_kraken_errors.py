"""Every ccxt exception becomes an error of the project's tree, with Kraken's own words.

The ccxt exceptions are the real ones: ccxt's Kraken client turns a recorded-style error
envelope into an exception through its public `handle_errors` hook, exactly as it does for a
live answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import aiohttp
import ccxt.async_support as ccxt
import pytest

from core import errors
from core.exchange.kraken_errors import (
    NotKrakenEnvelope,
    for_change,
    for_order,
    for_read,
    kraken_codes,
    translate,
)

URL = "https://api.kraken.com/0/private/AddOrder"


@pytest.fixture(scope="module")
def client() -> Iterator[ccxt.kraken]:
    yield ccxt.kraken()


def raised_by_ccxt(client: ccxt.kraken, *kraken_errors: str) -> Exception:
    """The exception ccxt raises for a Kraken envelope carrying `kraken_errors`."""
    body = json.dumps({"error": list(kraken_errors)})
    try:
        client.handle_errors(200, "OK", URL, "POST", {}, body, json.loads(body), {}, "")
    except Exception as e:
        return e
    raise AssertionError(f"ccxt raised nothing for {body}")


@pytest.mark.parametrize(
    ("kraken_error", "ccxt_class", "expected"),
    [
        ("EAPI:Rate limit exceeded", ccxt.DDoSProtection, errors.RateLimited),
        ("EOrder:Rate limit exceeded", ccxt.DDoSProtection, errors.RateLimited),
        ("EGeneral:Temporary lockout", ccxt.DDoSProtection, errors.RateLimited),
        ("EService:Unavailable", ccxt.ExchangeNotAvailable, errors.ExchangeUnavailable),
        ("EService:Busy", ccxt.ExchangeNotAvailable, errors.ExchangeUnavailable),
        ("EGeneral:Internal error", ccxt.ExchangeNotAvailable, errors.ExchangeUnavailable),
        ("EService:Deadline elapsed", ccxt.ExchangeError, errors.ExchangeUnavailable),
        ("EAPI:Invalid nonce", ccxt.InvalidNonce, errors.NonceRejected),
        ("EAPI:Invalid key", ccxt.AuthenticationError, errors.AuthenticationError),
        ("EAPI:Invalid signature", ccxt.ExchangeError, errors.AuthenticationError),
        ("EGeneral:Permission denied", ccxt.PermissionDenied, errors.AuthenticationError),
        ("EAPI:Feature disabled", ccxt.ExchangeError, errors.AuthenticationError),
        ("EOrder:Insufficient funds", ccxt.InsufficientFunds, errors.InsufficientFunds),
        ("EOrder:Cost minimum not met", ccxt.ExchangeError, errors.OrderRejected),
        ("EOrder:Order minimum not met", ccxt.InvalidOrder, errors.OrderRejected),
        ("EGeneral:Invalid arguments", ccxt.BadRequest, errors.OrderRejected),
        ("EGeneral:Invalid arguments:volume", ccxt.InvalidOrder, errors.OrderRejected),
        ("EOrder:Trading halted", ccxt.ExchangeError, errors.MarketNotTradable),
        ("EOrder:Market in cancel_only mode", ccxt.ExchangeError, errors.MarketNotTradable),
        ("EService:Market in cancel_only mode", ccxt.OnMaintenance, errors.MarketNotTradable),
        ("EService:Market in post_only mode", ccxt.OnMaintenance, errors.MarketNotTradable),
        ("EQuery:Unknown asset pair", ccxt.ExchangeError, errors.UnknownPair),
        ("EQuery:Invalid asset pair", ccxt.BadSymbol, errors.UnknownPair),
    ],
)
def test_each_kraken_error_string_becomes_the_right_project_error_whatever_ccxt_raised(
    client: ccxt.kraken,
    kraken_error: str,
    ccxt_class: type[Exception],
    expected: type[errors.ExchangeError],
) -> None:
    raised = raised_by_ccxt(client, kraken_error)
    assert type(raised) is ccxt_class
    translated = translate(raised)
    assert type(translated) is expected
    assert translated.reason == kraken_error


def test_invalid_nonce_is_a_network_error_in_ccxt_but_a_rejected_nonce_here(
    client: ccxt.kraken,
) -> None:
    raised = raised_by_ccxt(client, "EAPI:Invalid nonce")
    assert isinstance(raised, ccxt.NetworkError)
    assert isinstance(translate(raised), errors.NonceRejected)


def test_an_auth_failure_tells_the_owner_which_settings_to_check(client: ccxt.kraken) -> None:
    translated = translate(raised_by_ccxt(client, "EAPI:Invalid signature"))
    assert "Kraken rejected the API key" in str(translated)
    assert "KRAKEN_API_KEY" in str(translated)


def test_an_order_rejection_keeps_krakens_reason_in_the_message(client: ccxt.kraken) -> None:
    translated = translate(raised_by_ccxt(client, "EOrder:Cost minimum not met"))
    assert str(translated) == "Kraken refused the order: EOrder:Cost minimum not met"


def test_an_unknown_kraken_error_is_a_plain_exchange_error_with_krakens_words(
    client: ccxt.kraken,
) -> None:
    translated = translate(raised_by_ccxt(client, "EFunding:Unknown reference id"))
    assert type(translated) is errors.ExchangeError
    assert translated.reason == "EFunding:Unknown reference id"


def test_kraken_strings_are_found_in_ccxts_message_and_in_bare_text() -> None:
    assert kraken_codes('kraken {"error":["EOrder:Insufficient funds"]}') == [
        "EOrder:Insufficient funds"
    ]
    assert kraken_codes("EAPI:Invalid key") == ["EAPI:Invalid key"]
    assert kraken_codes("kraken POST https://x/0/private/Balance 502 Bad Gateway") == []


@pytest.mark.parametrize(
    "raised",
    [
        ccxt.RequestTimeout("kraken POST https://api.kraken.com/0/private/BalanceEx"),
        ccxt.ExchangeNotAvailable(
            "kraken GET https://api.kraken.com/0/public/Ticker 502 Bad Gateway <html>…</html>"
        ),
        ccxt.ExchangeNotAvailable("kraken POST https://api.kraken.com/0/private/AddOrder"),
        NotKrakenEnvelope("kraken answered HTTP 200 text/html: <!DOCTYPE html>"),
        ccxt.NullResponse("kraken returned an empty body"),
    ],
)
def test_timeouts_5xx_and_non_json_answers_are_temporary_unavailability(
    raised: Exception,
) -> None:
    assert isinstance(translate(raised), errors.ExchangeUnavailable)


def test_a_connection_dropped_mid_answer_is_unavailability_not_a_refusal() -> None:
    raised = ccxt.ExchangeError("kraken POST https://api.kraken.com/0/private/AddOrder")
    raised.__cause__ = aiohttp.ClientPayloadError("Response payload is not completed")
    assert isinstance(translate(raised), errors.ExchangeUnavailable)


def test_http_rate_limiting_without_a_kraken_string_is_rate_limited() -> None:
    raised = ccxt.RateLimitExceeded("kraken GET https://api.kraken.com/0/public/Ticker 429")
    assert isinstance(translate(raised), errors.RateLimited)


def test_missing_credentials_say_which_settings_to_set() -> None:
    raised = ccxt.AuthenticationError('kraken requires "apiKey" credential')
    translated = translate(raised)
    assert isinstance(translated, errors.AuthenticationError)
    assert "KRAKEN_API_KEY and KRAKEN_API_SECRET" in str(translated)


def test_messages_never_contain_the_key_or_the_secret() -> None:
    raised = ccxt.ExchangeError("kraken request with API-Key key-123 and secret c2VjcmV0")
    translated = translate(raised, secrets=("key-123", "c2VjcmV0"))
    assert "key-123" not in str(translated)
    assert "c2VjcmV0" not in str(translated)
    assert "***" in str(translated)


def test_an_unexpected_python_error_is_still_an_exchange_error() -> None:
    assert type(translate(KeyError("result"))) is errors.ExchangeError


@pytest.mark.parametrize(
    "definite",
    [
        errors.OrderRejected("refused", reason="EOrder:Cost minimum not met"),
        errors.InsufficientFunds("refused"),
        errors.MarketNotTradable("refused"),
        errors.AuthenticationError("refused"),
        errors.RateLimited("refused"),
        errors.NonceRejected("refused"),
        errors.UnknownPair("refused"),
    ],
)
def test_a_definite_refusal_of_an_order_stays_as_it_is(definite: errors.ExchangeError) -> None:
    assert for_order(definite, "c-1") is definite


@pytest.mark.parametrize(
    "ambiguous",
    [
        errors.ExchangeUnavailable("timed out"),
        errors.ExchangeUnavailable("HTML page", reason="HTTP 200 text/html"),
        errors.ExchangeError("Kraken request failed: KeyError"),
    ],
)
def test_anything_ambiguous_about_an_order_makes_its_outcome_unknown(
    ambiguous: errors.ExchangeError,
) -> None:
    translated = for_order(ambiguous, "c-1")
    assert isinstance(translated, errors.OrderOutcomeUnknown)
    assert "c-1" in str(translated)
    assert "never send it again" in str(translated)


def test_an_order_refusal_answered_to_a_read_is_a_plain_exchange_error(
    client: ccxt.kraken,
) -> None:
    translated = for_read(translate(raised_by_ccxt(client, "EOrder:Invalid order")))
    assert type(translated) is errors.ExchangeError
    assert translated.reason == "EOrder:Invalid order"


def test_other_read_errors_stay_as_they_are() -> None:
    unavailable = errors.ExchangeUnavailable("busy")
    assert for_read(unavailable) is unavailable


@pytest.mark.parametrize(
    ("kraken_error", "expected"),
    [
        ("EOrder:Post only order", errors.PostOnlyRejected),
        ("EOrder:Unknown order", errors.UnknownOrder),
    ],
)
def test_post_only_and_unknown_order_refusals_have_their_own_errors(
    client: ccxt.kraken, kraken_error: str, expected: type[errors.ExchangeError]
) -> None:
    translated = translate(raised_by_ccxt(client, kraken_error))
    assert type(translated) is expected
    assert translated.reason == kraken_error


def test_a_post_only_rejection_is_an_order_rejection() -> None:
    assert issubclass(errors.PostOnlyRejected, errors.OrderRejected)
    assert issubclass(errors.AmendOutcomeUnknown, errors.OrderOutcomeUnknown)
    assert issubclass(errors.CancelOutcomeUnknown, errors.OrderOutcomeUnknown)


@pytest.mark.parametrize(
    "definite",
    [
        errors.PostOnlyRejected("refused", reason="EOrder:Post only order"),
        errors.UnknownOrder("gone", reason="EOrder:Unknown order"),
        errors.RateLimited("refused", reason="EOrder:Rate limit exceeded"),
    ],
)
def test_a_definite_refusal_of_an_amend_or_cancel_stays_as_it_is(
    definite: errors.ExchangeError,
) -> None:
    assert for_change(definite, "amend of order O1", errors.AmendOutcomeUnknown) is definite


@pytest.mark.parametrize("unknown", [errors.AmendOutcomeUnknown, errors.CancelOutcomeUnknown])
def test_a_lost_answer_to_an_amend_or_cancel_makes_its_outcome_unknown(
    unknown: type[errors.OrderOutcomeUnknown],
) -> None:
    translated = for_change(errors.ExchangeUnavailable("timed out"), "cancel of order O1", unknown)
    assert type(translated) is unknown
    assert "cancel of order O1" in str(translated) and "read the order" in str(translated)
