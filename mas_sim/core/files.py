"""Atomic file output.

Every file mas-sim writes (JSON results, CSV traces, Chrome traces, PNG plots) goes through
:func:`atomic_path`: the writer fills a temporary file in the destination's directory, which is
renamed over the destination only when the writer succeeds. A crash or an exception therefore
leaves either the old file or the complete new one on disk, never half of one, and no temporary
file behind. The rename is atomic because source and destination share a file system.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mas_sim.core.errors import ConfigError


def _default_mode() -> int:
    # mkstemp creates 0o600 files; a finished output should get the mode a plain open() would
    # give it. Reading the umask means setting it, so restore it at once.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` if the block succeeds.

    The temporary file has the same suffix as ``path`` (writers such as ``DataFrame.to_csv`` and
    ``Figure.savefig`` infer compression or format from it) and already exists, empty. Missing
    parent directories are created. If the block raises, the temporary file is removed, ``path``
    is left as it was, and the exception propagates. An existing ``path`` keeps its permissions.
    OS errors (unwritable directory, a parent that is a file) propagate as :class:`OSError`.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    try:  # from the temporary file's creation on: a Ctrl-C anywhere leaves nothing behind
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}",
                                    dir=target.parent)
        tmp = Path(name)
        os.close(fd)
        yield tmp
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _default_mode()
        os.chmod(tmp, mode)
        # Flush the data to disk before the rename, so a power loss cannot leave an empty file
        # under the final name.
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, encoded as ``encoding``; return the path."""
    return atomic_write_bytes(path, text.encode(encoding))


def check_writable(path: str | os.PathLike[str], what: str = "output") -> None:
    """Raise :class:`~mas_sim.core.errors.ConfigError` (one line) unless :func:`atomic_path`
    could write ``path``: it must not be a directory, and a file must be creatable in its
    directory (or, if that does not exist yet, in the nearest existing ancestor). Probed by
    creating and removing a temporary file, which also catches read-only file systems and
    holds for root. Call it before a long run, so that the run is not lost at the end."""
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{what} {str(target)!r} is a directory, expected a file path")
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=parent)
    except OSError as exc:
        raise ConfigError(f"{what} {str(target)!r} cannot be written: {exc.strerror or exc}"
                          ) from None
    os.close(fd)
    os.unlink(name)


def read_toml(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """The parsed TOML file ``path``; a missing, unreadable or invalid file is a
    :class:`~mas_sim.core.errors.ConfigError` naming ``what`` (e.g. ``"hardware file"``) and the
    path."""
    where = f"{what} {str(path)!r}"
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
