"""Quality per iteration and per second of training recipes on Kodak images or crops.

Every (image, λ, seed, variant, budget) is a real encode: ``fit_recipe`` → payload → ``.cool``
container → decode, so bpp counts every byte and PSNR is the decoder's. ``budget`` is the
total number of training iterations (warm-up candidates included); each variant's
``n_itr`` is chosen so its recipe plans that many. Runs go to a pool of ``--jobs``
processes with one torch thread each (all on ``--device``: several processes share one
GPU well, since each is bound by kernel launches). Results are appended to a TSV (rows
already there are skipped, so a study can be resumed); ``--deadline`` stops it cleanly.

Run (from the repository root)::

    .venv/bin/python benchmarks/recipe_study.py --images kodim01,kodim05,kodim23 \
        --crop 256 --budgets 600 --variants c3,lean,lean-5cand --jobs 2 \
        --out benchmarks/results/recipe_study.tsv

With ``--preset``, each encode uses the preset's options at its λ (architecture included)
and, unless ``--budgets`` is given, the preset's planned iterations at that λ; ``--crop 0`` encodes
the whole image::

    python3 benchmarks/recipe_study.py --preset fast --crop 0 --lmbda 4e-4,1e-3,4e-3,2e-2 \
        --images kodim01,kodim02,kodim03,kodim23 --variants lean,lean-ste5 --device cuda \
        --jobs 11 --deadline 470 --out fast_sweep.tsv

``--kodak`` names the folder of the ``kodimNN.png`` files (default ``../shared/data/kodak``;
on a lent GPU machine, a copy carried with the checkout).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from PIL import Image

from coolchic.evaluation.images import centre_crop
from coolchic.evaluation.report import percent

if TYPE_CHECKING:
    from coolchic.c3.frame import Frame
    from coolchic.options import EncoderOptions
    from coolchic.planes import Planes

KODAK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kodak"
FIELDS = ("image", "crop", "lmbda", "seed", "preset", "device", "variant", "budget", "n_itr",
          "iterations", "fit_s", "bpp", "psnr_db", "loss")
KEY = ("image", "crop", "lmbda", "seed", "preset", "device", "variant", "budget")
"""Columns that name one encode. Files written before ``seed``, ``preset`` and ``device``
were added read as seed 0, no preset, CPU."""
_OLD_DEFAULTS = {"seed": "0", "preset": "", "device": "cpu"}


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
        "lean-lrlat1.5x": lambda n_itr, lr: lean_recipe(n_itr, 1.5 * lr, lr_networks=lr),
        "lean-lr0.7x": lambda n_itr, lr: lean_recipe(n_itr, 0.7 * lr),
        "lean-T.2-.05": partial(lean_recipe, temperature=(0.2, 0.05)),
        "lean-kum1.5": partial(lean_recipe, kumaraswamy=(1.5, 1.0)),
        "lean-3cand": partial(lean_recipe, candidates=3),  # the default before session 15
        "lean-ste5": partial(lean_recipe, ste_frac=0.05),
        "lean-lat3": partial(lean_recipe, latents_frac=0.03),
        "lean-kum2to1": partial(lean_recipe, kumaraswamy=(2.0, 1.0)),
        "lean-kum2to3": partial(lean_recipe, kumaraswamy=(2.0, 3.0)),
        "lean-kum2to4": partial(lean_recipe, kumaraswamy=(2.0, 4.0)),
        "lean-lrnet5e-3": partial(lean_recipe, lr_networks=5e-3),
        "lean-lrnet7e-3": partial(lean_recipe, lr_networks=7e-3),
        "lean-T.3-.2": partial(lean_recipe, temperature=(0.3, 0.2)),
        "lean-T.4-.1": partial(lean_recipe, temperature=(0.4, 0.1)),  # the default since session 19
        "lean-T.3-.1": partial(lean_recipe, temperature=(0.3, 0.1)),  # the default before session 19
        "lean-T.5-.1": partial(lean_recipe, temperature=(0.5, 0.1)),
        "lean-lb99": partial(lean_recipe, latent_betas=(0.9, 0.99)),
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


def crop(name: str, size: int, kodak: Path = KODAK) -> np.ndarray:
    """The centre ``size x size`` crop of a Kodak image (RGB uint8); the whole image for 0."""
    image = np.asarray(Image.open(kodak / f"{name}.png").convert("RGB"))
    return image if size == 0 else centre_crop(image, (size, size), name)


def rd_loss(psnr_db: float, bpp: float, lmbda: float) -> float:
    """The rate-distortion loss ``MSE + λ·bpp`` of a decoded file (MSE of [0, 1] samples)."""
    return 10 ** (-psnr_db / 10) + lmbda * bpp


def file_figures(frame: Frame, planes: Planes, options: EncoderOptions) -> tuple[float, float, float]:
    """``frame`` written as a ``.cool`` file and decoded: its bpp, PSNR (dB) and :func:`rd_loss`."""
    from coolchic import api

    data = api.frame_file(frame, planes, options)
    psnr = api.psnr_db(planes, api.decode(data, max_pixels=None, threads=options.threads).planes)
    bpp = 8.0 * len(data) / (planes.width * planes.height)
    return bpp, psnr, rd_loss(psnr, bpp, options.lmbda)


def run_one(job: tuple[str, int, float, int, str, str, str, int], kodak: Path = KODAK) -> dict[str, Any]:
    """Encode one crop of an image in ``kodak`` with one variant and budget; return a TSV row."""
    import torch

    torch.set_num_threads(1)
    from coolchic.api import encoder_options
    from coolchic.imageconv import to_planes
    from coolchic.training.encoder import fit_recipe

    name, size, lmbda, seed, preset, device, variant, budget = job
    make = _variants()[variant]
    options = encoder_options(preset=preset or None, lmbda=lmbda, threads=1, seed=seed, device=device)
    n_itr = n_itr_for_budget(make, budget, options.start_lr)
    planes = to_planes(crop(name, size, kodak))
    done = [0]
    start = time.perf_counter()
    frame = fit_recipe(planes, options, make(n_itr, options.start_lr), lambda e: done.__setitem__(0, e.done))
    fit_s = time.perf_counter() - start
    bpp, psnr, loss = file_figures(frame, planes, options)
    return {"image": name, "crop": size, "lmbda": lmbda, "seed": seed, "preset": preset, "device": device,
            "variant": variant, "budget": budget, "n_itr": n_itr,
            "iterations": done[0], "fit_s": round(fit_s, 1), "bpp": round(bpp, 4), "psnr_db": round(psnr, 3),
            "loss": f"{loss:.6g}"}


def _read(path: Path) -> list[dict[str, str]]:
    """The rows of a study TSV, with the columns older files lack filled in."""
    if not path.exists():
        return []
    with path.open() as f:
        return [{**_OLD_DEFAULTS, **r} for r in csv.DictReader(f, delimiter="\t")]


def _key(row: dict[str, str], without: str = "") -> tuple[str, ...]:
    return tuple(row[k] for k in KEY if k != without)


def summarize(path: Path, baseline: str = "c3") -> str:
    """Markdown table: per budget and variant, the mean change of ``D + λR`` against
    ``baseline`` on the same image (negative = better), mean PSNR / bpp / fit seconds."""
    rows = _read(path)
    base = {_key(r, "variant"): float(r["loss"]) for r in rows if r["variant"] == baseline}
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


def _mean_delta(rows: list[dict[str, str]], base: dict[tuple[str, ...], float]) -> float:
    deltas = [100 * (float(r["loss"]) / base[k] - 1) for r in rows if (k := _key(r, "variant")) in base]
    return sum(deltas) / len(deltas) if deltas else float("nan")


def _preset_budget(preset: str, lmbda: float) -> int:
    """Iterations that ``preset``'s own recipe plans at ``lmbda`` (presets change budgets with λ)."""
    from coolchic.api import encoder_options
    from coolchic.training.schedule import build_recipe

    options = encoder_options(preset=preset, lmbda=lmbda)
    return build_recipe(options.recipe, options.n_itr, options.start_lr).planned_iterations()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", default="kodim01,kodim05,kodim23")
    parser.add_argument("--kodak", type=Path, default=KODAK, help="folder of the kodimNN.png files")
    parser.add_argument("--crop", type=int, default=256, help="centre crop side; 0 for the whole image")
    parser.add_argument("--lmbda", default="1e-3", help="comma-separated λ values")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--preset", default="", help="encode with this preset's options at each λ")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--budgets", default=None, help="total iterations (default 600, or the preset's)")
    parser.add_argument("--deadline", type=float, default=None, help="seconds after which no row is awaited")
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
    new_file = not args.out.exists()
    if not new_file and args.out.read_text().split("\n", 1)[0].split("\t") != list(FIELDS):
        parser.error(f"--out: {args.out} has older columns; write new rows to another file")
    done = {_key(r) for r in _read(args.out)}
    lmbdas = [float(lmbda) for lmbda in args.lmbda.split(",")]

    def budgets(lmbda: float) -> list[int]:
        if args.budgets:
            return [int(b) for b in args.budgets.split(",")]
        return [_preset_budget(args.preset, lmbda) if args.preset else 600]

    jobs = [job for seed in args.seeds.split(",") for lmbda in lmbdas for b in budgets(lmbda)
            for img in args.images.split(",") for v in variants
            if (job := (img, args.crop, lmbda, int(seed), args.preset, args.device, v, b))
            and tuple(map(str, job)) not in done]
    start = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", newline="") as f, multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        writer = csv.DictWriter(f, FIELDS, delimiter="\t")
        if new_file:
            writer.writeheader()
        for row in pool.imap_unordered(partial(run_one, kodak=args.kodak), jobs):
            writer.writerow(row)
            f.flush()
            print("\t".join(str(row[k]) for k in FIELDS), flush=True)
            if args.deadline is not None and time.perf_counter() - start > args.deadline:
                print(f"deadline of {args.deadline:g} s reached: encodes in flight are dropped", flush=True)
                pool.terminate()
                break


if __name__ == "__main__":
    main()
