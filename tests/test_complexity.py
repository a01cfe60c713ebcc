"""MAC/pixel of the architectures of the official Kodak streams (spec §8 table)."""

import pytest

from coolchic.complexity import mac_per_pixel
from coolchic.options import parse_layers_synthesis
from coolchic.c3.frame import Architecture

SYN_DEFAULT = "40-1-linear-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none"
SYN_12 = "12-1-linear-relu,12-1-residual-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none"
SYN_24 = "24-1-linear-relu,24-1-residual-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none"


@pytest.mark.parametrize(
    "n_ctx_rowcol, layers_arm, synthesis, expected",
    [
        (3, (24, 24), SYN_DEFAULT, 2291.4),
        (3, (24, 24), SYN_12, 2155.4),
        (2, (12, 12), SYN_12, 971.4),
        (3, (24, 24), SYN_24, 2707.4),
    ],
)
def test_kodak_architectures_match_the_reference_counts(n_ctx_rowcol, layers_arm, synthesis, expected):
    arch = Architecture(
        n_ctx_rowcol=n_ctx_rowcol,
        layers_arm=layers_arm,
        synthesis=parse_layers_synthesis(synthesis, 3),
    )
    assert mac_per_pixel(arch, 512, 768).total == pytest.approx(expected, abs=0.05)


def test_default_split_and_portrait_size():
    arch = Architecture(synthesis=parse_layers_synthesis(SYN_DEFAULT, 3))
    c = mac_per_pixel(arch, 512, 768)
    assert c.synthesis == 562
    assert c.arm == pytest.approx(1200 * 524256 / 393216)
    assert mac_per_pixel(arch, 768, 1152).total == pytest.approx(2288.5, abs=0.05)
