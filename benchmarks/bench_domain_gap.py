"""Measure the domain gap between synthetic renders and MediaPipe, and fit a landmark noise model.

Run: ``python benchmarks/bench_domain_gap.py [--sequences 24] [--size 512] [--fit]``

1. Renders side-view sequences of synthetic subjects (``synth.subject`` / ``synth.motion``:
   standing, gait, forward and backward bends of FP / EP / neither subjects, lateral bends),
   each with its own appearance, background, lighting and camera, at 512 x 512 and 30 fps.
   Bodies are posed by ``humanmovenet.synth.sequence`` when it exists, else by a rough mapping
   in this script (``_fallback_pose``).
2. Runs the project's 2D stage (``humanmovenet.pose2d.estimate_pose``: MediaPipe full, VIDEO
   mode, tracking) on the frames and compares with the ground truth: the 33 landmarks of
   ``synth.landmarks.mediapipe_landmarks`` projected by the render camera. Reports detection
   rate, per-landmark error (pixels and % of body height; median and 90th percentile), mask
   IoU, left/right swaps, visibility, jitter and 2D bone-length variation.
3. Computes the same ground-truth-free statistics (visibility, jitter, bone lengths) on the real
   walking clip ``tests/data/sports2d_walk_1280x720.mp4``.
4. With ``--fit``, fits ``humanmovenet.synth.landmark_noise`` to the measurements and writes
   ``weights/landmark_noise.json``; then checks the fitted model by simulating it on the same
   clean ground truth and computing the same statistics.

Writes ``benchmarks/results/domain_gap.json``, ``benchmarks/results/domain_gap.md`` and the raw
per-frame arrays ``benchmarks/results/domain_gap_raw.npz`` (``--from-raw`` refits from them
without rendering).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from humanmovenet._paths import sha256_of
from humanmovenet.body import create
from humanmovenet.io.video import Frame
from humanmovenet.pose2d import PoseConfig, estimate_pose
from humanmovenet.synth.appearance import (
    BACKGROUND_KINDS,
    assign_body_regions,
    region_vertex_colors,
    sample_appearance,
    sample_background,
    sample_lighting,
)
from humanmovenet.synth.camera import sample_side_camera, side_view_angles
from humanmovenet.synth.landmark_noise import (
    BONES,
    bone_length_cv,
    jitter_pct,
    landmark_errors,
    swap_flags,
)
from humanmovenet.synth.landmarks import landmark_sources_for, mediapipe_landmarks_from_arrays
from humanmovenet.synth.motion import generate_motion
from humanmovenet.synth.render import Renderer
from humanmovenet.synth.subject import sample_subject
from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NAMES = MEDIAPIPE_LANDMARK_NAMES
REAL_CLIP = ROOT / "tests" / "data" / "sports2d_walk_1280x720.mp4"

# (movement, phenotype, generator kwargs), cycled over the sequences.
PLAN: tuple[tuple[str, str | None, dict], ...] = (
    ("forward_bend", "FP", {}),
    ("forward_bend", "EP", {}),
    ("forward_bend", "neither", {}),
    ("backward_bend", "FP", {}),
    ("backward_bend", "EP", {}),
    ("backward_bend", "neither", {}),
    ("gait", None, {"n_cycles": 1.5}),
    ("standing", None, {"duration_s": 2.0}),
    ("lateral_bend", None, {"side": "left"}),
)


@dataclass
class SequenceRecord:
    """Per-frame measurements of one rendered sequence."""

    name: str
    movement: str
    gt: np.ndarray  # (T, 33, 2) projected ground truth, px
    det: np.ndarray  # (T, 33, 3) MediaPipe x, y px + visibility (NaN where not detected)
    detected: np.ndarray  # (T,) bool
    height_px: np.ndarray  # (T,) standing body height in px at the root's depth
    iou: np.ndarray  # (T,) mask IoU (NaN where no mask)
    near_side: str  # "left" / "right": side of the body facing the camera
    facing: float  # +1 if the person faces image +x, -1 if image -x
    candidates: dict[str, np.ndarray]  # bone name -> (T, 2) projected bone heads
    example: tuple | None = None  # (frame index, rgb) of the most displaced frame, for figures
    background: str = ""  # background kind
    yaw_deg: float = 0.0  # camera yaw off the pure side view


# ------------------------------------------------------------------------------------ posing


def _rotvec(matrix: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return Rotation.from_matrix(matrix).as_rotvec()


def _rx(a: np.ndarray) -> np.ndarray:
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack(
        [np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2
    )


def _ry(a: np.ndarray) -> np.ndarray:
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack(
        [np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2
    )


def _rz(a: np.ndarray) -> np.ndarray:
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack(
        [np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2
    )


def _fallback_pose(body, motion) -> tuple[np.ndarray, np.ndarray]:
    """Rough SagittalMotion -> anny pose mapping for this benchmark only.

    Signs follow ``synth.motion``'s docstring: a rotation about +x tips a bone's top forward.
    Lumbar angles are shared equally by spine05…spine03, thoracic by spine02/spine01; the arms
    are lowered from anny's A-pose by 0.6 rad and the rest elbow bend is removed.

    Returns:
        (body_pose (T, 103, 3), root_orient (T, 3)) as axis-angles.
    """
    m = motion
    t = m.num_frames
    names = body.joint_names
    rot = np.tile(np.eye(3), (t, len(names), 1, 1))

    def put(name: str, r: np.ndarray) -> None:
        rot[:, names.index(name)] = r

    root = (
        _ry(m.pelvis_rotation)
        @ _rx(m.pelvis_tilt - m.standing_pelvic_tilt)
        @ _rz(m.pelvis_obliquity)
    )
    for s, lab in ((".L", "left"), (".R", "right")):
        put("upperleg01" + s, _rx(-getattr(m, f"hip_flexion_{lab}")))
        put("lowerleg01" + s, _rx(getattr(m, f"knee_flexion_{lab}")))
        put("foot" + s, _rx(-getattr(m, f"ankle_dorsiflexion_{lab}")))
    for bone in ("spine05", "spine04", "spine03"):
        put(bone, _rx(m.lumbar_flexion / 3) @ _rz(-m.lumbar_lateral / 3) @ _ry(m.trunk_axial / 5))
    for bone in ("spine02", "spine01"):
        put(
            bone,
            _rx(m.thoracic_flexion / 2) @ _rz(-m.thoracic_lateral / 2) @ _ry(m.trunk_axial / 5),
        )
    j = body.J_template.numpy().astype(np.float64)
    for s, lab, sign in ((".L", "left", -1.0), (".R", "right", 1.0)):
        upper = j[names.index("lowerarm01" + s)] - j[names.index("upperarm01" + s)]
        fore = j[names.index("wrist" + s)] - j[names.index("lowerarm01" + s)]
        rest_elbow = np.arccos(upper @ fore / np.linalg.norm(upper) / np.linalg.norm(fore))
        lower = _rz(np.full(t, sign * 0.6))
        put("upperarm01" + s, _rx(-getattr(m, f"shoulder_flexion_{lab}")) @ lower)
        put("lowerarm01" + s, _rx(rest_elbow - getattr(m, f"elbow_flexion_{lab}")))
    pose = _rotvec(rot[:, 1:].reshape(-1, 3, 3)).reshape(t, -1, 3)
    return pose, _rotvec(root)


def pose_body(body, subject, motion) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, str]:
    """Posed vertices (T, V, 3), joints (T, J, 3), landmarks (T, 33, 3), stature (m), source."""
    betas = body.shape_from_sliders(subject.sliders)
    with torch.no_grad():
        stature = float(body.stature(betas)[0])
    try:
        from humanmovenet.synth.sequence import pose_sequence  # the project's own mapping
    except ImportError:
        pose_sequence = None
    if pose_sequence is not None:
        posed = pose_sequence(subject, motion, body, keep_vertices=True)
        verts, joints = posed.vertices.astype(np.float64), posed.joints
        source = "synth.sequence.pose_sequence"
    else:
        pose, root = _fallback_pose(body, motion)
        t = motion.num_frames
        with torch.no_grad():
            out = body(
                betas.expand(t, -1),
                torch.as_tensor(pose),
                torch.as_tensor(root),
                torch.as_tensor(motion.root_translation, dtype=torch.float64),
            )
        verts, joints = out.vertices.numpy(), out.joints.numpy()
        source = "bench_domain_gap._fallback_pose"
    lm = mediapipe_landmarks_from_arrays(verts, joints, landmark_sources_for(body))
    return verts, joints, lm, stature, source


# ------------------------------------------------------------------------- render + detect


JOINT_CANDIDATES = {
    "shoulder": ("shoulder01", "upperarm01", "upperarm02"),
    "elbow": ("upperarm02", "lowerarm01", "lowerarm02"),
    "wrist": ("lowerarm02", "wrist"),
    "hip": ("pelvis", "upperleg01", "upperleg02"),
    "knee": ("upperleg02", "lowerleg01", "lowerleg02"),
    "ankle": ("lowerleg02", "foot"),
}


def run_sequence(
    body, renderer, index: int, size: int, config: PoseConfig, keep_example: bool = False
) -> SequenceRecord:
    movement, phenotype, kwargs = PLAN[index % len(PLAN)]
    rng = np.random.default_rng(5000 + index)
    subject = sample_subject(rng, phenotype=phenotype)
    motion = generate_motion(subject, movement, rng, **kwargs)
    verts, joints, lm3d, stature, source = pose_body(body, subject, motion)
    app = sample_appearance(rng)
    weights = body.lbs_weights.numpy()
    regions = assign_body_regions(
        weights, body.joint_names, long_sleeves=app.long_sleeves, shorts=app.shorts,
        rest_vertices=body.v_template.numpy(),
    )  # fmt: skip
    colors = region_vertex_colors(regions, app)
    cam = sample_side_camera(rng, verts[:, ::4], image_size=(size, size))
    kind = str(BACKGROUND_KINDS[int(rng.integers(len(BACKGROUND_KINDS)))])
    background = sample_background(rng, size, size, kinds=(kind,), avoid_colors=app.region_colors())
    lighting = sample_lighting(rng)
    faces = body.faces.numpy()
    silhouettes: list[np.ndarray] = []
    nose = NAMES.index("nose")
    shown = int(np.argmax(np.linalg.norm(lm3d[:, nose] - lm3d[:1, nose], axis=-1)))
    example = []

    def frames():
        for k in range(motion.num_frames):
            out = renderer.render(verts[k], faces, cam, colors, background, lighting,
                                  with_depth=False)  # fmt: skip
            silhouettes.append(out.silhouette)
            if keep_example and k == shown:
                example.append((k, out.rgb.copy()))
            yield Frame(k, k / motion.fps, out.rgb)

    result = estimate_pose(frames(), config)
    kp = result.keypoints
    det = np.where(kp.detected[:, None, None], kp.data, np.nan)
    t = motion.num_frames
    gt = cam.project(lm3d.reshape(-1, 3)).reshape(t, 33, 2)
    root_depth = cam.depth(joints[:, 0])
    height_px = cam.fy * stature / root_depth
    iou = np.full(t, np.nan)
    if result.silhouettes is not None:
        masks = result.silhouettes.masks
        for k in range(t):
            if result.silhouettes.valid[k] and kp.detected[k]:
                sil = silhouettes[k]
                iou[k] = (masks[k] & sil).sum() / max(1, (masks[k] | sil).sum())
    forward_px = cam.project(np.array([[0.0, 1.0, 0.3], [0.0, 1.0, 0.0]]))  # world +z in image
    facing = float(np.sign(forward_px[0, 0] - forward_px[1, 0]))
    candidates = {}
    for group in JOINT_CANDIDATES.values():
        for bone in group:
            for s in (".L", ".R"):
                name = bone + s if bone != "pelvis" else "pelvis" + s
                j = body.joint_names.index(name)
                candidates[name] = cam.project(joints[:, j]).reshape(t, 2)
    angles = side_view_angles(cam)
    label = f"{index:02d}_{movement}_{subject.phenotype}"
    print(f"{label:30s} {kind:8s} frames {t:4d} detected {kp.detected.mean():6.1%} "
          f"height {np.median(height_px):5.0f}px yaw {np.degrees(angles.yaw):+5.1f} "
          f"pose: {source}", flush=True)  # fmt: skip
    return SequenceRecord(label, movement, gt, det, kp.detected.copy(), height_px, iou,
                          angles.side, facing, candidates, example[0] if example else None,
                          kind, float(np.degrees(angles.yaw)))  # fmt: skip


def save_figure(records: list[SequenceRecord], path: Path, columns: int = 4) -> None:
    """Grid of example frames: ground truth (green +) and MediaPipe (red dots, near side filled)."""
    from PIL import Image, ImageDraw

    tiles = []
    for r in records:
        if r.example is None:
            continue
        k, rgb = r.example
        img = Image.fromarray(rgb).resize((rgb.shape[1] // 2, rgb.shape[0] // 2), Image.LANCZOS)
        draw = ImageDraw.Draw(img)
        for j in range(33):
            x, y = r.gt[k, j] / 2
            draw.line([(x - 4, y), (x + 4, y)], fill=(0, 255, 0), width=2)
            draw.line([(x, y - 4), (x, y + 4)], fill=(0, 255, 0), width=2)
            if np.isfinite(r.det[k, j, 0]):
                u, v = r.det[k, j, :2] / 2
                draw.line([(x, y), (u, v)], fill=(255, 255, 0), width=1)
                draw.ellipse([u - 3, v - 3, u + 3, v + 3], outline=(255, 0, 0), width=2)
        draw.rectangle([0, 0, img.width, 18], fill=(0, 0, 0))
        draw.text((4, 3), f"{r.name[3:]} {r.background} f{k}", fill=(255, 255, 255))
        tiles.append(img)
    if not tiles:
        return
    w, h = tiles[0].size
    rows = (len(tiles) + columns - 1) // columns
    sheet = Image.new("RGB", (w * min(columns, len(tiles)), h * rows), (255, 255, 255))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * w, (i // columns) * h))
    sheet.save(path, optimize=True)
    print(f"wrote {path}")


# ----------------------------------------------------------------------------- statistics


def pctl(x: np.ndarray, q: float) -> float | None:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if x.size else None


def summarize(records: list[SequenceRecord]) -> dict:
    """Detection, per-landmark error, IoU, swaps and GT-free statistics of the renders."""
    frames = sum(len(r.detected) for r in records)
    detected = sum(int(r.detected.sum()) for r in records)
    per_lm_px, per_lm_pct = [], []
    swaps = {"legs": [], "arms": []}
    for r in records:
        err = landmark_errors(r.det[..., :2], r.gt)  # (T, 33) px
        per_lm_px.append(err)
        per_lm_pct.append(100 * err / r.height_px[:, None])
        for group, sw in swap_flags(r.det[..., :2], r.gt, r.height_px).items():
            swaps[group].append(sw)
    px = np.concatenate(per_lm_px)
    pct = np.concatenate(per_lm_pct)
    table = {}
    for k, name in enumerate(NAMES):
        table[name] = {
            "median_px": pctl(px[:, k], 50), "p90_px": pctl(px[:, k], 90),
            "median_pct_height": pctl(pct[:, k], 50), "p90_pct_height": pctl(pct[:, k], 90),
        }  # fmt: skip
    by_movement = {}
    for mv in sorted({r.movement for r in records}):
        rs = [r for r in records if r.movement == mv]
        e = np.concatenate([100 * landmark_errors(r.det[..., :2], r.gt) / r.height_px[:, None]
                            for r in rs])  # fmt: skip
        body_lm = [NAMES.index(n) for n in NAMES[11:17] + NAMES[23:29]]
        by_movement[mv] = {
            "sequences": len(rs),
            "frames": int(sum(len(r.detected) for r in rs)),
            "detection_rate": float(np.mean(np.concatenate([r.detected for r in rs]))),
            "median_limb_error_pct_height": pctl(e[:, body_lm], 50),
            "p90_limb_error_pct_height": pctl(e[:, body_lm], 90),
            "median_mask_iou": pctl(np.concatenate([r.iou for r in rs]), 50),
        }
    by_background = {}
    for kind in sorted({r.background for r in records}):
        rs = [r for r in records if r.background == kind]
        by_background[kind or "unknown"] = {
            "sequences": len(rs),
            "detection_rate": float(np.mean(np.concatenate([r.detected for r in rs]))),
        }
    sw = {g: np.concatenate(v) for g, v in swaps.items()}
    return {
        "sequences": len(records),
        "frames": frames,
        "detected_frames": detected,
        "detection_rate": detected / max(1, frames),
        "median_mask_iou": pctl(np.concatenate([r.iou for r in records]), 50),
        "p10_mask_iou": pctl(np.concatenate([r.iou for r in records]), 10),
        "left_right_swap_rate": {
            g: float(np.nanmean(v)) if np.isfinite(v).any() else None for g, v in sw.items()
        },  # fmt: skip
        "per_landmark": table,
        "by_movement": by_movement,
        "by_background": by_background,
        "per_sequence": [
            {
                "name": r.name,
                "background": r.background,
                "yaw_deg": r.yaw_deg,
                "detection_rate": float(np.mean(r.detected)),
                "median_height_px": float(np.median(r.height_px)),
            }
            for r in records
        ],
        "median_body_height_px": pctl(np.concatenate([r.height_px for r in records]), 50),
        "gt_free": _gt_free_by_movement(records, [r.det for r in records]),
    }


_VIS_PARTS = ("elbow", "wrist", "knee", "ankle", "heel")


def gt_free_stats(seqs: list[tuple[np.ndarray, np.ndarray, str]]) -> dict:
    """Visibility, jitter and bone-length variation of landmark sequences (no ground truth).

    Jitter is the second difference |x(t+1) - 2 x(t) + x(t-1)| of the shoulder…wrist and
    hip…foot landmarks in % of body height: it contains the true limb accelerations as well as
    noise, so compare like with like (gait with gait; the ground truth's own value is the
    motion-only reference).

    Args:
        seqs: (landmarks (T, 33, 3) px + visibility, body height px (T,), near side) per
            sequence.
    """
    if not seqs:
        return {}
    vis = np.concatenate([d[..., 2][np.isfinite(d[..., 0])].reshape(-1) for d, _, _ in seqs])
    jit = np.concatenate([jitter_pct(d[..., :2], h) for d, h, _ in seqs])  # (N, 33)
    cv = {b: [bone_length_cv(d[..., :2], b) for d, _, _ in seqs] for b in BONES}
    body_lm = [NAMES.index(n) for n in NAMES[11:17] + NAMES[23:33]]
    out = {
        "visibility_median": pctl(vis, 50),
        "visibility_p10": pctl(vis, 10),
        "fraction_visibility_below_0.5": float(np.mean(vis < 0.5)) if vis.size else None,
        "jitter_median_pct_height": pctl(jit[:, body_lm], 50),
        "jitter_p90_pct_height": pctl(jit[:, body_lm], 90),
        "bone_length_cv_median": {b: pctl(np.array(v), 50) for b, v in cv.items()},
    }
    for part in _VIS_PARTS:
        for rel in ("near", "far"):
            vals = []
            for d, _, near in seqs:
                side = near if rel == "near" else ("right" if near == "left" else "left")
                col = d[:, NAMES.index(f"{side}_{part}")]
                vals.append(col[np.isfinite(col[:, 0]), 2])
            out[f"visibility_median_{rel}_{part}"] = pctl(np.concatenate(vals), 50)
    return out


def _gt_free_by_movement(records: list[SequenceRecord], dets: list[np.ndarray]) -> dict:
    """GT-free statistics over all sequences, over gait only, and of gait's ground truth."""
    gait = [i for i, r in enumerate(records) if r.movement == "gait"]
    seqs = [(d, r.height_px, r.near_side) for d, r in zip(dets, records, strict=True)]
    gt_gait = [(np.concatenate([records[i].gt, np.ones(records[i].gt.shape[:2] + (1,))], -1),
                records[i].height_px, records[i].near_side) for i in gait]  # fmt: skip
    return {
        "all": gt_free_stats(seqs),
        "gait": gt_free_stats([seqs[i] for i in gait]),
        "gait_ground_truth": gt_free_stats(gt_gait),
    }


