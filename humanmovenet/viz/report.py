"""One self-contained, offline HTML report of an :class:`~humanmovenet.pipeline.Analysis`.

The page needs no network: the CSS, the JavaScript viewer (vanilla JS drawing on ``<canvas>``;
no library), the data (spine positions per frame in millimetres, phases, angle series, an
optional subsampled body point cloud) and the two PNG figures (base64 ``data:`` URIs) are all
inlined. The viewer shows orthographic side and back views of the vertebrae (and the body
points) with a time slider and a play button; the page also holds the metric table (value ±
uncertainty, unit, 95 % interval, literature range, definition), the phenotype and its evidence
when given, the quality flags, the provenance and a plain-language note that it is not a
diagnosis.

The viewer reports its state on ``<div id="viewer-status">``: ``data-frames`` (frames loaded),
``data-frame`` (frame shown), ``data-ink`` (non-background pixels drawn in the side view) and
``data-errors`` (JavaScript errors caught on the page), for headless tests.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from humanmovenet._atomic import atomic_open

from ..biomech import DEFINITIONS, SpineMetrics
from ..types import DynamicSpine, Phenotype
from .angles_plot import PHASE_STYLE, plot_angles, resolve_metrics
from .spine_phases import LABELLED_LEVELS, display_coordinates, plot_spine_phases

__all__ = ["write_report", "report_data"]

_NOT_A_DIAGNOSIS = (
    "This report describes how the spine and pelvis moved in one video, as estimated by a "
    "computer model from a single camera. It is not a diagnosis and not medical advice. The "
    "numbers carry measurement error (the ± values and the quality notes below), the "
    "literature ranges come from other groups of people measured with other methods, and a "
    "value outside a range does not by itself mean anything is wrong. Discuss any concern with a "
    "qualified clinician."
)

_MAX_BODY_VALUES = 300_000  # body points over all frames (≈ 4 MB of HTML); fewer per frame if long
_UNIT_TEXT = {"deg": "°", "%": "%", "1": "(ratio)"}


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:.{digits}f}"


def _body_cloud(spine: DynamicSpine, n_points: int, max_frames: int) -> tuple[Any, str]:
    """Subsampled body vertices per frame (metres, spine frame), or (None, reason)."""
    if n_points <= 0:
        return None, "body points turned off"
    if spine.pose is None:
        return None, "no body pose in this spine"
    if spine.num_frames > max_frames:
        return None, f"more than {max_frames} frames: body points left out to keep the file small"
    try:
        from ..io import pose_vertices

        verts, _ = pose_vertices(spine.pose)
    except Exception as err:  # body model unavailable: the spine alone is still useful
        return None, f"body model unavailable ({type(err).__name__}: {err})"
    if verts.shape[0] != spine.num_frames:
        return None, "body pose and spine have different frame counts"
    n_points = min(n_points, verts.shape[1], max(50, _MAX_BODY_VALUES // verts.shape[0]))
    idx = np.random.default_rng(0).choice(verts.shape[1], n_points, replace=False)
    return verts[:, np.sort(idx)].astype(float), ""


def _metric_rows(m: SpineMetrics) -> list[dict[str, Any]]:
    rows = []
    for row in m.to_rows():
        unit = row["unit"]
        value = row["value"]
        lo, hi, mean = row["normal_low"], row["normal_high"], row["normal_mean"]
        digits = 2 if unit == "1" else 1
        if lo is not None and hi is not None:
            rng = f"{lo:g}–{hi:g}"
        elif mean is not None:
            rng = f"mean {mean:g}"
        else:
            rng = ""
        outside = ""
        if math.isfinite(value) and lo is not None and hi is not None:
            if value < lo:
                outside = "below the range"
            elif value > hi:
                outside = "above the range"
        key = "level_rom" if row["metric"].startswith("level_rom_") else row["metric"]
        rows.append({"metric": row["metric"], "key": key, "value": _fmt(value, digits),
                     "unc": _fmt(row["uncertainty"], digits),
                     "ci": "" if not math.isfinite(value) else
                     f"{_fmt(row['ci_low'], digits)} to {_fmt(row['ci_high'], digits)}",
                     "unit": _UNIT_TEXT.get(unit, unit), "range": rng, "outside": outside,
                     "source": row["normal_source"], "note": row["note"]})  # fmt: skip
    return rows


def report_data(
    spine: DynamicSpine, metrics: SpineMetrics, body_points: int = 1500, max_body_frames: int = 600
) -> dict[str, Any]:
    """The JSON data the viewer plays (positions in integer millimetres).

    Args:
        spine: the spine over time.
        metrics: its metrics (phases and angle series).
        body_points: body surface points per frame (0: none).
        max_body_frames: leave the body points out above this many frames (file size).
    """
    cloud, why = _body_cloud(spine, int(body_points), int(max_body_frames))
    return _data(spine, metrics, cloud, why)


def _data(spine: DynamicSpine, metrics: SpineMetrics, cloud: Any, why: str) -> dict[str, Any]:
    pos, pts = display_coordinates(spine, None if cloud is None else np.asarray(cloud))
    pos = np.round(pos * 1000.0)
    if pts is not None:
        cloud = np.round(pts * 1000.0).astype(int).tolist()
    deg = lambda x: None if x is None else np.round(np.degrees(np.asarray(x)), 2).tolist()  # noqa: E731
    return {
        "fps": float(spine.fps),
        "names": list(spine.level_names),
        "labelled": [n for n in LABELLED_LEVELS if n in spine.level_names],
        "positions": np.nan_to_num(pos).astype(int).tolist(),
        "body": cloud,
        "body_note": why,
        "phase": np.asarray(metrics.phase).astype(int).tolist(),
        "phase_style": {str(k): list(v) for k, v in PHASE_STYLE.items()},
        "lumbar_deg": deg(metrics.lumbar_angle),
        "pelvic_tilt_deg": deg(metrics.pelvic_tilt),
        "hip_deg": deg(metrics.hip_flexion),
        "thoracic_deg": deg(metrics.thoracic_angle),
    }


def _png_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _table(metrics: SpineMetrics) -> str:
    out = ['<table id="metrics"><thead><tr><th>metric</th><th>value</th><th>±</th>'
           "<th>unit</th><th>95 % interval</th><th>literature range</th><th>note</th>"
           "</tr></thead><tbody>"]  # fmt: skip
    for r in _metric_rows(metrics):
        note = r["note"] or (f"{r['outside']} (not a diagnosis)" if r["outside"] else "")
        cls = ' class="outside"' if r["outside"] else ""
        out.append(
            f'<tr{cls}><td><a href="#def-{_esc(r["key"])}">{_esc(r["metric"])}</a></td>'
            f"<td class=num>{_esc(r['value'])}</td><td class=num>{_esc(r['unc'])}</td>"
            f"<td>{_esc(r['unit'])}</td><td>{_esc(r['ci'])}</td>"
            f'<td title="{_esc(r["source"])}">{_esc(r["range"])}</td><td>{_esc(note)}</td></tr>'
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def _definitions(metrics: SpineMetrics) -> str:
    items = []
    for key, text in DEFINITIONS.items():
        rng = metrics.normal_range(key)
        src = "" if rng is None else f" <em>Range: {_esc(rng.population)}; {_esc(rng.source)}.</em>"
        items.append(
            f'<dt id="def-{_esc(key)}">{_esc(key)}</dt><dd>{_esc(text.rstrip("."))}.{src}</dd>'
        )
    return "<dl>" + "\n".join(items) + "</dl>"


def _phenotype(ph: Phenotype | None, why: str = "") -> str:
    if ph is None:
        reason = f" ({_esc(why)})" if why else ""
        return f"<p id=phenotype-none>No phenotype was computed for this analysis{reason}.</p>"
    probs = ", ".join(f"{_esc(k)} {100 * v:.0f} %" for k, v in sorted(ph.probabilities.items()))
    ev = "".join(f"<li>{_esc(e)}</li>" for e in ph.evidence) or "<li>no evidence given</li>"
    return (f'<p id="phenotype-label"><strong>{_esc(ph.label)}</strong> '
            f"(probability {100 * ph.probability:.0f} %; classes: {probs}; model "
            f"{_esc(ph.model or '?')}; movements used: {_esc(', '.join(ph.inputs) or '?')})</p>"
            f"<p>Evidence:</p><ul>{ev}</ul><p class=note>The label names the movement pattern "
            "the classifier's training examples resemble most; it is not a diagnosis. The "
            "shipped classifiers were trained on SYNTHETIC phenotypes (simulated people, "
            "weights/README.md); for patients, retrain on your expert's labelled videos "
            "(docs/classifier.md).</p>")  # fmt: skip


def _quality(analysis: Any, spine: DynamicSpine) -> str:
    flags = tuple(getattr(analysis, "flags", ()) or ())
    items = "".join(f"<li>{_esc(f)}</li>" for f in flags) or "<li>no quality warnings</li>"
    conf = np.asarray(spine.confidence, dtype=float)
    lines = [f"<ul id=flags>{items}</ul>",
             f"<p>Per-frame confidence: median {np.nanmedian(conf):.2f}, minimum "
             f"{np.nanmin(conf):.2f} (0–1).</p>"]  # fmt: skip
    q = getattr(analysis, "fit_quality", None)
    if q is not None:
        kp = np.asarray(q.keypoint_error, dtype=float)
        ce = np.asarray(q.contour_error, dtype=float)
        cov = np.asarray(q.contour_coverage, dtype=float)
        lines.append(
            f"<p>Body-model fit: median landmark error {_fmt(float(np.nanmedian(kp)), 3)} trunk "
            f"lengths; median back-contour error "
            f"{_fmt(float(np.nanmedian(ce)) if np.isfinite(ce).any() else None, 3)} trunk "
            f"lengths; median contour coverage {_fmt(100 * float(np.nanmedian(cov)), 0)} %.</p>"
        )
    return "\n".join(lines)


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:10px 14px}
.note{color:#555;font-size:12px}
#views{display:flex;gap:12px;flex-wrap:wrap}
.view{background:#fff;border:1px solid #ddd}.view p{margin:4px 8px;font-size:12px;color:#555}
#controls{margin:8px 0;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
#slider{width:420px}#readout{font-variant-numeric:tabular-nums}
table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left}td.num{text-align:right;
font-variant-numeric:tabular-nums}tr.outside td{background:#fff7e0}
img{max-width:100%;background:#fff;border:1px solid #ddd}
dt{font-weight:600;margin-top:6px}dd{margin-left:18px}
pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto;font-size:12px}
"""

