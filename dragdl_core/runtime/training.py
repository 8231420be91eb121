"""The training run behind every generated script: data loading, seeding, metrics, checkpoints, the test
report and export. The script keeps the loop itself in view; this module does the bookkeeping around it."""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from .. import rundir
from . import paddle_quiet
from .datasets import Split, to_pil
from .inference import run_layer
from .paddle_quiet import paddle

CACHE_LIMIT_BYTES = 1 << 30
STATUS_EVERY_S = 0.5  # status.json (progress) at most this often: the task list polls it, the loop pays for it


def resolve_device(device: str) -> str:
    has_gpu = paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0
    if device == "gpu" and not has_gpu:
        raise RuntimeError("Trainer.device is 'gpu' but this machine has no usable GPU; choose auto or cpu")
    return "gpu" if device == "gpu" or (device == "auto" and has_gpu) else "cpu"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    paddle.seed(seed)


class Loader:
    """Batches of (images, labels) as Paddle tensors, shuffled per epoch from (seed, epoch).

    With `cache=True` (no random transform in the pipeline) every image is transformed once and kept,
    so later epochs and evaluations pay only for the model."""

    def __init__(self, split: Split, transform, batch_size: int, shuffle: bool = False, seed: int = 0,
                 cache: bool = False):
        self.split, self.transform, self.batch_size = split, transform, batch_size
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self._cache = None
        if cache and len(split):
            first = self._prepare(0)
            if first.nbytes * len(split) <= CACHE_LIMIT_BYTES:
                self._cache = np.stack([first] + [self._prepare(i) for i in range(1, len(split))])

    def _prepare(self, index: int) -> np.ndarray:
        return np.asarray(self.transform(to_pil(self.split.images[index])), dtype=np.float32)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return (len(self.split) + self.batch_size - 1) // self.batch_size

    def arrays(self):
        """Batches of (images, labels) as numpy arrays: what inference takes without a copy to Paddle."""
        n = len(self.split)
        order = (np.random.RandomState((self.seed * 100_003 + self.epoch) % (2**32)).permutation(n)
                 if self.shuffle else np.arange(n))
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if self._cache is not None:
                images = self._cache[idx]
            else:
                images = np.stack([self._prepare(i) for i in idx])
            yield images, self.split.labels[idx]

    def __iter__(self):
        for images, labels in self.arrays():
            yield paddle.to_tensor(images), paddle.to_tensor(labels)


def make_loader(split, transform, batch_size, shuffle=False, seed=0, cache=False) -> Loader:
    return Loader(split, transform, batch_size, shuffle=shuffle, seed=seed, cache=cache)


def evaluate(model, loader: Loader, loss_fn) -> dict:
    """Loss, accuracy and every image's class probabilities on a loader, in evaluation mode, through the
    runtime's inference path (oneDNN; a predictor for large splits): see runtime/inference.py."""
    labels = []

    def images():
        for x, target in loader.arrays():
            labels.append(target)
            yield x

    logits = list(run_layer(model, images(), images=len(loader.split), what="evaluation"))
    if not labels:
        return {"loss": float("nan"), "accuracy": float("nan"), "probabilities": np.zeros((0, 0)),
                "labels": np.zeros(0, dtype=np.int64)}
    with paddle.no_grad():
        losses = [float(loss_fn(paddle.to_tensor(out), paddle.to_tensor(target))) * len(target)
                  for out, target in zip(logits, labels)]
        probs = np.concatenate([paddle.nn.functional.softmax(paddle.to_tensor(out), axis=1).numpy()
                                for out in logits])
    labels = np.concatenate(labels)
    return {"loss": sum(losses) / len(labels), "accuracy": float((probs.argmax(1) == labels).mean()),
            "probabilities": probs, "labels": labels}


def classification_report(labels: np.ndarray, predicted: np.ndarray, classes: list[str]) -> dict:
    k = len(classes)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    per_class = {}
    for i, name in enumerate(classes):
        tp = int(matrix[i, i])
        precision = tp / matrix[:, i].sum() if matrix[:, i].sum() else 0.0
        recall = tp / matrix[i].sum() if matrix[i].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": round(float(precision), 4), "recall": round(float(recall), 4),
                           "f1": round(float(f1), 4), "support": int(matrix[i].sum())}
    return {"accuracy": float((labels == predicted).mean()) if len(labels) else 0.0,
            "classes": list(classes), "per_class": per_class, "confusion_matrix": matrix.tolist()}


