"""Per-layer convolution timings of a 3DGAN training step: forward (as
written and by output phases), input gradient and weight gradient with
oneDNN's backward primitives (what libtorch calls; for the weight gradient
also on an input padded beforehand) and with the forward-convolution
formulations that calo3dgan's training convolution can use instead
(docs/training-performance.md).

    /usr/bin/python3 bench/convolution_layers.py [--model a|b] [--batch 16] [--threads 2] [--dtype fp32|bf16]

Prints milliseconds per call, best of 3 after one warm-up call. Layers with
asymmetric padding in the model (Keras 'same' with an even kernel) are timed
with the input padded to the same output size by the symmetric part.
"""
import argparse
import time

import torch
import torch.nn.functional as F

# name, C_in, C_out, input size (x, y, z) as the convolution sees it,
# kernel, symmetric padding (x, y, z)
LAYERS = {
    "a": [
        ("D1", 1, 32, (25, 25, 25), (5, 5, 5), (2, 2, 2)),
        ("D2", 32, 8, (25, 25, 25), (5, 5, 5), (2, 2, 2)),
        ("D3", 8, 8, (25, 25, 25), (5, 5, 5), (2, 2, 2)),
        ("D4", 8, 8, (25, 25, 25), (5, 5, 5), (1, 1, 1)),
        ("G1", 8, 64, (7, 7, 8), (6, 6, 8), (3, 3, 3)),
        ("G2", 64, 6, (14, 14, 16), (6, 5, 8), (2, 2, 2)),
        ("G3", 6, 6, (26, 28, 27), (3, 3, 8), (1, 1, 1)),
        ("G4", 6, 1, (26, 26, 26), (2, 2, 2), (0, 0, 0)),
    ],
    # docs/models.md, "Model B"; G0 is the upsampling convolution as written.
    "b": [
        ("D1", 1, 16, (51, 52, 26), (5, 6, 6), (2, 2, 2)),
        ("D2", 16, 8, (51, 51, 25), (5, 6, 6), (0, 0, 1)),
        ("D3", 8, 8, (47, 46, 22), (5, 6, 6), (0, 0, 1)),
        ("D4", 8, 8, (43, 41, 19), (5, 6, 6), (0, 0, 0)),
        ("G0", 8, 8, (54, 54, 48), (6, 6, 8), (0, 0, 0)),
        ("G1", 8, 6, (49, 49, 41), (4, 4, 6), (2, 2, 1)),
        ("G2", 6, 6, (50, 50, 38), (4, 4, 6), (2, 2, 1)),
        ("G3", 6, 6, (51, 51, 35), (4, 4, 6), (2, 2, 1)),
        ("G4", 6, 6, (52, 52, 32), (3, 3, 5), (1, 1, 0)),
        ("G5", 6, 6, (52, 52, 28), (3, 3, 3), (1, 1, 0)),
        ("G6", 6, 1, (52, 52, 26), (2, 2, 2), (0, 0, 0)),
    ],
}


def best_ms(f, repeats=3):
    f()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return 1e3 * best


def forward_by_phases(x, w, pad):
    """Both output phases along x as one stride-2 convolution (k + 1 taps)."""
    cout, k = w.shape[0], w.shape[2]
    kernel = torch.zeros(2, cout, w.shape[1], k + 1, *w.shape[3:], dtype=w.dtype)
    kernel[0, :, :, :k] = w
    kernel[1, :, :, 1:] = w
    return F.conv3d(x, kernel.flatten(0, 1), stride=(2, 1, 1), padding=(pad[0] + 1, pad[1], pad[2]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["a", "b"], default="a")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    print(f"model {args.model}, batch {args.batch}, {args.threads} threads, {args.dtype}; ms per call")
    for name, cin, cout, size, kernel, pad in LAYERS[args.model]:
        x = torch.randn(args.batch, cin, *size, dtype=dtype)
        w = torch.randn(cout, cin, *kernel, dtype=dtype) * 0.05
        dy = torch.randn_like(F.conv3d(x, w, padding=pad))

        def onednn(mask, x=x, pad=pad):
            return torch.ops.aten.convolution_backward(dy, x, w, [cout], [1, 1, 1], list(pad), [1, 1, 1], False,
                                                       [0, 0, 0], 1, mask)

        xp = F.pad(x, [pad[2], pad[2], pad[1], pad[1], pad[0], pad[0]])
        full = [k - 1 - p for k, p in zip(kernel, pad)]
        flipped = w.flip(2, 3, 4).transpose(0, 1).contiguous()

        def dw_as_forward():
            return F.conv3d(xp.transpose(0, 1), dy.transpose(0, 1)).transpose(0, 1)

        columns = [
            ("forward", lambda: F.conv3d(x, w, padding=pad)),
            ("by phases", lambda: forward_by_phases(x, w, pad)),
            ("| dx oneDNN", lambda: onednn([True, False, False])),
            ("as forward", lambda: F.conv3d(dy, flipped, padding=full)),
            ("by phases", lambda: forward_by_phases(dy, flipped, full)),
            ("| dw oneDNN", lambda: onednn([False, True, False])),
            ("padded first", lambda: onednn([False, True, False], xp, (0, 0, 0))),
            ("as forward", dw_as_forward),
        ]
        print(f"{name} {cin:2d} -> {cout:2d}: " + " ".join(f"{label} {best_ms(f):6.1f}" for label, f in columns),
              flush=True)


if __name__ == "__main__":
    main()
