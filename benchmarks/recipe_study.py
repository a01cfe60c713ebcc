"""Quality per iteration and per second of training recipes on small Kodak crops.

Every (image, variant, budget) is a real encode: ``fit_recipe`` → payload → ``.cool``
container → decode, so bpp counts every byte and PSNR is the decoder's. ``budget`` is the
total number of training iterations (warm-up candidates included); each variant's
``n_itr`` is chosen so its recipe plans that many. Runs go to a pool of ``--jobs``
processes with one torch thread each. Results are appended to a TSV (rows already there
are skipped, so a study can be resumed).

Run (from the repository root)::

    .venv/bin/python benchmarks/recipe_study.py --images kodim01,kodim05,kodim23 \
        --crop 256 --budgets 600 --variants c3,lean,lean-soap --jobs 2 \
        --out benchmarks/results/recipe_study.tsv
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PIL import Image

from coolchic.evaluation.report import percent

KODAK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kodak"
FIELDS = ("image", "crop", "lmbda", "variant", "budget", "n_itr", "iterations", "fit_s",
          "bpp", "psnr_db", "loss")


def _variants() -> dict[str, Callable[[int, float], Any]]:
    from coolchic.training.schedule import c3_recipe, lean_recipe

    adam = partial(lean_recipe, optimizer="adam")
    return {
        "c3": c3_recipe,
        "lean": lean_recipe,
        "lean-5cand": partial(lean_recipe, candidates=5, warmup_frac=0.03),
        "lean-lrnet3e-3": partial(lean_recipe, lr_networks=3e-3),
        "lean-lrnet2e-2": partial(lean_recipe, lr_networks=2e-2),
        "lean-T.05": partial(lean_recipe, temperature=(0.3, 0.05)),
        "lean-ste20": partial(lean_recipe, ste_frac=0.2),
        "lean-adam": adam,
        "lean-adam-1cand": partial(adam, candidates=1),
        "lean-adam-5cand": partial(adam, candidates=5, warmup_frac=0.03),
        "lean-adam-lrnet3e-3": partial(adam, lr_networks=3e-3),
        "lean-1cand": partial(lean_recipe, candidates=1),
        "lean-lrlat2x": lambda n_itr, lr: lean_recipe(n_itr, 2 * lr, lr_networks=lr),
        "lean-lrlat3x": lambda n_itr, lr: lean_recipe(n_itr, 3 * lr, lr_networks=lr),
    }


def n_itr_for_budget(make: Callable[[int, float], Any], budget: int, start_lr: float) -> int:
    """Largest ``n_itr`` whose recipe plans at most ``budget`` iterations (at least 1)."""
    lo, hi = 1, budget
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if make(mid, start_lr).planned_iterations() <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def crop(name: str, size: int) -> np.ndarray:
    """The centre ``size x size`` crop of a Kodak image (RGB uint8)."""
    image = np.asarray(Image.open(KODAK / f"{name}.png").convert("RGB"))
    h, w = image.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(image[top:top + size, left:left + size])


def run_one(job: tuple[str, int, float, str, int]) -> dict[str, Any]:
    """Encode one crop with one variant and budget; return a TSV row."""
    import torch

    torch.set_num_threads(1)
    from coolchic import api
    from coolchic.c3.payload import write_payload
    from coolchic.container import ContainerHeader, write_container
    from coolchic.imageconv import to_planes
    from coolchic.options import EncoderOptions
    from coolchic.training.encoder import fit_recipe

    name, size, lmbda, variant, budget = job
    make = _variants()[variant]
    options = EncoderOptions(lmbda=lmbda, threads=1, seed=0)
    n_itr = n_itr_for_budget(make, budget, options.start_lr)
    planes = to_planes(crop(name, size))
    done = [0]
    start = time.perf_counter()
    frame = fit_recipe(planes, options, make(n_itr, options.start_lr), lambda e: done.__setitem__(0, e.done))
    fit_s = time.perf_counter() - start
    data = write_container(write_payload(frame), ContainerHeader(planes.width, planes.height, planes.color, planes.bitdepth))
    decoded = api.decode(data, max_pixels=None, threads=1)
    bpp = 8.0 * len(data) / (planes.width * planes.height)
    psnr = api.psnr_db(planes, decoded.planes)
    loss = 10 ** (-psnr / 10) + lmbda * bpp
    return {"image": name, "crop": size, "lmbda": lmbda, "variant": variant, "budget": budget, "n_itr": n_itr,
            "iterations": done[0], "fit_s": round(fit_s, 1), "bpp": round(bpp, 4), "psnr_db": round(psnr, 3),
            "loss": f"{loss:.6g}"}


def _done(path: Path) -> set[tuple[str, str, str, str, str]]:
    if not path.exists():
        return set()
    with path.open() as f:
        return {(r["image"], r["crop"], r["lmbda"], r["variant"], r["budget"]) for r in csv.DictReader(f, delimiter="\t")}


def summarize(path: Path, baseline: str = "c3") -> str:
    """Markdown table: per budget and variant, the mean change of ``D + λR`` against
    ``baseline`` on the same image (negative = better), mean PSNR / bpp / fit seconds."""
    with path.open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    base = {(r["image"], r["crop"], r["lmbda"], r["budget"]): float(r["loss"]) for r in rows if r["variant"] == baseline}
    groups: dict[tuple[int, str], list[dict[str, str]]] = {}
    for r in rows:
        groups.setdefault((int(r["budget"]), r["variant"]), []).append(r)
    lines = [f"| budget | variant | images | Δ(D+λR) vs {baseline} | PSNR dB | bpp | iterations | fit s |",
             "|---|---|---|---|---|---|---|---|"]
    for (budget, variant), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], _mean_delta(kv[1], base))):
        lines.append(
            f"| {budget} | {variant} | {len(rs)} | {percent(_mean_delta(rs, base))} | "
            f"{_mean(rs, 'psnr_db'):.2f} | {_mean(rs, 'bpp'):.4f} | {_mean(rs, 'iterations'):.0f} | {_mean(rs, 'fit_s'):.0f} |"
        )
    return "\n".join(lines)


def _mean(rows: list[dict[str, str]], key: str) -> float:
    return sum(float(r[key]) for r in rows) / len(rows)


def _mean_delta(rows: list[dict[str, str]], base: dict[tuple[str, str, str, str], float]) -> float:
    deltas = [100 * (float(r["loss"]) / base[k] - 1) for r in rows
              if (k := (r["image"], r["crop"], r["lmbda"], r["budget"])) in base]
    return sum(deltas) / len(deltas) if deltas else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", default="kodim01,kodim05,kodim23")
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--lmbda", type=float, default=1e-3)
    parser.add_argument("--budgets", default="600")
    parser.add_argument("--variants", default="c3,lean")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/recipe_study.tsv"))
    parser.add_argument("--summary", action="store_true", help="Print the markdown summary of --out and exit.")
    parser.add_argument("--baseline", default="c3", help="Variant the summary compares against.")
    args = parser.parse_args()
    if args.summary:
        print(summarize(args.out, args.baseline))
        return
    known = _variants()
    variants = args.variants.split(",")
    for v in variants:
        if v not in known:
            parser.error(f"--variants: unknown {v!r} (known: {', '.join(known)})")
    done = _done(args.out)
    jobs = [(img, args.crop, args.lmbda, v, int(b)) for b in args.budgets.split(",")
            for img in args.images.split(",") for v in variants
            if (img, str(args.crop), str(args.lmbda), v, b) not in done]
    new_file = not args.out.exists()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", newline="") as f, multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        writer = csv.DictWriter(f, FIELDS, delimiter="\t")
        if new_file:
            writer.writeheader()
        for row in pool.imap_unordered(run_one, jobs):
            writer.writerow(row)
            f.flush()
            print("\t".join(str(row[k]) for k in FIELDS), flush=True)


if __name__ == "__main__":
    main()
