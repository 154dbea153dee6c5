"""Write docs/api.md, the API reference, from the public ``__all__`` lists and docstrings.

    python docs/gen_api.py            # rewrites docs/api.md
    python docs/gen_api.py --check    # exit 1 if docs/api.md is out of date (tests/test_docs.py)

One section per stage package (in the order of the data flow, DESIGN.md §3); every public name
with its signature (functions, classes) and the first paragraph of its docstring.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from pathlib import Path

MODULES = (
    ("humanmovenet", "the one obvious call"),
    ("humanmovenet.types", "the frozen dataclasses between stages"),
    ("humanmovenet.body", "body models"),
    ("humanmovenet.spine", "the vertebral spine"),
    ("humanmovenet.io", "video reading and exports"),
    ("humanmovenet.pose2d", "2D pose and silhouettes"),
    ("humanmovenet.synth", "synthetic ground-truth engine"),
    ("humanmovenet.evaluate", "evaluation metrics"),
    ("humanmovenet.reconstruct", "reconstruction"),
    ("humanmovenet.biomech", "clinical metrics"),
    ("humanmovenet.classify", "FP/EP classifier"),
    ("humanmovenet.viz", "visualisation and report"),
    ("humanmovenet.batch", "cohorts"),
)
OUT = Path(__file__).resolve().parent / "api.md"


def _first_paragraph(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split()) or "(no docstring)"


def _signature(obj) -> str:
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""
    return sig if len(sig) <= 160 else sig[:157] + "…"


def render() -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the code by `python docs/gen_api.py` (do not edit by hand;",
        "`tests/test_docs.py` checks it is current). Every public name of every stage, with its",
        "signature and the first paragraph of its docstring; the full docstrings (arguments,",
        "shapes, units, errors) are in the code (`help(humanmovenet.analyze)`).",
        "",
    ]
    for name, what in MODULES:
        mod = importlib.import_module(name)
        lines += [f"## `{name}` — {what}", "", _first_paragraph(mod), ""]
        for public in getattr(mod, "__all__", []):
            obj = getattr(mod, public)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                kind = "class" if inspect.isclass(obj) else "def"
                lines.append(
                    f"* **`{public}`** `{kind}{_signature(obj)}` — {_first_paragraph(obj)}"
                )
            else:
                lines.append(f"* **`{public}`** (constant `{type(obj).__name__}`)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that docs/api.md is current")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print("docs/api.md is out of date: run python docs/gen_api.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
