"""What the use cases need from `core.config.Settings`, already parsed (built by bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.domain.autopilot import AutopilotMode, Caps
from core.domain.models import PlanSettings


@dataclass(frozen=True)
class AutopilotSettings:
    """AUTOPILOT, its caps, and how often the scheduled check runs (ALERT_INTERVAL_MINUTES)."""

    mode: AutopilotMode = AutopilotMode.OFF
    caps: Caps = field(default_factory=Caps)
    check_interval_minutes: int = 60


@dataclass(frozen=True)
class AppSettings:
    mode: str  # "paper" or "live"
    plan: PlanSettings
    confirm_ttl_seconds: int = 120
    cooldown_minutes: int = 60
    price_tolerance_pct: Decimal = Decimal(1)
    lease_stale_seconds: int = 300  # a lease not refreshed for this long belonged to a dead process
    autopilot: AutopilotSettings = AutopilotSettings()

    @property
    def quote(self) -> str:
        return self.plan.quote_currency
