"""Tests of mas_sim.core.files: atomic writes leave the old file or the whole new one, never a
part."""

from __future__ import annotations

import gzip
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from mas_sim.core.errors import ConfigError
from mas_sim.core.files import atomic_path, atomic_write_bytes, atomic_write_text, check_writable
from mas_sim.output.tables import JOB_COLUMNS, require_columns, require_statuses


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_write_text_creates_parents_and_returns_path(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.json"
    assert atomic_write_text(target, "{\"x\": 1}\n") == target
    assert target.read_text() == "{\"x\": 1}\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_write_text_encodes_utf8_without_newline_translation(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    atomic_write_text(target, "µs\r\nend\n")
    assert target.read_bytes() == "µs\r\nend\n".encode()


def test_write_bytes_replaces_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    target.write_bytes(b"old content that is longer")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [target]


def test_new_file_gets_umask_mode_and_existing_mode_is_kept(tmp_path: Path) -> None:
    fresh = atomic_write_bytes(tmp_path / "fresh", b"1")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~_umask()
    kept = tmp_path / "kept"
    kept.write_bytes(b"0")
    kept.chmod(0o640)
    atomic_write_bytes(kept, b"1")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_atomic_path_yields_sibling_with_same_suffix(tmp_path: Path) -> None:
    target = tmp_path / "trace.csv.gz"
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".gz"
        assert tmp.exists() and not target.exists()
        frame.to_csv(tmp, index=False)  # compression inferred from the suffix
    with gzip.open(target, "rt") as f:
        assert f.read() == "a,b\n1,x\n2,y\n"
    pd.testing.assert_frame_equal(pd.read_csv(target), frame)
    assert list(tmp_path.iterdir()) == [target]


def test_error_in_block_keeps_old_file_and_removes_temporary(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="writer failed"), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_error_in_block_without_old_file_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "new.png") as tmp:
        tmp.write_bytes(b"\x89PNG partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_parent_that_is_a_file_raises_oserror_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    with pytest.raises(OSError):
        atomic_write_text(blocker / "out.txt", "data")
    assert list(tmp_path.iterdir()) == [blocker]
    assert blocker.read_text() == "x"


def test_target_that_is_a_directory_raises_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "keep").write_text("k")
    with pytest.raises(OSError):
        atomic_write_text(target, "data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]
    assert [p.name for p in target.iterdir()] == ["keep"]


def test_require_columns_names_missing_ones() -> None:
    frame = pd.DataFrame({"job_id": [1], "tenant": [0]})
    with pytest.raises(ConfigError, match=r"job table lacks columns \['model', 'qos'"):
        require_columns(frame, JOB_COLUMNS, "job table")
    require_columns(frame, ("job_id",), "job table")  # a subset is fine


def test_require_columns_rejects_non_frames() -> None:
    with pytest.raises(ConfigError, match="sub-job trace = list, expected a pandas DataFrame"):
        require_columns([1, 2], ("a",), "sub-job trace")  # type: ignore[arg-type]


def test_require_statuses() -> None:
    require_statuses(pd.DataFrame({"status": ["met", "missed", "dropped"]}))
    with pytest.raises(ConfigError, match=r"status values \['late', 'ok'\]"):
        require_statuses(pd.DataFrame({"status": ["met", "ok", "late"]}))


def test_check_writable_refuses_a_directory_and_a_path_under_a_file(tmp_path: Path) -> None:
    check_writable(tmp_path / "new" / "deeper" / "out.json")  # parents are created later
    assert sorted(tmp_path.iterdir()) == []  # the probe left nothing behind
    with pytest.raises(ConfigError, match="is a directory, expected a file path"):
        check_writable(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match=r"output '.*f/out.json' cannot be written"):
        check_writable(tmp_path / "f" / "out.json")
