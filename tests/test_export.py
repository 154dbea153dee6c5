"""Exports (humanmovenet.io.export): NPZ round trips, meshes, BVH and OpenSim .mot.

Real data throughout: the shipped anny body posed by ``synth.sequence`` with synthetic motions
whose angles are measured on the posed body; real files on disk, re-opened with the reading
libraries (numpy, trimesh, the ``bvh`` parser) and compared.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

from humanmovenet.io import export_mesh as export_mesh_module
from humanmovenet.io.export import (
    OPENSIM_COORDINATES,
    export_animated_glb,
    export_bvh,
    export_meshes,
    export_opensim_mot,
    load_body_shape,
    load_dynamic_spine,
    load_pose_sequence,
    opensim_coordinates,
    pose_vertices,
    read_mot,
    save_body_shape,
    save_dynamic_spine,
    save_pose_sequence,
)
from humanmovenet.synth.motion import generate_motion
from humanmovenet.synth.sequence import PosedSequence, default_body, pose_sequence
from humanmovenet.synth.spine_truth import ground_truth_spine
from humanmovenet.synth.subject import sample_subject
from humanmovenet.types import BodyShape, DynamicSpine, PoseSequence

FPS = 5.0  # few frames: the code path is the same at any rate


def _spine(posed: PosedSequence) -> DynamicSpine:
    """The DynamicSpine (with its PoseSequence) of a posed synthetic sequence, with a varying
    confidence so that the exports must carry it."""
    spine = ground_truth_spine(posed)
    conf = np.linspace(0.5, 1.0, posed.num_frames)
    pose = dataclasses.replace(spine.pose, confidence=conf)
    return dataclasses.replace(spine, confidence=conf, pose=pose)


@pytest.fixture(scope="module")
def body():
    return default_body()


@pytest.fixture(scope="module")
def posed(body):
    subject = sample_subject(11, phenotype="neither")
    out = {}
    for movement, kw in (
        ("forward_bend", {"duration_s": 2.0, "hold_s": 0.5}),
        ("lateral_bend", {"duration_s": 1.5, "hold_s": 0.3}),
        ("gait", {"n_cycles": 1.0}),
    ):
        motion = generate_motion(subject, movement, 3, fps=FPS, **kw)
        out[movement] = pose_sequence(subject, motion, body, keep_vertices=movement == "gait")
    return out


@pytest.fixture(scope="module")
def spines(posed):
    return {k: _spine(v) for k, v in posed.items()}


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------- NPZ


def test_dynamic_spine_round_trip_is_exact(tmp_path, spines):
    spine = spines["gait"]
    path = save_dynamic_spine(tmp_path / "spine.npz", spine)
    back = load_dynamic_spine(path)
    for name in ("positions", "frames", "confidence", "pelvis_frames", "hip_flexion"):
        np.testing.assert_array_equal(getattr(back, name), getattr(spine, name))
    assert back.fps == spine.fps and back.level_names == spine.level_names
    assert back.morphology == spine.morphology
    for name in ("body_pose", "root_orient", "transl", "confidence"):
        np.testing.assert_array_equal(getattr(back.pose, name), getattr(spine.pose, name))
    assert back.pose.joint_names == spine.pose.joint_names
    np.testing.assert_array_equal(back.pose.shape.betas, spine.pose.shape.betas)
    assert back.pose.shape.sliders == spine.pose.shape.sliders
    assert back.pose.frame == "world" and back.pose.fps == spine.pose.fps
    assert _leftovers(tmp_path) == []


def test_dynamic_spine_without_optional_fields(tmp_path, spines):
    s = spines["forward_bend"]
    bare = DynamicSpine(s.positions, s.frames, s.fps, s.confidence, s.morphology, s.pelvis_frames)
    back = load_dynamic_spine(save_dynamic_spine(tmp_path / "bare.npz", bare))
    assert back.hip_flexion is None and back.pose is None
    np.testing.assert_array_equal(back.frames, bare.frames)


def test_pose_sequence_and_body_shape_round_trip(tmp_path, spines):
    pose = spines["gait"].pose
    back = load_pose_sequence(save_pose_sequence(tmp_path / "pose.npz", pose))
    np.testing.assert_array_equal(back.body_pose, pose.body_pose)
    np.testing.assert_array_equal(back.transl, pose.transl)
    assert back.joint_names == pose.joint_names
    shape = load_body_shape(save_body_shape(tmp_path / "shape.npz", pose.shape))
    np.testing.assert_array_equal(shape.betas, pose.shape.betas)
    assert shape.model == "anny" and shape.sliders == pose.shape.sliders
    plain = load_body_shape(save_body_shape(tmp_path / "plain.npz", BodyShape(np.zeros(3))))
    assert plain.sliders is None and plain.betas.shape == (3,)


def _rewrite(src, dst, **changes):
    """Copy an NPZ with some arrays replaced (value) or removed (None)."""
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    np.savez(dst, **arrays)
    return dst


def test_load_dynamic_spine_rejects_bad_files(tmp_path, spines):
    spine = spines["forward_bend"]
    good = save_dynamic_spine(tmp_path / "good.npz", spine)
    t = spine.num_frames
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_dynamic_spine(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_dynamic_spine(junk)
    other = save_body_shape(tmp_path / "shape.npz", spine.pose.shape)
    with pytest.raises(ValueError, match="expected a 'humanmovenet.dynamic_spine' file"):
        load_dynamic_spine(other)
    frames = spine.frames.copy()
    frames[3, 4] *= 2.0  # scaled: not a rotation
    bent_pose = spine.pose.body_pose[:-1]  # one frame short
    conf = spine.confidence.copy()
    conf[0] = 1.5
    nan_pos = spine.positions.copy()
    nan_pos[1, 1, 1] = np.nan
    cases = {
        "version": (dict(version=np.array(2)), "version 2 is not supported"),
        "missing": (dict(pelvis_frames=None), "missing array 'pelvis_frames'"),
        "rotation": (dict(frames=frames), "frames are not rotation matrices"),
        "shape": (dict(positions=spine.positions[:, :24]), r"positions must have shape"),
        "confidence": (dict(confidence=conf), r"confidence must be in \[0, 1\]"),
        "nan": (dict(positions=nan_pos), "positions holds NaN"),
        "fps": (dict(fps=np.array(0.0)), "fps must be > 0"),
        "pose": (dict(pose_body_pose=bent_pose), r"pose_root_orient must have shape"),
        "hip": (dict(hip_flexion=np.zeros(t + 1)), r"hip_flexion must have shape"),
    }
    for name, (change, message) in cases.items():
        bad = _rewrite(good, tmp_path / f"bad_{name}.npz", **change)
        with pytest.raises(ValueError, match=message):
            load_dynamic_spine(bad)


def test_save_rejects_bad_input_and_leaves_nothing(tmp_path, spines, monkeypatch):
    spine = spines["forward_bend"]
    with pytest.raises(ValueError, match="expected a DynamicSpine"):
        save_dynamic_spine(tmp_path / "x.npz", spine.pose)
    nan = spine.positions.copy()
    nan[0, 0, 0] = np.nan
    broken = DynamicSpine(nan, spine.frames, spine.fps, spine.confidence, spine.morphology,
                          spine.pelvis_frames)  # fmt: skip
    with pytest.raises(ValueError, match="NaN"):
        save_dynamic_spine(tmp_path / "x.npz", broken)
    # Nothing is written that load_dynamic_spine would refuse.
    over = DynamicSpine(spine.positions, spine.frames, spine.fps, spine.confidence + 0.6,
                        spine.morphology, spine.pelvis_frames)  # fmt: skip
    with pytest.raises(ValueError, match=r"confidence must be in \[0, 1\]"):
        save_dynamic_spine(tmp_path / "x.npz", over)
    with pytest.raises(OSError):
        save_dynamic_spine(tmp_path / "no_such_dir" / "x.npz", spine)
    # A failure in the middle of writing keeps the previous file and leaves no temporary file.
    target = save_dynamic_spine(tmp_path / "spine.npz", spine)
    before = target.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np, "savez_compressed", fail)
    with pytest.raises(OSError, match="disk full"):
        save_dynamic_spine(target, spines["gait"])
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spine.npz"]


# --------------------------------------------------------------------------- meshes


def test_glb_per_frame_with_vertebrae_reopens_in_trimesh(tmp_path, body, posed, spines):
    import trimesh

    seq, spine = posed["gait"], spines["gait"]
    faces = body.faces.numpy()
    out = tmp_path / "meshes"
    files = export_meshes(out, seq.vertices, faces, "glb", frames=[0, 3],
                          spine_positions=spine.positions, fps=spine.fps)  # fmt: skip
    assert [f.name for f in files] == ["frame_000000.glb", "frame_000003.glb"]
    for i, f in zip((0, 3), files, strict=True):
        scene = trimesh.load(f, force="scene", process=False)
        geo = scene.geometry
        assert set(geo) == {"body", "vertebrae", "spine_curve"}
        assert geo["body"].vertices.shape == seq.vertices.shape[1:]
        assert geo["body"].faces.shape == faces.shape
        np.testing.assert_allclose(geo["body"].vertices, seq.vertices[i], atol=1e-6)
        np.testing.assert_array_equal(geo["body"].faces, faces)
        spheres = geo["vertebrae"].vertices.reshape(25, -1, 3).mean(1)
        np.testing.assert_allclose(spheres, spine.positions[i], atol=1e-6)
    manifest = json.loads((out / "meshes.json").read_text())
    assert manifest["frames"] == [0, 3] and manifest["times_s"] == [0.0, 3 / FPS]
    assert manifest["num_vertices"] == seq.vertices.shape[1]
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", ["obj", "ply"])
def test_obj_ply_per_frame_reopen_with_same_vertices(tmp_path, body, posed, spines, fmt):
    import trimesh

    seq = posed["gait"]
    faces = body.faces.numpy()
    files = export_meshes(tmp_path / fmt, seq.vertices, faces, fmt, frames=[2],
                          spine_positions=spines["gait"].positions)  # fmt: skip
    mesh = trimesh.load(files[0], process=False, force="mesh")
    assert mesh.vertices.shape == seq.vertices.shape[1:]
    assert mesh.faces.shape == faces.shape
    np.testing.assert_allclose(mesh.vertices, seq.vertices[2], atol=1e-6)
    vert = trimesh.load(tmp_path / fmt / f"vertebrae_000002.{fmt}", process=False, force="mesh")
    assert len(vert.vertices) == 25 * 42  # one 42-vertex icosphere per vertebra


def test_pose_vertices_reproduce_the_posed_body(body, posed, spines):
    vertices, faces = pose_vertices(spines["gait"].pose, batch_size=4)
    assert vertices.dtype == np.float32 and faces.shape == tuple(body.faces.shape)
    np.testing.assert_allclose(vertices, posed["gait"].vertices, atol=1e-5)
    with pytest.raises(ValueError, match="expected a PoseSequence"):
        pose_vertices(spines["gait"])


def test_export_meshes_rejects_bad_input(tmp_path, body, posed):
    v = posed["gait"].vertices
    f = body.faces.numpy()
    for kwargs, message in (
        (dict(vertices=v, faces=f, fmt="fbx"), "fmt must be one of"),
        (dict(vertices=v[0], faces=f), r"for one frame pass vertices\[None\]"),
        (dict(vertices=v, faces=f + 10**6), "faces index vertices outside"),
        (dict(vertices=v, faces=f.astype(float)), "integer array"),
        (dict(vertices=v, faces=f, frames=[99]), "frames must be"),
        (dict(vertices=v, faces=f, spine_positions=np.zeros((1, 25, 3))), "spine_positions"),
    ):
        with pytest.raises(ValueError, match=message):
            export_meshes(tmp_path / "out", **kwargs)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        export_meshes(tmp_path / "file", v, f)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        export_meshes(tmp_path / "missing" / "out", v, f)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_export_meshes_failure_leaves_no_partial_output(tmp_path, body, posed, monkeypatch):
    import trimesh

    calls = {"n": 0}
    real = trimesh.Scene.export

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(trimesh.Scene, "export", flaky)
    with pytest.raises(OSError, match="disk full"):
        export_meshes(tmp_path / "out", posed["gait"].vertices, body.faces.numpy(), "glb")
    assert calls["n"] == 2
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a temporary one
    assert export_mesh_module.MESH_FORMATS == ("glb", "obj", "ply")


def _vtk_gltf_player(path):
    """A function time_s → points of every mesh, from VTK's glTF reader with the animation."""
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy

    reader = vtk.vtkGLTFReader()
    reader.SetFileName(str(path))
    reader.UpdateInformation()
    assert reader.GetNumberOfAnimations() == 1
    reader.EnableAnimation(0)
    reader.UpdateInformation()

    def points(time_s: float) -> list[np.ndarray]:
        reader.UpdateTimeStep(time_s)
        it = reader.GetOutput().NewIterator()
        it.InitTraversal()
        out = []
        while not it.IsDoneWithTraversal():
            out.append(vtk_to_numpy(it.GetCurrentDataObject().GetPoints().GetData()).copy())
            it.GoToNextItem()
        return out

    return points


