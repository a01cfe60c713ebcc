"""Rate–distortion benchmark harness: Cool-chic against the codecs users would pick instead.

Layout: ``images`` (load, subset, crop), ``metrics`` (bpp, PSNR-RGB), ``codecs`` (classic
codec adapters) and ``coolchic_codec`` (ours), ``sweep`` (resumable encode/decode runner),
``bdrate`` (Bjøntegaard deltas), ``published`` (the Cool-chic 3.0 results TSV),
``report`` (TSV, CompressAI JSON, markdown, PNG plot) and ``benchmark`` (the whole run).
"""

from coolchic.evaluation.benchmark import BenchConfig, BenchResult, run_benchmark

__all__ = ["BenchConfig", "BenchResult", "run_benchmark"]
