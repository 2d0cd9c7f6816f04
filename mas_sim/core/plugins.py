"""Loading users' plugin modules by name or file (``--plugin MODULE``).

A plugin is a Python module that registers models and policies when imported
(``models.register(...)``, ``policies.register(...)``). Installed packages can instead declare
entry points, which need no option (groups ``mas_sim.models`` and ``mas_sim.policies``: see
:mod:`models.registry` and :mod:`policies`).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from mas_sim.core.errors import ConfigError


def load_plugin(spec: str) -> ModuleType:
    """Import the plugin ``spec``: a module name (``my_pkg.models``) or a ``.py`` file.

    Importing twice is harmless (Python's module cache). Any failure is a
    :class:`ConfigError` naming the plugin and the cause.
    """
    where = f"--plugin {spec!r}"
    try:
        if spec.endswith(".py"):
            path = Path(spec)
            if not path.is_file():
                raise ConfigError(f"{where}: no such file")
            name = f"mas_sim_plugin_{path.stem}"
            if name in sys.modules:
                return sys.modules[name]
            module_spec = importlib.util.spec_from_file_location(name, path)
            assert module_spec is not None and module_spec.loader is not None
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            try:
                module_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
            return module
        return importlib.import_module(spec)
    except ConfigError:
        raise
    except ModuleNotFoundError as exc:
        if exc.name is not None and spec.startswith(exc.name):
            raise ConfigError(f"{where}: no module named {exc.name!r} (give an importable "
                              "module or a .py file)") from None
        raise ConfigError(f"{where} failed to import: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # the plugin's own error, reported as a configuration error
        raise ConfigError(f"{where} failed to import: {type(exc).__name__}: {exc}") from None


def load_plugins(specs: str | None) -> None:
    """:func:`load_plugin` each of the comma-separated ``specs`` in order (None: none)."""
    for spec in (specs or "").split(","):
        if spec.strip():
            load_plugin(spec.strip())