def test_animated_glb_plays_every_frame_in_vtk(tmp_path, body, posed, spines):
    import trimesh

    seq, spine = posed["gait"], spines["gait"]
    frames = [0, 2, 3, 5]
    path = export_animated_glb(tmp_path / "motion.glb", seq.vertices, body.faces.numpy(), FPS,
                               frames, spine_positions=spine.positions)  # fmt: skip
    scene = trimesh.load(path, force="scene", process=False)
    assert scene.geometry["body"].vertices.shape == seq.vertices.shape[1:]
    np.testing.assert_allclose(scene.geometry["body"].vertices, seq.vertices[0], atol=1e-6)
    play = _vtk_gltf_player(path)
    for i in frames:
        got_body, got_balls, got_curve = play(i / FPS)
        np.testing.assert_allclose(got_body, seq.vertices[i], atol=1e-6)
        np.testing.assert_allclose(got_curve, spine.positions[i], atol=1e-6)
        np.testing.assert_allclose(got_balls.reshape(25, 42, 3).mean(1), spine.positions[i],
                                   atol=1e-6)  # fmt: skip
    # LINEAR interpolation between two exported frames
    half = play(2.5 / FPS)[0]
    np.testing.assert_allclose(half, 0.5 * (seq.vertices[2] + seq.vertices[3]), atol=1e-6)


