"""TensorBoard: the trainer's event files hold every logged value, the grids and the settings, as
TensorBoard itself reads them from ``--logdir workspace/runs``; one flag turns them off."""

import pytest
from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util.tensor_util import make_ndarray

from genlib import paths
from genlib.models import make_config
from genlib.runs import RunStore
from genlib.training import TrainConfig, Trainer, build_config


def train(run_id: str, **fields):
    cfg = TrainConfig(dataset="digits", family="dcgan", epochs=2, batch_size=128, log_every=2, **fields)
    run = RunStore().create(build_config(cfg, make_config("dcgan", "fast")), run_id)
    Trainer(run).fit()
    return run


def test_logdir_over_the_runs_lists_scalars_images_and_hparams():
    run = train("with-tb", eval_every=1, eval_samples=200)
    train("without-tb", tensorboard=False)
    assert not (paths.runs_dir() / "without-tb" / "tensorboard").exists()

    logs = EventMultiplexer().AddRunsFromDirectory(str(paths.runs_dir()))  # what `tensorboard --logdir` does
    logs.Reload()
    assert list(logs.Runs()) == ["with-tb/tensorboard"]
    name = "with-tb/tensorboard"
    scalars = logs.PluginRunToTagToContent("scalars")[name]
    step_keys = {k for r in run.metrics("step") for k in r} - {"kind", "epoch", "step", "time", "images_per_s"}
    epoch_keys = {k for r in run.metrics("epoch") for k in r} - {"kind", "epoch", "time"}
    eval_keys = {k for r in run.metrics("eval") for k in r if isinstance(r[k], float)} - {"time"}
    expected = {f"step/{k}" for k in step_keys} | {f"epoch/{k}" for k in epoch_keys} | {f"eval/{k}" for k in eval_keys}
    assert expected <= set(scalars) and "eval/fid" in scalars and "step/g_loss" in scalars

    # the values are those of metrics.jsonl, at its steps and epochs
    g_loss = {e.step: float(make_ndarray(e.tensor_proto)) for e in logs.Tensors(name, "step/g_loss")}
    assert g_loss == {r["step"]: pytest.approx(r["g_loss"]) for r in run.metrics("step")}
    fid = [float(make_ndarray(e.tensor_proto)) for e in logs.Tensors(name, "eval/fid")]
    assert fid == pytest.approx([r["fid"] for r in run.metrics("eval")])

    assert set(logs.PluginRunToTagToContent("images")[name]) == {"samples"}
    grids = logs.Tensors(name, "samples")
    assert [e.step for e in grids] == [1, 2]
    width, height = (int(v) for v in grids[-1].tensor_proto.string_val[:2])
    assert (width, height) == (274, 274)  # 8x8 digits of 8x8 drawn at 32 px with 2 px gaps

    hparams = logs.PluginRunToTagToContent("hparams")[name]
    info = plugin_data_pb2.HParamsPluginData.FromString(hparams["_hparams_/session_start_info"]).session_start_info
    assert info.hparams["train.family"].string_value == "dcgan"
    assert info.hparams["train.epochs"].number_value == 2 and info.hparams["model.filters"].number_value > 0
