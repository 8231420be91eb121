"""Inference at the machine's speed: the one place that decides how a model runs when no gradient is needed.

A model saved with `paddle.jit.save` runs on a `paddle.inference` predictor with oneDNN (Intel's kernels,
`Config.enable_mkldnn()`) on CPU, the GPU config when the process runs on a GPU, and the thread count set
from OMP_NUM_THREADS (the worker gives each task its share). Measured here (benchmarks/inference.py) that
is 5x less CPU per image than eager Paddle for resnet18; eager with FLAGS_use_mkldnn was no faster.
- `saved_model(prefix)`: a run's `model/` for prediction (the Predict page, `predict`, the REST API, the
  sandboxed prediction pool): created once per process, kept in a small LRU cache (PREDICTOR_CACHE).
- `run_layer(layer, batches)`: a live `nn.Layer` - the frozen backbone whose features are cached, the
  model evaluated on the validation and test splits - saved to a temporary folder and put on a predictor.
  A frozen layer keeps its predictor (train and validation features share it); a layer still learning is
  saved again at each call, so a split smaller than PREDICTOR_MIN_IMAGES runs eagerly instead.

Two of Paddle's oneDNN passes are switched off (SLOW_PASSES): they fold BatchNorm into the convolution
weights and leave the folding to the constant-folding pass, which took 3-5 s per resnet18 here - longer
than extracting a few hundred images - for no measurable speed at run time (BatchNorm runs on oneDNN).
Results equal eager's within 1e-4 relative (tests/test_inference.py, every backbone and layer type).
Whatever cannot be saved or run on a predictor falls back to eager with a logged reason (`FALLBACKS`).
`DRAGDL_INFERENCE=eager` forces eager (for measuring); `auto` (the default) or `predictor` otherwise."""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .paddle_quiet import paddle

PREDICTOR_CACHE = int(os.environ.get("DRAGDL_PREDICTOR_CACHE", "4"))  # predictors kept per process
PREDICTOR_MIN_IMAGES = int(os.environ.get("DRAGDL_PREDICTOR_MIN_IMAGES", "256"))
SLOW_PASSES = ("conv2d_bn_onednn_fuse_pass", "conv2d_bias_bn_onednn_fuse_pass")
ONEDNN_SHAPE_CACHE = 16  # oneDNN primitives kept per predictor: one per input shape seen (batch sizes)
ENGINES = ("auto", "predictor", "eager")
FALLBACKS: list[str] = []  # every fallback this process took, with its reason (for logs and tests)


def engine_choice() -> str:
    choice = os.environ.get("DRAGDL_INFERENCE", "auto").strip().lower() or "auto"
    if choice not in ENGINES:
        raise ValueError(f"DRAGDL_INFERENCE must be one of {', '.join(ENGINES)}, got {choice!r}")
    return choice


def threads() -> int:
    """The cores this process may use: OMP_NUM_THREADS as the runtime or the worker set it (a worker running
    several tasks gives each its share), else every core."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


def has_gpu() -> bool:
    return paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0


def on_gpu() -> bool:
    return paddle.device.get_device().startswith("gpu")


def fallback(what: str, reason: str) -> None:
    """Note (once per what) that something runs on a slower engine, and why: in the log a student sees."""
    line = f"{what}: {reason}"
    if line not in FALLBACKS:
        FALLBACKS.append(line)
        print(f"{time.strftime('%H:%M:%S')} inference falls back to eager: {line}", file=sys.stderr, flush=True)


# -- eager ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def evaluating(layer):
    """The layer in evaluation mode without gradients, put back as it was afterwards."""
    was_training = layer.training
    layer.eval()
    try:
        with paddle.no_grad():
            yield
    finally:
        if was_training:
            layer.train()


# -- paddle.inference predictors ---------------------------------------------------------------------------
def model_files(prefix) -> tuple[Path, Path]:
    """(program, parameters) of a `paddle.jit.save` prefix: `.json` (PIR, Paddle 3) or `.pdmodel`."""
    prefix = Path(prefix)
    params = prefix.with_name(prefix.name + ".pdiparams")
    for suffix in (".json", ".pdmodel"):
        program = prefix.with_name(prefix.name + suffix)
        if program.exists():
            return program, params
    raise FileNotFoundError(f"{prefix}: no saved program (.json or .pdmodel) next to it")


class SavedModel:
    """A `paddle.jit.save`d model on a `paddle.inference` predictor (oneDNN on CPU, the GPU when the process
    runs there), or - when the predictor cannot be built or run - on eager Paddle. `run(x)` is thread-safe."""

    def __init__(self, prefix, *, what: str | None = None, engine: str | None = None, onednn: bool = True,
                 layer=None):
        self.prefix = Path(prefix)
        self._layer = layer  # the live layer that was saved (its folder may be gone): the eager fallback
        self.what = what or str(self.prefix)
        self._lock = threading.Lock()
        self._predictor = self._eager = None
        self.engine = engine or engine_choice()
        self.use_onednn = onednn  # False only to measure what oneDNN adds (benchmarks/inference.py)
        if self.engine in ("auto", "predictor"):
            try:
                self._predictor = self._create()
                self.engine = "predictor"
            except Exception as err:  # Paddle raises ValueError/RuntimeError/OSError for unsupported ops
                fallback(self.what, f"no predictor ({type(err).__name__}: {str(err).strip().splitlines()[0]})")
        if self._predictor is None:
            self._load_eager()

    def _create(self):
        from paddle import inference
        program, params = model_files(self.prefix)
        config = inference.Config(str(program), str(params))
        if has_gpu() and on_gpu():
            config.enable_use_gpu(256, 0)
        else:
            config.disable_gpu()
            config.set_cpu_math_library_num_threads(threads())
            if self.use_onednn:
                config.enable_mkldnn()
                config.set_mkldnn_cache_capacity(ONEDNN_SHAPE_CACHE)
                for name in SLOW_PASSES:
                    config.delete_pass(name)
        config.disable_glog_info()
        predictor = inference.create_predictor(config)
        self._input = predictor.get_input_handle(predictor.get_input_names()[0])
        self._output_name = predictor.get_output_names()[0]
        return predictor

    def _load_eager(self):
        from .eager import ensure_eager
        ensure_eager()
        self._eager = self._layer if self._layer is not None else paddle.jit.load(str(self.prefix))
        self.engine = "eager"

    def run(self, x: np.ndarray) -> np.ndarray:
        """The model's first output for a batch `x` (float32, [N, ...])."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        with self._lock:
            if self._predictor is not None:
                try:
                    self._input.reshape(list(x.shape))
                    self._input.copy_from_cpu(x)
                    self._predictor.run()
                    return self._predictor.get_output_handle(self._output_name).copy_to_cpu()
                except Exception as err:
                    fallback(self.what, f"the predictor failed ({type(err).__name__}: "
                                        f"{str(err).strip().splitlines()[0]})")
                    self._predictor = None
                    self._load_eager()
            from .eager import ensure_eager
            ensure_eager()
            with evaluating(self._eager):  # a live layer is put back in its own mode afterwards
                out = self._eager(paddle.to_tensor(x))
            return (out[0] if isinstance(out, (list, tuple)) else out).numpy()