def test_animated_glb_rejects_bad_input(tmp_path, body, posed):
    v, f = posed["gait"].vertices, body.faces.numpy()
    with pytest.raises(ValueError, match="fps must be > 0"):
        export_animated_glb(tmp_path / "a.glb", v, f, 0.0)
    with pytest.raises(ValueError, match="at least 2 frames"):
        export_animated_glb(tmp_path / "a.glb", v, f, FPS, frames=[1])
    with pytest.raises(OSError):
        export_animated_glb(tmp_path / "missing" / "a.glb", v, f, FPS)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- BVH


def _bvh_forward_kinematics(path) -> tuple[list[str], np.ndarray, float]:
    """Parse a BVH with the ``bvh`` package and run forward kinematics (positions per frame).

    Independent of the exporter: reads OFFSET/CHANNELS/frames from the parsed file and composes
    rotations in channel order (R = R_c1 · R_c2 · R_c3), p_j = p_parent + G_parent · offset_j.
    """
    from bvh import Bvh
    from scipy.spatial.transform import Rotation

    with open(path) as fh:
        mocap = Bvh(fh.read())
    names = mocap.get_joints_names()
    index = {n: i for i, n in enumerate(names)}
    parents = [-1 if i == 0 else index[mocap.joint_parent(n).name] for i, n in enumerate(names)]
    offsets = np.array([[float(v) for v in mocap.joint_offset(n)] for n in names])
    frames = np.array(mocap.frames, dtype=float)
    rots, pos = [], []
    col = 0
    for j, n in enumerate(names):
        channels = mocap.joint_channels(n)
        values = frames[:, col : col + len(channels)]
        col += len(channels)
        r = np.broadcast_to(np.eye(3), (len(frames), 3, 3))
        p = None
        for k, c in enumerate(channels):
            if c.endswith("rotation"):
                axis = c[0].lower()
                r = r @ Rotation.from_euler(axis, values[:, k : k + 1], degrees=True).as_matrix()
        if j == 0:
            p = values[:, [channels.index(f"{a}position") for a in "XYZ"]] + offsets[0]
            g = r
        else:
            gp = rots[parents[j]]
            p = pos[parents[j]] + (gp @ offsets[j][:, None])[..., 0]
            g = gp @ r
        rots.append(g)
        pos.append(p)
    assert col == frames.shape[1]
    return names, np.stack(pos, 1), float(mocap.frame_time)