def real_clip_stats() -> dict:
    """The same GT-free statistics on the real walking clip (the tracked woman)."""
    from humanmovenet.io import open_video

    with open_video(REAL_CLIP) as video:
        result = estimate_pose(video, PoseConfig(output_masks=False))
    kp = result.keypoints
    det = np.where(kp.detected[:, None, None], kp.data, np.nan)
    ys = det[..., 1]
    # Body height in px (no ground truth): median over detected frames of (lowest heel/toe y −
    # highest face landmark y) / 0.93 — the eyes sit ~7 % of stature below the top of the head
    # (Drillis & Contini proportions); she walks at a roughly constant distance.
    ok = kp.detected
    head = np.min(ys[ok, :11], axis=1)
    feet = np.max(ys[ok, 27:33], axis=1)
    height_px = np.full(len(ys), np.median(feet - head) / 0.93)
    stats = gt_free_stats([(det, height_px, "left")])  # she faces image-left, left side near
    stats.update({
        "frames": int(kp.num_frames),
        "detected_frames": int(kp.detected.sum()),
        "median_body_height_px": float(np.nanmedian(height_px)),
        "visibility_by_landmark": {n: pctl(det[:, k, 2], 50) for k, n in enumerate(NAMES)},
        "facing": kp.view.facing if kp.view else None,
    })  # fmt: skip
    # restrict detection rate to the frames the woman is in view (docs: ~10-150)
    return stats


