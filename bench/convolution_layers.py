"""Per-layer convolution timings of a 3DGAN model-A training step: forward,
input gradient and weight gradient with oneDNN's backward primitives (what
libtorch calls) and with the forward-convolution formulations that
calo3dgan's training convolution can use instead (docs/training-performance.md).

    /usr/bin/python3 bench/convolution_layers.py [--batch 16] [--threads 2] [--dtype fp32|bf16]

Prints milliseconds per call, best of 3 after one warm-up call.
"""
import argparse
import time

import torch
import torch.nn.functional as F

# name, C_in, C_out, input size (x, y, z), kernel, symmetric padding
LAYERS = [
    ("D1", 1, 32, (25, 25, 25), (5, 5, 5), 2),
    ("D2", 32, 8, (25, 25, 25), (5, 5, 5), 2),
    ("D3", 8, 8, (25, 25, 25), (5, 5, 5), 2),
    ("D4", 8, 8, (25, 25, 25), (5, 5, 5), 1),
    ("G1", 8, 64, (7, 7, 8), (6, 6, 8), 3),
    ("G2", 64, 6, (14, 14, 16), (6, 5, 8), 2),
    ("G3", 6, 6, (26, 28, 27), (3, 3, 8), 1),
    ("G4", 6, 1, (26, 26, 26), (2, 2, 2), 0),
]


def best_ms(f, repeats=3):
    f()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return 1e3 * best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    print(f"batch {args.batch}, {args.threads} threads, {args.dtype}; ms per call")
    for name, cin, cout, size, kernel, pad in LAYERS:
        x = torch.randn(args.batch, cin, *size, dtype=dtype)
        w = torch.randn(cout, cin, *kernel, dtype=dtype) * 0.05
        dy = torch.randn_like(F.conv3d(x, w, padding=pad))

        def onednn(mask):
            return torch.ops.aten.convolution_backward(dy, x, w, [cout], [1, 1, 1], [pad] * 3, [1, 1, 1], False,
                                                       [0, 0, 0], 1, mask)

        def dx_as_forward():
            full = [k - 1 - pad for k in kernel]
            return F.conv3d(dy, w.flip(2, 3, 4).transpose(0, 1).contiguous(), padding=full)

        def dw_as_forward():
            return F.conv3d(F.pad(x, [pad] * 6).transpose(0, 1), dy.transpose(0, 1)).transpose(0, 1)

        print(f"{name} {cin:2d} -> {cout:2d}: forward {best_ms(lambda: F.conv3d(x, w, padding=pad)):6.1f} | "
              f"dx oneDNN {best_ms(lambda: onednn([True, False, False])):6.1f} as forward {best_ms(dx_as_forward):6.1f} | "
              f"dw oneDNN {best_ms(lambda: onednn([False, True, False])):6.1f} as forward {best_ms(dw_as_forward):6.1f}",
              flush=True)


if __name__ == "__main__":
    main()
