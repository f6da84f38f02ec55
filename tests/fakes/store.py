"""`FakeStore`: every store port of `core.app.repositories`, in memory, for unit tests.

It keeps what the SQL store keeps and answers as it does (tests/integration/store_contract/
runs the same checks on both), with a unit of work that commits as one or not at all
(see tests/fakes/store_base.py). What it adds for tests: `clock` times the lease (the SQL
store uses the database's clock), `faults.fail(...)` scripts a failing database, and
`committed` is what a crash would leave: only what was committed.
"""

from __future__ import annotations

from tests.fakes.store_instance import FakeInstances
from tests.fakes.store_lease import FakeLeases
from tests.fakes.store_maker import FakeMakerBook
from tests.fakes.store_plans import FakePlans
from tests.fakes.store_positions import FakePositionBook
from tests.fakes.store_runs import FakeRuns
from tests.fakes.store_settings import FakeOwnerSettings

__all__ = ["FakeStore"]


class FakeStore(
    FakePlans,
    FakeLeases,
    FakeMakerBook,
    FakeRuns,
    FakeOwnerSettings,
    FakePositionBook,
    FakeInstances,
):
    """Plans, the lease, the journal and fills (maker-first legs too), runs, targets, locks,
    preferences, lot adjustments and value samples, and the record of the database's bot.

    Build with `FakeStore(clock)`: the clock times the lease (a FakeClock, moved by hand);
    `FakeStore(clock, old.committed)` is a restart on what `old` had committed.
    """