_JS = r"""
(function(){
"use strict";
var status=document.getElementById("viewer-status");
var errors=[];
window.addEventListener("error",function(e){errors.push(String(e.message));
  status.setAttribute("data-errors",String(errors.length));status.title=errors.join("\n");});
var D=JSON.parse(document.getElementById("spine-data").textContent);
var T=D.positions.length,K=D.names.length;
var REGION={S:"#7b3294",L:"#d7191c",T:"#2c7bb6",C:"#1a9641"};
var views=[{id:"side",h:2,s:1},{id:"back",h:0,s:-1}];
// fixed orthographic scale per view from the extent over all frames (body points if any)
function extent(h){var lo=[1e9,1e9],hi=[-1e9,-1e9];
  function add(p){var x=p[h],y=p[1];if(x<lo[0])lo[0]=x;if(x>hi[0])hi[0]=x;
    if(y<lo[1])lo[1]=y;if(y>hi[1])hi[1]=y;}
  for(var t=0;t<T;t++){for(var k=0;k<K;k++)add(D.positions[t][k]);
    if(D.body){for(var j=0;j<D.body[t].length;j++)add(D.body[t][j]);}}
  return {lo:lo,hi:hi};}
views.forEach(function(v){v.canvas=document.getElementById("view-"+v.id);
  v.ctx=v.canvas.getContext("2d",{willReadFrequently:true});v.ext=extent(v.h);
  var w=v.canvas.width,hgt=v.canvas.height,pad=28;
  var sx=(w-2*pad)/Math.max(1,v.ext.hi[0]-v.ext.lo[0]);
  var sy=(hgt-2*pad)/Math.max(1,v.ext.hi[1]-v.ext.lo[1]);
  v.scale=Math.min(sx,sy);
  v.cx=(v.ext.lo[0]+v.ext.hi[0])/2;v.cy=(v.ext.lo[1]+v.ext.hi[1])/2;});
function project(v,p){return [v.canvas.width/2+v.s*(p[v.h]-v.cx)*v.scale,
  v.canvas.height/2-(p[1]-v.cy)*v.scale];}
function draw(v,t){var c=v.ctx,w=v.canvas.width,h=v.canvas.height;
  c.fillStyle="#ffffff";c.fillRect(0,0,w,h);
  if(D.body){c.fillStyle="#c8c8c8";var b=D.body[t];
    for(var j=0;j<b.length;j++){var q=project(v,b[j]);c.fillRect(q[0]-1,q[1]-1,2,2);}}
  var P=D.positions[t];c.strokeStyle="#444";c.lineWidth=2;c.beginPath();
  for(var k=0;k<K;k++){var q=project(v,P[k]);if(k)c.lineTo(q[0],q[1]);else c.moveTo(q[0],q[1]);}
  c.stroke();
  for(k=0;k<K;k++){q=project(v,P[k]);c.fillStyle=REGION[D.names[k][0]]||"#000";
    c.beginPath();c.arc(q[0],q[1],3.2,0,2*Math.PI);c.fill();}
  c.fillStyle="#222";c.font="11px sans-serif";
  D.labelled.forEach(function(n){var q=project(v,P[D.names.indexOf(n)]);
    c.fillText(n,q[0]+6,q[1]+4);});
  c.fillStyle="#777";c.fillText(v.id==="side"?"side view: forward →":
    "back view: ← person's left",6,14);}
function ink(v){var d=v.ctx.getImageData(0,0,v.canvas.width,v.canvas.height).data,n=0;
  for(var i=0;i<d.length;i+=4){if(d[i]<250||d[i+1]<250||d[i+2]<250)n++;}return n;}
var slider=document.getElementById("slider"),readout=document.getElementById("readout");
var playBtn=document.getElementById("play");
slider.max=String(T-1);
function fmt(x){return x===null||x===undefined?"—":x.toFixed(1)+"°";}
function show(t){t=Math.max(0,Math.min(T-1,t|0));
  views.forEach(function(v){draw(v,t);});
  var ph=D.phase_style[String(D.phase[t])]||["?","#fff"];
  readout.textContent="frame "+t+" / "+(T-1)+" · t = "+(t/D.fps).toFixed(2)+" s · phase: "+
    ph[0]+" · lumbar "+fmt(D.lumbar_deg[t])+" · pelvic tilt "+fmt(D.pelvic_tilt_deg[t])+
    " · hip "+fmt(D.hip_deg?D.hip_deg[t]:null)+" · thoracic "+fmt(D.thoracic_deg[t]);
  readout.style.background=ph[1];
  status.setAttribute("data-frame",String(t));
  status.setAttribute("data-ink",String(ink(views[0])));}
slider.addEventListener("input",function(){show(parseInt(slider.value,10));});
var timer=null;
function stop(){if(timer!==null){clearInterval(timer);timer=null;}playBtn.textContent="▶ play";}
playBtn.addEventListener("click",function(){if(timer!==null){stop();return;}
  playBtn.textContent="❚❚ pause";
  timer=setInterval(function(){var t=(parseInt(slider.value,10)+1)%T;slider.value=String(t);
    show(t);},1000/Math.min(30,D.fps));});
status.setAttribute("data-frames",String(T));
status.setAttribute("data-body-points",String(D.body?D.body[0].length:0));
slider.value="0";show(0);
status.setAttribute("data-ready","1");
})();
"""