@pytest.mark.parametrize(("unit", "scale"), [("m", 1.0), ("cm", 100.0)])
def test_bvh_forward_kinematics_reproduces_joints(tmp_path, body, posed, spines, unit, scale):
    seq = posed["gait"]  # moves and turns: root translation and rotation are exercised
    path = export_bvh(tmp_path / "motion.bvh", spines["gait"].pose, body, unit=unit)
    names, positions, frame_time = _bvh_forward_kinematics(path)
    assert frame_time == pytest.approx(1.0 / FPS)
    order = [body.joint_names.index(n) for n in names]
    assert sorted(order) == list(range(len(body.joint_names)))
    error = np.linalg.norm(positions / scale - seq.joints[:, order], axis=-1)
    assert error.max() < 1e-3  # metres: < 1 mm everywhere
    assert np.ptp(seq.joints[:, 0, 2]) > 0.1  # the test motion really travels


def test_bvh_rejects_bad_input(tmp_path, body, spines):
    pose = spines["gait"].pose
    cam = PoseSequence(pose.body_pose, pose.root_orient, pose.transl, pose.shape, pose.fps,
                       pose.joint_names, pose.confidence, frame="camera")  # fmt: skip
    with pytest.raises(ValueError, match="camera frame"):
        export_bvh(tmp_path / "a.bvh", cam, body)
    with pytest.raises(ValueError, match="unit must be"):
        export_bvh(tmp_path / "a.bvh", pose, body, unit="inch")
    renamed = PoseSequence(pose.body_pose, pose.root_orient, pose.transl, pose.shape, pose.fps,
                           ("x",) + pose.joint_names[1:], pose.confidence)  # fmt: skip
    with pytest.raises(ValueError, match="differ from the body"):
        export_bvh(tmp_path / "a.bvh", renamed, body)
    smpl = PoseSequence(pose.body_pose, pose.root_orient, pose.transl, BodyShape(np.zeros(10),
                        "smpl"), pose.fps, pose.joint_names, pose.confidence)  # fmt: skip
    with pytest.raises(ValueError, match="pass that body model"):
        export_bvh(tmp_path / "a.bvh", smpl)
    with pytest.raises(OSError):
        export_bvh(tmp_path / "missing_dir" / "a.bvh", pose, body)
    assert list(tmp_path.iterdir()) == []


