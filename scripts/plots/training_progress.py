#!/usr/bin/env python3
"""The cost of quality: a training run's validation numbers against the showers seen.

Usage: training_progress.py RUN_DIR OUT.png [METRICS.json ...]
Draws, against the real showers seen in training (steps x batch), the
sampling-fraction mean relative error and the figure of merit that
`train --validate-every` recorded in RUN_DIR/history.json, the discriminator
and generator training losses, and, from each METRICS.json of
`calo3dgan validate --checkpoint RUN/checkpoints/...` given, the worst
energy bin's sampling-fraction error and the profiles' worst errors against
the quality targets (docs/validation.md). Every number is computed by
calo3dgan; this only draws. Prints the table it draws.
"""
import json
import os
import re
import sys
import tomllib

import plotting

plt = plotting.pyplot()
DPI = 120


def samples_seen(record, batch):
    return record["steps"] * batch


def checkpoint_samples(metrics, batch, steps_per_epoch):
    """Showers seen at the checkpoint a metrics.json was made from, from its name."""
    source = metrics["candidate"]["source"]
    match = re.search(r"epoch(\d+)(?:_batch(\d+))?\.pt$", source)
    if not match:
        return None
    epoch, batch_in_epoch = int(match.group(1)), int(match.group(2) or 0)
    return (epoch * steps_per_epoch + batch_in_epoch) * batch


def main(run_dir, out, metrics_files):
    history = json.load(open(os.path.join(run_dir, "history.json")))
    with open(os.path.join(run_dir, "config.toml"), "rb") as f:
        batch = tomllib.load(f)["train"]["batch_size"]
    steps_per_epoch = history[0]["steps"] if history else 1
    validated = [r for r in history if r.get("validation")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))

    ax = axes[0]
    x = [samples_seen(r, batch) for r in validated]
    ax.errorbar(x, [100 * r["validation"]["sampling_fraction_mre"] for r in validated],
                yerr=[100 * r["validation"]["sampling_fraction_mre_error"] for r in validated],
                fmt="o-", label="mean over bins (test split, in training)")
    checks = []
    for path in metrics_files:
        m = json.load(open(path))
        seen = checkpoint_samples(m, batch, steps_per_epoch)
        if seen is not None:
            checks.append((seen, m))
    checks.sort(key=lambda c: c[0])
    if checks:
        ax.plot([c[0] for c in checks], [100 * c[1]["quality"]["sampling_fraction"]["max_relative_error"]
                                         for c in checks], "s--", label="worst bin (held-out showers)")
        ax.plot([c[0] for c in checks], [100 * c[1]["sampling_fraction_mre"] for c in checks], "^--",
                label="mean over bins (held-out showers)")
    ax.axhline(3, color="grey", ls=":", lw=0.8)
    ax.axhline(5, color="grey", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("real showers seen")
    ax.set_ylabel("sampling-fraction relative error [%]")
    ax.set_title("Sampling fraction (targets 3 % mean, 5 % per bin)")
    ax.legend(fontsize=8)

    ax = axes[1]
    ax.plot(x, [r["validation"]["figure_of_merit"] for r in validated], "o-", label="figure of merit")
    if checks:
        for axis, style in (("x", "s--"), ("y", "d--"), ("z", "^--")):
            ax.plot([c[0] for c in checks],
                    [100 * c[1]["quality"]["profiles"][axis]["max_relative_error"] for c in checks], style,
                    label=f"profile {axis}: worst core cell [%]")
        ax.axhline(10, color="grey", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("real showers seen")
    ax.set_title("Figure of merit and profiles (target 10 %)")
    ax.legend(fontsize=8)

    ax = axes[2]
    xs = [samples_seen(r, batch) for r in history]
    ax.plot(xs, [0.5 * (r["train"]["discriminator_real"]["total"] + r["train"]["discriminator_fake"]["total"])
                 for r in history], "o-", label="discriminator")
    ax.plot(xs, [r["train"]["generator"]["total"] for r in history], "s-", label="generator")
    ax.set_yscale("log")
    ax.set_xlabel("real showers seen")
    ax.set_title("Training losses (epoch means)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plotting.save(fig, out, DPI)

    print("| epoch | showers seen | SF mean error (test split) | figure of merit |")
    print("|---|---|---|---|")
    for r in validated:
        v = r["validation"]
        print(f"| {r['epoch']} | {samples_seen(r, batch):,} | {100 * v['sampling_fraction_mre']:.1f} "
              f"± {100 * v['sampling_fraction_mre_error']:.1f} % | {v['figure_of_merit']:.3g} |")
    if checks:
        print("\n| showers seen | SF mean error | SF worst bin | profile x | profile y | profile z | FoM |")
        print("|---|---|---|---|---|---|---|")
        for seen, m in checks:
            q = m["quality"]
            print(f"| {seen:,} | {100 * m['sampling_fraction_mre']:.1f} % | "
                  f"{100 * q['sampling_fraction']['max_relative_error']:.1f} % | "
                  + " | ".join(f"{100 * q['profiles'][a]['max_relative_error']:.0f} %" for a in "xyz")
                  + f" | {m['figure_of_merit']:.3g} |")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
