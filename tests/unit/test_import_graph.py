"""The import graph of the whole code base, as grimp reads it (runtime and type-only imports).

ruff's per-folder bans check each file's direct imports; these tests check the graph: no module
reaches back into itself through others, and the layers only ever point inward, however long
the chain.
"""

from __future__ import annotations

import graphlib
from functools import cache

import grimp

LAYERS = (
    "bot",
    "core.bootstrap",
    grimp.Layer("core.store", "core.exchange", independent=True),
    "core.app",
    "core.domain",
)


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("core", "bot")


def first_cycle(imports: dict[str, set[str]]) -> list[str]:
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


def test_no_module_imports_itself_through_others() -> None:
    imports = {name: graph().find_modules_directly_imported_by(name) for name in graph().modules}

    assert first_cycle(imports) == []


def test_the_cycle_finder_names_a_cycle_when_there_is_one() -> None:
    cycle = first_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})

    assert set(cycle) == {"a", "b", "c"}


def test_layers_point_inward_however_long_the_chain() -> None:
    illegal = graph().find_illegal_dependencies_for_layers(layers=LAYERS)

    assert [(found.importer, found.imported) for found in illegal] == []
