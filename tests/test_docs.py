"""The documentation that is generated or referenced stays in step with the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_reference_is_current():
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "docs" / "gen_api.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (ROOT / "docs" / "api.md").read_text() == gen.render(), (
        "docs/api.md is out of date: run python docs/gen_api.py"
    )


def test_docs_links_point_to_existing_files():
    """Every `docs/x.md` and every image a doc page names exists (bare `x.md` names are often
    output files, e.g. evaluation.md, so only the docs/-qualified ones and the known pages of
    the index below are checked)."""
    missing = []
    for page in (ROOT / "docs").glob("*.md"):
        text = page.read_text()
        for ref in re.findall(r"`docs/([a-z_0-9]+\.md)`", text):
            if not (ROOT / "docs" / ref).exists():
                missing.append(f"{page.name}: {ref}")
        for ref in re.findall(r"\]\((img/[^)]+)\)", text):
            if not (ROOT / "docs" / ref).exists():
                missing.append(f"{page.name}: {ref}")
    assert not missing, missing


def test_the_documentation_pages_the_issue_asks_for_exist():
    for page in ("quickstart.md", "pipeline.md", "clinical_metrics.md", "recording_guide.md",
                 "limitations.md", "api.md", "metrics.md"):  # fmt: skip
        assert (ROOT / "docs" / page).stat().st_size > 500, page
    readme = (ROOT / "README.md").read_text()
    assert "docs/quickstart.md" in readme and "docs/limitations.md" in readme