_saved: OrderedDict = OrderedDict()
_saved_lock = threading.Lock()


def saved_model(prefix, what: str | None = None, warm_shape=None) -> SavedModel:
    """The process's SavedModel for a saved prefix, created on first use and kept (at most PREDICTOR_CACHE,
    least recently used dropped). A re-saved model (other mtime) gets a new predictor. With `warm_shape`
    (one input, without the batch) a new one runs once on zeros, so that oneDNN builds its kernels (~1 s)
    here and not in the first prediction a user waits for."""
    program, params = model_files(prefix)
    key = (str(Path(prefix).resolve()), program.stat().st_mtime_ns, params.stat().st_mtime_ns,
           engine_choice(), threads(), paddle.device.get_device())
    with _saved_lock:
        if key in _saved:
            _saved.move_to_end(key)
            return _saved[key]
    model = SavedModel(prefix, what=what)  # outside the lock: creating takes seconds
    if warm_shape is not None:
        model.run(np.zeros([1, *warm_shape], dtype=np.float32))
    with _saved_lock:
        _saved[key] = model
        _saved.move_to_end(key)
        while len(_saved) > max(1, PREDICTOR_CACHE):
            _saved.popitem(last=False)
    return model


def clear_cache() -> None:
    with _saved_lock:
        _saved.clear()


# -- live layers -----------------------------------------------------------------------------------------
_frozen: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # frozen layer -> SavedModel or EAGER
EAGER = "eager"  # a frozen layer that could not go on a predictor: do not try again


def predictor_for(layer, sample_shape, what: str) -> SavedModel | None:
    """`layer` saved with `paddle.jit.save` (any batch size) and put on a predictor; None, with the reason
    logged, when it cannot be saved or run that way."""
    folder = tempfile.mkdtemp(prefix="dragdl-inference-")
    try:
        spec = paddle.static.InputSpec([None, *sample_shape], "float32", name="image")
        with evaluating(layer):
            paddle.jit.save(layer, os.path.join(folder, "model"), input_spec=[spec])
        model = SavedModel(os.path.join(folder, "model"), what=what, engine="predictor", layer=layer)
        return model if model.engine == "predictor" else None
    except Exception as err:
        fallback(what, f"cannot be saved for a predictor ({type(err).__name__}: "
                       f"{str(err).strip().splitlines()[0]})")
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the predictor holds the program and weights in memory


def run_layer(layer, batches, *, images: int, frozen: bool = False, what: str = "model"):
    """Yield `layer`'s output (numpy) for each numpy batch of `batches` (`images` in all), in evaluation
    mode without gradients, on a predictor: always for a `frozen` layer (weights that never change; it
    keeps its predictor), for one still learning when there are at least PREDICTOR_MIN_IMAGES images."""
    choice = engine_choice()
    model = None
    if choice == "predictor" or (choice == "auto" and (frozen or images >= PREDICTOR_MIN_IMAGES)):
        model = _frozen.get(layer) if frozen else None
        if model is EAGER:
            model = None
        elif model is None:
            batches = iter(batches)
            first = next(batches, None)
            if first is None:
                return
            model = predictor_for(layer, first.shape[1:], what)
            if frozen:
                _frozen[layer] = model if model is not None else EAGER
            batches = _chain(first, batches)
    if model is not None:
        for x in batches:
            yield model.run(x)
        return
    with evaluating(layer):
        for x in batches:
            yield layer(paddle.to_tensor(x)).numpy()


def _chain(first, rest):
    yield first
    yield from rest
