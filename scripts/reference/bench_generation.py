"""PyTorch reference of 3DGAN generation, timed for the side-by-side
benchmark bench/run_inference_comparison.sh: the networks of models.py as
written (GeneratorA/GeneratorB), eval mode, no_grad, fp32 and bf16 autocast
(torch.autocast('cpu', dtype=torch.bfloat16)).

Prints one JSON object on stdout. Run with Debian's /usr/bin/python3 (torch 1.13):
    /usr/bin/python3 scripts/reference/bench_generation.py --model a --threads 1 --batch 128 1
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


def median_seconds(call, warmup, repeats, cpu_time):
    clock = time.thread_time if cpu_time else time.perf_counter
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = clock()
        call()
        times.append(clock() - start)
    times.sort()
    return times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["a", "b"], default="a")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 1])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cpu-time", action="store_true", help="thread CPU time instead of wall time (1 thread)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = (models.GeneratorA() if args.model == "a" else models.GeneratorB()).eval()
    results = []
    for precision in args.precisions:
        for batch in args.batch:
            noise = torch.randn(batch, generator.latent_size if args.model == "a" else generator.latent_size - 2)
            if args.model == "a":
                cond = torch.empty(batch, 1).uniform_(0.1, 5.0)
            else:
                cond = torch.cat([torch.empty(batch, 1).uniform_(1.0, 2.0),
                                  torch.empty(batch, 1).uniform_(1.05, 2.09)], dim=1)

            def call():
                with torch.no_grad():
                    if precision == "bf16":
                        with torch.autocast("cpu", dtype=torch.bfloat16):
                            generator(noise, cond)
                    else:
                        generator(noise, cond)

            seconds = median_seconds(call, args.warmup, args.repeats, args.cpu_time)
            results.append({"engine": "pytorch-" + precision, "threads": args.threads, "batch": batch,
                            "ms_per_shower": 1e3 * seconds / batch, "showers_per_s": batch / seconds})
            print(f"pytorch {precision} threads {args.threads} batch {batch}: {1e3 * seconds / batch:.3f} ms/shower",
                  file=sys.stderr)
    print(json.dumps({"model": args.model, "torch": torch.__version__, "results": results}, indent=2))


if __name__ == "__main__":
    main()
