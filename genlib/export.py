"""Take a run's results away: the generator as SavedModel, LiteRT, ONNX or .keras; metrics as CSV; a bundle.

Every model export is one folder holding the artifact and ``manifest.json``. It is checked
right after it is written: loaded back in its own runtime (TensorFlow, LiteRT, ONNX Runtime,
Keras), run on the same latent vectors as the Keras model, and the largest difference is
written to the manifest. An export that fails its check is deleted and the error says why.

The exported graph (all formats but ``keras``, which keeps the network as the trainer saved it):

    inputs   z       float32 (n, latent_dim)   standard normal x the run's sample_std
             labels  int32   (n,)              conditional families only: the class per image
    outputs  images  uint8   (n, H, W, C)      0..255, ready to save as PNG
             pixels  float32 (n, H, W, C)      0..1, the same before rounding

Exports are written beside their destination under a temporary name and renamed into place,
so a reader never sees half of one. They go to the run's own ``exports/`` folder or to a path
outside the workspace, never into another run's directory; and the model exported is always one
the trainer wrote into this workspace's run, loaded with Keras's safe mode.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from . import paths
from .errors import GenlibError
from .io import atomic_path, folder_bytes, write_json
from .runs import Run
from .runs.store import MODEL_CHOICES

CHECK_N = 16  # latent vectors each export is checked on
MANIFEST = "manifest.json"


class ExportError(GenlibError):
    """An export cannot be written, or failed its check (and was removed)."""


@dataclass(frozen=True)
class Format:
    title: str
    artifact: str  # file or folder name inside the export folder
    tolerance: float  # largest allowed |difference| of ``pixels`` (0..1) against the Keras model
    runtime: str  # what the check loads it with
    use: str  # one line for menus: who wants this format


MODEL_FORMATS: dict[str, Format] = {
    "savedmodel": Format(
        "SavedModel",
        "saved_model",
        1e-4,
        "tf.saved_model.load",
        "TensorFlow Serving and any TensorFlow program; signature serving_default",
    ),
    "litert": Format("LiteRT (TFLite)", "generator.tflite", 1e-3, "LiteRT interpreter", "phones and small devices"),
    "onnx": Format("ONNX", "generator.onnx", 1e-3, "ONNX Runtime", "ONNX Runtime, in C#, C++, Java or a browser"),
    "keras": Format(
        "Keras (.keras)", "generator.keras", 1e-4, "keras.saving.load_model", "Keras; needs genlib for its own layers"
    ),
}
FORMATS = (*MODEL_FORMATS, "csv", "bundle")
BUNDLE_DEFAULT_FORMATS = ("savedmodel", "onnx")

Report = Callable[[str], None]


def _silent(_text: str) -> None:
    pass


# -- where exports go -------------------------------------------------------------
def exports_dir(run: Run) -> Path:
    return run.path / "exports"


def effective_which(run: Run, which: str) -> str:
    """``best`` only where the run kept a best model; otherwise its last is what ``best`` serves."""
    if which not in MODEL_CHOICES:
        raise ExportError(f"which must be one of {', '.join(MODEL_CHOICES)}, got {which!r}")
    return "best" if which == "best" and run.best() else "last"


def default_out(run: Run, fmt: str, which: str = "best") -> Path:
    """Where an export goes when no path is given: the run's own ``exports/`` folder."""
    if fmt == "csv":
        return exports_dir(run) / "metrics.csv"
    if fmt == "bundle":
        return exports_dir(run) / f"{run.id}-{which}-bundle.zip"
    return exports_dir(run) / f"{fmt}-{which}"


def workspace_run(run_or_id: Run | str) -> Run:
    """The run as this workspace knows it: an id, or a path inside the workspace's runs folder.
    Exports load only models the workspace's trainer wrote, so a folder from elsewhere is refused."""
    from .runs import RunStore

    store = RunStore()
    if isinstance(run_or_id, Run):
        path = run_or_id.path
    elif Path(run_or_id).is_dir():
        path = Path(run_or_id)
    else:
        return store.get(str(run_or_id))
    path = path.resolve()
    if path.parent != store.root.resolve():
        raise ExportError(f"{path} is not a run of this workspace ({store.root}); only its runs can be exported")
    return store.get(path.name)


