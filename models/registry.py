"""The model registry: the built-in zoo (built lazily, cached), user-registered graphs, and
models that installed packages declare as entry points.

A package adds models to every mas-sim session (the command line included) by declaring entry
points in the group :data:`ENTRY_POINT_GROUP`, each naming a layer graph or a function that
returns one (called once, on first use), e.g. in its ``pyproject.toml``::

    [project.entry-points."mas_sim.models"]
    my_model = "my_package.models:build_my_model"

Registering a name the zoo or an entry point already uses needs ``overwrite``; a registered
model then shadows it. Graphs handed out are copies: callers may change them
freely without touching the cache.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

import networkx as nx

from mas_sim.core.errors import ModelError, unknown_name
from models.schema import check_graph
from models.zoo import ZOO

if TYPE_CHECKING:
    import pandas as pd

_built: dict[str, nx.DiGraph] = {}
"""Zoo graphs built so far (never handed out directly)."""
_registered: dict[str, nx.DiGraph] = {}
"""User graphs by name; a registered name shadows a zoo model of the same name."""
_revisions: dict[str, int] = {}
"""How many times each name was registered or unregistered (caches key names with it)."""

ENTRY_POINT_GROUP = "mas_sim.models"
"""Entry-point group of model plugins (name -> a layer graph or a function returning one)."""


@functools.cache
def plugin_models() -> dict[str, EntryPoint]:
    """Models declared by installed packages in :data:`ENTRY_POINT_GROUP`, by name (read once)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


SUMMARY_COLUMNS = ("layer", "op", "input_shape", "output_shape", "kernel", "stride", "groups",
                   "macs", "params")


def available() -> list[str]:
    """Model names: the zoo in docs/modelling.md's table order, then registered models in order,
    then entry-point models by name."""
    names = list(ZOO) + [name for name in _registered if name not in ZOO]
    return names + sorted(n for n in plugin_models() if n not in names)


def get(name: str) -> nx.DiGraph:
    """A copy of the layer graph of model ``name``; :class:`ModelError` if unknown."""
    return _lookup(name).copy()


def register(name: str, graph: nx.DiGraph, *, overwrite: bool = False) -> None:
    """Add a user model under ``name``, after validating it (see :func:`models.schema.check_graph`).

    The graph is copied, its nodes re-inserted in a stable topological order, and
    ``graph.graph["name"]`` set to ``name``. A name already known (zoo or registered) is refused
    unless ``overwrite`` is true.
    """
    if not isinstance(name, str) or not name.strip():
        raise ModelError(f"model name {name!r} should be a non-empty string")
    if not overwrite and name in available():
        raise ModelError(f"model {name!r} already exists (known: {', '.join(available())}); "
                         f"pass overwrite=True to replace it")
    _registered[name] = _stored(name, graph)
    _revisions[name] = _revisions.get(name, 0) + 1


def _stored(name: str, graph: nx.DiGraph) -> nx.DiGraph:
    """``graph`` checked, copied with its nodes in a stable topological order, named ``name``."""
    check_graph(name, graph)
    position = {node: i for i, node in enumerate(graph.nodes)}
    stored = nx.DiGraph(**graph.graph)
    stored.graph["name"] = name
    for node in nx.lexicographical_topological_sort(graph, key=lambda n: position[n]):
        stored.add_node(node, **graph.nodes[node])
    stored.add_edges_from(graph.edges)
    return stored


def revision(name: str) -> int:
    """A number that changes whenever the graph behind ``name`` may have (registered,
    replaced or unregistered): 0 for a zoo model never shadowed. Caches keyed by a model's
    name include it, so a replaced graph is never costed with the old one's tables."""
    return _revisions.get(name, 0)


def unregister(name: str) -> None:
    """Remove a registered model; :class:`ModelError` if ``name`` was not registered."""
    if name not in _registered:
        raise ModelError(unknown_name("registered model", name, _registered))
    _revisions[name] = _revisions.get(name, 0) + 1
    del _registered[name]


def summary(model: str | nx.DiGraph) -> pd.DataFrame:
    """One row per layer (topological order) with columns :data:`SUMMARY_COLUMNS`.

    ``model`` is a model name or a layer graph (e.g. from :func:`models.from_torch`). Totals are
    in ``df.attrs``: ``model``, ``total_macs`` (conv + FC multiply-accumulates), ``total_params``.
    """
    import pandas as pd  # here, not at module level: ``import models`` stays fast

    graph = _lookup(model) if isinstance(model, str) else model
    if not isinstance(model, str):
        check_graph(str(graph.graph.get("name", "<graph>")), graph)
    rows = [{"layer": node, **{key: attrs[key] for key in SUMMARY_COLUMNS[1:]}}
            for node, attrs in graph.nodes(data=True)]
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame.attrs["model"] = graph.graph.get("name", "")
    frame.attrs["total_macs"] = int(sum(row["macs"] for row in rows))
    frame.attrs["total_params"] = int(sum(row["params"] for row in rows))
    return frame


def _lookup(name: str) -> nx.DiGraph:
    if not isinstance(name, str):
        raise ModelError(unknown_name("model", name, available()))
    if name in _registered:
        return _registered[name]
    if name in ZOO:
        if name not in _built:
            _built[name] = ZOO[name]()
        return _built[name]
    if name in plugin_models():
        if name not in _built:
            _built[name] = _load_plugin(name, plugin_models()[name])
        return _built[name]
    raise ModelError(unknown_name("model", name, available()))


def _load_plugin(name: str, ep: EntryPoint) -> nx.DiGraph:
    """Build the entry point's graph, checked and in a stable topological order."""
    where = f"model {name!r} (entry point {ep.value!r} of group {ENTRY_POINT_GROUP!r})"
    try:
        obj = ep.load()
        graph = obj() if callable(obj) and not isinstance(obj, nx.DiGraph) else obj
    except Exception as exc:  # a plugin's own bug, reported as the user's configuration error
        raise ModelError(f"{where} failed to load: {type(exc).__name__}: {exc}") from None
    if not isinstance(graph, nx.DiGraph):
        raise ModelError(f"{where} gave a {type(graph).__name__}, expected a networkx.DiGraph "
                         "layer graph")
    return _stored(name, graph)
