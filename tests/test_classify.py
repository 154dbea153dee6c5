"""Tests of humanmovenet.classify: real (tiny) synthetic data, real training, real files.

The synthetic subjects are generated once and kept in pytest's cache folder
(``.pytest_cache/d/humanmovenet_classify``), so only the first run poses bodies.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from humanmovenet import classify
from humanmovenet.classify.evaluation import cohen_kappa, stratified_subject_folds
from humanmovenet.types import PHENOTYPE_LABELS

N_SUBJECTS = 12  # 4 per class


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # Tiny models: one thread avoids contention on a shared 2-core machine.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def dataset(request):
    cache = request.config.cache.mkdir("humanmovenet_classify")
    data = classify.SyntheticDataset(N_SUBJECTS, seed=7, fps=10.0, cache_dir=cache)
    return [data[i] for i in range(len(data))]


@pytest.fixture(scope="module")
def table(dataset):
    return classify.extract_features(dataset)


def test_features_shapes_and_values(table, dataset):
    assert table.scalars["forward_bend"].shape == (N_SUBJECTS, 8)
    assert table.scalars["backward_bend"].shape == (N_SUBJECTS, 7)
    assert table.trajectories["backward_bend"].shape == (N_SUBJECTS, 4, classify.TRAJECTORY_LENGTH)
    assert np.isfinite(table.scalars["forward_bend"]).all()
    # A forward bend flexes the lumbar spine and the hips; a backward bend extends them.
    fb, bb = table.trajectories["forward_bend"], table.trajectories["backward_bend"]
    assert (fb[:, 0].max(1) > 10).all() and (fb[:, 2].max(1) > 10).all()
    assert (bb[:, 0].min(1) < -2).all()
    assert [PHENOTYPE_LABELS[y] for y in table.labels] == [s.label for s in dataset]


def test_training_learns_above_chance(table):
    # Training fit of both models, and the held-out backward bend FP vs EP difference.
    for kind in ("logistic", "sequence"):
        hp = {"epochs": 80} if kind == "sequence" else {"max_iter": 50}
        clf = classify.train(table, model=kind, seed=0, hyperparameters=hp)
        x, t, y = table.select(clf.inputs)
        acc = float((clf.predict_proba_features(x, t).argmax(1) == y).mean())
        assert acc >= 0.75, (kind, acc)  # chance: 1/3
    cv = classify.cross_validate(table, folds=2, model="logistic", n_bootstrap=50)
    assert cv.pooled.balanced_accuracy.value > 1 / 3
    assert sorted(cv.fold.tolist()) == sorted([0] * 6 + [1] * 6)


def test_untrained_labels_give_chance(table):
    # Same features, labels shuffled across subjects: the model must not find structure
    # that generalises (guards against leaking the label into the features).
    rng = np.random.default_rng(0)
    shuffled = dataclasses.replace(table, labels=rng.permutation(table.labels))
    real = classify.cross_validate(table, folds=2, model="logistic", n_bootstrap=0)
    fake = classify.cross_validate(shuffled, folds=2, model="logistic", n_bootstrap=0)
    assert fake.pooled.accuracy.value < real.pooled.accuracy.value


def test_save_load_round_trip(tmp_path, table, dataset):
    for kind in ("logistic", "sequence"):
        hp = {"epochs": 20} if kind == "sequence" else None
        clf = classify.train(table, model=kind, seed=1, hyperparameters=hp)
        path = clf.save(tmp_path / f"{kind}.pt")
        back = classify.load(path)
        x, t, _ = table.select(clf.inputs)
        np.testing.assert_array_equal(
            clf.predict_proba_features(x, t), back.predict_proba_features(x, t)
        )
        a, b = clf.predict(dataset[0]), back.predict(dataset[0])
        assert a == b
        assert abs(sum(a.probabilities.values()) - 1.0) < 1e-9
        assert set(a.probabilities) == set(PHENOTYPE_LABELS)
        assert a.evidence and a.model == kind and a.inputs == clf.inputs
        assert back.metadata["seed"] == 1


def test_load_rejects_other_version(tmp_path, table):
    clf = classify.train(table, model="logistic", inputs=("backward_bend",))
    path = clf.save(tmp_path / "c.pt")
    blob = torch.load(path, weights_only=True)
    blob["version"] = 999
    torch.save(blob, path)
    with pytest.raises(ValueError, match="version 999"):
        classify.load(path)
    with pytest.raises(FileNotFoundError):
        classify.load(tmp_path / "missing.pt")


def test_predict_single_movement_and_missing_movement(table, dataset):
    clf = classify.train(table, model="logistic", inputs=("backward_bend",))
    ph = clf.predict({"backward_bend": dataset[1].spines["backward_bend"]})
    assert ph.label in PHENOTYPE_LABELS and ph.inputs == ("backward_bend",)
    assert any("backward bend" in e for e in ph.evidence)
    with pytest.raises(ValueError, match="missing movement"):
        clf.predict({"forward_bend": dataset[1].spines["forward_bend"]})
    with pytest.raises(ValueError, match="mapping movement"):
        clf.predict(dataset[1].spines["backward_bend"])
    coefs = clf.coefficients()
    assert set(coefs) == set(PHENOTYPE_LABELS)


def test_folds_never_split_a_subject():
    # Several samples per subject (e.g. repeated sessions) must stay in one fold.
    rng = np.random.default_rng(3)
    subjects = np.repeat([f"s{i}" for i in range(30)], 3)
    labels = np.repeat(np.arange(30) % 3, 3)
    order = rng.permutation(subjects.size)
    subjects, labels = subjects[order], labels[order]
    splits = stratified_subject_folds(labels, subjects, folds=5, seed=0)
    seen_test = []
    for tr, te in splits:
        assert not set(subjects[tr]) & set(subjects[te])
        assert np.bincount(labels[te], minlength=3).tolist() == [6, 6, 6]  # stratified
        seen_test += subjects[te].tolist()
    assert sorted(seen_test) == sorted(subjects.tolist())  # each held out exactly once
    with pytest.raises(ValueError, match="fewer subjects than folds"):
        stratified_subject_folds(labels[:12], subjects[:12], folds=5)
    with pytest.raises(ValueError, match="two different labels"):
        stratified_subject_folds([0, 1], ["a", "a"], folds=2)


def test_scores_known_values():
    y = np.array([0, 0, 1, 1, 2, 2])
    scores = classify.score_predictions(y, y, n_bootstrap=100)
    assert scores.accuracy.value == 1.0 and scores.kappa.value == 1.0
    always_fp = np.zeros(6, dtype=int)
    s = classify.score_predictions(y, always_fp, n_bootstrap=0)
    assert s.accuracy.value == pytest.approx(1 / 3)
    assert s.balanced_accuracy.value == pytest.approx(1 / 3)
    assert s.kappa.value == pytest.approx(0.0)
    assert cohen_kappa(np.array([0, 1, 0, 1]), np.array([1, 0, 1, 0])) == pytest.approx(-1.0)
    assert s.confusion.tolist() == [[2, 0, 0], [2, 0, 0], [2, 0, 0]]


# --------------------------------------------------------------------------- labelled folder


@pytest.fixture()
def folder(tmp_path, dataset):
    from humanmovenet.io.export import save_dynamic_spine

    rows = ["subject,movement,file,label"]
    for s in dataset:
        for mv, spine in s.spines.items():
            name = f"{s.subject}_{mv}.npz"
            save_dynamic_spine(tmp_path / name, spine)
            rows.append(f"{s.subject},{mv},{name},{s.label.lower()}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_labelled_folder_trains_end_to_end(folder, dataset, table):
    data = classify.LabelledFolder(folder)
    assert len(data) == N_SUBJECTS and sorted(data.labels) == sorted(s.label for s in dataset)
    own = classify.extract_features(data)
    by_subject = dict(zip(table.subjects, table.scalars["backward_bend"], strict=True))
    for subj, row in zip(own.subjects, own.scalars["backward_bend"], strict=True):
        np.testing.assert_allclose(row, by_subject[subj], atol=1e-6)
    cv = classify.cross_validate(own, folds=2, model="logistic", n_bootstrap=0)
    assert cv.pooled.n == N_SUBJECTS


def _write(folder, text):
    (folder / "labels.csv").write_text(text)
    return folder


def test_labelled_folder_errors(folder):
    first = sorted(p.name for p in folder.glob("*.npz"))[0]
    with pytest.raises(ValueError, match=r"missing column\(s\) \['label'\]"):
        classify.LabelledFolder(_write(folder, f"subject,movement,file\nA,forward_bend,{first}\n"))
    with pytest.raises(ValueError, match="unknown label 'XP'"):
        classify.LabelledFolder(
            _write(folder, f"subject,movement,file,label\nA,forward_bend,{first},XP\n")
        )
    with pytest.raises(ValueError, match="'nope.npz' not found"):
        classify.LabelledFolder(
            _write(folder, "subject,movement,file,label\nA,forward_bend,nope.npz,FP\n")
        )
    with pytest.raises(ValueError, match="unknown movement"):
        classify.LabelledFolder(_write(folder, f"subject,movement,file,label\nA,walk,{first},FP\n"))
    with pytest.raises(ValueError, match="at least two classes"):
        classify.LabelledFolder(
            _write(folder, f"subject,movement,file,label\nA,forward_bend,{first},FP\n")
        )
    (folder / "clip.mp4").write_bytes(b"\x00")
    with pytest.raises(ValueError, match="is a video"):
        classify.LabelledFolder(
            _write(folder, "subject,movement,file,label\nA,forward_bend,clip.mp4,FP\n")
        )
    with pytest.raises(ValueError, match="one label per subject"):
        classify.LabelledFolder(
            _write(
                folder,
                f"subject,movement,file,label\nA,forward_bend,{first},FP\n"
                f"A,backward_bend,{first},EP\nB,forward_bend,{first},neither\n",
            )
        )
    rows = "".join(f"S{i},forward_bend,{first},{'FP' if i < 6 else 'EP'}\n" for i in range(8))
    data = classify.LabelledFolder(_write(folder, "subject,movement,file,label\n" + rows))
    with pytest.raises(ValueError, match=r"\{'EP': 2\} have fewer subjects than folds=5"):
        classify.cross_validate(data, folds=5)
    with pytest.raises(FileNotFoundError):
        classify.LabelledFolder(folder / "absent")


def test_shipped_weights_load_and_predict(dataset):
    for kind in ("logistic", "sequence"):
        clf = classify.load_shipped(kind)
        assert clf.kind == kind and "SYNTHETIC" in clf.metadata["trained_on"]
        ph = clf.predict(dataset[0])
        assert ph.label in PHENOTYPE_LABELS and ph.evidence
    assert classify.predict(dataset[0]).model == "logistic"


def test_shipped_weights_hash_checked(tmp_path, monkeypatch):
    (tmp_path / "classifier_logistic.pt").write_bytes(b"not a model")
    monkeypatch.setenv("HUMANMOVENET_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="corrupt"):
        classify.load_shipped("logistic")


def test_spine_without_hip_angle_uses_pelvis(dataset):
    clf = classify.load_shipped("logistic")
    spines = {m: dataclasses.replace(s, hip_flexion=None) for m, s in dataset[3].spines.items()}
    ph = clf.predict(spines)
    assert any("pelvic tilt used instead" in e for e in ph.evidence)
    assert abs(sum(ph.probabilities.values()) - 1.0) < 1e-9


def test_classifier_does_not_import_later_or_synthetic_stages():
    import subprocess
    import sys

    code = (
        "import sys, humanmovenet.classify; "
        "print(sorted(m for m in sys.modules if m.split('.')[:2] in "
        "(['humanmovenet','synth'], ['humanmovenet','pose2d'], ['humanmovenet','reconstruct'])))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- video-trained models


def test_ship_video_classifier_round_trip(tmp_path, table):
    # The training script's fit / score / save step on tiny real features (the renders and
    # reconstructions it normally feeds in are exercised by test_classify_folder).
    from humanmovenet.train.train_classifier_video import fp_vs_ep_score, ship

    excluded = ["lumbar_hip_ratio", "hip_contribution"]
    report = ship(table, table, ("backward_bend",), tmp_path, n_bootstrap=20,
                  exclude={"backward_bend": excluded})  # fmt: skip
    entry = report["backward_bend"]["logistic"]
    assert entry["excluded_features"] == excluded
    assert set(report["backward_bend"]) == set(classify.MODEL_KINDS)
    clf = classify.load_shipped("logistic", path=entry["file"], movement="backward_bend")
    assert clf.inputs == ("backward_bend",) and clf.kind == "logistic"
    assert "SYNTHETIC" in clf.metadata["trained_on"]
    assert clf.metadata["held_out_fp_vs_ep"] == entry["held_out_fp_vs_ep"]
    x, t, y = table.select(("backward_bend",))
    binary = fp_vs_ep_score(y, clf.predict_proba_features(x, t), n_bootstrap=20)
    assert binary.n == int((y < 2).sum()) and binary.accuracy.value > 0.5  # training subjects
    with pytest.raises(ValueError, match=r"expected \(12, 3\)"):
        fp_vs_ep_score(y, np.zeros((12, 2)))


def test_shipped_video_classifiers_load_and_predict(dataset):
    from types import SimpleNamespace

    for movement in ("backward_bend", "forward_bend"):
        clf = classify.load_shipped(movement=movement)
        assert clf.inputs == (movement,) and "SYNTHETIC" in clf.metadata["trained_on"]
        assert "video" in clf.metadata["trained_on"]
        spine = dataset[1].spines[movement]
        ph = clf.predict({movement: spine})
        assert ph.inputs == (movement,) and abs(sum(ph.probabilities.values()) - 1) < 1e-9
        # An Analysis-like object: predict() picks the video classifier of its movement.
        analysis = SimpleNamespace(spine=spine, metrics=SimpleNamespace(movement=movement))
        assert classify.predict(analysis).probabilities == pytest.approx(ph.probabilities)
        assert classify.shipped_path(movement=movement).name == f"classifier_video_{movement}.pt"
    for other in ("gait", "unknown"):
        walk = SimpleNamespace(spine=spine, metrics=SimpleNamespace(movement=other))
        with pytest.raises(ValueError, match="needs a forward or backward bend"):
            classify.predict(walk)
    with pytest.raises(ValueError, match="needs a forward or backward bend"):
        classify.load_shipped(movement="gait")
    with pytest.raises(ValueError, match="no shipped sequence classifier"):
        classify.load_shipped("sequence", movement="backward_bend")
    # Mappings keep the both-bend default.
    assert classify.predict(dataset[0].spines).inputs == ("forward_bend", "backward_bend")


def test_shipped_video_classifier_hash_and_override(tmp_path, monkeypatch):
    (tmp_path / "classifier_video_backward_bend.pt").write_bytes(b"not a model")
    monkeypatch.setenv("HUMANMOVENET_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="corrupt"):
        classify.load_shipped(movement="backward_bend")
    # The environment variable wins (and is not hash-checked: a user's own file) but must
    # hold a single-movement classifier of that movement.
    both = classify.shipped_path("logistic")
    monkeypatch.setenv("HUMANMOVENET_CLASSIFIER_VIDEO_BACKWARD_BEND", str(both))
    with pytest.raises(ValueError, match="not of the backward_bend alone"):
        classify.load_shipped(movement="backward_bend")


def test_excluded_features_carry_no_weight(tmp_path, table, dataset):
    from humanmovenet.train.train_classifier_video import feature_preservation

    clf = classify.train(table, inputs=("backward_bend",),
                         hyperparameters={"exclude": ["backward_bend.lumbar_hip_ratio"]})  # fmt: skip
    j = clf.scalar_names.index("backward_bend.lumbar_hip_ratio")
    x, t, _ = table.select(("backward_bend",))
    changed = x.copy()
    changed[:, j] += 100.0  # an excluded feature cannot move the prediction
    np.testing.assert_allclose(clf.predict_proba_features(changed, t),
                               clf.predict_proba_features(x, t))  # fmt: skip
    kept = clf.scalar_names.index("backward_bend.standing_lumbar_lordosis")
    changed = x.copy()
    changed[:, kept] += 30.0
    assert not np.allclose(clf.predict_proba_features(changed, t), clf.predict_proba_features(x, t))
    ph = clf.predict(dataset[2])
    assert not any("lumbar : hip ratio at the peak" in e for e in ph.evidence)
    back = classify.Classifier.load(clf.save(tmp_path / "excluded.pt"))
    np.testing.assert_allclose(back.predict_proba_features(x, t), clf.predict_proba_features(x, t))
    assert back.metadata["hyperparameters"]["exclude"] == ["backward_bend.lumbar_hip_ratio"]
    with pytest.raises(ValueError, match="unknown features"):
        classify.train(table, inputs=("backward_bend",), hyperparameters={"exclude": ["nope"]})
    # The preservation table of a table with itself: perfect correlation, same separation.
    rows = feature_preservation(table, table, "backward_bend")
    assert all(r["corr_recon_truth"] == pytest.approx(1.0) for r in rows)
    assert all(r["d_fp_ep_truth"] == r["d_fp_ep_recon"] for r in rows)


# --------------------------------------------------------------------------- candidate features


def test_candidate_features_on_exact_spines(dataset):
    from humanmovenet.biomech import compute_metrics
    from humanmovenet.classify.features import CANDIDATE_FEATURES, candidate_features

    slopes, ratios = [], []
    for sample in dataset:
        spine = sample.spines["backward_bend"]
        c = candidate_features(spine, "backward_bend")
        assert set(c) == set(CANDIDATE_FEATURES)
        assert all(np.isfinite(v) for v in c.values()), c
        assert c["sacral_slope_deg"] == spine.morphology.sacral_slope_deg
        # Lumbar and hips both extend into a backward bend: positive shares, a path between
        # the hip axis (0°) and the lumbar axis (90°) that leans to the lumbar side (ratio > 1).
        assert 0 < c["lumbar_share_of_trunk"] < 1.2 and 0 < c["hip_share_of_trunk"] < 1.2
        assert 45 < c["lumbar_hip_direction_deg"] < 90
        slopes.append(c["lumbar_on_hip_slope"])
        ratios.append(compute_metrics(spine, movement="backward_bend", n_bootstrap=0)
                      .lumbar_hip_ratio.value)  # fmt: skip
    # On exact spines the whole-movement slope tracks the metrics' ratio at the peak.
    assert np.corrcoef(slopes, ratios)[0, 1] > 0.8
    # No hip angle: the hip-based candidates are undefined, the others still measured.
    no_hip = dataclasses.replace(dataset[0].spines["forward_bend"], hip_flexion=None)
    c = candidate_features(no_hip, "forward_bend")
    assert np.isnan(c["hip_share_of_trunk"]) and np.isnan(c["lumbar_on_hip_slope"])
    assert np.isfinite(c["lumbar_share_of_trunk"]) and c["lumbar_share_of_trunk"] > 0
    with pytest.raises(ValueError, match="forward_bend"):
        candidate_features(no_hip, "gait")
    with pytest.raises(ValueError, match="DynamicSpine"):
        candidate_features(np.zeros((5, 25, 3)), "forward_bend")


def test_candidate_preservation_and_cv_scores(dataset, table):
    from humanmovenet.train.train_classifier_video import candidate_preservation, cv_scores

    rows = candidate_preservation(dataset, dataset, "backward_bend")
    # The truth against itself: perfectly preserved, the same separation on both sides.
    for r in rows:
        assert r["corr_recon_truth"] == pytest.approx(1.0), r
        assert r["d_fp_ep_recon"] == pytest.approx(r["d_fp_ep_truth"])
    with pytest.raises(ValueError, match="same subjects"):
        candidate_preservation(dataset, dataset[::-1], "backward_bend")
    cv = cv_scores(table, "backward_bend", "logistic", {"max_iter": 50}, seeds=1, folds=2)
    assert set(cv) == {"accuracy", "fp_vs_ep"} and 0 <= cv["accuracy"] <= 1
    assert 0.5 <= cv["fp_vs_ep"] <= 1  # exact spines separate FP from EP


def test_reconstruction_key_covers_code_and_weights():
    import hashlib
    import json

    from humanmovenet.train.train_classifier_video import reconstruction_key

    key = reconstruction_key.__wrapped__("learned")
    files = key["files"]
    assert "humanmovenet/reconstruct/static.py" in files
    assert "humanmovenet/reconstruct/fuse.py" in files
    assert files["weights/regressor_frame.pt"] not in ("", "missing")
    # Any file's hash (or the method) is part of the digest.
    assert (
        key["key"]
        == hashlib.sha256(json.dumps(["learned", files], sort_keys=True).encode()).hexdigest()
    )
    assert reconstruction_key.__wrapped__("fit")["key"] != key["key"]
    assert reconstruction_key.__wrapped__("learned") == key  # deterministic


def test_update_shipped_sha256_rewrites_only_the_shipped_folder(tmp_path, monkeypatch):
    from humanmovenet.classify import api
    from humanmovenet.train import train_classifier_video as tcv

    src = tmp_path / "api.py"
    src.write_text(open(api.__file__).read())
    monkeypatch.setattr(api, "__file__", str(src))
    weights = tmp_path / "weights"
    weights.mkdir()
    monkeypatch.setattr("humanmovenet._paths.shipped_weights_dir", lambda: weights)
    new = "ab" * 32
    models = {"backward_bend": {"logistic": {"sha256": new}, "sequence": {}}}
    assert tcv.update_shipped_sha256(models, tmp_path / "elsewhere") == {}
    assert new not in src.read_text()
    assert tcv.update_shipped_sha256(models, weights) == {"backward_bend/logistic": new}
    text = src.read_text()
    assert new in text and api.SHIPPED_VIDEO_SHA256[("backward_bend", "logistic")] not in text
    assert api.SHIPPED_VIDEO_SHA256[("forward_bend", "logistic")] in text
