"""The trainer: runs a compiled step over a dataset and keeps the run directory current.

    python -m genlib train --dataset digits --family gan --epochs 5

Per epoch it appends metrics, writes the fixed-latent sample grid and an atomic
checkpoint. SIGTERM (or Ctrl-C) stops it after the current step with status
``stopped``; ``--resume`` continues from the last checkpoint to the same number
of epochs.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..access import Limits
from ..data import load_dataset
from ..data.augment import Augment
from ..errors import GenlibError
from ..images import make_grid, save_png
from ..io import append_jsonl, atomic_path, folder_bytes
from ..runs.store import Run
from .config import TrainConfig
from .warm import warm_start

_LATER = object()  # the evaluator, before its first use

Report = Callable[[dict], None]
STATUS_EVERY_S = 1.0  # how often status.json is refreshed mid-epoch
QUOTA_CHECK_EVERY = 50  # epochs between measurements of the run folder against its disk quota


def sample_stride(epoch: int) -> int:
    """How far apart kept grids are around ``epoch``: 1 to epoch 100, 10 to 1,000, 100 to 10,000..."""
    return 10 ** max(len(str(epoch - 1)) - 2, 0) if epoch > 100 else 1


def keep_sample(epoch: int) -> bool:
    """Which epochs keep their sample grid: all of the first 100, then every 10th to 1,000,
    every 100th to 10,000, and so on. A 10,000-epoch run keeps 280 grids, not 10,000;
    ``samples/latest.png`` always shows the newest."""
    return epoch % sample_stride(epoch) == 0


ALWAYS_GRID_EPOCHS = 10  # a short demo's gallery shows every epoch, whatever grid_every_s says


class Diverged(GenlibError):
    pass


def fit_to_dataset(train: TrainConfig, model_config):
    """The model config with the dataset's image shape and classes; fails early on a bad pairing."""
    from ..models import get_family

    ds = load_dataset(train.dataset)
    if get_family(train.family).conditional and ds.labels is None:
        raise GenlibError(f"{train.family} needs class labels, but dataset {train.dataset!r} has none")
    return model_config.replace(image_shape=ds.image_shape, num_classes=ds.num_classes)


def build_config(train: TrainConfig, model_config) -> dict:
    """The dict stored as config.json, with the model fitted to the dataset.

    Loads the dataset first, so a bad choice fails before any run directory exists.
    """
    import keras
    import tensorflow as tf

    model_config = fit_to_dataset(train, model_config)
    if train.warm_start:
        from ..runs.store import RunStore
        from .warm import check_warm_start

        check_warm_start(train, model_config, RunStore().root)
    return {
        "train": train.to_dict(),
        "model": model_config.to_dict(),
        "versions": {
            "genlib": __version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
        },
    }