def check_destination(run: Run, out: Path, overwrite: bool, fmt: str) -> Path:
    """``out`` resolved, if an export in ``fmt`` may be written there; ExportError saying why not.
    A model export is a folder, a CSV a ``.csv`` file, a bundle a ``.zip`` file."""
    out = Path(out).expanduser().resolve()
    suffix = {"csv": ".csv", "bundle": ".zip"}.get(fmt)
    if suffix and out.suffix.lower() != suffix:
        raise ExportError(f"a {'bundle' if fmt == 'bundle' else 'CSV'} goes to a {suffix} file, got {out.name}")
    file_suffixes = {".onnx", ".tflite", ".keras", ".pb", ".zip", ".csv"}
    if not suffix and out.suffix.lower() in file_suffixes:
        artifact = MODEL_FORMATS[fmt].artifact if fmt in MODEL_FORMATS else "the model"
        raise ExportError(
            f"--out is a folder for a model export (it will hold {artifact} and {MANIFEST}); got {out.name}. "
            f"Give a folder name, e.g. {out.with_suffix('').name}"
        )
    home = paths.home().resolve()
    own = exports_dir(run).resolve()
    if out == own or own in out.parents:
        if out.parent != own:
            raise ExportError(f"exports go directly into {own}, got {out}")
        return out  # the run's own exports are replaced by a new export of the same name
    if out == home or home in out.parents:
        raise ExportError(
            f"{out} is inside the workspace ({home}); write exports to the run's exports/ folder "
            f"(leave out --out) or to a path outside the workspace"
        )
    if not out.parent.is_dir():
        raise ExportError(f"folder {out.parent} does not exist")
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise ExportError(f"{out} already exists; choose another path, or pass --overwrite to replace it")
        if out.is_dir() and not (out / MANIFEST).is_file():
            raise ExportError(f"{out} is a folder that is not a GenLab export; it is never replaced")
        if out.is_dir() != (suffix is None):
            kind = "folder" if out.is_dir() else "file"
            raise ExportError(f"{out} is a {kind}; it is not replaced by a {fmt} export")
    return out