def _page(title: str, body: str, data_json: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body><main>\n{body}\n"
        f'<script type="application/json" id="spine-data">{data_json}</script>\n'
        f"<script>{_JS}</script>\n</main></body></html>\n"
    )


def write_report(
    analysis: Any,
    path_html: str | os.PathLike[str],
    phenotype: Phenotype | None = None,
    body_points: int = 1500,
) -> Path:
    """Write one self-contained offline HTML report of an analysis.

    Args:
        analysis: an :class:`~humanmovenet.pipeline.Analysis` (``spine``, ``metrics``,
            ``flags``, ``fit_quality``, ``provenance``, ``video`` are used; a
            ``(DynamicSpine, SpineMetrics)`` pair also works, without flags and provenance).
        path_html: output file; written atomically (temporary file + rename), parent folders
            created.
        phenotype: the movement phenotype with its evidence (default: ``analysis.phenotype``,
            with ``analysis.phenotype_unavailable`` shown when there is none).
        body_points: body surface points per frame in the 3D viewer (0: spine only; needs the
            body pose in ``analysis.spine.pose``); fewer per frame when the video is long (at
            most 300 000 points in all), none above 600 frames.

    Returns:
        The written path.

    Raises:
        ValueError: on an input that is not an analysis, or a phenotype of the wrong type.
    """
    spine, metrics = resolve_metrics(analysis)
    if spine is None:
        raise ValueError(
            "the report needs the spine: pass an Analysis or a (DynamicSpine, SpineMetrics) pair."
        )
    if phenotype is not None and not isinstance(phenotype, Phenotype):
        raise ValueError(f"phenotype must be a humanmovenet.types.Phenotype or None, got "
                         f"{type(phenotype).__name__}.")  # fmt: skip
    if phenotype is None:  # an Analysis carries its own (or says why it has none)
        phenotype = getattr(analysis, "phenotype", None)
    no_phenotype = str(getattr(analysis, "phenotype_unavailable", "") or "")
    if int(body_points) < 0:
        raise ValueError(f"body_points must be >= 0 (0 = spine only), got {body_points}.")
    out = Path(path_html).expanduser().absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    video = str(getattr(analysis, "video", "") or "")
    provenance = getattr(analysis, "provenance", None) or {}
    with tempfile.TemporaryDirectory(prefix="humanmovenet-report-") as tmp:
        angles_png = plot_angles((spine, metrics), Path(tmp) / "angles.png", dpi=90)
        body, why = _body_cloud(spine, int(body_points), max_frames=600)
        data = _data(spine, metrics, body, why)
        phases_png = plot_spine_phases(spine, metrics, Path(tmp) / "spine_phases.png",
                                       body_points=body, dpi=90)  # fmt: skip
        angles_uri, phases_uri = _png_uri(angles_png), _png_uri(phases_png)
    data_json = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    title = f"humanmovenet report — {Path(video).name or 'analysis'}"
    body_note = "" if data["body"] is not None else f" (body points: {data['body_note']})"
    h = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class=warn id="not-a-diagnosis"><strong>Not a diagnosis.</strong> '
        f"{_esc(_NOT_A_DIAGNOSIS)}</p>",
        f"<p>Movement detected: <strong>{_esc(metrics.movement)}</strong>; "
        f"{metrics.num_frames} frames at {metrics.fps:g} frames/s "
        f"({metrics.num_frames / metrics.fps:.1f} s).</p>",
        "<h2>Spine over time</h2>",
        '<div id="controls"><button id="play" type="button">▶ play</button>'
        '<input id="slider" type="range" min="0" max="0" value="0" step="1" '
        'aria-label="frame"><span id="readout"></span></div>',
        '<div id="views"><div class="view"><canvas id="view-side" width="440" height="520">'
        "</canvas><p>Side view, orthographic: forward to the right.</p></div>"
        '<div class="view"><canvas id="view-back" width="440" height="520"></canvas>'
        "<p>Back view, orthographic: as seen from behind, the person's left on the left.</p>"
        "</div></div>",
        f"<p class=note>Dots: vertebral body centres, sacrum (purple), lumbar (red), thoracic "
        f"(blue), cervical (green); grey: the fitted body surface{_esc(body_note)}.</p>",
        '<div id="viewer-status" data-frames="0" data-frame="-1" data-ink="0" '
        'data-errors="0" data-ready="0" hidden></div>',
        "<h2>Metrics</h2>",
        "<p>Value ± one standard uncertainty (frame-noise bootstrap and, for video analyses "
        "of forward/backward bends, the reconstruction's calibrated error; "
        "docs/clinical_metrics.md §4.1); 95 % interval; literature "
        "range for this movement where one exists (hover for the source). Metric names link to "
        "their definitions below. Empty values: not defined for this movement (see note).</p>",
        _table(metrics),
        "<h2>Angles over time</h2>",
        f'<img id="angles-png" alt="angles over time" src="{angles_uri}">',
        "<h2>Spine at standing, peak flexion and peak extension</h2>",
        f'<img id="spine-phases-png" alt="spine key frames" src="{phases_uri}">',
        "<h2>Phenotype</h2>",
        _phenotype(phenotype, no_phenotype),
        "<h2>Quality</h2>",
        _quality(analysis, spine),
        "<h2>Definitions</h2>",
        _definitions(metrics),
        "<h2>Provenance</h2>",
        f"<p>Video: {_esc(video or '—')}</p>",
        f"<pre id=provenance>{_esc(json.dumps(provenance, indent=2, default=str))}</pre>",
    ]
    text = _page(title, "\n".join(h), data_json)
    with atomic_open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return out