class Trainer:
    """Train the run in ``run`` (its config.json must exist)."""

    def __init__(self, run: Run, resume: bool = False, report: Report | None = None, queued: bool = False):
        self.run = run
        self.resume = resume
        self.queued = queued  # handed out by the worker: train only if nobody stopped it meanwhile
        self.report = report or (lambda info: None)
        cfg = run.read_config()
        self.train_cfg = TrainConfig.from_dict(cfg["train"])
        self.model_cfg_dict = cfg["model"]
        self.quota_bytes = Limits.from_env().disk_mb_per_run << 20
        self._stop = False
        self.tensorboard = None  # a TensorBoardLog while training, if the run asks for one

    # -- signals ---------------------------------------------------------
    def request_stop(self, *_args) -> None:
        self._stop = True

    def _install_signal_handlers(self) -> dict:
        """Route SIGTERM/SIGINT to a clean stop; return the old handlers to restore."""
        if threading.current_thread() is not threading.main_thread():
            return {}  # signals can only be handled in the main thread
        return {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    # -- main entry ------------------------------------------------------
    def fit(self) -> dict:
        """Train to ``epochs``; return the final status. Errors are recorded, then re-raised."""
        import os

        with self.run.lock():  # one trainer per run: a second one stops here, touching nothing
            if self.queued and self.run.raw_status().get("state") != "queued":
                self._log("stopped before it started; nothing to do")
                return self.run.raw_status()
            started = time.time()
            self.run.update_status(
                state="running",
                pid=os.getpid(),
                started_at=started,
                finished_at=None,
                error=None,
                eta_s=None,
                stopped_early=None,
                phase="loading the data and building the model",
            )
            self._clean_leftovers()
            previous = self._install_signal_handlers()
            try:
                final_state = self._train()
            except Exception as exc:
                message = str(exc) if isinstance(exc, GenlibError) else f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, GenlibError):
                    traceback.print_exc()
                self.run.update_status(state="failed", error=message, finished_at=time.time(), eta_s=None, phase=None)
                raise
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                if self.tensorboard:
                    self.tensorboard.close()
                    self.tensorboard = None
            return self.run.update_status(state=final_state, finished_at=time.time(), eta_s=None, phase=None)

    def _train(self) -> str:
        job = self._prepare()
        epoch = job.first_epoch - 1
        for epoch in range(job.first_epoch, job.tc.epochs + 1):
            outcome, record = self._run_epoch(job, epoch)
            if outcome == "stopped":
                self._checkpoint_last_epoch(job)
                return "stopped"
            self._end_epoch(job, epoch, record)
            # The epoch is done: say so before an evaluation (the first prepares the classifier, seconds).
            losses = {k: v for k, v in record.items() if k in job.keys and k != "lr"}
            timer = job.timer
            self.run.update_status(epoch=epoch, step=0, images_per_s=timer.rate(), eta_s=timer.eta(), losses=losses)
            no_better = self._maybe_evaluate(job, epoch, out_of_time=outcome == "out of time")
            if outcome == "out of time":
                self.run.update_status(stopped_early=f"time budget of {job.tc.time_budget_s:g} s reached")
                break
            if no_better:
                best = self.run.raw_status()["best"]
                self._log(f"early stopping at epoch {epoch}: no better FID for {no_better} evaluations")
                self.run.update_status(
                    stopped_early=f"FID did not improve for {no_better} evaluations; "
                    f"the best model (FID {best['fid']:.2f}, epoch {best['epoch']}) is kept as checkpoints/best.keras"
                )
                break
            if epoch % QUOTA_CHECK_EVERY == 0 and folder_bytes(self.run.path) > self.quota_bytes:
                self._log(f"disk quota of {self.quota_bytes >> 20} MB reached at epoch {epoch}; stopping")
                self.run.update_status(stopped_early=f"disk quota of {self.quota_bytes >> 20} MB reached")
                break
        if job.snapshot.epoch is not None:  # the run ends here: its checkpoint is its last epoch
            self._checkpoint(job, job.snapshot.epoch)
        # a run that ended early (time budget, FID, quota) on an epoch without a grid gets one
        if epoch >= job.first_epoch and job.grid_epoch != epoch:
            self._render_epoch_grid(job, epoch, keep=True)
        self._save_final(job.model)
        return "completed"

    def _prepare(self) -> _Job:
        """Data on the device, the model (new or from the checkpoint), the compiled step, the status."""
        from ..models import create_model, get_family, load_model, log_keys
        from .backends import backend

        tc = self.train_cfg
        be = backend()
        be.configure()
        data_start = time.time()
        ds = load_dataset(tc.dataset)
        data_seconds = time.time() - data_start
        model_cfg = fit_to_dataset(tc, get_family(tc.family).config_class.from_dict(self.model_cfg_dict))

        import keras

        keras.utils.set_random_seed(tc.seed)
        model = None
        if self.resume and self.run.checkpoint_path.is_file():
            model = load_model(self.run.checkpoint_path)
            self._log(f"resumed from checkpoint at epoch {int(model.trained_epochs.numpy())}")
        if model is None:
            model = create_model(tc.family, model_cfg)
            if tc.warm_start:
                copied, epoch = warm_start(model, tc.warm_start, tc.warm_start_parts, self.run.path.parent)
                self._log(
                    f"warm start: {', '.join(copied)} copied from run {tc.warm_start} "
                    f"(its best model where it kept one, else its last: epoch {epoch})"
                )
        first_epoch = int(model.trained_epochs.numpy()) + 1
        if tc.tensorboard:
            from .tensorboard import FOLDER, TensorBoardLog

            self.tensorboard = TensorBoardLog(self.run.path / FOLDER, self.run.id, self.run.read_config())
        model.grow((first_epoch - 1) / tc.epochs)  # a run resumed past its half-size stage starts at full size

        data_start = time.time()
        images = be.to_device(ds.images)  # uint8: scaled batch by batch inside the step
        labels = be.to_device(ds.labels if ds.labels is not None else np.zeros(len(ds), np.int32), "int32")
        data_seconds += time.time() - data_start
        self._log(
            f"data loaded and on the device in {data_seconds:.2f} s: {len(ds)} images as uint8, "
            f"{ds.images.nbytes / 1e6:.0f} MB"
        )
        batch = min(tc.batch_size, len(ds))
        steps = len(ds) // batch
        total_images = (tc.epochs - first_epoch + 1) * steps * batch
        device = be.device_info().get("device", "CPU")
        xla = tc.jit_compile and be.use_xla(tc.family, device, total_images)
        if tc.jit_compile and not xla:
            from_images = be.XLA_MARGIN * be.xla_break_even(tc.family)
            self._log(
                f"XLA off: this run's {total_images:,} images would not repay its compile time "
                f"(measured for {tc.family} on a {device}); it is used from {from_images:,.0f}"
            )
        keys = log_keys(tc.family, model.config.to_dict())
        self.run.update_status(
            epoch=first_epoch - 1,
            epochs=tc.epochs,
            steps_per_epoch=steps,
            step=0,
            batch_size=batch,
            # what the logged values are, for charts, tables and health rules that read the run only
            log_keys={k: [v.kind, v.label] for k, v in keys.items()},
        )
        self._log(
            f"training {tc.family} on {tc.dataset} ({len(ds)} images {ds.image_shape}), "
            f"batch {batch}, {steps} steps/epoch, epochs {first_epoch}..{tc.epochs}"
        )
        compiling = "compiling the training step" + (" with XLA" if xla else "")
        self.run.update_status(phase=compiling, trained_side=model.trained_side)
        augment = Augment.from_train(tc)
        if augment.active:
            self._log(f"augmenting real images: {augment.describe()}")
        low = -1.0 if model.output_activation == "tanh" else 0.0

        def compile_step():
            if not augment.active:
                return be.compile_step(model, xla)
            return be.compile_step(model, xla, lambda x: augment(x, model.seed_generator, low, 1.0))

        return _Job(
            tc=tc,
            ds=ds,
            model=model,
            compile_step=compile_step,
            step_fn=compile_step(),
            images=images,
            labels=labels,
            batch=batch,
            steps=steps,
            first_epoch=first_epoch,
            keys=keys,
            timer=_Throughput(total_images=total_images, budget_s=tc.time_budget_s),
            snapshot=_Snapshot(model),
        )

    def _run_epoch(self, job: _Job, epoch: int) -> tuple[str, dict]:
        """One pass over the data: ("done" | "stopped" | "out of time", the epoch's record).

        Logged values are summed on the device and read (one wait for the device) at log
        points only: the process's first step, every ``log_every`` steps and the epoch's last.
        """
        tc, timer = job.tc, job.timer
        # the share done: of the epochs, or of the time budget if that ends the run sooner
        progress = min(
            1.0, max((epoch - 1) / tc.epochs, timer.elapsed() / tc.time_budget_s if tc.time_budget_s else 0.0)
        )
        if job.model.grow(progress):
            side = job.model.trained_side
            self._log(f"progressive training: growing to {side}x{side} at epoch {epoch}")
            self.run.update_status(phase=f"compiling the {side}x{side} step", trained_side=side, grown_at=epoch)
            job.step_fn = job.compile_step()
            job.recompiled = True
        self._reseed(job.model, epoch)
        learning_rate = job.model.set_training_progress(progress)  # the schedule, if any, by epochs or time budget
        order = np.random.default_rng([tc.seed, epoch]).permutation(len(job.ds)).astype(np.int32)
        epoch_means, window = _Means(), _Means()
        epoch_start, last_status = time.time(), 0.0
        outcome, done = "done", 0
        for s in range(job.steps):
            if self._stop:
                self._log(f"stop requested: ending at epoch {epoch} step {s}; checkpoint kept at epoch {epoch - 1}")
                return "stopped", {}
            if tc.time_budget_s and s and timer.elapsed() > tc.time_budget_s:
                self._log(f"time budget of {tc.time_budget_s:g} s reached at epoch {epoch} step {s}")
                outcome = "out of time"
                break
            logs = job.step_fn(job.images, job.labels, order[s * job.batch : (s + 1) * job.batch])
            epoch_means.add(logs)
            window.add(logs)
            done = s + 1
            if tc.sample_every and ((epoch - 1) * job.steps + done) % tc.sample_every == 0:
                self._step_grid(job, (epoch - 1) * job.steps + done)
            first = timer.t0 is None  # the process's first step: logged at once, so the curve starts now
            if first or done % tc.log_every == 0 or done == job.steps:
                values = window.read()  # waits for this step
                self._check_finite(values, epoch, done)
                if first or job.recompiled:
                    job.recompiled = False
                    compile_s = time.time() - epoch_start  # tracing, compiling and the first steps
                    self._log(f"training step compiled and run in {compile_s:.1f} s")
                    self.run.update_status(phase=None, compile_s=round(compile_s, 2))
                timer.add(job.batch * values.pop("_steps"))
                self._log_step(job, epoch, done, values)
            if time.time() - last_status > STATUS_EVERY_S:
                last_status = time.time()
                unread = job.batch * window.n  # steps run since the last log point count too
                rate, eta = timer.rate(unread), timer.eta(unread)
                self.run.update_status(epoch=epoch - 1, step=done, images_per_s=rate, eta_s=eta)
        means = epoch_means.read() if done else {"_steps": 0}
        means.pop("_steps")
        self._check_finite(means, epoch, done)
        record = {
            "kind": "epoch",
            "epoch": epoch,
            "time": time.time(),
            "seconds": time.time() - epoch_start,
            **means,
            "lr": learning_rate,
            "images_per_s": timer.rate(),
        }
        return outcome, record

    def _log_step(self, job: _Job, epoch: int, epoch_step: int, values: dict) -> None:
        record = {
            "kind": "step",
            "epoch": epoch,
            "step": (epoch - 1) * job.steps + epoch_step,
            "time": time.time(),
            **values,
            "images_per_s": job.timer.rate(),
        }
        append_jsonl(self.run.metrics_path, record)
        if self.tensorboard:
            self.tensorboard.scalars("step", values, record["step"])
        info = {"steps_per_epoch": job.steps, "epochs": job.tc.epochs, "epoch_step": epoch_step}
        self.report({**record, **info, "eta_s": job.timer.eta()})

    def _maybe_evaluate(self, job: _Job, epoch: int, out_of_time: bool) -> int:
        """Quality metrics every ``eval_every`` epochs, as long as evaluations have taken at most
        ``eval_share`` of the wall time, and always at the end; the evaluator is made at first use.

        A new lowest FID saves the model as ``checkpoints/best.keras``. Returns the number of
        evaluations since the best when that reaches ``early_stopping`` (time to stop), else 0.
        """
        tc = job.tc
        if not tc.eval_every or not (out_of_time or epoch == tc.epochs or epoch % tc.eval_every == 0):
            return 0
        last = out_of_time or epoch == tc.epochs
        if not last and job.eval_seconds > tc.eval_share * (time.time() - job.started):
            return 0  # evaluations have had their share of the wall time; a later due one will run
        since = int(self.run.raw_status().get("evals_since_best") or 0)
        if tc.early_stopping and since + 1 >= tc.early_stopping:  # this evaluation may end the run
            self._checkpoint(job, epoch)
        with job.timer.paused():
            if job.evaluator is _LATER:  # prepared once per dataset and cached: not counted in the share
                job.evaluator = self._evaluator(job.ds)
            started = time.time()
            try:
                if job.evaluator:
                    fid = self._evaluate(job.model, job.evaluator, epoch)
                    return self._keep_best(job.model, epoch, fid)
            except Exception as exc:  # keep training; say why the curve stops
                self._log(f"quality metrics off after epoch {epoch}: {type(exc).__name__}: {exc}")
                job.evaluator = None
            finally:
                job.eval_seconds += time.time() - started
        return 0

    def _keep_best(self, model, epoch: int, fid: float) -> int:
        """Save the model as best.keras if ``fid`` is the lowest yet; the early-stopping count, or 0."""
        status = self.run.raw_status()
        best = status.get("best")
        if best is None or fid < best["fid"] or not self.run.best_path.is_file():
            with atomic_path(self.run.best_path) as tmp:
                model.save(tmp)
            if not self.run.sample_path(epoch).is_file():  # the gallery shows the best epoch's grid
                save_png(self._grid(model), self.run.sample_path(epoch))
            self.run.update_status(best={"epoch": epoch, "fid": fid}, evals_since_best=0)
            return 0
        since = int(status.get("evals_since_best") or 0) + 1
        self.run.update_status(evals_since_best=since)
        patience = self.train_cfg.early_stopping
        return since if patience and since >= patience else 0

    # -- pieces ----------------------------------------------------------
    def _reseed(self, model, epoch: int) -> None:
        """Noise depends on (seed, epoch) only, so a resumed run draws what the original would."""
        state = model.seed_generator.state
        state.assign(np.array([self.train_cfg.seed, epoch * 1_000_003], dtype=state.dtype))

    def _check_finite(self, values: dict, epoch: int, step: int) -> None:
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise Diverged(
                f"training diverged at epoch {epoch} step {step} ({bad[0]} = {values[bad[0]]}); "
                f"try a lower learning_rate or a different seed"
            )

    def _evaluator(self, ds):
        """The dataset's evaluator when metrics are on and the data has labels, else None."""
        if not self.train_cfg.eval_every:
            return None
        if ds.labels is None or ds.num_classes < 2:
            self._log(f"quality metrics off: dataset {ds.name!r} has no class labels")
            return None
        from ..metrics import get_evaluator

        # no ETA while it is prepared: training is paused, and the time it takes is not known
        self.run.update_status(phase=f"preparing the quality classifier for {ds.name} (once per dataset)", eta_s=None)
        try:
            return get_evaluator(ds, report=self._log)
        except Exception as exc:  # metrics are a bonus: a failure here must not cost the run
            self._log(f"quality metrics off: the evaluator could not be prepared ({type(exc).__name__}: {exc})")
            return None
        finally:
            self.run.update_status(phase=None)

    def _evaluate(self, model, evaluator, epoch: int) -> None:
        from ..metrics import evaluate_model

        started = time.time()
        n = self.train_cfg.eval_samples
        scores = evaluate_model(model, evaluator, n=n)
        record = {"kind": "eval", "epoch": epoch, "time": time.time(), **scores}
        append_jsonl(self.run.metrics_path, record)
        if self.tensorboard:
            self.tensorboard.scalars("eval", scores, epoch)
        self._log(
            f"eval epoch {epoch} ({n} samples, {time.time() - started:.1f}s): FID {scores['fid']:.2f}  "
            f"IS {scores['inception_score']:.2f}  precision {scores['precision']:.2f}  recall {scores['recall']:.2f}  "
            f"coverage {scores['coverage']:.0%}"
        )
        return scores["fid"]

    def _clean_leftovers(self) -> None:
        """Temporary files of a process killed mid-write (atomic writes leave ``.name.*`` behind)."""
        for folder in (self.run.checkpoint_path.parent, self.run.samples_dir, self.run.model_dir):
            for leftover in folder.glob(".*") if folder.is_dir() else ():
                leftover.unlink(missing_ok=True)

    def _grid(self, model):
        model.prepare_sampling()
        images, ncols = model.sample_grid(self.train_cfg.seed, self.train_cfg.grid_size)
        return make_grid(images, ncols)

    def _step_grid(self, job: _Job, step: int) -> None:
        """The fixed-latent grid at ``step`` (``sample_every``), thinned like the epoch grids."""
        if keep_sample(step // job.tc.sample_every):
            save_png(self._grid(job.model), self.run.step_sample_path(step))

    def _end_epoch(self, job: _Job, epoch: int, record: dict) -> None:
        model = job.model
        grid = self._epoch_grid(job, epoch)
        model.trained_epochs.assign(epoch)
        every = self.train_cfg.checkpoint_every_s
        if epoch == job.first_epoch or epoch == self.train_cfg.epochs or time.time() - job.saved_at >= every:
            self._checkpoint(job, epoch)
        else:
            job.snapshot.take(epoch)  # in memory: a stop before the next checkpoint saves this
        append_jsonl(self.run.metrics_path, record)
        if self.tensorboard:
            self.tensorboard.scalars("epoch", record, epoch)
            if grid is not None:
                self.tensorboard.image("samples", grid, epoch)
        losses = "  ".join(
            f"{k} {v:.4f}" for k, v in record.items() if k not in ("kind", "epoch", "time", "seconds", "images_per_s")
        )
        self._log(
            f"epoch {epoch}/{self.train_cfg.epochs} done in {record['seconds']:.1f}s  {losses}  "
            f"{record['images_per_s']:.0f} img/s"
        )

    def _epoch_grid(self, job: _Job, epoch: int):
        """The fixed-latent grid at the end of ``epoch``, or None where this epoch goes without one.

        A grid is rendered (``samples/latest.png``) for each of the first epochs, the first of the
        process, the last, and otherwise once ``grid_every_s`` has passed since the previous one:
        long epochs get one each, short ones are thinned by time. A rendered grid is kept as
        ``samples/epoch_N.png`` when it is at least ``sample_stride`` epochs after the last kept
        one, so a run keeps a bounded number of grids. The best epoch's grid is added by ``_keep_best``.
        """
        tc = job.tc
        always = epoch <= ALWAYS_GRID_EPOCHS or epoch == job.first_epoch or epoch == tc.epochs
        if not always and time.time() - job.grid_at < tc.grid_every_s:
            return None
        return self._render_epoch_grid(job, epoch, keep=always)

    def _render_epoch_grid(self, job: _Job, epoch: int, keep: bool):
        grid = self._grid(job.model)
        job.grid_at, job.grid_epoch = time.time(), epoch
        save_png(grid, self.run.latest_sample_path)
        self.run.update_status(grid_epoch=epoch)  # which epoch samples/latest.png shows
        if keep or epoch - job.kept_grid >= sample_stride(epoch):
            save_png(grid, self.run.sample_path(epoch))
            job.kept_grid = epoch
        return grid

    def _checkpoint(self, job: _Job, epoch: int) -> None:
        """checkpoints/last.keras of ``epoch`` (the model's state now, whose trained_epochs says so)."""
        with atomic_path(self.run.checkpoint_path) as tmp:
            job.model.save(tmp)
        job.saved_at = time.time()
        job.snapshot.epoch = None

    def _checkpoint_last_epoch(self, job: _Job) -> None:
        """On a stop mid-epoch: save the state at the end of the last finished epoch, if no checkpoint has it."""
        snap = job.snapshot
        if snap.epoch is not None:
            epoch = snap.epoch
            snap.restore()
            self._checkpoint(job, epoch)

    def _save_final(self, model) -> None:
        with atomic_path(self.run.model_dir / "model.keras") as tmp:
            model.save(tmp)
        with atomic_path(self.run.model_dir / "generator.keras") as tmp:
            model.sampling_network.save(tmp)

    def _log(self, message: str) -> None:
        print(message, flush=True)


@dataclass
class _Job:
    """What one training process works with, made once by ``Trainer._prepare``."""

    tc: TrainConfig
    ds: object
    model: object
    compile_step: Callable  # a new compiled step for the networks in use (after a progressive stage change)
    step_fn: Callable
    images: object
    labels: object
    batch: int
    steps: int
    first_epoch: int
    keys: dict
    timer: _Throughput
    evaluator: object = _LATER  # prepared at the first evaluation, so the first curves come without waiting
    recompiled: bool = False  # the step was compiled again at this epoch's start; its first call compiles
    snapshot: _Snapshot | None = None  # the last finished epoch's state, while no checkpoint holds it
    saved_at: float = 0.0  # when checkpoints/last.keras was last written
    grid_at: float = 0.0  # when the last epoch grid was rendered
    grid_epoch: int = 0  # and of which epoch
    kept_grid: int = 0  # the last epoch whose grid was kept in samples/
    started: float = field(default_factory=time.time)
    eval_seconds: float = 0.0  # spent on in-training evaluations (and preparing the evaluator) so far


class _Snapshot:
    """Every variable a checkpoint holds (networks, optimizer state, epoch count), copied in memory at
    the end of an epoch that is not checkpointed: one compiled copy costs about a millisecond where a
    .keras save costs a quarter of a second, and a stop mid-epoch still saves exactly the last
    finished epoch."""

    def __init__(self, model):
        from .backends import backend

        seen, self.variables = set(), []
        optimizer_vars = [v for optimizer, _ in model.optimizer_variables() for v in optimizer.variables]
        for v in [*model.variables, *optimizer_vars]:
            if id(v) not in seen:
                seen.add(id(v))
                self.variables.append(v)
        self._copy = backend().variable_copier(self.variables)
        self.values: list | None = None
        self.epoch: int | None = None

    def take(self, epoch: int) -> None:
        self.values = self._copy()
        self.epoch = epoch

    def restore(self) -> None:
        for v, value in zip(self.variables, self.values, strict=True):
            v.assign(value)


class _Means:
    """Means of logged values over steps. ``add`` keeps each step's values (device tensors) without
    waiting for the step or launching work; ``read`` sums each key in one backend call, waits
    once, converts, and starts again. An eager addition per value and step cost about 0.75 ms a
    step, 7% of a short-epoch run. ``_steps`` counts the steps."""

    def __init__(self):
        self.values: dict[str, list] = {}
        self.n = 0

    def add(self, logs: dict) -> None:
        for k, v in logs.items():
            self.values.setdefault(k, []).append(v)
        self.n += 1

    def read(self) -> dict[str, float]:
        from .backends import backend

        total = backend().add_n
        out = {k: float(total(v)) / self.n for k, v in self.values.items()}
        out["_steps"] = self.n
        self.values, self.n = {}, 0
        return out


class _Throughput:
    """Images per second since the first step finished (so compile time is excluded)."""

    def __init__(self, total_images: int, budget_s: float = 0.0):
        self.total = total_images
        self.budget_s = budget_s
        self.done = 0
        self.start = time.time()
        self.t0: float | None = None
        self.counted = 0
        self.paused_s = 0.0

    @contextlib.contextmanager
    def paused(self):
        """Time inside (evaluations) counts neither for images/s nor for the time budget."""
        t = time.time()
        try:
            yield
        finally:
            self.paused_s += time.time() - t

    def elapsed(self) -> float:
        """Seconds of training so far, compilation included, pauses excluded."""
        return time.time() - self.start - self.paused_s

    def add(self, n: int) -> None:
        self.done += n
        if self.t0 is None:
            self.t0 = time.time()  # the first step includes tracing and XLA compilation
        else:
            self.counted += n

    def rate(self, unread: int = 0) -> float:
        """Images/s; ``unread``: images of steps run since the last log point, not yet added."""
        if self.t0 is None or self.counted + unread == 0:
            return 0.0
        return (self.counted + unread) / max(time.time() - self.t0 - self.paused_s, 1e-9)

    def eta(self, unread: int = 0) -> float | None:
        rate = self.rate(unread)
        if not rate:
            return None
        left = (self.total - self.done - unread) / rate
        return min(left, max(self.budget_s - self.elapsed(), 0.0)) if self.budget_s else left