def test_text_exports_are_atomic(tmp_path, body, spines, monkeypatch):
    """A failure at the final rename keeps the old BVH/.mot and leaves no temporary file."""
    spine = spines["forward_bend"]
    bvh_path = export_bvh(tmp_path / "a.bvh", spine.pose, body)
    mot_path = export_opensim_mot(tmp_path / "a.mot", spine)
    before = {p.name: p.read_bytes() for p in (bvh_path, mot_path)}

    def fail(*args, **kwargs):
        raise OSError("rename failed (simulated)")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="rename failed"):
        export_bvh(bvh_path, spines["gait"].pose, body)
    with pytest.raises(OSError, match="rename failed"):
        export_opensim_mot(mot_path, spines["gait"])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# --------------------------------------------------------------------------- OpenSim


def test_mot_file_format(tmp_path, spines):
    spine = spines["forward_bend"]
    path = export_opensim_mot(tmp_path / "bend.mot", spine, name="trial 1")
    lines = path.read_text().splitlines()
    assert lines[0] == "trial 1" and lines[1] == "version=1"
    end = lines.index("endheader")
    assert {"inDegrees=yes", f"nRows={spine.num_frames}", "nColumns=12"} <= set(lines[:end])
    assert lines[end + 1].split("\t") == ["time", *OPENSIM_COORDINATES]
    header, columns, table = read_mot(path)
    assert header["version"] == "1" and header["inDegrees"] == "yes"
    assert table.shape == (spine.num_frames, 12)
    np.testing.assert_allclose(table[:, 0], np.arange(spine.num_frames) / FPS)
    # translations: S1 centre in OpenSim axes (X = forward = our z, Y up, Z right = −our x)
    s1 = spine.positions[:, 0]
    got = table[:, [columns.index(c) for c in ("pelvis_tx", "pelvis_ty", "pelvis_tz")]]
    np.testing.assert_allclose(got, np.stack([s1[:, 2], s1[:, 1], -s1[:, 0]], -1), atol=1e-7)