def _replace(tmp: Path, out: Path) -> None:
    """Move the finished ``tmp`` to ``out``; an older export there goes only once the new one is in place."""
    if out.is_dir() and not out.is_symlink():
        old = out.with_name(f".{out.name}.old-{secrets.token_hex(3)}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def _temp_sibling(out: Path) -> Path:
    return out.with_name(f".{out.name}.tmp-{secrets.token_hex(4)}")


# -- the exported graph -------------------------------------------------------------
def serving_model(model):
    """The sampling network with named inputs (``z``, and ``labels`` if conditional) and the two outputs
    of the module docstring."""
    import keras
    from keras import ops

    net = model.sampling_network
    z = keras.Input((model.config.latent_dim,), name="z")
    inputs = [z, keras.Input((), dtype="int32", name="labels")] if model.conditional else z
    raw = net(inputs)
    pixels = (raw + 1.0) / 2.0 if model.output_activation == "tanh" else raw
    pixels = ops.clip(pixels, 0.0, 1.0)
    images = ops.cast(ops.round(pixels * 255.0), "uint8")
    return keras.Model(inputs, {"images": images, "pixels": pixels}, name="generator_serving")


def check_inputs(model, n: int = CHECK_N, seed: int = 0) -> dict[str, np.ndarray]:
    feed = {"z": model.sample_latents(n, seed)}
    if model.conditional:
        feed["labels"] = (np.arange(n) % model.config.num_classes).astype(np.int32)
    return feed


def _input_signature(model):
    import tensorflow as tf

    sig = [tf.TensorSpec((None, model.config.latent_dim), tf.float32, name="z")]
    if model.conditional:
        sig.append(tf.TensorSpec((None,), tf.int32, name="labels"))
    return sig


def _call(serving, feed: dict) -> dict[str, np.ndarray]:
    args = [feed["z"], feed["labels"]] if "labels" in feed else feed["z"]
    out = serving(args, training=False)
    return {k: np.asarray(v) for k, v in out.items()}


# -- writers: (model, serving, folder) -> artifact path ------------------------------------
def _write_savedmodel(model, serving, folder: Path) -> Path:
    import keras

    target = folder / MODEL_FORMATS["savedmodel"].artifact
    archive = keras.export.ExportArchive()
    archive.track(serving)
    if model.conditional:
        archive.add_endpoint(
            "serving_default", lambda z, labels: serving([z, labels], training=False), _input_signature(model)
        )
    else:
        archive.add_endpoint("serving_default", lambda z: serving(z, training=False), _input_signature(model))
    archive.write_out(str(target), verbose=False)
    return target


def _keras_signature(model):
    sig = _input_signature(model)
    return [sig] if model.conditional else sig  # several inputs go as one list


def _write_litert(model, serving, folder: Path) -> Path:
    target = folder / MODEL_FORMATS["litert"].artifact
    serving.export(str(target), format="litert", input_signature=_keras_signature(model), verbose=False)
    return target


def _write_onnx(model, serving, folder: Path) -> Path:
    import logging

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    target = folder / MODEL_FORMATS["onnx"].artifact
    serving.export(str(target), format="onnx", input_signature=_keras_signature(model), verbose=False)
    return target


def _write_keras(model, serving, folder: Path) -> Path:
    target = folder / MODEL_FORMATS["keras"].artifact
    model.sampling_network.save(target)
    return target


# -- readers: load in the format's own runtime and run on ``feed`` --------------------------
def _run_savedmodel(path: Path, feed: dict, model) -> dict[str, np.ndarray]:
    import tensorflow as tf

    signature = tf.saved_model.load(str(path)).signatures["serving_default"]
    out = signature(**{k: tf.constant(v) for k, v in feed.items()})
    return {k: v.numpy() for k, v in out.items()}


def _run_litert(path: Path, feed: dict, model) -> dict[str, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path)).get_signature_runner("serving_default")
    return dict(runner(**feed))


def _run_onnx(path: Path, feed: dict, model) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, {i.name: feed[i.name] for i in session.get_inputs()})
    return dict(zip(names, outputs, strict=True))


def _run_keras(path: Path, feed: dict, model) -> dict[str, np.ndarray]:
    from .models import load_model

    loaded = SimpleNamespace(  # the loaded network in the trained one's place
        sampling_network=load_model(path),
        conditional=model.conditional,
        output_activation=model.output_activation,
        config=model.config,
    )
    return _call(serving_model(loaded), feed)


_WRITERS = {"savedmodel": _write_savedmodel, "litert": _write_litert, "onnx": _write_onnx, "keras": _write_keras}
_READERS = {"savedmodel": _run_savedmodel, "litert": _run_litert, "onnx": _run_onnx, "keras": _run_keras}


def _check(fmt: str, artifact: Path, feed: dict, expected: dict, model) -> dict:
    """Load ``artifact`` in its runtime and compare with the Keras model's outputs; ExportError if off."""
    spec = MODEL_FORMATS[fmt]
    try:
        got = _READERS[fmt](artifact, feed, model)
    except Exception as exc:  # the runtime could not load or run it: the export is unusable
        raise ExportError(
            f"the {spec.title} export could not be run by {spec.runtime}: {type(exc).__name__}: {exc}"
        ) from exc
    for key in ("images", "pixels"):
        if key not in got or got[key].shape != expected[key].shape:
            shape = got[key].shape if key in got else "missing"
            raise ExportError(f"the {spec.title} export gives {key} of shape {shape}, expected {expected[key].shape}")
    diff = float(np.max(np.abs(got["pixels"].astype(np.float64) - expected["pixels"])))
    levels = int(np.max(np.abs(got["images"].astype(np.int16) - expected["images"].astype(np.int16))))
    result = {
        "runtime": spec.runtime,
        "n": len(feed["z"]),
        "max_abs_diff": diff,
        "tolerance": spec.tolerance,
        "images_max_diff_levels": levels,
        "passed": diff <= spec.tolerance and levels <= 1,
    }
    if not result["passed"]:
        raise ExportError(
            f"the {spec.title} export differs from the Keras model by {diff:.3g} (allowed {spec.tolerance:g}) "
            f"and by up to {levels} grey levels on {result['n']} latent vectors, so it was deleted"
        )
    return result


