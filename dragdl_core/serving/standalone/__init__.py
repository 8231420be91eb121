"""Files that go into an exported model's zip as they are: predict.py (needs only onnxruntime, numpy and
Pillow; no Paddle, no DragDL) and README.txt."""
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREDICT = HERE / "predict.py"
README = HERE / "README.txt"