def test_mot_angles_match_ground_truth_with_opensim_signs(tmp_path, posed, spines):
    bend, spine = posed["forward_bend"], spines["forward_bend"]
    standing_tilt = np.degrees(bend.motion.standing_pelvic_tilt)
    path = export_opensim_mot(tmp_path / "bend.mot", spine, pelvis_tilt_offset_deg=standing_tilt)
    _, columns, table = read_mot(path)
    col = {c: table[:, k] for k, c in enumerate(columns)}
    a = bend.angles
    deg = np.degrees
    # Lumbar: extension positive, so flexing forward gives negative lumbar_extension.
    np.testing.assert_allclose(col["lumbar_extension"], -deg(a.lumbar_flexion), atol=0.01)
    assert col["lumbar_extension"].min() < -20.0  # a real forward bend
    # Pelvis: posterior tilt positive; the ground truth is anterior-positive clinical tilt.
    np.testing.assert_allclose(col["pelvis_tilt"], -deg(a.pelvic_tilt), atol=0.01)
    assert col["pelvis_tilt"].min() < col["pelvis_tilt"][0] - 10.0  # tilts anteriorly
    np.testing.assert_allclose(col["hip_flexion_r"], deg(a.hip_flexion_right), atol=1e-3)
    np.testing.assert_allclose(col["hip_flexion_l"], deg(a.hip_flexion_left), atol=1e-3)
    assert col["hip_flexion_r"].max() > 20.0
    for c in ("pelvis_list", "pelvis_rotation", "lumbar_bending", "lumbar_rotation"):
        assert np.abs(col[c]).max() < 0.1, c  # a sagittal movement


def test_mot_hips_per_side_from_the_pose(posed, spines):
    gait, spine = posed["gait"], spines["gait"]
    c = opensim_coordinates(spine)
    left, right = (
        np.degrees(gait.angles.hip_flexion_left),
        np.degrees(gait.angles.hip_flexion_right),
    )
    assert np.abs(left - right).max() > 20.0  # gait: the two sides really differ
    np.testing.assert_allclose(np.degrees(c["hip_flexion_l"]), left, atol=1e-3)
    np.testing.assert_allclose(np.degrees(c["hip_flexion_r"]), right, atol=1e-3)
    # Without a pose, both columns carry the spine's mean hip flexion.
    s = spine
    no_pose = DynamicSpine(s.positions, s.frames, s.fps, s.confidence, s.morphology,
                           s.pelvis_frames, hip_flexion=s.hip_flexion)  # fmt: skip
    c = opensim_coordinates(no_pose)
    np.testing.assert_array_equal(c["hip_flexion_l"], s.hip_flexion)
    np.testing.assert_array_equal(c["hip_flexion_r"], s.hip_flexion)