def error_check(records: list[SequenceRecord], sim: list) -> dict:
    """Median / p90 error (% height) per landmark: MediaPipe vs the fitted model on the same GT."""
    out = {}
    for source, dets in (
        ("mediapipe", [r.det for r in records]),
        ("model", [d for d, _, _ in sim]),
    ):
        pct = np.concatenate([100 * landmark_errors(d[..., :2], r.gt) / r.height_px[:, None]
                              for d, r in zip(dets, records, strict=True)])  # fmt: skip
        out[source] = {n: [pctl(pct[:, k], 50), pctl(pct[:, k], 90)] for k, n in enumerate(NAMES)}
    return out


def joint_candidate_errors(records: list[SequenceRecord]) -> dict:
    """Median 2D distance (% height) of each MediaPipe joint from each candidate anny bone."""
    out = {}
    for joint, bones in JOINT_CANDIDATES.items():
        row = {}
        for bone in bones:
            errs = []
            for r in records:
                for side, s in (("left", ".L"), ("right", ".R")):
                    k = NAMES.index(f"{side}_{joint}")
                    e = np.linalg.norm(r.det[:, k, :2] - r.candidates[bone + s], axis=-1)
                    errs.append(100 * e / r.height_px)
            row[bone] = pctl(np.concatenate(errs), 50)
        out[joint] = row
    return out


