"""Charts are drawn from what a run declares it logs, so a new loss or penalty shows up with no other change."""

import numpy as np

from views._charts import loss_figures

WGAN_GP = {
    "d_loss": ("loss", "critic loss"),
    "g_loss": ("loss", "generator loss"),
    "d_real": ("score", "critic score of real images"),
    "d_fake": ("score", "critic score of generated images"),
    "critic_gap": ("score", "critic gap (real - generated)"),
    "d_acc": ("accuracy", "discriminator accuracy"),
    "gp": ("penalty", "gradient penalty"),
    "lr": ("learning_rate", "learning rate"),
}


def series(keys):
    return {"step": np.arange(5), "epoch": np.ones(5), **{k: np.linspace(0, 1, 5) for k in keys}}


def test_a_wgan_gp_run_gets_losses_with_its_penalty_scores_and_accuracy():
    figs = loss_figures(series([k for k in WGAN_GP if k != "lr"]), WGAN_GP)
    charts = {f.layout.title.text: [t.hovertemplate.split("<br>")[0] for t in f.data] for f in figs}
    assert charts == {
        "loss and penalties": ["d_loss", "g_loss", "gp"],
        "discriminator accuracy": ["d_acc"],
        "critic scores (higher: judged real)": ["d_real", "d_fake", "critic_gap"],
    }
    assert [t.name for t in figs[0].data] == ["critic loss", "generator loss", "gradient penalty"]


def test_a_key_nobody_has_seen_before_is_charted_by_its_kind():
    keys = {"loss": ("loss", "loss"), "novel_penalty": ("penalty", "a brand-new penalty")}
    (fig,) = loss_figures(series(keys), keys)
    assert [t.name for t in fig.data] == [
        "loss",
        "a brand-new penalty",
    ] and fig.layout.title.text == "loss and penalties"