# -- model exports -------------------------------------------------------------
def load_for_export(run: Run, which: str = "best"):
    """The run's model to export; ExportError before its first checkpoint."""
    from .explore import load_run_model

    model = load_run_model(run, effective_which(run, which))
    if model is None:
        raise ExportError(f"run {run.id} has no saved model yet (it has not finished an epoch)")
    return model


def export_model(
    run: Run | str,
    fmt: str,
    out: str | Path | None = None,
    which: str = "best",
    overwrite: bool = False,
    report: Report = _silent,
    model=None,
) -> dict:
    """Export the run's generator in ``fmt`` to the folder ``out`` (default: the run's exports/), check it
    and return its manifest."""
    if fmt not in MODEL_FORMATS:
        raise ExportError(f"format must be one of {', '.join(MODEL_FORMATS)}, got {fmt!r}")
    run = workspace_run(run)
    which = effective_which(run, which)
    out = check_destination(run, Path(out) if out else default_out(run, fmt, which), overwrite, fmt)
    if model is None:
        report("loading the model")
        model = load_for_export(run, which)
    return _write_export(run, model, fmt, which, out, report)


def _write_export(run: Run, model, fmt: str, which: str, out: Path, report: Report) -> dict:
    """Write, check and move into place one model export; nothing is left at ``out`` if it fails."""
    spec = MODEL_FORMATS[fmt]
    source = run.trained_model_path(which)
    started = time.time()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(out)
    tmp.mkdir()
    try:
        serving = serving_model(model)
        feed = check_inputs(model)
        expected = _call(serving, feed)
        report(f"writing {spec.title}")
        artifact = _WRITERS[fmt](model, serving, tmp)
        written_s = time.time() - started
        report(f"checking it with {spec.runtime}")
        check = _check(fmt, artifact, feed, expected, model)
        manifest = _manifest(run, model, fmt, which, source, artifact, check, written_s, time.time() - started)
        write_json(tmp / MANIFEST, manifest)
        _shareable(tmp)
        _replace(tmp, out)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"the {spec.title} export failed: {type(exc).__name__}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(f"{spec.title} written to {out} and checked (max abs difference {check['max_abs_diff']:.2g})")
    return {**manifest, "path": str(out)}


def _manifest(run, model, fmt, which, source, artifact: Path, check, written_s, total_s) -> dict:
    import keras

    h, w, c = model.config.image_shape
    inputs = [{"name": "z", "dtype": "float32", "shape": [None, model.config.latent_dim]}]
    if model.conditional:
        inputs.append({"name": "labels", "dtype": "int32", "shape": [None], "classes": model.config.num_classes})
    outputs = [
        {"name": "images", "dtype": "uint8", "shape": [None, h, w, c], "range": [0, 255]},
        {"name": "pixels", "dtype": "float32", "shape": [None, h, w, c], "range": [0.0, 1.0]},
    ]
    if fmt == "keras":  # the network as trained: its own input names, one output in the model's own range
        low = -1.0 if model.output_activation == "tanh" else 0.0
        outputs = [{"name": "output", "dtype": "float32", "shape": [None, h, w, c], "range": [low, 1.0]}]
        for spec, tensor in zip(inputs, model.sampling_network.inputs, strict=True):
            spec["name"] = tensor.name
    size = folder_bytes(artifact) if artifact.is_dir() else artifact.stat().st_size
    return {
        "genlab_export": 1,
        "format": fmt,
        "title": MODEL_FORMATS[fmt].title,
        "artifact": artifact.name,
        "bytes": size,
        "run_id": run.id,
        "family": model.family,
        "which": which,
        "epoch": int(model.trained_epochs.numpy()),
        "source": str(source.relative_to(run.path)) if source else None,
        "latent_dim": model.config.latent_dim,
        "sample_std": model.config.sample_std,
        "conditional": model.conditional,
        "inputs": inputs,
        "outputs": outputs,
        "check": check,
        "seconds": {"write": round(written_s, 3), "total": round(total_s, 3)},
        "created_at": time.time(),
        "keras": keras.__version__,
    }


