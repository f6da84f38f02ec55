"""Offline support for bot handler tests: a real `Bot` whose HTTP layer records and answers
locally (no network), a hand-written fake facade, and builders for real `Update` objects.

Follows PTB's own tests (tests/auxil/build_messages.py): real Update/Message objects built
from Bot API JSON with `Update.de_json(data, bot)`, never MagicMocks.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.telegram.app import build_application
from bot.telegram.state import BotApp
from core.app.api import (
    AutopilotCheck,
    AutopilotStatus,
    DriftAlert,
    ExecutionReport,
    LockInfo,
    OrderOutcome,
    PreparedPlan,
    Progress,
    RunSummary,
    Stats,
)
from core.app.position_results import BasisResult, CsvRows, PositionsReport
from core.app.positions import parse_price
from core.config import Settings
from core.domain.autopilot import Action
from core.domain.exports import FILL_COLUMNS, LOT_COLUMNS
from core.domain.ledger import build_ledger
from core.domain.lots import Adjustment, AdjustmentKind
from core.domain.models import Plan, Side
from core.domain.planner import make_plan
from core.domain.pnl import positions, totals
from core.domain.statuses import RunOutcome
from core.errors import ExchangeError, ExecutionRefused, InputError
from tests.fakes.telegram_server import parse_html, utf16_length
from tests.unit.builders import NOW, WORKED_TARGETS, decimals, plan_settings, worked_portfolio

OWNER = 111
FRIEND = 222
STRANGER = 999
TOKEN = "123456:TEST-token_for_offline_tests"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Rebalance", "username": "rebal_bot"}


def worked_plan() -> Plan:
    """The issue's worked example: 27,500 EUR at 40/30/20/10, BTC far over target."""
    return make_plan(
        worked_portfolio(), decimals(WORKED_TARGETS), frozenset(), plan_settings(), NOW
    )


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, Any] | None = None