class Run:
    """One training run's directory: status, metrics, log, checkpoints, report and exported model."""

    def __init__(self, run_dir, *, epochs: int, seed: int, device: str = "auto", progress: bool = False,
                 script: str | None = None):
        self.dir = Path(run_dir)
        self.script = Path(script) if script else self.dir / rundir.SCRIPT  # the generated script running
        for sub in (rundir.CHECKPOINTS, rundir.MODEL):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.epochs, self.seed, self.progress = epochs, seed, progress
        self.device = resolve_device(device)
        paddle.set_device(self.device)
        seed_everything(seed)
        self._log = rundir.open_append(self.dir / rundir.LOG)
        if paddle_quiet.said:  # Paddle's start-up warnings: in the log, not on the terminal
            self._log.write("".join(f"paddle: {line}\n" for line in paddle_quiet.said.splitlines()))
        self.epoch, self.step, self.best_val, self.bad_epochs = 0, 0, -1.0, 0
        self.started = time.time()
        self.resumed = None  # (progress, time) when this attempt resumed from a checkpoint, for an honest ETA
        self._process = None
        self.status("running")

    # -- logging -------------------------------------------------------------------------------------
    def log(self, message: str) -> None:
        line = rundir.log_line(message)
        print(line, flush=True)
        self._log.write(line + "\n")
        self._log.flush()

    def metric(self, kind: str, **values) -> None:
        rundir.append_metric(self.dir, kind, **values)

    def status(self, state: str, **extra) -> None:
        fields = {"epoch": self.epoch, "epochs": self.epochs,
                  "progress": round(self.epoch / self.epochs, 4) if self.epochs else 0.0,
                  "device": self.device, **extra}
        if self.resumed:
            fields["resumed_progress"], fields["resumed_at"] = self.resumed
        rundir.write_status(self.dir, state, merge=False, **fields)

    def system(self) -> dict:
        try:
            import psutil
        except ImportError:
            return {}
        if self._process is None:
            self._process = psutil.Process()
            self._process.cpu_percent()
        return {"rss_mb": round(self._process.memory_info().rss / 2**20, 1),
                "cpu_percent": self._process.cpu_percent()}

    # -- checkpoints ---------------------------------------------------------------------------------
    def resume(self, model, optimizer) -> int:
        """Load the last checkpoint if there is one; returns the epoch to start from. Metrics logged after
        that checkpoint (a half-finished epoch) are dropped, so every epoch is counted once."""
        state_path = rundir.checkpoint(self.dir, rundir.CHECKPOINT_STATE)
        if not state_path.exists():
            return 0
        state = json.loads(state_path.read_text())
        model.set_state_dict(paddle.load(str(rundir.checkpoint(self.dir, rundir.CHECKPOINT_MODEL))))
        optimizer.set_state_dict(paddle.load(str(rundir.checkpoint(self.dir, rundir.CHECKPOINT_OPTIMIZER))))
        self.epoch, self.step = state["epoch"], state["step"]
        self.best_val, self.bad_epochs = state["best_val"], state["bad_epochs"]
        metrics = self.dir / rundir.METRICS
        if metrics.exists():
            kept = [line for line in metrics.read_text().splitlines()
                    if line.strip() and json.loads(line).get("epoch", 0) < self.epoch]
            rundir.atomic_write(metrics, "".join(line + "\n" for line in kept))
        self.log(f"resumed from the checkpoint after epoch {self.epoch}")
        if self.epochs:
            self.resumed = (round(self.epoch / self.epochs, 4), round(time.time(), 3))
        return self.epoch

    def _checkpoint(self, model, optimizer) -> None:
        for state, name in ((model.state_dict(), rundir.CHECKPOINT_MODEL),
                            (optimizer.state_dict(), rundir.CHECKPOINT_OPTIMIZER)):
            path = rundir.checkpoint(self.dir, name)
            paddle.save(state, str(path) + ".tmp")
            os.replace(str(path) + ".tmp", path)
        # state.json last: a checkpoint counts only once it is complete. The random state needs no saving:
        # every epoch reseeds shuffling, augmentation and dropout from (seed, epoch).
        rundir.atomic_write(rundir.checkpoint(self.dir, rundir.CHECKPOINT_STATE), json.dumps(
            {"epoch": self.epoch, "step": self.step, "best_val": self.best_val, "bad_epochs": self.bad_epochs,
             "seed": self.seed}))

    # -- the loop's hooks ----------------------------------------------------------------------------
    def start_epoch(self, epoch: int, *loaders: Loader) -> None:
        seed_everything(self.seed * 1000 + epoch)
        for loader in loaders:
            loader.set_epoch(epoch)
        self._epoch_started = self._step_started = self._status_written = time.perf_counter()
        self._sums = {"loss": 0.0, "correct": 0, "seen": 0}
        self._steps_in_epoch = 0

    def log_step(self, loss, logits, labels, steps_per_epoch: int, lr: float) -> None:
        n = int(labels.shape[0])
        loss_value = float(loss)
        correct = int((logits.argmax(axis=1) == labels).astype("int64").sum())
        now = time.perf_counter()
        step_time, self._step_started = now - self._step_started, now
        self.step += 1
        self._steps_in_epoch += 1
        self._sums["loss"] += loss_value * n
        self._sums["correct"] += correct
        self._sums["seen"] += n
        every = max(1, steps_per_epoch // 20)
        if self._steps_in_epoch % every == 0 or self._steps_in_epoch == steps_per_epoch:
            self.metric("step", epoch=self.epoch, step=self.step, loss=round(loss_value, 5),
                        accuracy=round(correct / n, 4), lr=lr, step_time=round(step_time, 5),
                        images_per_sec=round(n / step_time, 1) if step_time else None)
        if now - self._status_written >= STATUS_EVERY_S:  # progress within the epoch, for the task list
            self._status_written = now
            self.status("running", progress=round((self.epoch + self._steps_in_epoch / steps_per_epoch)
                                                  / self.epochs, 4))
        if self.progress:
            self._progress_bar(steps_per_epoch, loss_value)

    def _progress_bar(self, steps_per_epoch: int, loss: float) -> None:
        """`epoch 2/5: 40%|####      | 8/20 [loss=0.4132]` on stderr (tqdm), one bar an epoch."""
        if self._steps_in_epoch == 1:
            from tqdm import tqdm

            self._bar = tqdm(total=steps_per_epoch, desc=f"epoch {self.epoch + 1}/{self.epochs}", unit="step",
                             file=sys.stderr, leave=True)
        self._bar.update(1)
        self._bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        if self._steps_in_epoch == steps_per_epoch:
            self._bar.close()

    def end_epoch(self, model, optimizer, val: dict) -> None:
        """Record the epoch, checkpoint it, and track the best validation accuracy for early stopping."""
        elapsed = time.perf_counter() - self._epoch_started
        train_time = max(1e-9, self._step_started - self._epoch_started)  # the loop alone, not validation
        seen = max(1, self._sums["seen"])
        train_loss, train_acc = self._sums["loss"] / seen, self._sums["correct"] / seen
        val_acc = val["accuracy"] if val["accuracy"] == val["accuracy"] else train_acc  # nan: no val split
        if val_acc > self.best_val:
            self.best_val, self.bad_epochs = val_acc, 0
            paddle.save(model.state_dict(), str(rundir.checkpoint(self.dir, rundir.CHECKPOINT_BEST)))
        else:
            self.bad_epochs += 1
        self.epoch += 1
        self.metric("epoch", epoch=self.epoch - 1, train_loss=round(train_loss, 5),
                    train_accuracy=round(train_acc, 4), val_loss=round(val["loss"], 5),
                    val_accuracy=round(val["accuracy"], 4), epoch_time=round(elapsed, 3),
                    train_time=round(train_time, 3), images_per_sec=round(self._sums["seen"] / train_time, 1),
                    **self.system())
        self.log(f"epoch {self.epoch}/{self.epochs}  loss {train_loss:.4f}  acc {train_acc:.3f}  "
                 f"val_loss {val['loss']:.4f}  val_acc {val['accuracy']:.3f}  "
                 f"{self._sums['seen'] / train_time:.0f} img/s")
        self._checkpoint(model, optimizer)
        self.status("running")

    def should_stop(self, patience: int) -> bool:
        if patience and self.bad_epochs >= patience:
            self.log(f"early stopping: no better validation accuracy for {patience} epochs")
            return True
        return False

    # -- the end -------------------------------------------------------------------------------------
    def finish(self, model, data, test_loader: Loader, loss_fn, restore_best: bool = False) -> dict:
        """Test the model, write report.json and the misclassified images, export for prediction."""
        best = rundir.checkpoint(self.dir, rundir.CHECKPOINT_BEST)
        if restore_best and best.exists():
            model.set_state_dict(paddle.load(str(best)))
        result = evaluate(model, test_loader, loss_fn)
        predicted = result["probabilities"].argmax(1) if len(result["labels"]) else result["labels"]
        report = classification_report(result["labels"], predicted, data.classes)
        report.update({"loss": result["loss"], "epochs_trained": self.epoch,
                       "trainable_parameters": sum(int(np.prod(p.shape)) for p in model.parameters()
                                                   if not p.stop_gradient),
                       "parameters": sum(int(np.prod(p.shape)) for p in model.parameters()),
                       "train_seconds": round(time.time() - self.started, 2)})
        np.savez_compressed(self.dir / rundir.TEST_PREDICTIONS, labels=result["labels"], predicted=predicted,
                            probabilities=result["probabilities"].astype(np.float32))
        self._save_misclassified(data, result["labels"], predicted)
        self.export(model, data, test_loader)
        rundir.atomic_write(self.dir / rundir.REPORT, json.dumps(report, indent=2))
        self.metric("test", epoch=self.epoch, accuracy=round(report["accuracy"], 4), loss=round(result["loss"], 5))
        self.log(f"test accuracy {report['accuracy']:.3f} on {len(result['labels'])} images")
        self.status("succeeded", accuracy=report["accuracy"])
        return report

    def _save_misclassified(self, data, labels, predicted, limit: int = 32) -> None:
        folder = self.dir / rundir.MISCLASSIFIED_DIR
        folder.mkdir(exist_ok=True)
        for index in np.flatnonzero(labels != predicted)[:limit]:
            name = f"{index:05d}_{data.classes[labels[index]]}_as_{data.classes[predicted[index]]}.png"
            to_pil(data.test.images[index]).save(folder / name.replace("/", "_"))

    def export(self, model, data, loader: Loader) -> None:
        """paddle.jit.save the model with its class names and input shapes, and a copy of the script that
        ran as model/train.py: prediction imports its `eval_transform` (the very code evaluation used), so
        the run directory predicts whoever ran it (`python train.py --run-dir D` writes no train.py there)."""
        model.eval()
        if self.script.is_file():
            shutil.copyfile(self.script, rundir.model_path(self.dir, rundir.SCRIPT))
        sample = next(iter(loader))[0]
        spec = paddle.static.InputSpec([None, *sample.shape[1:]], "float32", name="image")
        paddle.jit.save(model, str(rundir.model_path(self.dir, rundir.MODEL_PREFIX)), input_spec=[spec])
        meta = {"classes": data.classes, "image_shape": data.image_shape, "input_shape": list(sample.shape[1:]),
                "preprocess": f"{rundir.MODEL}/{rundir.SCRIPT}:eval_transform"}
        rundir.atomic_write(rundir.model_path(self.dir), json.dumps(meta, indent=2))

    def fail(self, error: BaseException) -> None:
        self.log("training failed:\n" + "".join(traceback.format_exception(error)).rstrip())
        self.status("failed", error=f"{type(error).__name__}: {error}")

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if error is not None and not isinstance(error, KeyboardInterrupt):
            self.fail(error)
        elif isinstance(error, KeyboardInterrupt):
            self.status("stopped")
        self._log.close()
        return False