# ---------------------------------------------------------------------------------- output


def save_raw(records: list[SequenceRecord], path: Path) -> None:
    arrays = {}
    for i, r in enumerate(records):
        for field in ("gt", "det", "detected", "height_px", "iou"):
            arrays[f"{i}/{field}"] = getattr(r, field)
        arrays[f"{i}/meta"] = np.array(json.dumps(
            {"name": r.name, "movement": r.movement, "near_side": r.near_side, "facing": r.facing,
             "background": r.background, "yaw_deg": r.yaw_deg}
        ))  # fmt: skip
    np.savez_compressed(path, **arrays)


def load_raw(paths: list[Path]) -> list[SequenceRecord]:
    """Records of one or more raw files (in order)."""
    return [r for p in paths for r in _load_raw(p)]


def _load_raw(path: Path) -> list[SequenceRecord]:
    data = np.load(path)
    n = len({k.split("/")[0] for k in data.files})
    records = []
    for i in range(n):
        meta = json.loads(str(data[f"{i}/meta"]))
        records.append(SequenceRecord(
            meta["name"], meta["movement"], data[f"{i}/gt"], data[f"{i}/det"],
            data[f"{i}/detected"], data[f"{i}/height_px"], data[f"{i}/iou"],
            meta["near_side"], meta["facing"], {}, None, meta.get("background", ""),
            meta.get("yaw_deg", 0.0),
        ))  # fmt: skip
    return records


