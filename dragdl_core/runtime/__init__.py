"""The runtime used by generated scripts: datasets, transforms, the training run, export and prediction.

Paddle is imported here (lazily, module by module) and nowhere else in the core."""
import os

# Paddle sets OMP_NUM_THREADS=1 when it is unset, which halves speed on two cores: decide it ourselves,
# before Paddle is imported. A worker running several tasks sets it to each task's share.
os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
os.environ.setdefault("GLOG_minloglevel", "2")  # Paddle's C++ info lines are noise for a student
