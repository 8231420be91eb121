"""Reading a weights file (`.pdparams`, Paddle's pickled state dict) without unpickling arbitrary objects.

A pickle runs whatever code its `__reduce__` names the moment it is loaded, before anyone can look at what
it holds. So weights are read with an unpickler that resolves only what a state dict of arrays needs
(numpy's array reconstruction, dtypes, OrderedDict); anything else is refused by name, unrun. Pure: numpy
only, no Paddle."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("collections", "OrderedDict"),
}


class TensorFileError(ValueError):
    """The file is not a state dict of numeric arrays; the message says what it holds instead."""


class _TensorsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise TensorFileError(f"it holds a {module}.{name} object, not only tensors; DragDL reads weights "
                                  "files that hold named arrays and nothing else")
        return super().find_class(module, name)


def read_tensors(path) -> dict[str, np.ndarray]:
    """The named arrays of a `.pdparams` file (Paddle's bookkeeping entries dropped); TensorFileError
    with one line when the file is not one, without having run anything it names."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            state = _TensorsOnly(f).load()
    except TensorFileError as err:
        raise TensorFileError(f"{path.name}: {err}") from None
    except Exception as err:  # noqa: BLE001 - a truncated or foreign file: one line, whatever the reason
        raise TensorFileError(f"{path.name} is not a PaddlePaddle weights file ({type(err).__name__})") from None
    if not isinstance(state, dict):
        raise TensorFileError(f"{path.name} holds a {type(state).__name__}, not a state dict of named tensors")
    tensors = {}
    for key, value in state.items():
        if isinstance(key, str) and key.endswith("@@"):
            continue  # Paddle's own name table (StructuredToParameterName@@)
        if not (isinstance(key, str) and isinstance(value, np.ndarray) and value.dtype.kind in "biuf"):
            raise TensorFileError(f"{path.name}: entry {str(key)[:60]!r} is not a numeric array")
        tensors[key] = value
    return tensors
