"""Student-driven computation out of the calling process: a Lambda trial, a preview, a prediction runs in a
child process with an address-space limit, a CPU-time limit and a wall deadline, and is killed (not
abandoned) when it overruns. The caller gets an answer or one clear SandboxError ("took longer than 1 s",
"needs more than 1 GB") and stays responsive for everyone else.

`run(kind, "module:function", args)` is the one entry; `kind` picks a pool of pre-started children:
`numpy` (numpy + asteval: the Lambda trial) or `paddle` (Paddle imported: previews and predictions).
Pure: importing this imports no Paddle; only the children do."""
from .pool import SandboxError, run, shutdown, warm

__all__ = ["SandboxError", "run", "shutdown", "warm"]
