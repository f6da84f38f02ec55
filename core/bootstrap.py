"""The composition root: the only place adapters are built (the store, the exchange, this
process's identity) and handed to the use cases; it closes what it opened."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from core.app.instance import BotInstance
from core.app.lease import LeaseTerms
from core.app.maintenance import hold_for_restore
from core.app.meter import CallMeter
from core.app.ports import Exchange, MakerExchange
from core.app.rebalancer import HEARTBEAT_KEY, Rebalancer
from core.app.settings import AppSettings, AutopilotSettings
from core.config import Settings
from core.domain.autopilot import AutopilotMode, Caps
from core.domain.maker_rules import OrderFlow
from core.domain.models import PlanSettings
from core.errors import ConfigError, ExchangeError, OperationRefused
from core.exchange.paper import PaperExchange
from core.host import predecessor_is_dead, this_process
from core.store.backup import backup_revision, backup_sqlite, restore_sqlite
from core.store.db import (
    is_postgres,
    make_engine,
    sqlite_file_missing,
    sqlite_path,
    upgrade_if_behind,
)
from core.store.repo import Store

if TYPE_CHECKING:
    from core.exchange.kraken import KrakenExchange

log = structlog.get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def app_settings(settings: Settings) -> AppSettings:
    return AppSettings(
        mode=settings.trading_mode,
        plan=PlanSettings(
            quote_currency=settings.quote_currency,
            min_trade_value=settings.min_trade_value,
            drift_band_pct=settings.drift_band_pct,
            max_orders=settings.max_orders,
            rebalance_to=settings.rebalance_to,
            drift_band_relative_pct=settings.drift_band_relative_pct,
        ),
        confirm_ttl_seconds=settings.confirm_ttl_seconds,
        cooldown_minutes=settings.rebalance_cooldown_minutes,
        price_tolerance_pct=settings.price_drift_tolerance_pct,
        lease_stale_seconds=settings.lease_stale_seconds,
        autopilot=autopilot_settings(settings),
        order_type=OrderFlow(settings.order_type),
        maker_timeout_seconds=settings.maker_timeout_seconds,
        max_slippage_pct=settings.max_slippage_pct,
    )


def autopilot_settings(settings: Settings) -> AutopilotSettings:
    """AUTOPILOT and its caps; the check runs every ALERT_INTERVAL_MINUTES."""
    return AutopilotSettings(
        mode=AutopilotMode(settings.autopilot),
        caps=Caps(settings.autopilot_max_trade_value, settings.autopilot_max_runs_per_day),
        check_interval_minutes=settings.alert_interval_minutes,
    )


def open_store(settings: Settings) -> Store:
    """Apply migrations (when behind), then open the store."""
    upgrade_if_behind(settings.database_url)
    return Store(make_engine(settings.database_url))


async def seed_targets(settings: Settings, store: Store, exchange: Exchange) -> None:
    """TARGET_WEIGHTS seeds an empty database, once its symbols are known to be tradable."""
    if store.get_targets():
        return
    quote = settings.quote_currency
    tradable = await exchange.tradable_assets(quote)
    unknown = [s for s in settings.target_weights if s != quote and s not in tradable]
    if unknown:
        raise ConfigError(
            f"TARGET_WEIGHTS: {', '.join(unknown)} is not tradable against {quote} on Kraken "
            "(example: TARGET_WEIGHTS=BTC=40,ETH=30,SOL=20,ADA=10)"
        )
    store.seed_targets_if_empty(settings.target_weights, utc_now())


def make_exchange(
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime] = utc_now,
    meter: CallMeter | None = None,
) -> MakerExchange:
    """Kraken in live mode; otherwise the paper account, priced by Kraken's public API
    (PAPER_MARKET_DATA=auto) or by the bundled snapshot alone."""
    if settings.trading_mode == "live":
        return _kraken(settings, with_keys=True, meter=meter)
    auto = settings.paper_market_data == "auto"
    source = _kraken(settings, with_keys=False, meter=meter) if auto else None
    return PaperExchange(book=store, seed=settings.paper_balances, market_source=source, now=clock)


def _kraken(
    settings: Settings, *, with_keys: bool, meter: CallMeter | None = None
) -> KrakenExchange:
    # ccxt is heavy to import: load it only when Kraken is really spoken to.
    from core.exchange.kraken import KrakenExchange  # noqa: PLC0415

    if not with_keys:  # public market data for paper mode: fail fast, fall back to snapshot
        return KrakenExchange(
            api_url=settings.kraken_api_url, timeout_s=3, retry_delays=(), meter=meter
        )
    return KrakenExchange(
        api_url=settings.kraken_api_url,
        api_key=_reveal(settings.kraken_api_key),
        api_secret=_reveal(settings.kraken_api_secret),
        tier=settings.kraken_tier,
        meter=meter,
    )


async def reconcile_at_start(app: Rebalancer) -> None:
    """Resolve orders a previous process left unresolved, before anything else runs.

    An unreachable exchange does not stop the process: `execute` reconciles again first.
    """
    try:
        outcomes = await app.reconcile()
    except ExchangeError as e:
        log.warning("reconcile.deferred", error=str(e))
        return
    if outcomes:
        log.info("reconcile.done", orders=len(outcomes))


def _reveal(secret: object) -> str | None:
    get = getattr(secret, "get_secret_value", None)
    return None if get is None else str(get())


@asynccontextmanager
async def open_rebalancer(
    settings: Settings, clock: Callable[[], datetime] = utc_now, *, as_bot: bool = False
) -> AsyncIterator[Rebalancer]:
    """The use cases, ready: migrations applied, exchange client open; closed on exit.

    `clock` is the application's wall clock (tests pass one they move by hand); leases are
    timed by the database's own clock whatever it says. `as_bot`: this process is the
    database's one bot (`core.app.instance`): refused with OperationRefused while another
    bot's heartbeat is fresh, released on exit.
    """
    store, terms = open_store(settings), lease_terms(settings)
    instance = BotInstance(store, terms) if as_bot else None
    meter = CallMeter()
    try:
        if instance is not None:
            instance.claim()
        exchange = make_exchange(settings, store, clock, meter)
    except BaseException:
        store.close()
        raise
    try:
        await seed_targets(settings, store, exchange)
        app = Rebalancer(
            app_settings(settings), exchange, store, clock, terms, meter=meter, instance=instance
        )
        await reconcile_at_start(app)
        yield app
    finally:
        await exchange.close()
        if instance is not None:
            instance.release()
        store.close()


def open_bot_rebalancer(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> AbstractAsyncContextManager[Rebalancer]:
    """`open_rebalancer` for the bot: the one instance on its database."""
    return open_rebalancer(settings, clock, as_bot=True)


def lease_terms(settings: Settings) -> LeaseTerms:
    """This process, for leases: it recognises its dead predecessors on the same host."""
    return LeaseTerms(this_process(), settings.lease_stale_seconds, predecessor_is_dead)


HEARTBEAT_MAX_AGE_S = 300


def healthcheck(settings: Settings) -> int:
    """0 when the database answers and the running bot's heartbeat is fresh (the Docker
    HEALTHCHECK; its start period covers the first beat, which comes at start-up)."""
    try:
        if sqlite_file_missing(settings.database_url):
            print("unhealthy: the database file does not exist", flush=True)
            return 1
        store = Store(make_engine(settings.database_url))
        beat = store.kv_get(HEARTBEAT_KEY)
        store.close()
    except Exception as e:  # any failure means unhealthy; say why in one line
        print(f"unhealthy: database: {type(e).__name__}", flush=True)
        return 1
    if beat is None:
        print("unhealthy: the bot has not recorded a heartbeat yet", flush=True)
        return 1
    age = (utc_now() - datetime.fromisoformat(beat)).total_seconds()
    if age > HEARTBEAT_MAX_AGE_S:
        print(f"unhealthy: last heartbeat {age:.0f} s ago", flush=True)
        return 1
    print("healthy", flush=True)
    return 0


# --- Backups (`rebalance-bot backup FILE` / `restore FILE`) ---------------------------------
PG_DUMP_HINT = (
    "the database is PostgreSQL: back it up with the server's own tools, e.g. "
    "`pg_dump --format=custom --file=rebalance.dump postgresql://USER@HOST/DB` (DATABASE_URL "
    "without +psycopg; `pg_restore --clean --dbname=... rebalance.dump` puts it back, with "
    "the bot stopped)"
)


def backup_database(settings: Settings, target: Path) -> int:
    """A consistent copy of the SQLite database in `target`, even while the bot runs; its
    size in bytes. OperationRefused `backup_unsupported` for PostgreSQL (pg_dump does it)."""
    return backup_sqlite(_sqlite_database(settings, "backup_unsupported"), target)


def restore_database(settings: Settings, source: Path) -> str:
    """Put the backup `source` in place of the database, then migrate it; its revision.

    Refused (OperationRefused, nothing changed) when `source` is not a rebalance-bot
    database or is newer than this code, and while the database may not be overwritten
    (`core.app.maintenance`: a bot's heartbeat is fresh, a run in progress, an order of
    unknown outcome); meanwhile this process holds it as its bot, so none starts. The
    restored copy records no bot: the next `run` starts at once.
    """
    database = _sqlite_database(settings, "restore_unsupported")
    revision = backup_revision(source)
    if database.exists() and source.resolve() == database.resolve():
        raise OperationRefused(
            f"{source} is the database itself", code="restore_onto_itself", data={}
        )
    store, terms = open_store(settings), lease_terms(settings)
    try:
        hold_for_restore(store, terms)  # no bot starts while the copy goes in
        try:
            restore_sqlite(source, database)
        except BaseException:
            store.release_instance(terms.owner)
            raise
    finally:
        store.close()
    store = open_store(settings)  # migrates a backup from an older version
    try:
        store.clear_instance()  # neither the bot in the copy nor this process runs on it
    finally:
        store.close()
    return revision


def _sqlite_database(settings: Settings, code: str) -> Path:
    path = sqlite_path(settings.database_url)
    if path is None:
        raise OperationRefused(
            PG_DUMP_HINT
            if is_postgres(settings.database_url)
            else "DATABASE_URL names no SQLite file: back it up with that database's own tools",
            code=code,
            data={},
        )
    return path
