"""The ``coolchic`` CLI: every command in-process (click's runner) and through the installed script."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import coolchic
from coolchic.container import read_container
from coolchic.imageconv import encode_yuv420_frame, read_yuv420
from coolchic_cli.main import cli
from coolchic_cli.progress import Progress

from integration_helpers import CLI_TINY, SHARED, YUV10, cli_command, cool_rgb, rgb_image, subprocess_env

OFFICIAL = SHARED / "data" / "coolchic3" / "kodak-bitstreams" / "kodim01-lmbda-002.bin"


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def script(*args: str, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*cli_command(), *args], input=input, capture_output=True, cwd=cwd, env=subprocess_env(), timeout=300
    )


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    path = tmp_path / "a.png"
    Image.fromarray(rgb_image()).save(path)
    return path


@pytest.fixture()
def cool(tmp_path: Path) -> Path:
    path = tmp_path / "x.cool"
    path.write_bytes(cool_rgb())
    return path


def test_encode_then_decode_in_process(png: Path, tmp_path: Path):
    result = run("encode", str(png), *CLI_TINY)
    assert result.exit_code == 0, result.stderr
    cool = png.with_suffix(".cool")
    assert result.stdout == "" and "wrote" in result.stderr
    header = read_container(cool.read_bytes())[0]
    assert (header.width, header.height, header.color) == (32, 24, "rgb")
    out = tmp_path / "b.png"
    assert run("decode", str(cool), "-o", str(out)).exit_code == 0
    assert np.array_equal(np.asarray(Image.open(out)), coolchic.decode(cool.read_bytes()).array)
    again = run("encode", str(png), *CLI_TINY)
    assert again.exit_code == 2 and "exists" in again.stderr


def test_info_human_json_check(cool: Path):
    result = run("info", str(cool))
    assert result.exit_code == 0
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines["width"] == "32" and lines["color"] == "rgb" and lines["format"] == "cool"
    doc = json.loads(run("info", "--json", str(cool)).stdout)
    assert doc["schema_version"] == 1 and doc["files"][0]["height"] == 24
    per_resolution = doc["files"][0]["latent_bytes_per_resolution"]
    assert sum(per_resolution) == doc["files"][0]["latent_bytes"]
    assert lines["latent_bytes_per_resolution"] == ",".join(map(str, per_resolution))
    assert run("info", "--check", str(cool)).stdout.strip().splitlines()[-1].startswith("check: ok")


def test_info_on_other_data_says_what_it_looks_like(tmp_path: Path, png: Path):
    fake = tmp_path / "photo.cool"
    Image.fromarray(rgb_image()).save(fake, format="TIFF")
    result = run("info", str(fake))
    assert result.exit_code == 1 and "TIFF" in result.stderr and result.stdout == ""
    doc = json.loads(run("info", "--json", str(fake), str(png)).stdout)
    assert [f["looks_like"] for f in doc["files"]] == ["a TIFF image", "a PNG image"]


def test_info_works_without_torch(cool: Path):
    code = (
        "import sys; from coolchic_cli.main import main\n"
        f"rc = main(['info', {str(cool)!r}])\n"
    )
    check = "import sys, runpy; sys.modules['torch'] = None\n" + code
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, env=subprocess_env())
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"width: 32" in proc.stdout


def test_decode_to_stdout_needs_format_and_never_to_terminal(cool: Path):
    result = run("decode", str(cool), "-o", "-")
    assert result.exit_code == 2 and "-f/--format" in result.stderr
    result = run("decode", str(cool), "-f", "png", "-o", "-")
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"\x89PNG")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [*cli_command(), "decode", str(cool), "-f", "png", "-o", "-"],
            stdout=follower, stderr=subprocess.PIPE, env=subprocess_env(), timeout=120,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 2 and b"terminal" in proc.stderr


def test_convert_cool_bin_round_trip_and_official_stream(cool: Path, tmp_path: Path):
    raw, back = tmp_path / "x.bin", tmp_path / "back.cool"
    assert run("convert", str(cool), str(raw)).exit_code == 0
    assert raw.read_bytes() == read_container(cool.read_bytes())[2]
    assert run("convert", str(raw), str(back)).exit_code == 0
    assert back.read_bytes() == cool.read_bytes()
    wrapped = tmp_path / "kodim01.cool"
    assert run("convert", str(OFFICIAL), str(wrapped)).exit_code == 0
    assert read_container(wrapped.read_bytes())[2] == OFFICIAL.read_bytes()
    assert json.loads(run("info", "--json", str(wrapped)).stdout)["files"][0]["width"] == 768
    result = run("convert", str(cool), str(tmp_path / "y.png"))
    assert result.exit_code == 0 and Image.open(tmp_path / "y.png").size == (32, 24)
    assert run("convert", str(tmp_path / "y.png"), str(tmp_path / "z.jpg")).exit_code == 2


def _yuv_crop(tmp_path: Path, name: str) -> Path:
    full = read_yuv420(YUV10)
    crop = coolchic.YUV420(full.y[:24, :32], full.u[:12, :16], full.v[:12, :16], bitdepth=10)
    path = tmp_path / name
    path.write_bytes(encode_yuv420_frame(crop))
    return path


def test_raw_yuv_10_bit_encode_decode(tmp_path: Path):
    src = _yuv_crop(tmp_path, "my_clip_32x24_01p_yuv420_10b.yuv")
    out = tmp_path / "c.cool"
    assert run("encode", str(src), "-o", str(out), *CLI_TINY).exit_code == 0
    header = read_container(out.read_bytes())[0]
    assert (header.width, header.height, header.color, header.bitdepth) == (32, 24, "yuv420", 10)
    result = run("decode", str(out))
    assert result.exit_code == 0
    decoded = tmp_path / "c_32x24_01p_yuv420_10b.yuv"
    expected = coolchic.decode(out.read_bytes()).yuv
    assert decoded.read_bytes() == encode_yuv420_frame(expected)
    assert read_yuv420(decoded).bitdepth == 10


def test_raw_yuv_naming_and_overrides(tmp_path: Path):
    bad = _yuv_crop(tmp_path, "clip.yuv")
    result = run("encode", str(bad), *CLI_TINY)
    assert result.exit_code == 2 and "--size" in result.stderr
    result = run("encode", str(bad), "--size", "32x24", "--pix-fmt", "yuv420p10le", "-o", str(tmp_path / "o.cool"), *CLI_TINY)
    assert result.exit_code == 0
    result = run("encode", str(bad), "--size", "30x24", "--bitdepth", "10", "-o", str(tmp_path / "p.cool"), *CLI_TINY)
    assert result.exit_code == 1 and "whole number" in result.stderr
    result = run("encode", str(bad), "--size", "32x24", "--bitdepth", "8", "--pix-fmt", "yuv420p10le")
    assert result.exit_code == 2


def test_usage_errors_exit_2(png: Path):
    assert run("encode", str(png), "--layers_arm", "8,9").exit_code == 2
    result = run("encode", str(png), "-Q", "50", "--lmbda", "0.001")
    assert result.exit_code == 2 and "mutually exclusive" in result.stderr
    assert run("encode", str(png), "--preset", "no-such-preset").exit_code == 2
    result = run("encode", str(png), "--time-limit", "0")
    assert result.exit_code == 2 and "--time-limit" in result.stderr
    assert run("frobnicate").exit_code == 2


def test_time_limit_caps_a_long_encode(png: Path):
    result = run("encode", str(png), *CLI_TINY, "--n_itr", "1000000", "--time-limit", "2")
    assert result.exit_code == 0, result.stderr
    assert read_container(png.with_suffix(".cool").read_bytes())[0].width == 32


def test_failures_exit_1_without_traceback(tmp_path: Path):
    proc = script("decode", str(tmp_path / "missing.cool"))
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("coolchic: error:") and b"Traceback" not in proc.stderr
    garbage = tmp_path / "g.cool"
    garbage.write_bytes(b"\x89COOL\r\n\x1a\n" + bytes(50))
    proc = script("-v", "decode", str(garbage), "-o", str(tmp_path / "g.png"))
    assert proc.returncode == 1 and b"Traceback" in proc.stderr and b"coolchic: error:" in proc.stderr
    assert not (tmp_path / "g.png").exists()


def test_pipes_through_the_installed_command(png: Path):
    encoded = script("encode", "-", "-q", *CLI_TINY, input=png.read_bytes())
    assert encoded.returncode == 0, encoded.stderr.decode()
    assert encoded.stdout.startswith(b"\x89COOL") and encoded.stderr == b""
    decoded = script("decode", "-", "-f", "png", input=encoded.stdout)
    assert decoded.returncode == 0 and decoded.stdout.startswith(b"\x89PNG")
    assert b"\x89" not in decoded.stderr
    module = subprocess.run(
        [sys.executable, "-m", "coolchic_cli", "info", "-"], input=encoded.stdout, capture_output=True
    )
    assert module.returncode == 0 and b"width: 32" in module.stdout


def test_closed_pipe_exits_quietly(cool: Path, monkeypatch):
    producer = subprocess.Popen(
        [*cli_command(), "decode", str(OFFICIAL), "-q", "-f", "ppm", "-o", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env(),
    )
    reader = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read(10))"]
    head = subprocess.run(reader, stdin=producer.stdout, capture_output=True)
    producer.stdout.close()
    stderr = producer.stderr.read()
    producer.stderr.close()
    assert producer.wait(timeout=300) == 0
    assert head.stdout.startswith(b"P6") and stderr == b""

    def broken(path: str, data: bytes) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("coolchic_cli.main.write_output", broken)
    result = run("decode", str(cool), "-f", "png", "-o", "-")
    assert result.exit_code == 0 and result.stderr == ""


def test_progress_bar_on_terminal_and_lines_otherwise():
    from coolchic.training.progress import ProgressEvent

    def Event(phase: str, iteration: int) -> ProgressEvent:
        return ProgressEvent(phase, iteration, 10, loss=0.5, bpp=1.0, psnr_db=30.0)

    live = io.StringIO()
    bar = Progress(live, live=True)
    bar(Event("phase0", 5))
    bar.close()
    assert "#" in live.getvalue() and "\r" in live.getvalue()
    plain = io.StringIO()
    lines = Progress(plain, live=False, every_phase=True)
    for phase in ("warmup", "phase0"):
        lines(Event(phase, 10))
    lines.close()
    assert plain.getvalue().count("\n") == 2 and "\r" not in plain.getvalue()


def test_plain_progress_logs_the_last_event_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from coolchic.training.progress import ProgressEvent
    from coolchic_cli import progress

    monkeypatch.setattr(progress, "_LOG_SECONDS", 0.0)  # every event is logged as it comes
    plain = io.StringIO()
    lines = Progress(plain, live=False)
    for iteration in (5, 10):
        lines(ProgressEvent("phase0", iteration, 10, loss=0.5, bpp=1.0, psnr_db=30.0))
    lines.close()
    assert plain.getvalue().count("itr 10/10") == 1 and plain.getvalue().count("\n") == 2


def test_no_pretrained_flag_reaches_the_encoder_options() -> None:
    import click
    from click.testing import CliRunner

    from coolchic_cli import encoder_flags

    seen: list[dict[str, object]] = []

    @click.command()
    @encoder_flags.encoder_flags
    def command(**params: object) -> None:
        seen.append(encoder_flags.pop_encoder_kwargs(params))

    for args, want in (([], None), (["--no-pretrained"], False)):
        assert CliRunner().invoke(command, args).exit_code == 0
        assert seen[-1].get("pretrained") == want
