"""A regular (non-editable) install must contain every subpackage and every shipped file."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_is_listed():
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "humanmovenet").rglob("__init__.py")
    }
    listed = set(_setuptools()["packages"])
    assert on_disk - listed == set(), "add these folders to [tool.setuptools] packages"
    assert listed - on_disk == {"humanmovenet._weights"}


def test_every_shipped_weight_matches_a_package_data_pattern():
    patterns = _setuptools()["package-data"]["humanmovenet._weights"]
    shipped = [p for p in (ROOT / "weights").iterdir() if p.is_file() and p.suffix != ".py"]
    assert shipped
    missing = [p.name for p in shipped if not any(p.match(pat) for pat in patterns)]
    assert missing == [], "add patterns for these files to package-data"
