"""Pluggable scheduling policies, created by name.

>>> import policies
>>> policy = policies.make("fcfs-h")

Built-in policies are imported lazily (RELMAS pulls in torch), so ``policies.available()`` is
cheap. Register your own with :func:`register`, or make them available to every session (the
command line included) from an installed package through an entry point in the group
:data:`ENTRY_POINT_GROUP`, naming the policy's factory (a class or function taking keyword
options), e.g. in its ``pyproject.toml``::

    [project.entry-points."mas_sim.policies"]
    my-policy = "my_package.scheduling:MyPolicy"

Built-in and registered names take precedence over an entry point of the same name.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from mas_sim.core.errors import PolicyError, unknown_name

if TYPE_CHECKING:  # the registry itself loads no kernel module (the command line reads it)
    from mas_sim.sim.view import Policy

#: Built-in policies: registry name -> "module:factory".
_BUILTIN: dict[str, str] = {
    "fcfs-h": "policies.fcfs:FcfsH",
    "prema-h": "policies.prema:PremaH",
    "herald": "policies.herald:HeraldLike",
    "magma": "policies.magma:Magma",
    "edf-h": "policies.deadline:EdfH",
    "edf-ac-h": "policies.deadline:EdfAcH",
    "llf-h": "policies.deadline:LlfH",
    "moca": "policies.moca:MocaLike",
    "relmas": "policies.relmas.policy:Relmas",
    "tenant-edf": "policies.tenant_edf:TenantEdf",
}

_USER: dict[str, Callable[..., Policy]] = {}

ENTRY_POINT_GROUP = "mas_sim.policies"
"""Entry-point group of policy plugins (name -> the policy's factory)."""


@functools.cache
def plugin_policies() -> dict[str, EntryPoint]:
    """Policies declared by installed packages in :data:`ENTRY_POINT_GROUP` (read once)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Names accepted by :func:`make`, sorted."""
    return sorted({*_BUILTIN, *_USER, *plugin_policies()})


def register(name: str, factory: Callable[..., Policy], *, overwrite: bool = False) -> None:
    """Make ``factory(**options)`` available as ``make(name, **options)``."""
    if not overwrite and (name in _BUILTIN or name in _USER):
        raise PolicyError(f"policy {name!r} is already registered")
    _USER[name] = factory


def factory(name: str) -> Callable[..., Policy]:
    """The factory registered as ``name`` (a built-in's module is imported now)."""
    if name in _USER:
        return _USER[name]
    if name in _BUILTIN:
        module_name, _, attr = _BUILTIN[name].partition(":")
        made: Callable[..., Policy] = getattr(importlib.import_module(module_name), attr)
        return made
    if name in plugin_policies():
        ep = plugin_policies()[name]
        try:
            loaded: Callable[..., Policy] = ep.load()
        except Exception as exc:  # the plugin's own bug, reported as a configuration error
            raise PolicyError(f"policy {name!r} (entry point {ep.value!r} of group "
                              f"{ENTRY_POINT_GROUP!r}) failed to load: "
                              f"{type(exc).__name__}: {exc}") from None
        return loaded
    raise PolicyError(unknown_name("policy", name, available()))


def make(name: str, **options: Any) -> Policy:
    """Create the policy registered as ``name`` with keyword ``options``."""
    build = factory(name)
    try:
        return build(**options)
    except TypeError as exc:
        raise PolicyError(f"policy {name!r}: bad options {sorted(options)}: {exc}") from None
