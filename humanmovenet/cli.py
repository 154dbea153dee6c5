"""The ``humanmovenet`` command.

Exit codes: 0 success; 1 the analysis ran but flagged a problem the user must see; 2 bad usage
(unknown flag, missing argument); 3 bad input (missing/unreadable file, invalid data);
4 output cannot be written; 70 internal error (a bug: please report it with the traceback).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from . import __version__

__all__ = ["main", "EXIT_OK", "EXIT_FLAGGED", "EXIT_USAGE", "EXIT_INPUT", "EXIT_OUTPUT", "EXIT_BUG"]

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT, EXIT_BUG = 0, 1, 2, 3, 4, 70


class OutputError(OSError):
    """The output folder cannot be created or written."""


def _prepare_out(out: Path) -> tuple[Path, Path]:
    """A temporary folder beside ``out``; renamed onto ``out`` only when everything succeeded."""
    out = out.expanduser().resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot write to {out.parent}: {exc.strerror or exc}") from exc
    return out, tmp


def _commit_out(tmp: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_body_demo

    out, tmp = _prepare_out(Path(args.out))
    try:
        try:
            png = run_body_demo(tmp)
            _commit_out(tmp, out)
        except FileNotFoundError:  # a missing input (weights): not an output problem
            raise
        except OSError as exc:  # disk full, permission lost mid-run, ...
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {out / png.name} and {out / 'spine_demo.json'}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="humanmovenet",
        description=(
            "From one side-view video of a person bending or walking to a 3D body, a "
            "vertebra-level spine and lumbopelvic metrics. Run `humanmovenet demo` first."
        ),
    )
    parser.add_argument("--version", action="version", version=f"humanmovenet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="build the shipped body, pose a forward and a backward bend, draw the spine",
        description=(
            "Builds the shipped open body model with a population-mean spine, poses it "
            "neutral / forward bend / backward bend, and writes spine_demo.png and "
            "spine_demo.json (measured angles, degrees) into --out."
        ),
    )
    demo.add_argument(
        "--out", default="humanmovenet_demo", help="output folder (default: %(default)s)"
    )
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help/--version
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except OutputError as exc:
        print(f"humanmovenet: error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    except (FileNotFoundError, ValueError) as exc:
        print(f"humanmovenet: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("humanmovenet: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug: show it, with a clear request
        traceback.print_exc()
        print(
            "humanmovenet: internal error — please report it with the traceback above.",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