def test_mot_lateral_bend_signs(posed, spines):
    lat, spine = posed["lateral_bend"], spines["lateral_bend"]
    c = opensim_coordinates(spine)
    truth = np.degrees(lat.angles.lumbar_lateral)  # to the left +
    bend = np.degrees(c["lumbar_bending"])  # OpenSim: to the right +
    assert np.ptp(truth) > 15.0
    np.testing.assert_allclose(bend, -truth, atol=1.5)  # measured max 1.03° (docs/exports.md)
    assert np.corrcoef(bend, -truth)[0, 1] > 0.999
    np.testing.assert_allclose(np.degrees(c["pelvis_list"]), np.degrees(lat.motion.pelvis_obliquity),
                               atol=1e-6)  # fmt: skip


def test_mot_rejects_bad_input_and_writes_atomically(tmp_path, spines):
    s = spines["forward_bend"]
    with pytest.raises(ValueError, match="caudal first"):
        opensim_coordinates(s, lumbar_levels=("L1", "S1"))
    with pytest.raises(ValueError, match="unknown vertebral level"):
        opensim_coordinates(s, lumbar_levels=("S1", "L9"))
    with pytest.raises(ValueError, match="one non-empty line"):
        export_opensim_mot(tmp_path / "x.mot", s, name="a\nb")
    with pytest.raises(ValueError, match="expected a DynamicSpine"):
        export_opensim_mot(tmp_path / "x.mot", s.pose)
    no_hip = DynamicSpine(s.positions, s.frames, s.fps, s.confidence, s.morphology,
                          s.pelvis_frames)  # fmt: skip
    _, columns, _ = read_mot(export_opensim_mot(tmp_path / "nohip.mot", no_hip))
    assert "hip_flexion_r" not in columns and "lumbar_extension" in columns
    with pytest.raises(OSError):
        export_opensim_mot(tmp_path / "missing" / "x.mot", s)
    bad = tmp_path / "bad.mot"
    bad.write_text(
        "name\nversion=1\nnRows=3\nnColumns=2\ninDegrees=yes\nendheader\ntime\ta\n0\t1\n"
    )
    with pytest.raises(ValueError, match="nRows=3 but 1 rows"):
        read_mot(bad)
    bad.write_text("name\nendheader\n")
    with pytest.raises(ValueError, match="no column names"):
        read_mot(bad)
    assert sorted(os.listdir(tmp_path)) == ["bad.mot", "nohip.mot"]


def test_metrics_csv_and_json_round_trip(tmp_path):
    """Every metric as a CSV row (read back with csv) and the JSON (json.load), values equal."""
    import csv
    import json as _json

    from humanmovenet.biomech import compute_metrics
    from humanmovenet.io import METRICS_CSV_COLUMNS, save_metrics_csv, save_metrics_json
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.spine_truth import skeleton_spine
    from humanmovenet.synth.subject import sample_subject

    subject = sample_subject(4, phenotype="EP")
    spine = skeleton_spine(subject, generate_motion(subject, "backward_bend", 4, fps=10.0))
    metrics = compute_metrics(spine, n_bootstrap=0)
    with open(save_metrics_csv(tmp_path / "m.csv", metrics), newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == METRICS_CSV_COLUMNS
        rows = {r["metric"]: r for r in reader}
    expected = {r["metric"]: r for r in metrics.to_rows()}
    assert set(rows) == set(expected)
    for name, row in expected.items():
        if np.isfinite(row["value"]):
            assert float(rows[name]["value"]) == pytest.approx(row["value"], rel=1e-12)
            assert rows[name]["unit"] == row["unit"]
        else:
            assert rows[name]["value"] == "" and rows[name]["note"]
    data = _json.loads(save_metrics_json(tmp_path / "m.json", metrics, True).read_text())
    assert data["movement"] == metrics.movement == "backward_bend"
    assert data["metrics"]["lumbar_rom"]["value"] == pytest.approx(metrics.lumbar_rom.value)
    assert len(data["series"]["lumbar_angle"]) == spine.positions.shape[0]
    with pytest.raises(ValueError, match="SpineMetrics"):
        save_metrics_csv(tmp_path / "x.csv", {"lumbar_rom": 1.0})
    assert not (tmp_path / "x.csv").exists()
