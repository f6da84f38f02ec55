"""The record of the database's bot, the same on every store: claimed, beaten, released,
and refused to another process while its beat is fresh by the store's clock."""

from __future__ import annotations

from core.app.records import LeaseOwner
from core.app.repositories import Store
from tests.fakes.clocks import FakeClock

FIRST = LeaseOwner(host="pi", pid=100, boot="b", token="token-first")
SECOND = LeaseOwner(host="vps", pid=200, boot="c", token="token-second")
STALE_S = 180


def alive(_owner: LeaseOwner) -> bool:
    return False


def test_a_fresh_bot_refuses_a_second_and_names_itself(store: Store, clock: FakeClock) -> None:
    assert store.claim_instance(FIRST, STALE_S, alive) is None
    clock.advance(seconds=30)
    other = store.claim_instance(SECOND, STALE_S, alive)
    assert other is not None and (other.owner, other.age_s) == (FIRST, 30)


def test_a_beat_keeps_it_fresh_and_a_stale_one_is_taken_over(
    store: Store, clock: FakeClock
) -> None:
    store.claim_instance(FIRST, STALE_S, alive)
    clock.advance(seconds=STALE_S - 1)
    assert store.refresh_instance(FIRST)
    clock.advance(seconds=STALE_S - 1)
    assert store.claim_instance(SECOND, STALE_S, alive) is not None
    clock.advance(seconds=2)
    assert store.claim_instance(SECOND, STALE_S, alive) is None
    assert not store.refresh_instance(FIRST)
    beat = store.instance_beat()
    assert beat is not None and beat.owner == SECOND


def test_a_dead_bot_is_taken_over_at_once(store: Store) -> None:
    store.claim_instance(FIRST, STALE_S, alive)
    assert store.claim_instance(SECOND, STALE_S, lambda owner: owner == FIRST) is None


def test_only_the_bot_itself_releases_its_record_and_clear_forgets_any(store: Store) -> None:
    store.claim_instance(FIRST, STALE_S, alive)
    assert not store.release_instance(SECOND)
    assert store.release_instance(FIRST)
    assert store.instance_beat() is None
    store.claim_instance(SECOND, STALE_S, alive)
    store.clear_instance()
    assert store.instance_beat() is None
