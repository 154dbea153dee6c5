"""Frozen dataclasses passed between the pipeline's stages.

Every stage of humanmovenet reads the dataclasses of the stage before it and returns one of its
own (DESIGN.md §2–§3). They are frozen: a stage never mutates its input. Arrays are NumPy unless
a field says ``torch.Tensor``; shapes are given in each docstring's ``Shapes:`` section.

Conventions (DESIGN.md §3): metres and seconds; radians inside, degrees only in names that say
so (``*_deg``); body frame right-handed with +y up, +z forward (where the person faces), +x to the
person's left. Flexion is positive, extension negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

import numpy as np

__all__ = [
    "VERTEBRA_NAMES",
    "MEDIAPIPE_LANDMARK_NAMES",
    "Keypoints2D",
    "Silhouettes",
    "ViewEstimate",
    "ShapeSliders",
    "BodyShape",
    "SpineMorphology",
    "PoseSequence",
    "DynamicSpine",
    "PHENOTYPE_LABELS",
    "Phenotype",
    "MovementPhase",
]

#: Vertebral levels from caudal to cranial: S1, L5…L1, T12…T1, C7…C1 (K = 25).
VERTEBRA_NAMES: tuple[str, ...] = (
    ("S1",)
    + tuple(f"L{i}" for i in range(5, 0, -1))
    + tuple(f"T{i}" for i in range(12, 0, -1))
    + tuple(f"C{i}" for i in range(7, 0, -1))
)

#: The 33 MediaPipe BlazePose landmarks, in MediaPipe's order.
MEDIAPIPE_LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip


def _check_shape(name: str, arr: np.ndarray, expected: tuple[int | None, ...]) -> None:
    """Raise a ValueError naming the expected and actual shape (None = any size)."""
    ok = arr.ndim == len(expected) and all(
        e is None or e == s for e, s in zip(expected, arr.shape, strict=True)
    )
    if not ok:
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        raise ValueError(f"{name}: expected shape {want}, got {tuple(arr.shape)}.")


@dataclass(frozen=True)
class ViewEstimate:
    """How the camera sees the person.

    Attributes:
        facing: direction the person faces in the image: ``"left"``, ``"right"`` or
            ``"unknown"`` (e.g. frontal or not enough frames).
        is_side_view: True when sagittal metrics can be trusted.
        sagittal_score: in [0, 1]; 1 = pure side view, 0 = frontal/back view.
        message: plain-language explanation, shown to users when ``is_side_view`` is False.
    """

    facing: Literal["left", "right", "unknown"]
    is_side_view: bool
    sagittal_score: float
    message: str = ""


@dataclass(frozen=True)
class Keypoints2D:
    """2D body landmarks of one tracked person over a video (MediaPipe BlazePose topology).

    Attributes:
        data: x, y in pixels of the (rotation-corrected) frame, and visibility in [0, 1].
            Frames or landmarks without a detection hold NaN in x, y and 0 visibility.
        fps: frames per second of ``data`` (after any resampling).
        image_size: (width, height) in pixels.
        frame_indices: index of each row in the source video.
        detected: True where the landmarker found the subject in that frame.
        interpolated: True where x, y were filled by interpolation over a short dropout.
        world: MediaPipe's metric 3D world landmarks (hip-centred, metres, MediaPipe's own
            axes), NaN where missing; None if not available.
        view: camera view estimate, or None if not computed.
        landmark_names: names of the J landmarks.

    Shapes:
        data: (T, J, 3) with J = 33; frame_indices, detected, interpolated: (T,);
        world: (T, J, 3).
    """

    data: np.ndarray
    fps: float
    image_size: tuple[int, int]
    frame_indices: np.ndarray
    detected: np.ndarray
    interpolated: np.ndarray
    world: np.ndarray | None = None
    view: ViewEstimate | None = None
    landmark_names: tuple[str, ...] = MEDIAPIPE_LANDMARK_NAMES

    def __post_init__(self) -> None:
        j = len(self.landmark_names)
        _check_shape("Keypoints2D.data", np.asarray(self.data), (None, j, 3))
        t = self.data.shape[0]
        for name in ("frame_indices", "detected", "interpolated"):
            _check_shape(f"Keypoints2D.{name}", np.asarray(getattr(self, name)), (t,))
        if self.world is not None:
            _check_shape("Keypoints2D.world", np.asarray(self.world), (t, j, 3))
        if not (self.fps > 0):
            raise ValueError(f"Keypoints2D.fps must be > 0, got {self.fps}.")

    @property
    def num_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def xy(self) -> np.ndarray:
        """(T, J, 2) pixel coordinates."""
        return self.data[..., :2]

    @property
    def visibility(self) -> np.ndarray:
        """(T, J) visibility in [0, 1]."""
        return self.data[..., 2]

    def index(self, name: str) -> int:
        """Index of a landmark by name (e.g. ``"left_hip"``)."""
        try:
            return self.landmark_names.index(name)
        except ValueError:
            raise ValueError(
                f"unknown landmark {name!r}; known: {', '.join(self.landmark_names)}"
            ) from None


@dataclass(frozen=True)
class Silhouettes:
    """Binary person masks over a video.

    Attributes:
        masks: True on the person. May be stored at a reduced resolution: ``scale`` maps mask
            pixels to frame pixels (frame_xy = mask_xy / scale).
        fps: frames per second.
        image_size: (width, height) of the source frames in pixels.
        scale: mask resolution / frame resolution (1.0 = full resolution).
        valid: False where no mask is available for that frame (mask is all False there).

    Shapes:
        masks: (T, H, W) bool; valid: (T,).
    """

    masks: np.ndarray
    fps: float
    image_size: tuple[int, int]
    scale: float = 1.0
    valid: np.ndarray | None = None

    def __post_init__(self) -> None:
        _check_shape("Silhouettes.masks", np.asarray(self.masks), (None, None, None))
        if self.valid is not None:
            _check_shape("Silhouettes.valid", np.asarray(self.valid), (self.masks.shape[0],))


@dataclass(frozen=True)
class ShapeSliders:
    """Semantic body-shape sliders of the default (anny/MakeHuman) body model, each in [0, 1].

    0.5 is the model's average. ``gender``: 0 female … 1 male. ``age``: 0 ≈ 1 year … 0.5 ≈ 25
    years … 1 ≈ 90 years (anny's piecewise map). ``muscle``, ``weight``: 0 minimum … 1 maximum.
    ``height``: 0 shortest … 1 tallest. ``proportions``: 0 ordinary … 1 idealised.
    """

    gender: float = 0.5
    age: float = 0.5
    muscle: float = 0.5
    weight: float = 0.5
    height: float = 0.5
    proportions: float = 0.5

    def as_array(self) -> np.ndarray:
        """(6,) float array in field order."""
        return np.array(
            [self.gender, self.age, self.muscle, self.weight, self.height, self.proportions],
            dtype=np.float64,
        )


@dataclass(frozen=True)
class BodyShape:
    """A person's body shape for one body model.

    Attributes:
        betas: coefficients of the body model's shape basis.
        model: name of the body model the betas belong to (``"anny"``, ``"smpl"``, ``"smplx"``).
        sliders: semantic sliders the betas were made from, if any.

    Shapes:
        betas: (S,).
    """

    betas: np.ndarray
    model: str = "anny"
    sliders: ShapeSliders | None = None

    def __post_init__(self) -> None:
        _check_shape("BodyShape.betas", np.asarray(self.betas), (None,))


@dataclass(frozen=True)
class SpineMorphology:
    """Static sagittal/frontal shape of a person's spine in upright standing, in degrees.

    Attributes:
        sacral_slope_deg: angle of the S1 endplate to the horizontal (normal ~30–50°).
        lumbar_lordosis_deg: Cobb-like angle L1–S1, positive = lordotic (normal ~32 ± 6° in the
            EOS LBP cohort quoted in DESIGN.md §4; wider in healthy adults).
        thoracic_kyphosis_deg: Cobb-like angle T1–T12, positive = kyphotic (~44 ± 6°).
        lateral_deviation_deg: frontal-plane curvature, positive = convex to the person's left.
    """

    sacral_slope_deg: float = 36.0
    lumbar_lordosis_deg: float = 32.0
    thoracic_kyphosis_deg: float = 44.0
    lateral_deviation_deg: float = 0.0


@dataclass(frozen=True)
class PoseSequence:
    """Body-model pose over time (the output of reconstruction, the input of spine fusion).

    Attributes:
        body_pose: per-joint local rotations as axis-angle vectors (radians), in the body
            model's joint order, root excluded.
        root_orient: root (pelvis) global orientation, axis-angle.
        transl: root translation in metres (camera or world frame as stated by ``frame``).
        shape: the body shape the pose applies to.
        fps: frames per second.
        joint_names: names of the body model's joints, root first (len = J + 1).
        confidence: per-frame confidence in [0, 1].
        frame: coordinate frame of ``root_orient``/``transl``: ``"world"`` (+y up) or
            ``"camera"`` (OpenCV camera axes).

    Shapes:
        body_pose: (T, J, 3); root_orient, transl: (T, 3); confidence: (T,).
    """

    body_pose: np.ndarray
    root_orient: np.ndarray
    transl: np.ndarray
    shape: BodyShape
    fps: float
    joint_names: tuple[str, ...]
    confidence: np.ndarray
    frame: Literal["world", "camera"] = "world"

    def __post_init__(self) -> None:
        _check_shape("PoseSequence.body_pose", np.asarray(self.body_pose), (None, None, 3))
        t, j = self.body_pose.shape[:2]
        _check_shape("PoseSequence.root_orient", np.asarray(self.root_orient), (t, 3))
        _check_shape("PoseSequence.transl", np.asarray(self.transl), (t, 3))
        _check_shape("PoseSequence.confidence", np.asarray(self.confidence), (t,))
        if len(self.joint_names) != j + 1:
            raise ValueError(
                f"PoseSequence.joint_names: expected {j + 1} names (root + {j} joints), "
                f"got {len(self.joint_names)}."
            )


@dataclass(frozen=True)
class DynamicSpine:
    """Vertebra-level spine over time, in the body frame of DESIGN.md §3.

    Attributes:
        positions: vertebral body centres in metres.
        frames: local frame of each vertebra as a rotation matrix whose columns are the
            vertebra's x (left), y (cranial, along the spine), z (anterior) axes.
        level_names: names of the K levels, caudal to cranial (``VERTEBRA_NAMES``).
        fps: frames per second.
        confidence: per-frame confidence in [0, 1].
        morphology: the static spine morphology the sequence was built from: the *input*
            morphology (as passed to ``spine.body.embed_in_body``), not the one re-measured on
            the embedded spine (they differ by a few tenths of a degree).
        pelvis_frames: pelvis orientation per frame (columns x left, y up, z forward when
            standing neutral), used for pelvic tilt.
        hip_flexion: per-frame sagittal hip flexion in radians (mean of left/right), or None.

    Shapes:
        positions: (T, K, 3); frames: (T, K, 3, 3); confidence: (T,);
        pelvis_frames: (T, 3, 3); hip_flexion: (T,).
    """

    positions: np.ndarray
    frames: np.ndarray
    fps: float
    confidence: np.ndarray
    morphology: SpineMorphology
    pelvis_frames: np.ndarray
    level_names: tuple[str, ...] = VERTEBRA_NAMES
    hip_flexion: np.ndarray | None = None
    pose: PoseSequence | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        k = len(self.level_names)
        _check_shape("DynamicSpine.positions", np.asarray(self.positions), (None, k, 3))
        t = self.positions.shape[0]
        _check_shape("DynamicSpine.frames", np.asarray(self.frames), (t, k, 3, 3))
        _check_shape("DynamicSpine.confidence", np.asarray(self.confidence), (t,))
        _check_shape("DynamicSpine.pelvis_frames", np.asarray(self.pelvis_frames), (t, 3, 3))
        if self.hip_flexion is not None:
            _check_shape("DynamicSpine.hip_flexion", np.asarray(self.hip_flexion), (t,))

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    def index(self, level: str) -> int:
        """Index of a vertebral level by name (e.g. ``"L3"``)."""
        try:
            return self.level_names.index(level)
        except ValueError:
            raise ValueError(
                f"unknown vertebral level {level!r}; known: {', '.join(self.level_names)}"
            ) from None


#: Lumbopelvic movement-pattern classes (O'Sullivan's flexion / extension patterns, or neither).
PHENOTYPE_LABELS: tuple[str, ...] = ("FP", "EP", "neither")


@dataclass(frozen=True)
class Phenotype:
    """A flexion-pattern / extension-pattern classification of one person's movement.

    Not a diagnosis: the label says which movement pattern the classifier's training labels
    (synthetic phenotypes, or an expert's own labels when retrained) resemble most.

    Attributes:
        label: the most probable class, one of :data:`PHENOTYPE_LABELS`.
        probabilities: probability of each class (sums to 1).
        evidence: plain-language reasons, most important first (e.g. which metric pushed the
            decision and how far it is from the typical range).
        model: name of the classifier that produced it (e.g. ``"logistic"``, ``"sequence"``).
        inputs: which movements the decision used (e.g. ``("forward_bend", "backward_bend")``).
    """

    label: str
    probabilities: dict[str, float]
    evidence: tuple[str, ...] = ()
    model: str = ""
    inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.label not in PHENOTYPE_LABELS:
            raise ValueError(
                f"Phenotype.label must be one of {PHENOTYPE_LABELS}, got {self.label!r}."
            )
        unknown = set(self.probabilities) - set(PHENOTYPE_LABELS)
        if unknown:
            raise ValueError(f"Phenotype.probabilities has unknown classes {sorted(unknown)}.")
        total = float(sum(self.probabilities.values()))
        if not np.isfinite(total) or abs(total - 1.0) > 1e-6:
            raise ValueError(f"Phenotype.probabilities must sum to 1, got {total}.")

    @property
    def probability(self) -> float:
        """Probability of the chosen label."""
        return float(self.probabilities[self.label])


class MovementPhase(IntEnum):
    """Per-frame phase codes shared by the synthetic motions (``synth.motion.Phase``, ground
    truth) and the phase detector (``biomech``), so the two compare code for code.

    ``*_HOLD`` is the pause at the end of the range; ``*_RETURN`` the way back to standing.
    Gait ground truth: the stride starts at right heel strike; ``GAIT_DOUBLE_SUPPORT`` covers
    both double supports (0–10 % and 50–60 %), ``GAIT_RIGHT_STANCE`` right single support (left
    swing, 10–50 %), ``GAIT_LEFT_STANCE`` left single support (right swing, 60–100 %). The
    detector labels walking frames ``GAIT`` without sub-phases and undecided frames ``UNKNOWN``.
    """

    UNKNOWN = -1
    STANDING = 0
    FLEXION = 1
    FLEXION_HOLD = 2
    FLEXION_RETURN = 3
    EXTENSION = 4
    EXTENSION_HOLD = 5
    EXTENSION_RETURN = 6
    LATERAL_LEFT = 7
    LATERAL_LEFT_HOLD = 8
    LATERAL_LEFT_RETURN = 9
    LATERAL_RIGHT = 10
    LATERAL_RIGHT_HOLD = 11
    LATERAL_RIGHT_RETURN = 12
    GAIT_DOUBLE_SUPPORT = 13
    GAIT_RIGHT_STANCE = 14
    GAIT_LEFT_STANCE = 15
    GAIT = 16
