"""The health panel's rules on logged records."""

from genlib.metrics import diagnose


def steps(n, **values):
    return [{"kind": "step", "epoch": 1 + i // 10, "step": i + 1, **values} for i in range(n)]


def test_quiet_run_is_ok():
    assert diagnose([])[0].title == "Nothing to check yet"
    (finding,) = diagnose(steps(50, d_loss=1.2, g_loss=0.9, d_real=0.6, d_fake=0.4))
    assert finding.level == "ok"


def test_discriminator_winning_needs_a_sustained_streak():
    healthy = steps(40, d_loss=1.2, g_loss=0.9, d_fake=0.4)
    assert diagnose(healthy + steps(9, d_loss=0.1, g_loss=6.0, d_fake=0.01))[0].level == "ok"
    finding = diagnose(healthy + steps(12, d_loss=0.1, g_loss=4.0, d_fake=0.01))[0]
    assert finding.level == "warning" and finding.title == "The discriminator is winning"
    assert "last 12 logged steps" in finding.detail and "d_learning_rate" in finding.advice


def test_divergence_from_status_nan_and_exploding_loss():
    failed = {"state": "failed", "error": "training diverged at epoch 3 step 2 (g_loss = nan); try ..."}
    assert diagnose(steps(5, g_loss=1.0), failed)[0].title == "Training diverged"
    nan = diagnose(steps(5, g_loss=1.0) + steps(1, g_loss=float("nan")))[0]
    assert nan.level == "error" and "g_loss is nan" in nan.detail
    exploding = diagnose(steps(90, loss=2.0) + steps(10, loss=40.0))[0]
    assert exploding.title == "Loss is exploding" and "20x" in exploding.detail
    assert diagnose(steps(90, loss=2.0) + steps(10, loss=4.0))[0].level == "ok"  # doubling is not exploding


def evals(*recalls, coverage=1.0):
    return [
        {"kind": "eval", "epoch": i + 1, "recall": r, "precision": 0.7, "coverage": coverage}
        for i, r in enumerate(recalls)
    ]


def test_falling_recall_with_every_class_covered_is_flagged_as_losing_variety():
    # The recall curve of a one-minute cgan on MNIST (eval every epoch).
    (finding,) = diagnose(evals(0.14, 0.39, 0.34, 0.23, 0.18))
    assert finding.level == "warning" and finding.title == "Mode collapse: samples are losing variety"
    assert "recall is 0.18, down from 0.39 at epoch 2" in finding.detail
    with_fid = [
        {**r, "fid": fid} for r, fid in zip(evals(0.14, 0.39, 0.34, 0.23, 0.18), (94, 68, 55, 30, 27), strict=True)
    ]
    with_fid[3]["fid"] = 26.5
    assert "FID was lowest at epoch 4 (26.5)" in diagnose(with_fid)[0].advice
    kept = diagnose(with_fid, {"best": {"epoch": 4, "fid": 26.5}})[0].advice  # a run that kept its best model
    assert "The model of epoch 4 (FID 26.5, the lowest) is kept as this run's best" in kept
    assert diagnose(evals(0.01, 0.37, 0.58, 0.71))[0].level == "ok"  # a healthy run's rising recall
    assert diagnose(evals(0.01, 0.14))[0].level == "ok"  # low but still rising: too early to tell
    assert diagnose(evals(0.9, 0.5))[0].level == "ok"  # fell, but still plenty of variety
    assert diagnose(evals(0.0, 0.02, 0.0))[0].level == "ok"  # never had variety: nothing was lost
    lost_classes = diagnose(evals(0.39, 0.1, coverage=0.3))
    assert [f.title for f in lost_classes] == ["Mode collapse: few classes produced"]  # the worse finding only


def test_one_class_crowding_out_the_rest_is_collapse_even_with_most_classes_drawn():
    # Epochs 3 and 4 of a ResNet DCGAN with attention and top-k on digits, as logged (1,000 samples):
    # the panel said "No problems" while half the grid was zeros.
    walk = [
        {"kind": "eval", "epoch": 3, "precision": 0.21, "recall": 0.001, "coverage": 0.7,
         "class_counts": [69, 0, 1, 8, 394, 65, 54, 101, 282, 26]},
        {"kind": "eval", "epoch": 4, "precision": 0.15, "recall": 0.0, "coverage": 0.7,
         "class_counts": [549, 94, 39, 1, 83, 5, 31, 0, 139, 59]},
    ]  # fmt: skip
    (finding,) = diagnose(walk)
    assert finding.title == "Mode collapse: one class crowds out the others"
    assert "55% of the samples are class 0, where an even mix gives each class 10%" in finding.detail
    assert "7/10 classes, recall 0.00" in finding.detail and "more epochs first" in finding.advice
    # A healthy mix (the largest class under twice its share) and a two-class dataset are left alone.
    even = [
        {**walk[1], "precision": 0.6, "coverage": 1.0, "class_counts": [120, 95, 80, 110, 100, 90, 105, 85, 115, 100]}
    ]
    assert diagnose(even)[0].level == "ok"
    assert diagnose([{**even[0], "class_counts": [900, 100]}])[0].level == "ok"


def test_an_undertrained_model_is_not_called_collapsed():
    # A 3-epoch DCGAN with 8 filters on shapes: grey noise, one class "covered", precision near 0.
    noise = [{"kind": "eval", "epoch": 3, "recall": 0.0, "precision": 0.02, "coverage": 0.25}]
    (finding,) = diagnose(noise)
    assert finding.title == "Not trained enough yet" and "Train for more epochs" in finding.advice
    # Sharp samples of few classes are collapse, and a VAE is not told to try a GAN.
    sharp = [{**noise[0], "precision": 0.7}]
    assert diagnose(sharp)[0].title == "Mode collapse: few classes produced"
    assert "cgan" in diagnose(sharp)[0].advice and "cgan" not in diagnose(sharp, adversarial=False)[0].advice


CRITIC_KEYS = {"log_keys": {"d_fake": ["score", "critic score of generated images"], "critic_gap": ["score", "gap"]}}


def test_a_critic_is_judged_by_its_score_gap_not_by_a_sigmoid():
    # A WGAN critic's scores are unbounded: d_fake = -3 is no probability, so the sigmoid rule stays out.
    steady = steps(60, d_loss=-1.0, g_loss=3.0, d_fake=-3.0, critic_gap=1.5, d_acc=1.0)
    assert diagnose(steady, CRITIC_KEYS)[0].level == "ok"
    assert diagnose(steady)[0].title == "The discriminator is winning"  # read as a probability, it would be
    pulling = steady + steps(40, d_loss=-9.0, g_loss=9.0, d_fake=-9.0, critic_gap=9.0, d_acc=1.0)
    finding = diagnose(pulling, CRITIC_KEYS)[0]
    assert finding.title == "The critic is pulling away" and "1.50 to 9.00" in finding.detail
    unsure = steady + steps(40, d_loss=-9.0, g_loss=9.0, d_fake=-9.0, critic_gap=9.0, d_acc=0.8)
    assert diagnose(unsure, CRITIC_KEYS)[0].level == "ok"  # a wide gap while D still errs: not a lead
