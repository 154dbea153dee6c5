"""humanmovenet: one side-view video to a 3D body, a vertebra-level dynamic spine, clinical
lumbopelvic metrics and a flexion/extension-pattern classification.

See ``docs/`` and DESIGN.md for the data flow. Stages live in sub-packages (``io``, ``pose2d``,
``body``, ``spine``, ``reconstruct``, ``biomech``, ``classify``, ``synth``, ``evaluate``, ``viz``)
and exchange the frozen dataclasses of :mod:`humanmovenet.types`.

    import humanmovenet
    analysis = humanmovenet.analyze("bend.mp4")      # -> Analysis
    print(analysis.summary())
    analysis.save("bend_analysis")
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("humanmovenet")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "analyze", "Analysis", "PipelineConfig"]

_LAZY = {"analyze", "Analysis", "PipelineConfig"}


def __getattr__(name: str):  # lazy: `import humanmovenet` stays light (no torch, no MediaPipe)
    if name in _LAZY:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'humanmovenet' has no attribute {name!r}")
