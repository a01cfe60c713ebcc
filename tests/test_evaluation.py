"""Tests of the rate–distortion benchmark harness (coolchic.evaluation, coolchic bench)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from coolchic.evaluation import BenchConfig, run_benchmark
from coolchic.evaluation import sweep as sweep_module
from coolchic.evaluation.bdrate import bd_rate, compare, pareto_front
from coolchic.evaluation.benchmark import all_codecs, budget_notes, select_codecs
from coolchic.evaluation.codecs import classic_codecs
from coolchic.evaluation.coolchic_codec import REFERENCE_N_ITR, CoolchicCodec
from coolchic.evaluation.metrics import bits_per_pixel, psnr_rgb
from coolchic.evaluation.published import PUBLISHED_NAME
from coolchic.evaluation.report import read_points_tsv
from coolchic_cli.bench import bench_command

SETTINGS = {"jpeg420": (20.0, 50.0, 80.0, 95.0), "webp": (20.0, 50.0, 80.0, 95.0)}
NAMES = ("smooth", "texture")


def _synthetic(seed: int, height: int = 48, width: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 3, y * 4, (x + y) * 2], axis=-1).astype(np.float64)
    noise = rng.normal(0, 12 * seed, size=base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    for seed, name in enumerate(NAMES):
        Image.fromarray(_synthetic(seed)).save(folder / f"{name}.png")
    return folder


def _config(image_dir: Path, outdir: Path, **kwargs) -> BenchConfig:
    defaults = dict(codecs=["jpeg420", "webp"], settings=SETTINGS, test="webp")
    return BenchConfig(image_dir=image_dir, outdir=outdir, **{**defaults, **kwargs})


def test_psnr_and_bpp() -> None:
    ref = _synthetic(1)
    off_by_one = np.where(ref < 255, ref + 1, ref - 1).astype(np.uint8)
    assert psnr_rgb(ref, off_by_one) == pytest.approx(20 * math.log10(255), abs=1e-9)
    assert psnr_rgb(ref, ref) == math.inf
    assert bits_per_pixel(1000, 40, 50) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="shape"):
        psnr_rgb(ref, ref[:-1])


def test_end_to_end_writes_every_output(image_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_benchmark(_config(image_dir, out))

    with (out / "points.tsv").open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) == 2 * len(NAMES) * 4
    assert {r["codec"] for r in rows} == {"jpeg420", "webp"}
    for r in rows:
        assert float(r["bpp"]) == pytest.approx(8 * int(r["n_bytes"]) / (64 * 48))
        assert 15 < float(r["psnr_rgb"]) < 60
    assert read_points_tsv(out / "points.tsv") == result.points

    data = json.loads((out / "compressai" / "jpeg420.json").read_text())
    assert data["name"] == "jpeg420" and data["description"]
    assert len(data["results"]["bpp"]) == len(data["results"]["psnr-rgb"]) == 4
    assert data["results"]["bpp"] == sorted(data["results"]["bpp"])

    config = json.loads((out / "config.json").read_text())
    assert config["images"] == list(NAMES)
    assert config["codecs"]["webp"]["quality"] == list(SETTINGS["webp"])

    report = (out / "report.md").read_text()
    assert "| jpeg420 |" in report and "BD-rate" in report
    assert (out / "rd.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    (row,) = result.bd_rows
    assert row.anchor == "jpeg420" and row.n_valid == len(NAMES)
    assert math.isfinite(row.bd_rate_per_image) and math.isfinite(row.bd_rate_average_curve)
    assert sorted(row.per_image) == sorted(NAMES)
    assert row.bd_rate_per_image == pytest.approx(sum(row.per_image.values()) / len(NAMES))


def test_rerun_resumes_without_recomputing(
    image_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = run_benchmark(_config(image_dir, out))

    calls: list[tuple[str, str, float]] = []
    real_measure = sweep_module.measure

    def counting_measure(codec, image, setting):
        calls.append((codec.name, image.name, setting))
        return real_measure(codec, image, setting)

    monkeypatch.setattr(sweep_module, "measure", counting_measure)
    again = run_benchmark(_config(image_dir, out))
    assert calls == []
    assert again.points == first.points

    more = {**SETTINGS, "webp": (*SETTINGS["webp"], 60.0)}
    run_benchmark(_config(image_dir, out, settings=more))
    assert sorted(calls) == [("webp", name, 60.0) for name in NAMES]

    calls.clear()
    run_benchmark(_config(image_dir, out, crop=(32, 32)))
    assert len(calls) == 2 * len(NAMES) * 4  # other pixels: nothing reusable


def test_bd_rate_of_a_codec_against_itself_is_zero(image_dir: Path, tmp_path: Path) -> None:
    result = run_benchmark(_config(image_dir, tmp_path / "out"))
    row = compare(result.points, "webp", "webp")
    assert row.bd_rate_per_image == pytest.approx(0.0, abs=1e-9)
    assert row.bd_rate_average_curve == pytest.approx(0.0, abs=1e-9)
    assert row.bd_psnr_average_curve == pytest.approx(0.0, abs=1e-9)


def test_bd_rate_measures_a_known_rate_saving() -> None:
    anchor = [(0.2, 28.0), (0.5, 31.0), (1.0, 34.5), (2.0, 38.0)]
    cheaper = [(0.8 * r, p) for r, p in anchor]
    assert bd_rate(anchor, cheaper) == pytest.approx(-20.0, abs=1e-6)
    assert math.isnan(bd_rate(anchor, [(r, p + 20) for r, p in anchor]))  # no overlap


def test_pareto_front_drops_dominated_points() -> None:
    curve = [(1.0, 30.0), (0.5, 28.0), (1.5, 29.0), (2.0, 33.0), (0.7, math.inf)]
    assert pareto_front(curve) == [(0.5, 28.0), (1.0, 30.0), (2.0, 33.0)]


def test_published_curve_is_an_anchor_when_images_match(image_dir: Path, tmp_path: Path) -> None:
    tsv = tmp_path / "results.tsv"
    lines = ["seq_name\tlmbda\trate_bpp\tn_pixels\tpsnr_db"]
    for name in NAMES:
        for lmbda, bpp, psnr in ((0.02, 0.3, 26.0), (0.004, 0.8, 31.0), (0.001, 1.6, 36.0)):
            lines.append(f"{name}\t{lmbda}\t{bpp}\t{64 * 48}\t{psnr}")
    tsv.write_text("\n".join(lines) + "\n")

    result = run_benchmark(_config(image_dir, tmp_path / "out", reference=tsv))
    assert [r.anchor for r in result.bd_rows] == ["jpeg420", PUBLISHED_NAME]
    assert (tmp_path / "out" / "compressai" / f"{PUBLISHED_NAME}.json").exists()

    cropped = run_benchmark(_config(image_dir, tmp_path / "out2", reference=tsv, crop=(32, 32)))
    assert [r.anchor for r in cropped.bd_rows] == ["jpeg420"]
    assert any("Published Cool-chic 3.0 curve not used" in n for n in cropped.notes)


def test_unavailable_codecs_are_reported_not_skipped_silently(
    image_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = classic_codecs()
    monkeypatch.setattr(known["webp"], "unavailable_reason", lambda: "libwebp missing (test)")
    config = _config(image_dir, tmp_path / "out")
    with pytest.raises(ValueError, match="--codecs: cannot run webp: libwebp missing"):
        select_codecs(config, known)
    config.codecs = None
    chosen, unavailable = select_codecs(config, known)
    assert unavailable == {"webp": "libwebp missing (test)"}
    assert "webp" not in [c.name for c in chosen]


def test_cli_runs_and_prints_the_bd_table(image_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-out"
    args = [str(image_dir), "-o", str(out), "--codecs", "jpeg420,webp", "--test", "webp",
            "--images", "texture,smooth", "--settings", "jpeg420=20,50,80,95",
            "--settings", "webp=20,50,80,95", "--no-reference"]
    result = CliRunner().invoke(bench_command, args)
    assert result.exit_code == 0, result.output
    assert "| jpeg420 |" in result.output
    assert "[16/16]" in result.output  # progress lines (stderr is mixed in by CliRunner)
    command = json.loads((out / "config.json").read_text())["command"]
    assert command.startswith(f"coolchic bench {image_dir} --out {out}")
    assert "--settings jpeg420=20,50,80,95 --settings webp=20,50,80,95" in command
    rerun = CliRunner().invoke(bench_command, args)
    assert rerun.exit_code == 0 and rerun.output.count("(cached)") == 16


def test_cli_lists_codecs_with_their_availability() -> None:
    result = CliRunner().invoke(bench_command, ["--list-codecs"])
    assert result.exit_code == 0
    for name in all_codecs(BenchConfig(Path("."), Path("."))):
        assert name in result.output
    assert "available" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--crop", "64"], "--crop"),
        (["--crop", "640x480"], "--crop"),
        (["--codecs", "jpeg420,nope"], "--codecs"),
        (["--images", "smooth,absent"], "--images"),
        (["--settings", "jpeg420=50"], "--settings"),
        (["--settings", "jpeg420=50,500"], "--settings"),
        (["--settings", "jpeg420=a,b"], "--settings"),
        (["--n-itr", "0"], "--n-itr"),
        (["--time-limit", "0"], "--time-limit"),
        (["--threads", "0"], "--threads"),
        (["--test", "avif444"], "--test"),
    ],
)
def test_cli_rejects_bad_arguments(
    image_dir: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    args = [str(image_dir), "-o", str(tmp_path / "o"), "--codecs", "jpeg420,webp",
            "--test", "webp", "--no-reference"]
    result = CliRunner().invoke(bench_command, args + extra)
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "o" / "points.tsv").exists()


def test_cli_requires_folder_and_output() -> None:
    result = CliRunner().invoke(bench_command, [])
    assert result.exit_code != 0 and "--out" in result.output


def test_a_reduced_coolchic_budget_is_flagged(image_dir: Path, tmp_path: Path) -> None:
    config = _config(image_dir, tmp_path / "out", crop=(32, 16))
    notes = budget_notes(config, [CoolchicCodec(n_itr=50, n_train_loops=2)])
    assert notes[0].startswith("REDUCED BUDGET") and "n_itr=50, n_train_loops=2" in notes[0]
    assert "32x16" in notes[1]
    assert budget_notes(_config(image_dir, tmp_path), [CoolchicCodec(n_itr=REFERENCE_N_ITR)]) == []


@pytest.mark.slow
def test_coolchic_adapter_through_the_sweep(image_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = _config(
        image_dir, out, codecs=["coolchic", "webp"], images=["smooth"], crop=(16, 16),
        n_itr=1, settings={"coolchic": (0.02, 0.001), "webp": SETTINGS["webp"]}, test="coolchic",
    )
    result = run_benchmark(config)
    ours = [p for p in result.points if p.codec == "coolchic"]
    assert [p.setting for p in ours] == [0.02, 0.001]
    for p in ours:
        stream = out / "streams" / "coolchic" / f"smooth-lmbda{p.setting:g}.cool"
        assert stream.stat().st_size == p.n_bytes
        assert math.isfinite(p.psnr_rgb)
    assert "REDUCED BUDGET" in (out / "report.md").read_text()


def test_the_budget_note_shows_what_a_preset_runs(image_dir: Path, tmp_path: Path) -> None:
    from coolchic.options import PRESETS

    codec = CoolchicCodec(preset="fast")
    assert codec.effective_budget()["n_itr"] == PRESETS["fast"]["n_itr"]
    assert CoolchicCodec(preset="fast", n_itr=7).effective_budget()["n_itr"] == 7
    notes = budget_notes(_config(image_dir, tmp_path), [codec])
    assert f"n_itr={PRESETS['fast']['n_itr']}" in notes[0]
    assert f"n_itr={PRESETS['fast']['n_itr']}" in codec.description
    assert "n_itr from" not in CoolchicCodec(preset="fast", n_itr=7).description


def test_the_budget_note_shows_a_presets_lower_rate_budgets() -> None:
    from coolchic.options import PRESETS, RATE_TIERS

    description = CoolchicCodec(preset="medium").description
    (coarse, coarse_tier), (light, light_tier) = RATE_TIERS["medium"]
    assert (f"n_itr={PRESETS['medium']['n_itr']}, n_itr from lmbda {coarse:g}={coarse_tier['n_itr']}, "
            f"n_itr from lmbda {light:g}={light_tier['n_itr']}") in description
    assert "n_itr from" not in CoolchicCodec(preset="medium", n_itr=7).description


def test_a_time_limit_reaches_the_encoder_the_description_and_the_cache_key(
    image_dir: Path, tmp_path: Path
) -> None:
    from coolchic.evaluation.images import load_images
    from coolchic.evaluation.sweep import point_key

    limited = all_codecs(_config(image_dir, tmp_path, preset="fast", time_limit=60.0))["coolchic"]
    plain = all_codecs(_config(image_dir, tmp_path, preset="fast"))["coolchic"]
    assert limited._encoder_options(1e-3).time_limit == 60.0
    assert "time_limit=60.0" in limited.description and "time_limit" not in plain.description
    image = load_images(image_dir, None, None)[0]
    assert point_key(limited, image, 1e-3) != point_key(plain, image, 1e-3)


def test_the_cache_key_does_not_depend_on_the_setting_type(image_dir: Path, tmp_path: Path) -> None:
    from coolchic.evaluation.images import load_images
    from coolchic.evaluation.sweep import point_key

    codec = all_codecs(_config(image_dir, tmp_path))["jpeg420"]
    image = load_images(image_dir, None, None)[0]
    assert point_key(codec, image, 90) == point_key(codec, image, 90.0)


def test_the_cache_key_follows_what_a_preset_runs(
    image_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redefined preset (here: another architecture, same n_itr) must not reuse old points."""
    from coolchic.evaluation.images import load_images
    from coolchic.evaluation.sweep import point_key
    from coolchic.options import PRESETS

    image = load_images(image_dir, None, None)[0]
    before = point_key(CoolchicCodec(preset="fast"), image, 1e-3)
    monkeypatch.setitem(PRESETS, "fast", {**PRESETS["fast"], "layers_arm": "8,8"})
    assert point_key(CoolchicCodec(preset="fast"), image, 1e-3) != before


