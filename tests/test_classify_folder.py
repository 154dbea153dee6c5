"""Training the FP/EP classifier from a folder of videos + labels CSV, end to end.

Rendered clips (``humanmovenet.synth``: short, low frame rate, small) are encoded as MP4, listed
in a labels CSV and read with ``LabelledFolder``: real MediaPipe, real ``analyze`` (stage
cache), real ``train`` / ``predict``. The clips are rendered once per session
(:func:`rendered_clips`, also used by ``test_overlay.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from humanmovenet import classify

N_CLIPS = 3  # FP, EP, FP
CLIP_FPS = 4.0
CLIP_SIZE = (224, 224)


def fast_config(cache_dir: Path):
    """Pipeline settings that keep the tests short (lite landmarker, fewer fit steps)."""
    from humanmovenet.pipeline import BiomechConfig, PipelineConfig
    from humanmovenet.pose2d import PoseConfig
    from humanmovenet.reconstruct import FitConfig

    return PipelineConfig(pose=PoseConfig(model="lite"), reconstruct=FitConfig(iterations=80),
                          biomech=BiomechConfig(n_bootstrap=0), cache_dir=str(cache_dir))  # fmt: skip


def encode_mp4(frames: list[Path], out: Path, fps: float) -> Path:
    """Encode image files as an MPEG-4 video (the kind of file a user has)."""
    from PIL import Image

    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=int(fps))
        first = np.asarray(Image.open(frames[0]).convert("RGB"))
        stream.height, stream.width = first.shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 2_000_000
        for path in frames:
            image = np.asarray(Image.open(path).convert("RGB"))
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


_RENDERED: dict = {}  # one rendering per session, also when other modules import the fixture


@pytest.fixture(scope="session")
def rendered_clips(tmp_path_factory) -> dict:
    """{"folder", "clips": [(file name, label, sequence folder)], "cache", "fps"} — backward
    bends as MP4, rendered once per session (the analysis cache is shared too)."""
    if not _RENDERED:
        _RENDERED.update(_render(tmp_path_factory.mktemp("clips")))
    return _RENDERED


def _render(root: Path) -> dict:
    from humanmovenet.synth.dataset import SynthConfig, write_dataset

    data = write_dataset(root / "synth", SynthConfig(
        n_subjects=N_CLIPS, movements=("backward_bend",), fps=CLIP_FPS, image_size=CLIP_SIZE,
        phenotypes=("FP", "EP"), seed=11), progress=False)  # fmt: skip
    folder = root / "study"
    folder.mkdir()
    clips = []
    for seq in sorted(p for p in data.iterdir() if p.is_dir()):
        meta = json.loads((seq / "meta.json").read_text())
        name = f"{seq.name}.mp4"
        encode_mp4(sorted((seq / "rgb").iterdir()), folder / name, CLIP_FPS)
        clips.append((name, meta["phenotype"], seq))
    return {"folder": folder, "clips": clips, "cache": root / "cache", "fps": CLIP_FPS}


def _csv(folder: Path, rows: list[tuple[str, str, str, str]], name: str = "labels.csv") -> Path:
    text = "subject,movement,file,label\n" + "".join(",".join(r) + "\n" for r in rows)
    (folder / name).write_text(text)
    return folder / name


def _rows(clips) -> list[tuple[str, str, str, str]]:
    return [(f"P{i}", "backward_bend", name, label) for i, (name, label, _) in enumerate(clips)]


def test_train_from_video_folder_and_predict(rendered_clips, monkeypatch):
    folder, clips = rendered_clips["folder"], rendered_clips["clips"]
    assert sorted({lab for _, lab, _ in clips}) == ["EP", "FP"]
    csv = _csv(folder, _rows(clips))
    config = fast_config(rendered_clips["cache"])
    data = classify.LabelledFolder(folder, csv, config=config, progress=False)
    assert len(data) == N_CLIPS and len(data.videos) == N_CLIPS
    first = data[0]  # analyses every video
    spine = first.spines["backward_bend"]
    assert spine.num_frames > 10 and np.isfinite(spine.positions).all()
    # The trained model needs only the backward bend (the study's best input).
    clf = classify.train(data, model="logistic")
    assert clf.inputs == ("backward_bend",)
    ph = clf.predict({"backward_bend": spine})
    assert ph.label in ("FP", "EP", "neither") and abs(sum(ph.probabilities.values()) - 1) < 1e-6
    # A second run reads the stage cache: pose estimation must not run again.
    import humanmovenet.pipeline as pipeline

    def no_pose(*a, **k):
        raise AssertionError("pose estimation ran although the stage cache holds it")

    monkeypatch.setattr(pipeline, "estimate_pose", no_pose)
    again = classify.LabelledFolder(folder, csv, config=config, progress=False)
    np.testing.assert_array_equal(again[0].spines["backward_bend"].positions, spine.positions)
    # predict() also takes the Analysis of a backward-bend video directly.
    analysis = pipeline.analyze(folder / clips[0][0], data._config_for("backward_bend"))
    assert classify.predict(analysis, clf).probabilities == pytest.approx(
        clf.predict({"backward_bend": analysis.spine}).probabilities
    )
    # Without a classifier: the shipped one trained on video reconstructions of backward bends.
    shipped = classify.load_shipped(movement="backward_bend")
    ph = classify.predict(analysis)
    assert ph.inputs == ("backward_bend",) and ph.label in ("FP", "EP", "neither")
    assert ph.probabilities == pytest.approx(
        shipped.predict({"backward_bend": analysis.spine}).probabilities
    )


def test_video_folder_errors_name_the_csv_line(rendered_clips, tmp_path):
    folder, clips = rendered_clips["folder"], rendered_clips["clips"]
    rows = _rows(clips)
    with pytest.raises(ValueError, match=r"line 3: file '[^']*absent\.mp4' not found"):
        classify.LabelledFolder(folder, _csv(tmp_path, [rows[0], ("P9", "backward_bend",
                                str(folder / "absent.mp4"), "EP")] + rows[1:]))  # fmt: skip
    (tmp_path / "broken.mp4").write_bytes(b"this is not a video" * 50)
    with pytest.raises(ValueError, match=r"line 2: 'broken\.mp4' is a video file that cannot"):
        classify.LabelledFolder(tmp_path, _csv(tmp_path, [("P9", "backward_bend", "broken.mp4",
                                                            "EP")] + rows))  # fmt: skip
    moved = [(s, m, str(folder / f), lab) for s, m, f, lab in rows]
    with pytest.raises(ValueError, match=r"line 2: unknown label 'flexion'"):
        classify.LabelledFolder(tmp_path, _csv(tmp_path, [moved[0][:3] + ("flexion",)] + moved[1:]))
    with pytest.raises(ValueError, match="at least two classes"):
        classify.LabelledFolder(tmp_path, _csv(tmp_path, [r[:3] + ("FP",) for r in moved]))
    # A readable video in which nobody is seen: the error comes when it is analysed.
    blank = tmp_path / "empty_room.mp4"
    with av.open(str(blank), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=4)
        stream.width, stream.height, stream.pix_fmt = 160, 160, "yuv420p"
        for k in range(6):
            image = np.full((160, 160, 3), 90 + 10 * k, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = classify.LabelledFolder(
        tmp_path, _csv(tmp_path, moved[:2] + [("P9", "backward_bend", "empty_room.mp4", "EP")]),
        config=fast_config(rendered_clips["cache"]), progress=False,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"line 4: analysing empty_room\.mp4 .*no person"):
        classify.train(data)