class OfflineBotApi(BaseRequest):
    """The Bot API as a `BaseRequest` that records every call and answers it locally."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failing: dict[str, tuple[int, str]] = {}  # method -> (HTTP status, description)
        self._ids = itertools.count(500)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = (
            request_data.multipart_data if request_data and request_data.contains_files else None
        )
        self.calls.append(Call(endpoint, params, files))
        if endpoint in self.failing:
            status, description = self.failing[endpoint]
            body = {"ok": False, "error_code": status, "description": description}
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint == "getUpdates":
            return []
        if endpoint in ("sendMessage", "editMessageText", "sendPhoto"):
            chat_id = params.get("chat_id", OWNER)
            message_id = params.get("message_id") or next(self._ids)
            return _message_json(int(chat_id), BOT_USER, str(params.get("text", "")), message_id)
        return True

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def texts(self, method: str = "sendMessage") -> list[str]:
        return [str(c.params.get("text", c.params.get("caption", ""))) for c in self.of(method)]

    def clear(self) -> None:
        self.calls.clear()


def assert_valid_telegram_html(text: str) -> None:
    """Telegram would accept it: parses as its HTML subset, non-empty, within 4,096."""
    plain, _ = parse_html(text)
    assert plain.strip(), f"empty message: {text!r}"
    assert utf16_length(plain) <= 4096


def _message_json(
    chat_id: int, sender: dict[str, Any], text: str, message_id: int
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": int(NOW.timestamp()),
        "chat": {"id": chat_id, "type": "private"},
        "from": sender,
        "text": text,
    }


_update_ids = itertools.count(1)


def user_json(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}


def command_update(app: BotApp, text: str, user_id: int = OWNER) -> Update:
    """A message update as Telegram sends it; a leading /command gets its entity."""
    message = _message_json(user_id, user_json(user_id), text, next(_update_ids))
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0]) if text.split() else 1
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return Update.de_json({"update_id": next(_update_ids), "message": message}, app.bot)


def press_update(
    app: BotApp, data: str, user_id: int = OWNER, text: str = "<b>Plan</b>", chat_id: int = OWNER
) -> Update:
    """A button press on a bot message that shows [Confirm] [Cancel]."""
    message = _message_json(chat_id, BOT_USER, "Plan", 77)
    message["entities"] = [{"type": "bold", "offset": 0, "length": 4}] if "<b>" in text else []
    message["reply_markup"] = {"inline_keyboard": [[{"text": "✅ Confirm", "callback_data": data}]]}
    query = {
        "id": str(next(_update_ids)),
        "from": user_json(user_id),
        "message": message,
        "chat_instance": "1",
        "data": data,
    }
    return Update.de_json({"update_id": next(_update_ids), "callback_query": query}, app.bot)


STILL_PENDING_AFTER = frozenset({"busy", "other_user", "cooldown"})  # refusals keep the plan


@dataclass
class FakeFacade:
    """An in-memory stand-in with the `bot.telegram.state.Facade` shape; records every call."""

    plan: Plan = field(default_factory=worked_plan)
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    refusal: ExecutionRefused | None = None
    failure: Exception | None = None
    drift: DriftAlert | None = None
    failures_to_tell: int = 3
    locks: dict[str, LockInfo] = field(default_factory=dict)
    weights: dict[str, Decimal] = field(default_factory=lambda: decimals(WORKED_TARGETS))
    alerts: dict[str, bool] = field(default_factory=dict)
    runs: list[RunSummary] = field(default_factory=list)
    known: frozenset[str] = frozenset({"BTC", "ETH", "SOL", "ADA"})
    mode: str = "paper"
    quote: str = "EUR"
    outcome: RunOutcome = RunOutcome.FULL  # what execute() reports
    confirmable: bool | None = None  # what plan_confirmable() says (None: as the core would)
    reconciled: tuple[OrderOutcome, ...] = ()  # what reconcile() resolves
    autopilot: AutopilotCheck | None = None  # what autopilot_check() returns
    autopilot_paused: bool = False

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.failure is not None:
            raise self.failure

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return [args for called, args in self.calls if called == name]

    async def check(self) -> Plan:
        self._call("check")
        return self.plan

    async def preview(self) -> Plan:
        self._call("preview")
        return self.plan

    async def prepare_rebalance(self, user_id: str) -> PreparedPlan:
        self._call("prepare_rebalance", user_id)
        return PreparedPlan("plan-1", user_id, self.plan, NOW + timedelta(minutes=2))

    async def execute(
        self,
        plan_id: str,
        user_id: str,
        progress: Progress | None = None,
        *,
        trigger: str = "manual",
    ) -> ExecutionReport:
        self._call("execute", plan_id, user_id)
        if self.refusal is not None:
            raise self.refusal
        outcomes = [_filled(o.asset, o.side, o.amount, o.price) for o in self.plan.orders]
        for outcome in outcomes:
            if progress is not None:
                await progress(outcome)
        return ExecutionReport(
            plan_id, 1, self.outcome, tuple(outcomes), (), self.plan.max_drift_pct,
            Decimal("0.3"), NOW, NOW + timedelta(seconds=2), "EUR",
        )  # fmt: skip

    def plan_owner(self, plan_id: str) -> str | None:
        return None  # unknown here: the (fake) execute/cancel decide, as for a lost plan

    def plan_confirmable(self, plan_id: str) -> bool:
        """As the core says after each refusal: the plan is still pending after these."""
        if self.confirmable is not None:
            return self.confirmable
        if self.refusal is not None:
            return self.refusal.code in STILL_PENDING_AFTER
        return isinstance(self.failure, ExchangeError)

    async def reconcile(self) -> tuple[OrderOutcome, ...]:
        self._call("reconcile")
        return self.reconciled

    def cancel(self, plan_id: str, user_id: str) -> None:
        self._call("cancel", plan_id, user_id)
        if self.refusal is not None:
            raise self.refusal

    async def lock(self, symbol: str, user_id: str, reason: str | None = None) -> bool:
        self._call("lock", symbol, user_id, reason)
        if symbol not in self.known:
            raise InputError(f"{symbol} is not traded against EUR on Kraken")
        new = symbol not in self.locks
        self.locks.setdefault(symbol, LockInfo(symbol, user_id, NOW, reason))
        return new

    def unlock(self, symbol: str) -> bool:
        self._call("unlock", symbol)
        return self.locks.pop(symbol, None) is not None

    def unlock_all(self) -> int:
        self._call("unlock_all")
        count = len(self.locks)
        self.locks.clear()
        return count

    def locked(self) -> tuple[LockInfo, ...]:
        self._call("locked")
        return tuple(self.locks.values())

    def targets(self) -> dict[str, Decimal]:
        self._call("targets")
        return dict(self.weights)

    async def set_targets(self, spec: str) -> dict[str, Decimal]:
        self._call("set_targets", spec)
        pairs = dict(item.split("=") for item in spec.split(","))
        unknown = sorted(set(pairs) - self.known)
        if unknown:
            raise InputError(f"{unknown[0]} is not traded against EUR on Kraken")
        self.weights = {k: Decimal(v) for k, v in pairs.items()}
        return dict(self.weights)

    def stats(self) -> Stats:
        self._call("stats")
        series = tuple((r.started_at, r.drift_before, r.drift_after) for r in self.runs)
        return Stats(
            {"full": len(self.runs)}, Decimal(0), Decimal(0), None, None, {}, None, None,
            tuple(self.locks.values()), "EUR", series,
        )  # fmt: skip

    def history(self, n: int = 10) -> tuple[RunSummary, ...]:
        self._call("history", n)
        return tuple(self.runs[-n:])

    async def poll_drift(self) -> DriftAlert | None:
        self._call("poll_drift")
        return self.drift

    def note_check_failure(self) -> bool:
        self.calls.append(("note_check_failure", ()))
        self.failures_to_tell -= 1
        return self.failures_to_tell == 0

    def alerts_enabled(self, user_id: str) -> bool:
        return self.alerts.get(user_id, True)

    def set_alerts(self, user_id: str, enabled: bool) -> None:
        self._call("set_alerts", user_id, enabled)
        self.alerts[user_id] = enabled

    def heartbeat(self) -> None:
        self._call("heartbeat")

    # --- autopilot ----------------------------------------------------------------------
    async def autopilot_check(self, users: Sequence[str]) -> AutopilotCheck:
        self._call("autopilot_check", tuple(users))
        return self.autopilot or AutopilotCheck(Action.NOTHING, self.plan)

    def pause_autopilot(self, user_id: str) -> bool:
        self._call("pause_autopilot", user_id)
        changed, self.autopilot_paused = not self.autopilot_paused, True
        return changed

    def resume_autopilot(self, user_id: str) -> bool:
        self._call("resume_autopilot", user_id)
        changed, self.autopilot_paused = self.autopilot_paused, False
        return changed

    def autopilot_status(self) -> AutopilotStatus:
        self._call("autopilot_status")
        return AutopilotStatus(
            "auto", self.autopilot_paused, str(OWNER) if self.autopilot_paused else None,
            NOW if self.autopilot_paused else None, "band-edge", 60, NOW,
            NOW + timedelta(hours=1), self.runs[-1] if self.runs else None, Decimal(500), 4, 1,
            None, "EUR",
        )  # fmt: skip

    # --- Positions: the worked example's holdings as estimated opening lots ------------
    async def positions(self) -> PositionsReport:
        self._call("positions")
        prices = {x.asset: x.price for x in self.plan.lines if x.price is not None}
        openings = [
            Adjustment(self.mode, x.asset, AdjustmentKind.OPENING, x.amount, NOW, x.price)
            for x in self.plan.lines
            if x.asset != self.quote and x.amount > 0 and x.price is not None
        ]
        ledger = build_ledger(self.mode, self.quote, (), openings)
        held = positions(ledger, prices)
        return PositionsReport(
            self.mode, self.quote, NOW, self.plan.source, held, frozenset(self.locks),
            totals(held), Decimal(0), (), None, True, ledger.adjustments,
        )  # fmt: skip

    async def set_basis(self, symbol: str, price: str) -> BasisResult:
        self._call("set_basis", symbol, price)
        value = parse_price(price)
        if symbol.upper() not in self.known:
            raise InputError(f"{symbol} is not traded against EUR on Kraken", code="not_tradable")
        return BasisResult(self.mode, symbol.upper(), value, Decimal(1), 1)

    def export_fills(self, since: date | None = None) -> CsvRows:
        self._call("export_fills", since)
        return (FILL_COLUMNS,)

    async def export_lots(self) -> CsvRows:
        self._call("export_lots")
        return (LOT_COLUMNS,)


def _filled(asset: str, side: Side, amount: Decimal, price: Decimal) -> OrderOutcome:
    cost = amount * price
    return OrderOutcome(
        f"cl-{asset}", asset, f"{asset}/EUR", side, amount, amount, price, cost,
        cost * Decimal("0.004"), "filled",
    )  # fmt: skip


def run_summary(run_id: int, when: datetime | None = None) -> RunSummary:
    started = when or NOW + timedelta(days=run_id)
    order = _filled("BTC", Side.SELL, Decimal("0.1"), Decimal(40000))
    return RunSummary(
        run_id, f"plan-{run_id}", str(OWNER), started, RunOutcome.FULL, Decimal("7.5"),
        Decimal("0.4"), Decimal(4000), Decimal(16), 1.5, (order,),
    )  # fmt: skip


def bot_settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "trading_mode": "paper",
        "database_url": "sqlite:///:memory:",
        "telegram_bot_token": TOKEN,
        "telegram_allowed_users": f"{OWNER},{FRIEND}",
    }
    return Settings(**(values | changes))


@asynccontextmanager
async def _serve(facade: FakeFacade) -> AsyncIterator[FakeFacade]:
    yield facade


@dataclass
class OfflineBot:
    app: BotApp
    api: OfflineBotApi
    facade: FakeFacade


@asynccontextmanager
async def offline_bot(
    facade: FakeFacade | None = None, **settings: Any
) -> AsyncIterator[OfflineBot]:
    """The real Application (all handlers, gate, error handler), initialized and post_init'ed,
    with the fake facade and the offline Bot API; feed it with `app.process_update`."""
    fake = facade or FakeFacade()
    api = OfflineBotApi()
    app = build_application(
        bot_settings(**settings), open_facade=lambda _: _serve(fake), request=api
    )
    async with app:
        assert app.post_init is not None and app.post_shutdown is not None
        await app.post_init(app)
        api.clear()
        fake.calls.clear()
        try:
            yield OfflineBot(app, api, fake)
        finally:
            await app.post_shutdown(app)


def a_plan_with(**changes: Any) -> Plan:
    return replace(worked_plan(), **changes)


def test_offline_bot_api_answers_get_me_like_telegram() -> None:
    api = OfflineBotApi()
    assert api._result("getMe", {}) == BOT_USER


def test_worked_plan_has_orders_and_is_due() -> None:
    plan = worked_plan()
    assert plan.orders and plan.rebalance_due


def test_update_ids_never_repeat() -> None:
    first, second = next(_update_ids), next(_update_ids)
    assert second > first
