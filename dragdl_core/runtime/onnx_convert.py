"""`python -m dragdl_core.runtime.onnx_convert MODEL.json PARAMS OUT.onnx`: paddle2onnx in its own process,
because on an operator it cannot convert it aborts the whole process (SIGABRT from C++), which must not take
a CLI, the API server or a worker with it. Optimised with onnxoptimizer, not polygraphy, which would
pip-install packages at run time."""
from __future__ import annotations

import sys
import warnings

OPSET = 11


def main(model: str, params: str, out: str) -> int:
    warnings.filterwarnings("ignore")
    import paddle2onnx

    paddle2onnx.export(model, params, save_file=out, opset_version=OPSET, enable_onnx_checker=True,
                       optimize_tool="onnxoptimizer", verbose=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
