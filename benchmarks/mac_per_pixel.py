"""Print the decoder's MAC per pixel of a configuration (spec §8 counting).

    .venv/bin/python benchmarks/mac_per_pixel.py                       # default architecture, 768x512
    .venv/bin/python benchmarks/mac_per_pixel.py --layers_synthesis 12-1-linear-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none --layers_arm 12,12 --n_ctx_rowcol 2
"""

from __future__ import annotations

import argparse

from coolchic.complexity import mac_per_pixel
from coolchic.options import EncoderOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=512)
    for name in ("layers_synthesis", "layers_arm", "n_ft_per_res"):
        parser.add_argument(f"--{name}")
    for name in ("n_ctx_rowcol", "upsampling_kernel_size"):
        parser.add_argument(f"--{name}", type=int)
    args = parser.parse_args()
    given = {k: v for k, v in vars(args).items() if v is not None and k not in ("width", "height")}
    options = EncoderOptions.from_kwargs(**given)
    c = mac_per_pixel(options.architecture(3), args.height, args.width)
    print(f"{args.width}x{args.height}: ARM {c.arm:.1f} + upsampling {c.upsampling:.1f} "
          f"+ synthesis {c.synthesis:.1f} = {c.total:.1f} MAC/pixel")


if __name__ == "__main__":
    main()