def test_the_cache_key_follows_the_recipe_a_preset_builds(
    image_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed recipe default (here: the soft-round temperature) must not reuse old points."""
    from functools import partial

    from coolchic.evaluation.images import load_images
    from coolchic.evaluation.sweep import point_key
    from coolchic.training import schedule

    image = load_images(image_dir, None, None)[0]
    before = point_key(CoolchicCodec(preset="fast"), image, 1e-3)
    monkeypatch.setitem(schedule.RECIPES, "lean", partial(schedule.lean_recipe, temperature=(0.3, 0.1)))
    assert point_key(CoolchicCodec(preset="fast"), image, 1e-3) != before


def test_the_cache_key_follows_the_low_rate_decoder_of_a_preset(
    image_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``medium`` switches decoders at LOW_RATE_LMBDA: a moved switch must not reuse old
    low-rate points, and leaves the points below it valid; ``slow`` changes only there, so
    its configuration names that one λ."""
    from coolchic import options
    from coolchic.evaluation.images import load_images
    from coolchic.evaluation.sweep import point_key

    image = load_images(image_dir, None, None)[0]
    assert f"from_lmbda {options.LOW_RATE_LMBDA:g}" in CoolchicCodec(preset="medium").options()
    assert [k for k in CoolchicCodec(preset="slow").options() if k.startswith("from_lmbda")] == [
        f"from_lmbda {options.LOW_RATE_LMBDA:g}"]
    before = [point_key(CoolchicCodec(preset="medium"), image, lmbda) for lmbda in (1e-3, 2e-2)]
    (coarse, coarse_tier), (light, light_tier) = options.RATE_TIERS["medium"]
    light_arm = {**light_tier, "layers_arm": "8,8"}
    monkeypatch.setitem(options.RATE_TIERS, "medium", ((coarse, coarse_tier), (light, light_arm)))
    after = [point_key(CoolchicCodec(preset="medium"), image, lmbda) for lmbda in (1e-3, 2e-2)]
    assert after[0] == before[0] and after[1] != before[1]
    monkeypatch.setitem(options.RATE_TIERS, "medium", ((coarse, coarse_tier), (light, {**light_tier, "n_itr": 7})))
    assert point_key(CoolchicCodec(preset="medium"), image, 2e-2) not in (before[1], after[1])


def test_the_cache_key_follows_the_pretrained_networks(
    image_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Points measured with other stored networks (or none) are not reused."""
    from coolchic.evaluation.images import load_images
    from coolchic.evaluation.sweep import point_key
    from coolchic.training import pretrained

    image = load_images(image_dir, None, None)[0]
    before = point_key(CoolchicCodec(preset="fast"), image, 1e-3)
    monkeypatch.setattr(pretrained, "fingerprint", lambda arch: "another set")
    assert point_key(CoolchicCodec(preset="fast"), image, 1e-3) != before
