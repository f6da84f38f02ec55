"""The scheduled drift job: alerts once per user with alerts on; failures told once."""

from __future__ import annotations

from core.app.api import DriftAlert
from core.errors import ExchangeUnavailable
from tests.unit.test_bot_fakes import FRIEND, OWNER, FakeFacade, offline_bot, worked_plan


async def run_drift_job(bot: object) -> None:
    app = bot.app  # type: ignore[attr-defined]
    [job] = app.job_queue.get_jobs_by_name("drift")
    await job.run(app)


async def test_a_due_rebalance_messages_every_user_with_alerts_on_once() -> None:
    facade = FakeFacade(drift=DriftAlert(worked_plan()))
    facade.alerts[str(FRIEND)] = False
    async with offline_bot(facade) as bot:
        await run_drift_job(bot)
        [call] = bot.api.of("sendMessage")
    assert call.params["chat_id"] == OWNER
    assert "Rebalance due" in call.params["text"] and "/rebalance" in call.params["text"]


async def test_nothing_is_sent_while_in_band_or_already_alerted() -> None:
    async with offline_bot(FakeFacade(drift=None)) as bot:
        await run_drift_job(bot)
        assert bot.api.of("sendMessage") == []
        assert bot.facade.called("poll_drift") == [()]


async def test_failing_checks_are_logged_and_told_to_users_once() -> None:
    facade = FakeFacade(failure=ExchangeUnavailable("EService:Unavailable"), failures_to_tell=3)
    async with offline_bot(facade) as bot:
        for _ in range(5):
            await run_drift_job(bot)
        texts = bot.api.texts()
    assert len(texts) == 2  # once, to each of the two allowed users
    assert all("keep failing" in t and "Kraken is unavailable" in t for t in texts)


async def test_the_drift_job_repeats_every_alert_interval() -> None:
    async with offline_bot(alert_interval_minutes=15) as bot:
        [job] = bot.app.job_queue.get_jobs_by_name("drift")  # type: ignore[union-attr]
    assert job.job.trigger.interval.total_seconds() == 15 * 60
