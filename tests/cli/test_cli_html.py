"""``--html`` of ``mas-sim run`` and ``compare``: the report is written, and a path that cannot
be written is refused before anything runs (exit 2, one line, nothing on disk)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mas_sim.cli import main

TINY = ["--workload", "light", "--requests", "3", "--no-progress"]


def test_run_html_writes_one_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "run.html"
    assert main(["run", "--policy", "edf-h", *TINY, "--html", str(target)]) == 0
    page = target.read_text()
    assert "<title>mas-sim run: edf-h on light/medium, 3 requests (seed 0)</title>" in page
    assert page.count("<h2>Results</h2>") == 1 and "<td>edf-h</td>" in page
    assert "<td>requests</td>" in page and "<td>Eyeriss-Small#0, " in page  # settings
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.html"]


def test_a_large_report_gets_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from mas_sim.output import report

    target = tmp_path / "cmp.html"
    args = ["compare", "--policies", "fcfs-h,edf-h", *TINY, "--html", str(target)]
    assert main(args) == 0
    assert "warning" not in capsys.readouterr().err
    monkeypatch.setattr(report, "LARGE_REPORT_SUBJOBS", 10)  # the tiny runs hold more
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"mas-sim compare: warning: --html '{target}' holds ")
    assert "sub-jobs (" in err and err.count("\n") == 1
    assert "(--policies)" in err and target.exists()


def test_compare_html_has_every_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("bokeh")
    target = tmp_path / "cmp.html"
    assert main(["compare", "--policies", "fcfs-h,edf-h", *TINY, "--html", str(target)]) == 0
    page = target.read_text()
    for name in ("fcfs-h", "edf-h"):
        assert f"<td>{name}</td>" in page and f"{name}: SLA" in page
    assert f"wrote {target}" in capsys.readouterr().out


@pytest.mark.parametrize(("where", "message"), [
    ("missing/r.html", "directory '{tmp}/missing' does not exist, expected an existing directory"),
    ("", "is a directory, expected a file path"),
])
@pytest.mark.parametrize("command", ["run", "compare"])
def test_html_into_a_missing_directory_or_a_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, message: str,
        command: str) -> None:
    target = tmp_path / where if where else tmp_path
    assert main([command, *TINY, "--html", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message.format(tmp=tmp_path) in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "compare"])
def test_html_into_a_read_only_place(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     command: str) -> None:
    # /proc takes no new files, even from root; a 0o555 directory stops other users.
    places = [Path("/proc")]
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        places.append(locked)
    for place in places:
        assert main([command, *TINY, "--html", str(place / "r.html")]) == 2
        err = capsys.readouterr().err
        assert f"--html '{place}/r.html': cannot write in '{place}'" in err
        assert err.count("\n") == 1
        assert not (place / "r.html").exists()
