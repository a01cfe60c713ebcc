"""The fuzzing campaign: ``python -m benchmarks.fuzz --inputs 100000 [--out out/fuzz]``.

The parent runs chunks of inputs in one worker subprocess at a time (``nice`` 10, one torch
thread), watches its progress file to detect hangs (no progress for ``--hang-seconds``),
and writes every finding (unexpected exception, crash, hang) to ``OUT/findings/``. Each
worker reports per-chunk statistics (outcomes, slowest input, peak RSS) as a JSON line in
``OUT/stats.jsonl``; the parent prints the summary. Input ``i`` depends only on
``(--campaign, i)``: ``--replay I`` re-runs one input in the foreground.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .mutate import make_input

CHUNK = 2000


ROTATION = ("decode",) * 7 + ("pillow",) * 2 + ("imageio",)
"""Besides ``read_info``, each input goes through one of these (by its index)."""


def _entry(index: int) -> str:
    return ROTATION[index % len(ROTATION)]


def _seed_list() -> list[bytes]:
    from .seeds import official_seeds, synthetic_seeds

    synthetic = list(synthetic_seeds().values())
    official = list(official_seeds().values())
    return synthetic * 20 + official  # official streams: ~7% of inputs (their decodes are slow)


def _save_finding(out: Path, kind: str, index: int, data: bytes, text: str) -> None:
    folder = out / "findings"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{index}-{hashlib.sha1(data).hexdigest()[:12]}"
    (folder / f"{stem}.cool").write_bytes(data)
    (folder / f"{stem}.txt").write_text(text)


def worker(campaign: int, start: int, count: int, out: Path) -> None:
    """Run inputs ``start .. start + count - 1``; append one JSON line of statistics."""
    import torch

    from .target import run_one

    torch.set_num_threads(1)
    seeds = _seed_list()
    progress = os.open(out / "progress", os.O_WRONLY | os.O_CREAT, 0o644)
    outcomes: collections.Counter[str] = collections.Counter()
    slowest, slowest_wall = (0.0, -1, ""), 0.0  # CPU seconds (robust to a busy machine), wall seconds
    for index in range(start, start + count):
        os.pwrite(progress, f"{index:12d}\n".encode(), 0)
        mode, data = make_input(seeds, campaign, index)
        for entry in ("info", _entry(index)):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            try:
                outcome = run_one(entry, data)
            except Exception as exc:  # noqa: BLE001 - a finding, recorded with its traceback
                outcome = f"FINDING {type(exc).__name__}"
                _save_finding(out, "exception", index, data, f"{entry} {mode}\n{traceback.format_exc()}")
            wall = time.perf_counter() - begin
            cpu = time.process_time() - begin_cpu
            outcomes[f"{entry}:{outcome}"] += 1
            slowest_wall = max(slowest_wall, wall)
            if cpu > slowest[0]:
                slowest = (cpu, index, f"{entry} {mode} {outcome}")
    os.close(progress)
    stats = {
        "start": start,
        "count": count,
        "outcomes": dict(outcomes),
        "slowest_cpu_seconds": round(slowest[0], 4),
        "slowest_wall_seconds": round(slowest_wall, 4),
        "slowest_input": slowest[1],
        "slowest_what": slowest[2],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    with open(out / "stats.jsonl", "a") as f:
        f.write(json.dumps(stats) + "\n")


def _run_chunk(args: argparse.Namespace, start: int, count: int) -> None:
    """Run one chunk in a worker; on a hang or crash record the input and go on after it."""
    progress = args.out / "progress"
    while count > 0:
        progress.write_text("")
        cmd = ["nice", "-n", str(args.nice), sys.executable, "-m", "benchmarks.fuzz", "--worker",
               "--campaign", str(args.campaign), "--start", str(start), "--count", str(count), "--out", str(args.out)]
        proc = subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"})
        last, since, hung = "", time.monotonic(), False
        while proc.poll() is None:
            time.sleep(1.0)
            now = progress.read_text().strip()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since > args.hang_seconds:
                proc.kill()
                proc.wait()
                hung = True
        if not hung and proc.returncode == 0:
            return
        index = int(last) if last else start
        kind = "hang" if hung else "crash"
        why = f"no progress for {args.hang_seconds} s" if hung else f"worker exit status {proc.returncode}"
        _save_finding(args.out, kind, index, make_input(_seed_list(), args.campaign, index)[1], why)
        print(f"{kind.upper()} at input {index}: {why}", flush=True)
        count -= index + 1 - start
        start = index + 1


def summary(out: Path) -> dict[str, object]:
    """Totals over ``OUT/stats.jsonl``."""
    lines = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines() if line.strip()]
    outcomes: collections.Counter[str] = collections.Counter()
    for line in lines:
        outcomes.update(line["outcomes"])
    slowest = max(lines, key=lambda line: line["slowest_cpu_seconds"])
    findings = sorted(p.name for p in (out / "findings").glob("*.cool")) if (out / "findings").exists() else []
    return {
        "inputs": sum(line["count"] for line in lines),
        "outcomes": dict(sorted(outcomes.items())),
        "worst_case_cpu_seconds": slowest["slowest_cpu_seconds"],
        "worst_case_wall_seconds": max(line["slowest_wall_seconds"] for line in lines),
        "worst_case_input": slowest["slowest_input"],
        "worst_case_what": slowest["slowest_what"],
        "peak_rss_mib": max(line["peak_rss_mib"] for line in lines),
        "findings": findings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="number of inputs (default 100000)")
    parser.add_argument("--first", type=int, default=0, help="index of the first input (to resume)")
    parser.add_argument("--campaign", type=int, default=1, help="campaign seed")
    parser.add_argument("--out", type=Path, default=Path("out/fuzz"), help="output folder")
    parser.add_argument("--chunk", type=int, default=CHUNK, help="inputs per worker process")
    parser.add_argument("--hang-seconds", type=float, default=60.0, help="no progress for this long = a hang")
    parser.add_argument("--nice", type=int, default=10, help="niceness of the workers")
    parser.add_argument("--replay", type=int, help="run input I in the foreground, with a traceback")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.worker:
        worker(args.campaign, args.start, args.count, args.out)
        return
    if args.replay is not None:
        from .target import run_one

        mode, data = make_input(_seed_list(), args.campaign, args.replay)
        for entry in ("info", _entry(args.replay)):
            print(entry, mode, run_one(entry, data))
        return
    for start in range(args.first, args.first + args.inputs, args.chunk):
        count = min(args.chunk, args.first + args.inputs - start)
        began = time.perf_counter()
        _run_chunk(args, start, count)
        print(f"inputs {start}..{start + count - 1}: {time.perf_counter() - began:.0f} s", flush=True)
    print(json.dumps(summary(args.out), indent=1))


if __name__ == "__main__":
    main()