def _f(x: float | None, fmt: str = ".2f") -> str:
    return "–" if x is None else format(x, fmt)


def markdown(summary: dict, real: dict | None, model_check: dict | None) -> str:
    lines = [
        f"Renders: {summary['sequences']} sequences, {summary['frames']} frames; "
        f"detected {summary['detected_frames']} ({100 * summary['detection_rate']:.1f} %); "
        f"mask IoU median {_f(summary['median_mask_iou'], '.3f')} "
        f"(10th pct {_f(summary['p10_mask_iou'], '.3f')}); median body height "
        f"{_f(summary['median_body_height_px'], '.0f')} px.",
        "",
        "| movement | sequences | frames | detected | limb error median / p90 (% height) | mask IoU |",
        "|---|---|---|---|---|---|",
    ]
    for mv, s in summary["by_movement"].items():
        lines.append(
            f"| {mv} | {s['sequences']} | {s['frames']} | {100 * s['detection_rate']:.1f} % | "
            f"{_f(s['median_limb_error_pct_height'])} / {_f(s['p90_limb_error_pct_height'])} | "
            f"{_f(s['median_mask_iou'], '.3f')} |"
        )
    lines += ["", "| background | sequences | detected |", "|---|---|---|"]
    for kind, b in summary.get("by_background", {}).items():
        lines.append(f"| {kind} | {b['sequences']} | {100 * b['detection_rate']:.1f} % |")
    lines += ["", "| landmark | median px | p90 px | median % height | p90 % height |",
              "|---|---|---|---|---|"]  # fmt: skip
    for name, s in summary["per_landmark"].items():
        lines.append(f"| {name} | {_f(s['median_px'], '.1f')} | {_f(s['p90_px'], '.1f')} | "
                     f"{_f(s['median_pct_height'])} | {_f(s['p90_pct_height'])} |")  # fmt: skip
    g = summary["gt_free"]
    cols = [("renders, all (MediaPipe)", g["all"]), ("renders, gait (MediaPipe)", g["gait"]),
            ("renders, gait (ground truth)", g["gait_ground_truth"])]  # fmt: skip
    if real is not None:
        cols.append(("real walking clip (MediaPipe)", real))
    if model_check is not None:
        cols += [("noise model, all", model_check["gt_free"]["all"]),
                 ("noise model, gait", model_check["gt_free"]["gait"]),
                 ("noise model without gross errors, all",
                  model_check["gt_free_without_gross_errors"]["all"])]  # fmt: skip
    lines += ["", "| statistic | " + " | ".join(c for c, _ in cols) + " |",
              "|---|" + "---|" * len(cols)]  # fmt: skip
    keys = ["visibility_median", "visibility_p10", "fraction_visibility_below_0.5"]
    keys += [f"visibility_median_{r}_{p}" for p in _VIS_PARTS for r in ("near", "far")]
    keys += ["jitter_median_pct_height", "jitter_p90_pct_height"]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(_f(c.get(key), ".3f") for _, c in cols) + " |")
    for bone in BONES:
        lines.append(f"| bone_length_cv {bone} | " + " | ".join(
            _f(c.get("bone_length_cv_median", {}).get(bone), ".3f") for _, c in cols) + " |")  # fmt: skip
    sw = summary["left_right_swap_rate"]
    lines += ["", "Left/right label swaps (fraction of frames where the limbs are apart enough to "
              f"tell): legs {_f(sw['legs'], '.4f')}, arms {_f(sw['arms'], '.4f')}."]  # fmt: skip
    if model_check is not None:
        chk = model_check["error_check"]
        lines += ["", "| landmark | MediaPipe median / p90 (% height) | noise model median / p90 |",
                  "|---|---|---|"]  # fmt: skip
        for name in NAMES:
            (a, b), (c, d) = chk["mediapipe"][name], chk["model"][name]
            lines.append(f"| {name} | {_f(a)} / {_f(b)} | {_f(c)} / {_f(d)} |")
    return "\n".join(lines) + "\n"


