"""humanmovenet: one side-view video to a 3D body, a vertebra-level dynamic spine, clinical
lumbopelvic metrics and a flexion/extension-pattern classification.

See ``docs/`` and DESIGN.md for the data flow. Stages live in sub-packages (``io``, ``pose2d``,
``body``, ``spine``, ``reconstruct``, ``biomech``, ``classify``, ``synth``, ``evaluate``, ``viz``)
and exchange the frozen dataclasses of :mod:`humanmovenet.types`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("humanmovenet")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