def read_exports(run: Run) -> list[dict]:
    """The manifests of the run's own exports (newest first), each with its ``path``."""
    found = []
    folder = exports_dir(run)
    for manifest in folder.glob(f"*/{MANIFEST}") if folder.is_dir() else ():
        if manifest.parent.name.startswith("."):
            continue
        try:
            found.append({**json.loads(manifest.read_text()), "path": str(manifest.parent)})
        except (OSError, ValueError):
            continue
    return sorted(found, key=lambda m: -m.get("created_at", 0))


def read_bundles(run: Run) -> list[tuple[Path, int, float]]:
    """(path, bytes, mtime) of the run's bundles, newest first; files removed meanwhile are left out."""
    found = []
    folder = exports_dir(run)
    for path in folder.glob("*.zip") if folder.is_dir() else ():
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path, stat.st_size, stat.st_mtime))
    return sorted(found, key=lambda item: -item[2])


def folder_zip_bytes(folder: Path) -> bytes:
    """A folder (an export) as the bytes of a .zip, for a download button."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_folder(zf, folder, folder.name)
    return buf.getvalue()


def _add_folder(zf: zipfile.ZipFile, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            _zip_file(zf, f"{prefix}/{path.relative_to(folder)}", path.read_bytes())


def _zip_file(zf: zipfile.ZipFile, name: str, data: bytes | str) -> None:
    """One entry, readable by everyone once unpacked (the workspace's own files are private to its user)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _shareable(path: Path) -> None:
    """Files of an export readable by everyone, as a download or a copy would be (temporary files are 0600)."""
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        p.chmod(0o755 if p.is_dir() else 0o644)


# -- metrics as CSV -------------------------------------------------------------
CSV_LEAD = ("kind", "epoch", "step", "time", "time_utc")


def metrics_csv(run: Run) -> str:
    """metrics.jsonl as CSV: one row per step, epoch and evaluation record (column ``kind``), in order;
    the columns are every key any record has, the bookkeeping ones first (``time`` in Unix seconds,
    ``time_utc`` readable). ExportError if the run has logged nothing yet."""
    order = {"step": 0, "epoch": 1, "eval": 2}  # within an epoch: its steps, the epoch's means, its evaluation
    records = sorted(run.metrics(), key=lambda r: (r.get("epoch", 0), order.get(r.get("kind"), 3), r.get("step") or 0))
    if not records:
        raise ExportError(f"run {run.id} has no metrics yet (nothing is logged before its first steps)")
    for record in records:
        if isinstance(record.get("time"), (int, float)):
            record["time_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record["time"]))
    keys = [k for k in CSV_LEAD if any(k in r for r in records)]
    for record in records:
        keys += [k for k in record if k not in keys and not isinstance(record[k], (dict, list))]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()


def export_csv(run: Run | str, out: str | Path | None = None, overwrite: bool = False) -> dict:
    run = workspace_run(run)
    out = check_destination(run, Path(out) if out else default_out(run, "csv"), overwrite, "csv")
    text = metrics_csv(run)
    with atomic_path(out) as tmp:
        tmp.write_text(text)
        _shareable(tmp)
    return {"format": "csv", "path": str(out), "rows": text.count("\n") - 1, "bytes": out.stat().st_size}


# -- the run bundle -------------------------------------------------------------
def export_bundle(
    run: Run | str,
    out: str | Path | None = None,
    which: str = "best",
    formats: tuple[str, ...] = BUNDLE_DEFAULT_FORMATS,
    overwrite: bool = False,
    report: Report = _silent,
) -> dict:
    """One .zip: config.json, the generator in ``formats`` (each checked), the final and best grids,
    the training GIF, metrics.csv and a README that shows how to load and sample it."""
    from .explore import training_gif
    from .images import make_grid, save_png

    bad = [f for f in formats if f not in MODEL_FORMATS]
    if bad or not formats:
        got = ", ".join(formats) or "none"
        raise ExportError(f"bundle formats must be among {', '.join(MODEL_FORMATS)}, got {got}")
    run = workspace_run(run)
    which = effective_which(run, which)
    out = check_destination(run, Path(out) if out else default_out(run, "bundle", which), overwrite, "bundle")
    report("loading the model")
    model = load_for_export(run, which)
    work = _temp_sibling(out)
    work.mkdir(parents=True)
    try:
        manifests = {}
        for fmt in formats:
            manifests[fmt] = _write_export(run, model, fmt, which, work / fmt, report)
        report("adding grids, GIF and metrics")
        extra = work / "extra"
        extra.mkdir()
        images, ncols = model.sample_grid(run.read_config()["train"].get("seed", 0))
        save_png(make_grid(images, ncols), extra / f"grid-{which}.png")
        if run.latest_sample_path.is_file():
            shutil.copyfile(run.latest_sample_path, extra / "grid-final.png")
        gif = training_gif(run)
        if gif:
            shutil.copyfile(gif, extra / "training.gif")
        (extra / "metrics.csv").write_text(metrics_csv(run))
        readme = bundle_readme(run, model, which, manifests)
        with atomic_path(out) as tmp_zip, zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as zf:
            _zip_file(zf, "README.md", readme)
            _zip_file(zf, "config.json", run.config_path.read_bytes())
            for path in sorted(extra.iterdir()):
                _zip_file(zf, path.name, path.read_bytes())
            for fmt in formats:
                _add_folder(zf, work / fmt, fmt)
            _shareable(tmp_zip)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(f"bundle written to {out}")
    return {
        "format": "bundle",
        "path": str(out),
        "bytes": out.stat().st_size,
        "formats": {f: m["check"] for f, m in manifests.items()},
        "which": which,
        "epoch": int(model.trained_epochs.numpy()),
    }


def _grid_code(h: int, w: int, c: int) -> str:
    pick = "grid[..., 0]" if c == 1 else "grid"
    return (
        f"grid = images.reshape(4, 4, {h}, {w}, {c}).transpose(0, 2, 1, 3, 4).reshape(4 * {h}, 4 * {w}, {c})\n"
        f'Image.fromarray({pick}).save("samples.png")'
    )


def sampling_snippet(fmt: str, model, artifact_path: str) -> str:
    """Plain Python that loads the export at ``artifact_path`` and saves a 4x4 grid as samples.png."""
    h, w, c = model.config.image_shape
    d, std = model.config.latent_dim, model.config.sample_std
    lines = [
        "import numpy as np",
        "from PIL import Image",
        "",
        f'z = np.random.default_rng(0).standard_normal((16, {d})).astype("float32")'
        + (f" * np.float32({std})" if std != 1.0 else ""),
    ]
    if model.conditional:
        k = model.config.num_classes
        lines.append(f'labels = (np.arange(16) % {k}).astype("int32")  # the class of each image')
    names = ["z", "labels"] if model.conditional else ["z"]
    feed = ", ".join(f"{k}={k}" for k in names)
    if fmt == "savedmodel":
        lines[:0] = ["import tensorflow as tf"]
        lines += [
            f'draw = tf.saved_model.load("{artifact_path}").signatures["serving_default"]',
            "images = draw(" + ", ".join(f"{k}=tf.constant({k})" for k in names) + ')["images"].numpy()',
        ]
    elif fmt == "onnx":
        lines[:0] = ["import onnxruntime as ort"]
        lines += [
            f'session = ort.InferenceSession("{artifact_path}", providers=["CPUExecutionProvider"])',
            'images = session.run(["images"], {' + ", ".join(f'"{k}": {k}' for k in names) + "})[0]",
        ]
    elif fmt == "litert":
        lines[:0] = ["from ai_edge_litert.interpreter import Interpreter"]
        lines += [
            f'draw = Interpreter(model_path="{artifact_path}").get_signature_runner("serving_default")',
            f'images = draw({feed})["images"]',
        ]
    else:
        lines[:0] = ["import keras", "import genlib.models.nets.convnets  # registers GenLab's own layers (attention)"]
        scale = "(out + 1) / 2" if model.output_activation == "tanh" else "out"
        call = "[z, labels]" if model.conditional else "z"
        lines += [
            f'generator = keras.saving.load_model("{artifact_path}")',
            f"out = np.asarray(generator({call}, training=False))",
            f'images = np.round(np.clip({scale}, 0, 1) * 255).astype("uint8")',
        ]
    lines.append(f"# images: uint8, shape (16, {h}, {w}, {c})")
    return "\n".join(lines) + "\n" + _grid_code(h, w, c) + "\n"


def bundle_readme(run: Run, model, which: str, manifests: dict[str, dict]) -> str:
    cfg = run.read_config()
    train = cfg.get("train", {})
    h, w, c = model.config.image_shape
    epoch = int(model.trained_epochs.numpy())
    kind = "best model (lowest in-training FID)" if which == "best" and run.best() else "last checkpoint"
    parts = [
        f"# {run.id}",
        "",
        f"A {model.title} ({model.family}) trained by GenLab on the `{train.get('dataset')}` dataset; "
        f"this is its {kind}, "
        f"epoch {epoch}. It draws {h}x{w} images with {c} channel{'s' if c > 1 else ''} "
        f"from a latent vector of {model.config.latent_dim} standard-normal numbers"
        + (f" and a class from 0 to {model.config.num_classes - 1}." if model.conditional else "."),
        "",
        "## What is here",
        "",
        "- `config.json`: the run's settings (training and model).",
        "- `metrics.csv`: every logged step, epoch and evaluation (column `kind`).",
        f"- `grid-{which}.png`: 64 samples from this model; `grid-final.png`: the last epoch's grid; "
        "`training.gif`: the grids epoch by epoch.",
    ]
    for fmt, m in manifests.items():
        check = m["check"]
        parts.append(
            f"- `{fmt}/`: {MODEL_FORMATS[fmt].title} ({MODEL_FORMATS[fmt].use}). Checked with {check['runtime']} "
            f"on {check['n']} latent vectors: max abs difference {check['max_abs_diff']:.2g} from the Keras model. "
            f"Details in `{fmt}/{MANIFEST}`."
        )
    parts += [
        "",
        "Inputs: `z` (float32, shape (n, latent_dim))"
        + (", `labels` (int32, shape (n,))" if model.conditional else "")
        + ". Outputs: `images` (uint8, 0..255) and `pixels` (float32, 0..1), shape (n, H, W, C).",
        "",
        "## Sample it in plain Python",
        "",
        "Run from this folder after unpacking; each snippet saves a 4x4 grid as `samples.png`.",
    ]
    packages = {
        "savedmodel": "`pip install tensorflow numpy pillow`",
        "onnx": "`pip install onnxruntime numpy pillow`",
        "litert": "`pip install ai-edge-litert numpy pillow`",
        "keras": "TensorFlow, Keras and GenLab's `genlib` importable",
    }
    for fmt, m in manifests.items():
        path = f"{fmt}/{m['artifact']}"
        parts += [
            "",
            f"### {MODEL_FORMATS[fmt].title} ({packages[fmt]})",
            "",
            "```python",
            sampling_snippet(fmt, model, path).rstrip(),
            "```",
        ]
    return "\n".join(parts) + "\n"


def export(
    run: Run | str,
    fmt: str,
    out: str | Path | None = None,
    which: str = "best",
    overwrite: bool = False,
    bundle_formats: tuple[str, ...] = BUNDLE_DEFAULT_FORMATS,
    report: Report = _silent,
) -> dict:
    """Any of ``FORMATS``: what the CLI and the app's export task call."""
    if fmt == "csv":
        return export_csv(run, out, overwrite)
    if fmt == "bundle":
        return export_bundle(run, out, which, tuple(bundle_formats), overwrite, report)
    if fmt in MODEL_FORMATS:
        return export_model(run, fmt, out, which, overwrite, report)
    raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