def _git_commit() -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=27)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument(
        "--fit", action="store_true", help="fit and write weights/landmark_noise.json"
    )
    parser.add_argument(
        "--from-raw",
        type=Path,
        nargs="*",
        default=None,
        help="reuse raw files (default benchmarks/results/domain_gap_raw.npz)",
    )
    parser.add_argument(
        "--raw-name",
        default="domain_gap_raw.npz",
        help="file name of the raw output in benchmarks/results/",
    )
    parser.add_argument(
        "--seed-offset", type=int, default=0, help="first sequence index (seeds 5000 + index)"
    )
    parser.add_argument("--no-real", action="store_true", help="skip the real clip")
    parser.add_argument("--joint-candidates", action="store_true",
                        help="report the distance of MediaPipe joints to candidate anny bones")  # fmt: skip
    parser.add_argument("--note", default="", help="free text stored in the model's provenance")
    parser.add_argument("--figure", type=Path, default=None,
                        help="also write a contact sheet of example frames (PNG)")  # fmt: skip
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw_path = RESULTS / args.raw_name
    t0 = time.perf_counter()
    config = PoseConfig(mask_scale=1.0)
    out: dict = {"python": platform.python_version(), "image_size": [args.size, args.size]}
    if args.from_raw is not None:
        records = load_raw(args.from_raw or [raw_path])
    else:
        body = create("anny")
        landmark_sources_for(body)
        records = []
        with Renderer(args.size, args.size) as renderer:
            for i in range(args.seed_offset, args.seed_offset + args.sequences):
                records.append(run_sequence(body, renderer, i, args.size, config,
                                            keep_example=args.figure is not None))  # fmt: skip
        if args.figure is not None:
            save_figure(records[: len(PLAN)], args.figure)
        save_raw(records, raw_path)
        if args.joint_candidates:
            out["joint_candidates_median_pct_height"] = joint_candidate_errors(records)
            print(json.dumps(out["joint_candidates_median_pct_height"], indent=1))
    out["render_seconds"] = time.perf_counter() - t0
    summary = summarize(records)
    out["renders"] = summary
    real = None if args.no_real else real_clip_stats()
    out["real_clip"] = real
    model_check = None
    if args.fit:
        from humanmovenet.synth.landmark_noise import fit_from_records, simulate_records

        model = fit_from_records(records, provenance={
            "command": "python benchmarks/bench_domain_gap.py " + " ".join(sys.argv[1:]),
            "sequences": len(records), "frames": summary["frames"],
            "detection_rate": summary["detection_rate"],
            "mediapipe_model": "pose_landmarker_full.task (VIDEO mode, humanmovenet.pose2d)",
            "plan": [f"{m}/{p}" for m, p, _ in PLAN],
            "git_commit": _git_commit(),
            "fitted_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "mediapipe_version": _version("mediapipe"),
            "ground_truth": "humanmovenet.synth.landmarks.mediapipe_landmarks projected by the "
                            "render camera; body height = stature * fy / depth(root)",
            "note": args.note,
        })  # fmt: skip
        path = model.save(ROOT / "weights" / "landmark_noise.json")
        print(f"wrote {path} (sha256 {sha256_of(path)}: set LANDMARK_NOISE_SHA256 in "
              "humanmovenet/synth/landmark_noise.py to ship it)")  # fmt: skip
        sim = simulate_records(model, records, seed=0)
        import dataclasses

        quiet = dataclasses.replace(
            model, outlier_p_enter=np.zeros(33), outlier_p_stay=np.zeros(33)
        )
        sim_quiet = simulate_records(quiet, records, seed=0)
        model_check = {
            "gt_free": _gt_free_by_movement(records, [d for d, _, _ in sim]),
            "gt_free_without_gross_errors": _gt_free_by_movement(
                records, [d for d, _, _ in sim_quiet]
            ),
            "error_check": error_check(records, sim),
        }
        out["model_check"] = model_check
    (RESULTS / "domain_gap.json").write_text(json.dumps(out, indent=2, default=float))
    md = markdown(summary, real, model_check)
    (RESULTS / "domain_gap.md").write_text(md)
    print(md)
    print(f"wrote {RESULTS / 'domain_gap.json'} and domain_gap.md "
          f"({time.perf_counter() - t0:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
