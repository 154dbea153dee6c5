"""Two real people crossing (real MediaPipe on a real composite video): the result is flagged
and the tracked subject stays the same person through the crossing."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from humanmovenet.io import open_video
from humanmovenet.io.video import Frame
from humanmovenet.pose2d import PoseConfig, estimate_pose

CLIP = Path(__file__).parent / "data" / "sports2d_walk_1280x720.mp4"
SIZE = (640, 360)
SCALE_B, LIFT_B, SHIFT_B = 0.8, 30, 8  # person B: further away (smaller, higher), 8 frames ahead


def _hips_x(result) -> np.ndarray:
    return result.keypoints.xy[:, 23:25, 0].mean(axis=1)


@pytest.fixture(scope="module")
def crossing(tmp_path_factory):
    """The clip's woman (A, walking right to left) with a mirrored, smaller copy of herself
    (B, walking left to right behind her) pasted in with MediaPipe's own masks of A; returns
    (video path, A's hip x alone, B's hip x) per frame."""
    with open_video(CLIP, start=10, stop=110) as reader:
        frames = [np.asarray(Image.fromarray(f.image).resize(SIZE, Image.BILINEAR))
                  for f in reader][::2]  # fmt: skip
    config = PoseConfig(model="lite", mask_scale=1.0)
    alone = estimate_pose([Frame(i, i / 15, f) for i, f in enumerate(frames)], config)
    masks, hip_a = alone.silhouettes.masks, _hips_x(alone)
    n, w_b, h_b = len(frames), int(SIZE[0] * SCALE_B), int(SIZE[1] * SCALE_B)
    x0, y0 = (SIZE[0] - w_b) // 2, SIZE[1] - h_b - LIFT_B
    composite, hip_b = [], np.full(n, np.nan)
    for t in range(n):
        src = (t + SHIFT_B) % n
        image_b = np.asarray(Image.fromarray(frames[src][:, ::-1]).resize((w_b, h_b)))
        mask_b = np.asarray(Image.fromarray(masks[src][:, ::-1]).resize((w_b, h_b)))
        out = frames[t].copy()
        region = out[y0 : y0 + h_b, x0 : x0 + w_b]
        paste = mask_b & ~masks[t][y0 : y0 + h_b, x0 : x0 + w_b]  # A stays in front
        region[paste] = image_b[paste]
        composite.append(out)
        hip_b[t] = x0 + SCALE_B * (SIZE[0] - hip_a[src])
    path = tmp_path_factory.mktemp("crossing") / "crossing.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        for i, img in enumerate(composite):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 15)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path, hip_a, hip_b


def test_crossing_people_are_flagged_and_the_subject_is_not_swapped(crossing):
    path, hip_a, hip_b = crossing
    assert np.nanmax(hip_a - hip_b) > 150 and np.nanmin(hip_a - hip_b) < -150  # they do cross
    with pytest.warns(UserWarning, match="Another person is in view"):
        result = estimate_pose(path, PoseConfig(model="lite", output_masks=False))
    assert any("Another person is in view" in w for w in result.warnings)
    tracked = _hips_x(result)
    seen = result.keypoints.detected & np.isfinite(hip_a) & np.isfinite(hip_b)
    assert seen.mean() > 0.6, f"subject detected in only {seen.mean():.0%} of frames"
    apart = seen & (np.abs(hip_a - hip_b) > 60)
    assert apart.sum() >= 20
    # the subject (A: larger and in view longer) is followed before and after the crossing
    err_a, err_b = np.abs(tracked - hip_a)[apart], np.abs(tracked - hip_b)[apart]
    assert np.all(err_a < err_b), f"tracked person switched to B in {np.sum(err_a >= err_b)} frames"
    assert np.median(err_a) < 15
