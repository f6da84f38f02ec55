"""The storage adapter's one entry point: `Store`, a synchronous facade over an Engine.

Every public method is one unit of work (committed at its end, rolled back on any error);
database failures leave as `core.errors.StorageError`, refusals as `ExecutionRefused`.
The methods are grouped by subject in `repo_settings`, `repo_plans`, `repo_journal`,
`repo_lease`, `repo_runs`, `repo_paper` and `repo_positions`; callers import only `Store`
(and the `records`).
"""

from __future__ import annotations

from core.store.repo_instance import InstanceStore
from core.store.repo_journal import JournalStore
from core.store.repo_lease import LeaseStore
from core.store.repo_maker import MakerStore
from core.store.repo_paper import PaperStore
from core.store.repo_plans import PlanStore
from core.store.repo_positions import PositionStore
from core.store.repo_runs import RunStore
from core.store.repo_settings import SettingsStore

__all__ = ["Store"]


class Store(
    SettingsStore,
    PlanStore,
    LeaseStore,
    JournalStore,
    RunStore,
    PaperStore,
    PositionStore,
    MakerStore,
    InstanceStore,
):
    """Targets, locks, plans, the execution lease, journal, runs, fills, paper book, prefs,
    lot adjustments and value samples, maker-first orders and their amends and cancels, the
    bot instance.

    Build with `Store(make_engine(url))` after `upgrade(url)`; `close()` when done.
    Implements `core.app.ports.PaperBook`.
    """
