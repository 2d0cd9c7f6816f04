"""The design pages in docs/: every citation in the code resolves, every link inside the pages
resolves, the architecture page's layer table is the import-linter contract, and the picture
script draws."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = ("architecture.md", "modelling.md")
#: Trees whose text (code, docstrings, comments) may cite the pages.
CODE_TREES = ("mas_sim", "policies", "models", "scripts", "benchmarks", "tests", "notebooks")
#: Files users never see, which the code must not cite (built so this file does not cite them).
OUTSIDE = ("SPEC" + ".md", "DESIGN" + ".md")
CITATION = re.compile(r"docs/(\w+\.md)\s+(?:section|sec\.)\s+(\d+(?:\.\d+)?)")


def code_files() -> list[Path]:
    """Python sources and notebooks of the repository's code trees."""
    files: list[Path] = []
    for tree in CODE_TREES:
        for pattern in ("*.py", "*.ipynb"):
            files.extend(p for p in (ROOT / tree).rglob(pattern) if ".venv" not in p.parts)
    return sorted(files)


def section_numbers(page: Path) -> set[str]:
    """Numbers of the page's numbered headings (``## 3. ...`` -> "3", ``### 3.5 ...`` -> "3.5")."""
    found = re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", page.read_text(encoding="utf-8"), re.M)
    return set(found)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Anchors of every heading of a markdown page."""
    return {slug(h) for h in re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M)}


def test_no_code_cites_files_outside_the_repository() -> None:
    offenders = [f"{p.relative_to(ROOT)}: {name}" for p in code_files()
                 for name in OUTSIDE if name in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_every_section_citation_in_the_code_exists() -> None:
    citations = [(p, page, number) for p in code_files()
                 for page, number in CITATION.findall(p.read_text(encoding="utf-8"))]
    assert citations, "the code cites the docs pages; the pattern must find them"
    missing = [f"{p.relative_to(ROOT)}: docs/{page} section {number}"
               for p, page, number in citations
               if page not in PAGES or number not in section_numbers(DOCS / page)]
    assert missing == []


@pytest.mark.parametrize("page", ["docs/architecture.md", "docs/modelling.md", "README.md",
                                  "RESULTS.md"])
def test_relative_links_and_anchors_resolve(page: str) -> None:
    source = ROOT / page
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", source.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        file = (source.parent / path).resolve() if path else source
        missing_anchor = bool(anchor) and file.suffix == ".md" and (
            not file.exists() or anchor not in anchors(file))
        if not file.exists() or missing_anchor:
            broken.append(target)
    assert broken == []


def test_architecture_layer_table_is_the_import_contract() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in data["tool"]["importlinter"]["contracts"]
                    if c["type"] == "layers")
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## 1. Layers", 1)[1].split("\n## ", 1)[0]
    table = re.findall(r"^\| \d+ \| `([\w.]+)` \|", section, re.M)
    assert table == list(reversed(contract["layers"]))


def test_architecture_figure_script_draws(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("architecture_figure",
                                                  ROOT / "scripts" / "architecture_figure.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["architecture_figure"] = module
    spec.loader.exec_module(module)
    layers = module.contract_layers(ROOT / "pyproject.toml")
    fig = module.draw(layers)
    out = tmp_path / "architecture.png"
    fig.savefig(out, format="png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = {t.get_text() for t in fig.texts}
    assert set(layers) <= texts
