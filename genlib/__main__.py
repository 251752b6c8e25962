"""Command line: python -m genlib {datasets,models,import,train,sample,eval,runs,bench}.

    python -m genlib datasets [--delete NAME]
    python -m genlib import t10k-images-idx3-ubyte.gz --name mnist-test
    python -m genlib train --dataset mnist-test --family dcgan --epochs 3
    python -m genlib sample RUN --n 64 --out grid.png
    python -m genlib eval RUN [RUN ...]
    python -m genlib export RUN --format onnx [--out FOLDER]
    python -m genlib bench
    python -m genlib speed config.json
    python -m genlib worker            # run queued jobs (the app starts one by itself)

User mistakes print one line ("error: ...") and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

from .errors import GenlibError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command in _NEEDS_KERAS:
            from .training.backends import import_quietly

            import_quietly()
        return args.func(args) or 0
    except GenlibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


_NEEDS_KERAS = {"train", "sample", "bench", "models", "eval", "speed", "export"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m genlib", description="GenLab's generative model library.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("datasets", help="list datasets, or delete an imported one")
    d.add_argument("--delete", metavar="NAME", help="delete the imported dataset NAME")
    d.set_defaults(func=cmd_datasets)
    m = sub.add_parser("models", help="list model families, presets and config fields")
    m.add_argument("family", nargs="?", help="show one family's fields")
    m.set_defaults(func=cmd_models)

    i = sub.add_parser("import", help="import IDX / .npz / .npy / .zip as a named dataset")
    i.add_argument("path")
    i.add_argument("--name", required=True)
    i.add_argument("--labels", help="labels file (IDX, .npy or .npz), for sets shipped as images + labels files")
    i.add_argument("--overwrite", action="store_true")
    i.set_defaults(func=cmd_import)

    t = sub.add_parser("train", help="train a model (in this process)")
    t.add_argument("--dataset", help="dataset name (default: digits)")
    t.add_argument("--family", help="model family (default: gan)")
    t.add_argument("--preset", help="family preset (default: the family's first)")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="any model or training config field, e.g. --set latent_dim=64 (repeatable)",
    )
    t.add_argument("--run-dir", help="run directory (default: workspace/runs/<new id>)")
    t.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --run-dir from its checkpoint; with --epochs N, train on to epoch N "
        "(also a completed run); nothing else may change",
    )
    t.add_argument("--standby", action="store_true", help=argparse.SUPPRESS)  # the worker's warm process
    t.add_argument("--queued", action="store_true", help=argparse.SUPPRESS)  # started by the worker
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("sample", help="write a grid of generated images from a run")
    s.add_argument("run", help="run id or run directory")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", default="grid.png")
    s.add_argument("--which", choices=("best", "last"), default="best", help="best (lowest FID) or last model")
    s.set_defaults(func=cmd_sample)

    e = sub.add_parser("eval", help="quality metrics of runs (FID-style, IS, precision/recall, coverage)")
    e.add_argument("runs", nargs="+", metavar="RUN", help="run ids or run directories")
    e.add_argument("--n", type=int, default=10_000, help="samples to generate (default 10000)")
    e.add_argument("--force", action="store_true", help="recompute even if eval.json is current")
    e.add_argument("--json", action="store_true", help="print the results as JSON")
    e.add_argument("--inception", action="store_true", help="add standard FID (InceptionV3; needs a network)")
    e.add_argument("--which", choices=("best", "last"), default="best", help="best (lowest FID) or last model")
    e.set_defaults(func=cmd_eval)

    x = sub.add_parser(
        "export",
        help="the generator as SavedModel, LiteRT, ONNX or .keras (checked by loading it back), metrics as CSV, "
        "or a .zip bundle of it all",
    )
    x.add_argument("run", help="run id, or its directory in this workspace")
    x.add_argument("--format", required=True, choices=("savedmodel", "litert", "onnx", "keras", "csv", "bundle"))
    x.add_argument(
        "--out",
        help="a folder for a model format, a .csv or a .zip file (default: the run's exports/ folder); "
        "outside the workspace",
    )
    x.add_argument("--which", choices=("best", "last"), default="best", help="best (lowest FID) or last model")
    x.add_argument(
        "--bundle-formats",
        default="savedmodel,onnx",
        metavar="F,F",
        help="model formats in a bundle (default savedmodel,onnx)",
    )
    x.add_argument("--overwrite", action="store_true", help="replace --out if it exists (never a non-export folder)")
    x.add_argument("--json", action="store_true", help="print the manifest as JSON")
    x.set_defaults(func=cmd_export)

    sp = sub.add_parser("speed", help="measure seconds per epoch of a run config on this machine (JSON)")
    sp.add_argument("config", help="a config.json (train + model), as runs store it")
    sp.set_defaults(func=cmd_speed)

    w = sub.add_parser("worker", help="start queued runs and tasks (the app starts one itself when needed)")
    w.add_argument("--idle-exit", type=float, default=None, metavar="S", help="exit after S seconds with nothing to do")
    w.set_defaults(func=cmd_worker)

    k = sub.add_parser("task", help=argparse.SUPPRESS)  # an import or evaluation queued by the app
    k.add_argument("--run-dir", required=True)
    k.set_defaults(func=cmd_task)

    r = sub.add_parser("runs", help="list runs")
    r.set_defaults(func=cmd_runs)

    b = sub.add_parser(
        "bench",
        help="throughput: the seeds' training loop vs genlib's step, then per family genlib's whole job, "
        "its step alone and Keras fit",
    )
    b.add_argument("--seconds", type=float, default=10.0, help="timed seconds per loop")
    b.add_argument("--batch-size", type=int, default=128)
    b.add_argument(
        "--families",
        default=",".join(("gan", "dcgan", "cgan", "vae", "cvae")),
        help="families for the per-family table, comma-separated ('' for none)",
    )
    b.set_defaults(func=cmd_bench)
    return p


def cmd_datasets(args) -> None:
    from .data import delete_dataset, list_datasets

    if args.delete:
        delete_dataset(args.delete)
        print(f"deleted dataset {args.delete}")
        return

    for d in list_datasets():
        print(f"{d.name:16} {'built-in' if d.builtin else 'imported':9} {d.description}")


def cmd_models(args) -> None:
    from .models import get_family, list_families

    families = [args.family] if args.family else list_families()
    for name in families:
        cls = get_family(name)
        print(f"{name:7} {cls.title}: {cls.description}  presets: {', '.join(cls.presets)}")
        if args.family:
            for f in cls.config_class.field_info():
                print(f"    {f['name']:18} {f['type']:10} default {f['default']!s:18} {f['help']}")


def cmd_import(args) -> None:
    from .data import import_dataset

    ds = import_dataset(args.path, args.name, labels_path=args.labels, overwrite=args.overwrite)
    h, w, c = ds.image_shape
    labelled = f"{ds.num_classes} classes" if ds.labels is not None else "no labels"
    print(f"imported {args.name}: {len(ds):,} images {h}x{w}x{c}, {labelled}")


def _split_overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise GenlibError(f"--set expects FIELD=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def cmd_worker(args) -> None:
    from .runs.worker import IDLE_EXIT_S, Worker

    Worker().serve(IDLE_EXIT_S if args.idle_exit is None else args.idle_exit)


def cmd_task(args) -> int:
    from .runs import Run
    from .runs.tasks import run_task

    status = run_task(Run(args.run_dir))
    return 0 if status["state"] == "completed" else 1


def _wait_for_order(args) -> bool:
    """The warm process: everything imported, wait for the worker to name a run; False if it never does."""
    import json

    from . import metrics, models  # noqa: F401  (imported now, so the job starts without waiting)
    from .training.backends import backend, record_device

    models.import_models()  # the Keras model classes, and with them Keras and TensorFlow
    backend().configure()
    record_device()
    line = sys.stdin.readline()
    if not line.strip():
        return False
    order = json.loads(line)
    args.run_dir, args.resume, args.queued = order["run_dir"], bool(order.get("resume")), True
    log = os.open(Path(args.run_dir) / "log.txt", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    return True


def cmd_train(args) -> int:
    from .models import get_family, make_config
    from .runs import Run, RunStore, create_run_dir
    from .training import TrainConfig, Trainer, build_config

    if args.standby and not _wait_for_order(args):
        return 0
    run = Run(args.run_dir) if args.run_dir else None
    if run is not None and run.exists():
        state = run.raw_status().get("state")
        if not args.resume and state != "queued":
            raise GenlibError(f"{run.path} already holds a run ({state}); add --resume to continue it")
        if args.resume:
            _check_resume_args(args, run)
            if args.epochs is not None and args.epochs != run.read_config()["train"]["epochs"]:
                if run.trainer_alive():  # its config is being read by that trainer: change nothing
                    raise GenlibError(f"{run.path} is being trained right now; stop it before extending it")
                run.extend(args.epochs)
    else:
        if args.resume:
            raise GenlibError(f"nothing to resume: {args.run_dir or 'no --run-dir given'}")
        args.dataset, args.family = args.dataset or "digits", args.family or "gan"
        family = get_family(args.family)
        train_fields, model_fields = {}, {}
        for key, text in _split_overrides(args.set).items():
            if key in TrainConfig.__dataclass_fields__:
                train_fields[key] = TrainConfig.parse_value(key, text)
            else:
                model_fields[key] = family.config_class.parse_value(key, text)
        for key in ("epochs", "batch_size", "seed"):
            if getattr(args, key) is not None:
                train_fields[key] = getattr(args, key)
        preset = args.preset or next(iter(family.presets))
        from .data import load_dataset

        shape = load_dataset(args.dataset).image_shape  # rules on sizes (attention) are judged at the data's size
        model_cfg = make_config(args.family, preset, **{"image_shape": shape, **model_fields})
        train_cfg = TrainConfig(dataset=args.dataset, family=args.family, preset=preset, **train_fields)
        config = build_config(train_cfg, model_cfg)
        config["owner"] = "local"  # the command line acts as the machine's owner (genlib/access.py)
        run = create_run_dir(args.run_dir, config, here=True) if args.run_dir else RunStore().create(config, here=True)
    print(f"run directory: {run.path}", flush=True)
    # A job the worker started writes to log.txt already; one started here also keeps its log there,
    # so the app can show it like any other run's.
    with contextlib.ExitStack() as stack:
        if not args.queued:
            log = stack.enter_context(open(run.log_path, "a", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(_Tee(sys.stdout, log)))
        status = Trainer(run, resume=args.resume, report=_print_progress, queued=args.queued).fit()
        print(f"{status['state']}: {run.path}")
    return 0 if status["state"] in ("completed", "stopped") else 1


class _Tee(io.TextIOBase):
    """Text written to every stream given (the terminal and the run's log)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def _check_resume_args(args, run) -> None:
    """A resume continues the run as configured: only --epochs may be given; anything else is refused."""
    train = run.read_config()["train"]
    changed = [f"--set {item}" for item in args.set]
    for flag, key in (("--dataset", "dataset"), ("--family", "family"), ("--preset", "preset")):
        value = getattr(args, key)
        if value is not None and value != train.get(key):
            changed.append(f"{flag} {value}")
    for flag, key in (("--batch-size", "batch_size"), ("--seed", "seed")):
        value = getattr(args, key)
        if value is not None and value != train.get(key):
            changed.append(f"{flag} {value}")
    if changed:
        raise GenlibError(
            f"--resume continues run {run.id} as it was configured; only --epochs can change, "
            f"but {', '.join(changed)} was given. Start a new run (with --set warm_start={run.id} to "
            "begin from its weights) to train with other settings."
        )


_PROGRESS_FIELDS = {"kind", "epoch", "step", "time", "images_per_s", "steps_per_epoch", "epochs", "epoch_step", "eta_s"}


def _print_progress(info: dict) -> None:
    """One line per logged step: every value the model logs (whatever its loss), then speed and ETA."""
    losses = "  ".join(f"{k} {v:.4f}" for k, v in info.items() if k not in _PROGRESS_FIELDS)
    eta = info.get("eta_s")
    eta_text = time.strftime("%M:%S", time.gmtime(eta)) if eta is not None and eta < 360000 else "--:--"
    print(
        f"epoch {info['epoch']}/{info['epochs']}  step {info['epoch_step']}/{info['steps_per_epoch']}  "
        f"{losses}  {info['images_per_s']:.0f} img/s  ETA {eta_text}",
        flush=True,
    )


def cmd_eval(args) -> None:
    import json

    from .metrics import METRICS, evaluate_run

    if not 100 <= args.n <= 50_000:
        raise GenlibError(f"--n must be between 100 and 50000, got {args.n}")
    results = []
    for text in args.runs:
        run = _resolve_run(text)
        report = (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else print
        results.append(
            evaluate_run(run, n=args.n, report=report, force=args.force, inception=args.inception, which=args.which)
        )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    first = results[0]
    print(
        f"\n{first['dataset']} evaluator: held-out accuracy {first['evaluator_accuracy']:.1%}; "
        f"{first['n']:,} samples per run"
    )
    names = [r["run_id"] for r in results] + ["real data (held-out half)"]
    rows = [r["scores"] for r in results] + [first["baseline"]]
    width = max(len(n) for n in names)
    print(f"{'':26}" + "".join(f"  {n[-width:]:>{width}}" for n in names))
    for key, (label, _) in METRICS.items():
        print(f"{label:26}" + "".join(f"  {_fmt(key, row.get(key)):>{width}}" for row in rows))
    if any("inception_fid" in r["scores"] for r in results):
        print(
            f"{'FID (InceptionV3) ↓':26}" + "".join(f"  {_fmt('fid', r.get('inception_fid')):>{width}}" for r in rows)
        )
    for r in results:
        print(f"{r['run_id']}: epoch {r['epoch']}, {r['seconds']:.1f} s")


def _fmt(key: str, value) -> str:
    if value is None:
        return "-"
    if key in ("coverage", "copy_share"):
        return f"{value:.0%}"
    return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"


def _resolve_run(text: str):
    from .runs import Run, RunStore

    path = Path(text)
    if path.is_dir() and (path / "config.json").is_file():
        return Run(path)
    return RunStore().get(text)


def cmd_sample(args) -> None:
    from .explore import load_run_model
    from .images import make_grid, save_png

    run = _resolve_run(args.run)
    model = load_run_model(run, args.which)
    if model is None:
        raise GenlibError(f"run {run.id} has no saved model yet (no checkpoint)")
    if not 1 <= args.n <= 1024:
        raise GenlibError(f"--n must be between 1 and 1024, got {args.n}")
    images = model.generate(args.n, seed=args.seed)
    save_png(make_grid(images, ncols=min(8, args.n)), args.out)
    print(f"wrote {args.n} samples from {run.id} (epoch {int(model.trained_epochs.numpy())}) to {args.out}")


def cmd_export(args) -> None:
    import json

    from .export import export

    formats = tuple(f.strip() for f in args.bundle_formats.split(",") if f.strip())
    report = (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else print
    result = export(args.run, args.format, args.out, args.which, args.overwrite, formats, report=report)
    if args.json:
        print(json.dumps(result, indent=2))
    elif "check" in result:
        check = result["check"]
        print(
            f"{result['title']}: {result['bytes'] / 1e6:.2f} MB in {result['seconds']['total']:.1f} s; "
            f"{check['runtime']} matches the Keras model within {check['max_abs_diff']:.2g} on {check['n']} latents"
        )
    else:
        print(f"wrote {result['path']} ({result['bytes'] / 1e6:.2f} MB)")


def cmd_speed(args) -> None:
    import json

    from .io import read_json
    from .training.speed import measure

    path = Path(args.config)
    if not path.is_file():
        raise GenlibError(f"no such file: {path}")
    try:
        config = read_json(path)
    except ValueError as exc:
        raise GenlibError(f"{path.name} is not JSON ({exc})") from None
    print(json.dumps(measure(config)))


def cmd_runs(args) -> None:
    from .runs import RunStore

    runs = RunStore().list()
    if not runs:
        print("no runs yet: python -m genlib train")
    for run in runs:
        s = run.summary()
        losses = " ".join(f"{k}={v:.3f}" for k, v in s.get("losses", {}).items() if k.endswith("loss"))
        print(
            f"{s['run_id']:48} {s['state']:11} {s.get('family') or '':6} {s.get('dataset') or '':12} "
            f"epoch {s.get('epoch', 0)}/{s.get('epochs')}  {losses}"
        )


def cmd_bench(args) -> None:
    from .models import get_family
    from .training.bench import run_bench, run_family_table

    families = [f for f in args.families.split(",") if f]
    for family in families:
        get_family(family)  # an unknown name fails here, before any timing
    run_bench(seconds=args.seconds, batch_size=args.batch_size)
    if families:
        run_family_table(families, seconds=args.seconds, batch=args.batch_size)


if __name__ == "__main__":
    sys.exit(main())
