"""A plain-language health check of a run from its status and metrics.jsonl records.

Each rule reads only what the trainer logs (losses, D(x)/D(G(z)), evaluation
records), so it works for live runs and finished ones alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# D(G(z)) below this means the discriminator rejects almost every sample...
D_WINNING_BELOW = 0.05
# ...and this many logged steps in a row of it is more than a passing swing.
D_WINNING_STEPS = 10
# A critic right about (nearly) every image for D_WINNING_STEPS logged steps, with a score gap
# between real and generated CRITIC_GAP_GROWTH times its earlier median (and above CRITIC_GAP_FLOOR,
# so a gap near zero early on does not count as growth), is pulling away from the generator.
CRITIC_SURE, CRITIC_GAP_GROWTH, CRITIC_GAP_FLOOR = 0.99, 3.0, 1.0
# A loss this many times its earlier median (and above EXPLODE_FLOOR) is exploding.
EXPLODE_FACTOR, EXPLODE_FLOOR = 5.0, 10.0  # a GAN g_loss of 3-8 is common while D leads
COVERAGE_DROP = 0.2  # coverage falling this far below its best means classes were lost
LOW_COVERAGE = 0.5
# One class drawn DOMINANT_FACTOR times as often as an even mix would: the generator crowds into it
# even with most classes present. Healthy 60-s and 5-minute MNIST runs keep every class under
# about twice its share (balance 0.72 to 0.91, docs/BENCHMARKS.md); a ResNet run with attention
# and top-k on digits drew 55% zeros at epoch 4 with 7/10 classes, balance 0.52 and recall 0.
DOMINANT_FACTOR = 3.0
# Recall under LOW_RECALL, at most RECALL_FALL of its best and RECALL_DROP below it: the
# samples are narrowing.
# A cgan (`fast`, batch 32) on the MNIST test set went 0.39 -> 0.14 by epoch 6 with every
# class drawn and precision near 0.7, then on to 0.00 with FID 27 -> 89 and two digits
# lost by epoch 19, each grid row one repeated digit. Healthy runs' recall rises to 0.8+.
LOW_RECALL, RECALL_FALL, RECALL_DROP = 0.25, 0.6, 0.1
# Precision under this: hardly any sample lies near the real images, so the model is not
# drawing the data yet and class coverage says nothing about collapse. A 3-epoch DCGAN
# with 8 filters on shapes (grey noise) scores near 0; collapsed but sharp generators 0.5+.
NOT_YET_PRECISION = 0.2


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning" or "error"
    title: str
    detail: str
    advice: str = ""


def diagnose(records: list[dict], status: dict | None = None, adversarial: bool = True) -> list[Finding]:
    """Findings for a run, worst first; a single "ok" finding when nothing looks wrong.

    Args:
        records: the run's metrics.jsonl records.
        status: its status.json. Defaults to None.
        adversarial: a GAN (True) or a VAE (False), for advice that fits. Defaults to True.
    """
    status = status or {}
    steps = [r for r in records if r.get("kind") == "step"]
    evals = [r for r in records if r.get("kind") == "eval"]
    findings = [
        *_divergence(steps, status),
        *_discriminator_winning(steps, status.get("log_keys") or {}),
        *(
            _not_yet(evals)
            or _mode_collapse(evals, adversarial, status.get("best"))
            or _losing_variety(evals, status.get("best"))
        ),
    ]
    if findings:
        return sorted(findings, key=lambda f: f.level != "error")
    if not steps:
        return [Finding("ok", "Nothing to check yet", "The checks start once the first steps are logged.")]
    return [
        Finding(
            "ok",
            "No problems detected",
            "Losses are finite and stable, no class has been lost and variety is not falling.",
        )
    ]


def _divergence(steps: list[dict], status: dict) -> list[Finding]:
    advice = "Lower learning_rate (e.g. halve it), or resume from the last checkpoint with another seed."
    error = status.get("error") or ""
    if status.get("state") == "failed" and "diverged" in error:
        return [Finding("error", "Training diverged", error, advice)]
    for r in steps[-1:]:
        bad = [k for k, v in r.items() if isinstance(v, float) and not math.isfinite(v)]
        if bad:
            return [Finding("error", "Training diverged", f"{bad[0]} is {r[bad[0]]} at step {r['step']}.", advice)]
    if len(steps) < 10:
        return []
    tail = max(2, len(steps) // 10)
    for key in ("d_loss", "g_loss", "loss"):
        early = [r[key] for r in steps[:-tail] if key in r]
        late = [r[key] for r in steps[-tail:] if key in r]
        if not early or not late:
            continue
        before, now = float(np.median(np.abs(early))), float(np.mean(np.abs(late)))
        if now > EXPLODE_FLOOR and now > EXPLODE_FACTOR * max(before, 1e-6):
            return [
                Finding(
                    "error",
                    "Loss is exploding",
                    f"{key} averages {now:.2f} over the last {tail} logged steps, {now / before:.0f}x its "
                    f"earlier median ({before:.2f}).",
                    advice,
                )
            ]
    return []


def _discriminator_winning(steps: list[dict], keys: dict) -> list[Finding]:
    """Probability-reading losses: D(G(z)) stuck near 0. Critics (hinge, WGAN, LSGAN): read from the
    critic gap instead, whose size depends on the loss: D right about every image for many steps while
    the gap between its scores of real and generated images keeps widening."""
    if (keys.get("d_fake") or ("probability",))[0] == "score":
        return _critic_pulling_away(steps)
    run = 0
    for r in reversed(steps):
        if r.get("d_fake", 1.0) >= D_WINNING_BELOW:
            break
        run += 1
    if run < D_WINNING_STEPS:
        return []
    return [
        Finding(
            "warning",
            "The discriminator is winning",
            f"D(G(z)) has been below {D_WINNING_BELOW} for the last {run} logged steps (now "
            f"{steps[-1]['d_fake']:.3f}): D rejects nearly every sample, so the generator gets little gradient.",
            "Give D less of an edge: a lower d_learning_rate, label_smoothing=0.1 or some d_dropout, "
            "or a larger generator.",
        )
    ]


def _critic_pulling_away(steps: list[dict]) -> list[Finding]:
    recent = steps[-D_WINNING_STEPS:]
    gaps = [r.get("critic_gap") for r in steps if isinstance(r.get("critic_gap"), float)]
    if len(recent) < D_WINNING_STEPS or len(gaps) < 3 * D_WINNING_STEPS:
        return []
    if not all(r.get("d_acc", 0.0) >= CRITIC_SURE for r in recent):
        return []
    earlier = float(np.median(gaps[: len(gaps) // 2]))
    now = float(np.median(gaps[-D_WINNING_STEPS:]))
    if now <= max(CRITIC_GAP_GROWTH * abs(earlier), CRITIC_GAP_FLOOR):
        return []
    return [
        Finding(
            "warning",
            "The critic is pulling away",
            f"The discriminator has told real from generated images every time for the last "
            f"{len(recent)} logged steps, and the gap between its scores has grown from about {earlier:.2f} "
            f"to {now:.2f}: the generator is falling behind.",
            "More generator updates (a lower n_critic), a lower d_learning_rate, or spectral_norm on D.",
        )
    ]


def _not_yet(evals: list[dict]) -> list[Finding]:
    """Samples nowhere near the data (and never were): too early for any collapse verdict."""
    if not evals or not all(isinstance(r.get("precision"), (int, float)) for r in evals):
        return []
    last = evals[-1]
    if max(r["precision"] for r in evals) >= NOT_YET_PRECISION:
        return []
    return [
        Finding(
            "warning",
            "Not trained enough yet",
            f"At epoch {last['epoch']} only {last['precision']:.0%} of the samples lie near real images "
            "(precision), so they do not look like the data yet and the class counts say little.",
            "Train for more epochs (or resume this run); a wider model (more filters or hidden units) "
            "learns faster per epoch on this kind of data.",
        )
    ]


def _mode_collapse(evals: list[dict], adversarial: bool = True, kept: dict | None = None) -> list[Finding]:
    if not evals or "coverage" not in evals[-1]:
        return []
    last, best = evals[-1], max(evals, key=lambda r: r.get("coverage", 0))
    counts = last.get("class_counts") or []
    k = len(counts) or None
    covered = f"{round(last['coverage'] * k)}/{k} classes" if k else f"{last['coverage']:.0%} of the classes"
    if adversarial and "label_accuracy" in last:  # a conditional GAN already is told the class
        remedy = (
            "lower the learning rate or try another seed; label smoothing or spectral norm keep the "
            "discriminator from overpowering the generator."
        )
    elif adversarial:
        remedy = (
            "lower the learning rate or try another seed; or try a conditional model (cgan), which is told "
            "which class to draw."
        )
    else:
        remedy = ""
    if remedy:
        lost_advice = "An earlier epoch was better: train for fewer epochs, or " + remedy
        few_advice = (
            "Early in a run this can simply be too little training: train for more epochs first. "
            "If it stays so, " + remedy
        )
    else:
        lost_advice = few_advice = (
            "A VAE that draws one blurry average needs more epochs, or a lower beta (the KL weight) "
            "so its codes keep more of each image; the conv preset also helps."
        )
    if last["coverage"] <= best["coverage"] - COVERAGE_DROP:
        return [
            Finding(
                "warning",
                "Mode collapse: classes are disappearing",
                f"At epoch {last['epoch']} samples cover {covered}, down from {best['coverage']:.0%} at epoch "
                f"{best['epoch']}.",
                (_kept_text(kept) + " " if kept else "") + lost_advice,
            )
        ]
    if last["coverage"] <= LOW_COVERAGE:
        return [
            Finding(
                "warning",
                "Mode collapse: few classes produced",
                f"At epoch {last['epoch']} samples cover only {covered}.",
                few_advice,
            )
        ]
    total = sum(counts)
    if k and k >= 3 and total and max(counts) >= DOMINANT_FACTOR * total / k:
        top = int(np.argmax(counts))
        recall = f", recall {last['recall']:.2f}" if isinstance(last.get("recall"), (int, float)) else ""
        return [
            Finding(
                "warning",
                "Mode collapse: one class crowds out the others",
                f"At epoch {last['epoch']} {max(counts) / total:.0%} of the samples are class {top}, where an even "
                f"mix gives each class {1 / k:.0%}; samples cover {covered}{recall}.",
                few_advice,
            )
        ]
    return []


def _losing_variety(evals: list[dict], kept: dict | None = None) -> list[Finding]:
    """Recall falling while classes stay covered: collapse inside the classes."""
    if not evals or "recall" not in evals[-1]:
        return []
    last, best = evals[-1], max(evals, key=lambda r: r.get("recall", 0))
    r, top = last["recall"], best["recall"]
    if not (r < LOW_RECALL and r <= RECALL_FALL * top and r <= top - RECALL_DROP):
        return []
    return [
        Finding(
            "warning",
            "Mode collapse: samples are losing variety",
            f"At epoch {last['epoch']} recall is {r:.2f}, down from {top:.2f} at epoch "
            f"{best['epoch']}, with precision {last.get('precision', float('nan')):.2f}: the samples still look "
            "real but cover less and less of the real data's variety. Look for near-identical samples in the grid.",
            f"In the runs measured it only got worse with more epochs. {_shorter_run(evals, kept)}"
            "Or try a lower learning rate or another seed.",
        )
    ]


def _kept_text(kept: dict) -> str:
    return (
        f"The model of epoch {kept['epoch']} (FID {kept['fid']:.1f}, the lowest) is kept as this run's best: "
        "the Gallery and Evaluate use it by default, and Early stopping (Train, More options) ends a run there."
    )


def _shorter_run(evals: list[dict], kept: dict | None = None) -> str:
    """Advice to stop where FID was lowest, when evaluations logged it; points at the kept best model."""
    if kept:
        return _kept_text(kept) + " "
    scored = [r for r in evals if isinstance(r.get("fid"), (int, float)) and math.isfinite(r["fid"])]
    if not scored:
        return ""
    best = min(scored, key=lambda r: r["fid"])
    return f"FID was lowest at epoch {best['epoch']} ({best['fid']:.1f}): train again for about that many epochs. "
