"""Command argument parsing: pure functions, property-tested with arbitrary text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.telegram import parse
from bot.telegram.parse import Action, ArgumentError, ButtonPress

PARSERS: dict[str, Callable[[Sequence[str]], Any]] = {
    "lock": parse.lock_args,
    "unlock": parse.unlock_target,
    "targets": parse.targets_spec,
    "history": parse.history_count,
    "alerts": parse.alerts_switch,
    "rebalance": parse.rebalance_force,
}
words = st.lists(st.text(max_size=40), max_size=6)
spec_like = st.lists(
    st.from_regex(r"[A-Za-z0-9]{0,12}=[-+0-9.eE]{0,12}", fullmatch=True), max_size=6
).map(lambda items: [",".join(items)])


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(args=st.one_of(words, spec_like))
def test_any_arguments_give_a_value_or_a_clear_message_with_an_example(
    name: str, args: list[str]
) -> None:
    try:
        PARSERS[name](args)
    except ArgumentError as e:
        assert "Example: /" in str(e)
        assert len(str(e)) < 400


@given(text=st.text(max_size=300))
def test_echo_keeps_quoted_user_text_short_and_on_one_line(text: str) -> None:
    echoed = parse.echo(text)
    assert len(echoed) <= 24 and "\n" not in echoed


def test_lock_upper_cases_the_symbol_and_keeps_the_reason() -> None:
    assert parse.lock_args(["btc", "cold", "storage"]) == parse.LockArgs("BTC", "cold storage")


@pytest.mark.parametrize("args", [[], ["BT-C"], ["$$$"], ["ABCDEFGHIJK"]])
def test_lock_refuses_a_missing_or_malformed_symbol(args: list[str]) -> None:
    with pytest.raises(ArgumentError, match="Example: /lock BTC"):
        parse.lock_args(args)


def test_unlock_accepts_all_in_any_case() -> None:
    assert parse.unlock_target(["ALL"]) == parse.ALL
    assert parse.unlock_target(["eth"]) == "ETH"


def test_targets_accept_spaces_or_commas_between_pairs() -> None:
    expected = {"BTC": Decimal(60), "ETH": Decimal(40)}
    assert parse.targets_spec(["BTC=60", "ETH=40"]) == expected
    assert parse.targets_spec(["btc=60,", "eth=40"]) == expected
    assert parse.targets_spec([]) is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["BTC=50,ETH=40"], "sum to 90, not 100"),
        (["BTC=x,ETH=100"], "not a number"),
        (["BTC=-10,ETH=110"], "negative"),
        (["BTC=50,BTC=50"], "twice"),
        (["BTC=1e999999,ETH=9e999999"], "targets don't work"),
    ],
)
def test_bad_targets_say_what_is_wrong(args: list[str], words: str) -> None:
    with pytest.raises(ArgumentError, match=words):
        parse.targets_spec(args)


def test_spec_text_round_trips_through_the_parser() -> None:
    weights = {"BTC": Decimal("33.34"), "ETH": Decimal("66.66")}
    assert parse.targets_spec([parse.spec_text(weights)]) == weights


@pytest.mark.parametrize(("args", "count"), [([], 10), (["1"], 1), (["50"], 50)])
def test_history_count_defaults_to_ten_and_accepts_one_to_fifty(
    args: list[str], count: int
) -> None:
    assert parse.history_count(args) == count


@pytest.mark.parametrize("args", [["0"], ["51"], ["-1"], ["2.5"], ["five"], ["1", "2"]])
def test_history_count_refuses_anything_else(args: list[str]) -> None:
    with pytest.raises(ArgumentError, match="Example: /history 5"):
        parse.history_count(args)


@pytest.mark.parametrize("arg", ["0", "51", "-1", "+99", "12345678901234567890"])
def test_a_whole_number_outside_one_to_fifty_is_called_out_of_range(arg: str) -> None:
    with pytest.raises(ArgumentError, match=r"is out of range \(1 to 50\)"):
        parse.history_count([arg])


def test_alerts_switch_reads_on_and_off() -> None:
    assert parse.alerts_switch(["ON"]) is True
    assert parse.alerts_switch(["off"]) is False
    assert parse.alerts_switch([]) is None


@given(
    plan_id=st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
        min_size=1,
        max_size=62,
    )
)
def test_button_data_fits_telegrams_64_bytes_and_round_trips(plan_id: str) -> None:
    for action in Action:
        data = parse.button_data(action, plan_id)
        assert len(data.encode()) <= 64
        assert parse.button_press(data) == ButtonPress(action, plan_id)


def test_button_data_refuses_a_plan_id_too_long_for_telegram() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse.button_data(Action.CONFIRM, "x" * 63)


@given(data=st.one_of(st.none(), st.text(max_size=80)))
def test_any_button_data_is_read_or_ignored_never_an_error(data: str | None) -> None:
    press = parse.button_press(data)
    assert press is None or (data or "").endswith(press.plan_id)


def test_rebalance_takes_no_argument_or_force() -> None:
    assert parse.rebalance_force([]) is False
    assert parse.rebalance_force(["FORCE"]) is True
    with pytest.raises(ArgumentError, match="/rebalance force"):
        parse.rebalance_force(["now"])
