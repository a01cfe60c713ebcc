"""Peak memory of one decode, measured in a fresh process.

``python -m benchmarks.fuzz.peak_memory [FILE ...]`` (default: the official 768x512
kodim01 stream at λ = 1e-3). For each file a child process imports coolchic and torch,
warms up on a tiny image, then decodes FILE once and reports: the process's peak RSS
(``ru_maxrss``) before and after the decode, their difference, and the peak of Python/numpy
allocations seen by ``tracemalloc`` during the decode (torch's own buffers are not traced).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .seeds import SHARED

DEFAULT = SHARED / "kodak-bitstreams" / "kodim01-lmbda-0001.bin"

_CHILD = r"""
import json, resource, sys, time, tracemalloc
import torch
torch.set_num_threads(1)
import coolchic
from benchmarks.fuzz.seeds import synthetic_seeds
coolchic.decode(synthetic_seeds()["rgb8.cool"])  # warm-up: imports, allocator pools
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
start = time.perf_counter()
decoded = coolchic.decode(data)
seconds = time.perf_counter() - start
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
info = decoded.info
print(json.dumps({"file": sys.argv[1], "size": f"{info.width}x{info.height}", "seconds_with_tracemalloc": round(seconds, 2),
                  "rss_before_mib": round(before / 1024, 1), "peak_rss_mib": round(after / 1024, 1),
                  "decode_rss_growth_mib": round((after - before) / 1024, 1), "tracemalloc_peak_mib": round(traced / 2**20, 1)}))
"""


def measure(path: Path) -> dict[str, object]:
    """Run the measuring child for ``path``; its JSON result."""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], cwd=root, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(paths: list[str]) -> None:
    for path in paths or [str(DEFAULT)]:
        print(json.dumps(measure(Path(path))))


if __name__ == "__main__":
    main(sys.argv[1:])
