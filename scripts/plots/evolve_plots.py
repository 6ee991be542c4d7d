#!/usr/bin/env python3
"""Figure 3 of Carminati et al. 2019 (AISIS 2019, §5.2) from `calo3dgan evolve` results.

Usage: evolve_plots.py RESULTS.json OUT_DIR
Writes OUT_DIR/losses.png (train and test loss per epoch, GA red, RMSprop
blue) and OUT_DIR/energy.png (estimated vs true energy, and the relative
error per energy bin). Every number is computed by calo3dgan; this only draws.
"""
import json
import os
import sys

import plotting

plt = plotting.pyplot()
DPI = 120

STYLE = {"ga": ("GA", "tab:red"), "rmsprop": ("RMSprop", "tab:blue")}


def methods(results):
    return [m for m in ("ga", "rmsprop") if m in results]


def plot_losses(results, path):
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for m in methods(results):
        label, color = STYLE[m]
        h = results[m]["history"]
        ax.plot(h["epoch"], h["test_loss"], color=color, label=f"{label} test")
        ax.plot(h["epoch"], h["train_loss"], color=color, ls="--", alpha=0.6, label=f"{label} train")
    ax.axhline(0.10, color="grey", lw=0.8, ls=":", label="10%")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (minibatches / minibatches per epoch)")
    ax.set_ylabel("loss: mean |E_est - E| / E")
    ax.set_title("Regression loss")
    ax.legend()
    fig.tight_layout()
    plotting.save(fig, path, DPI)


def plot_energy(results, path):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    hi = 0.0
    for m in methods(results):
        label, color = STYLE[m]
        est = results[m]["estimate"]
        hi = max(hi, max(est["true_gev"]))
        top.scatter(est["true_gev"], est["estimated_gev"], s=3, alpha=0.4, color=color,
                    label=f"{label} (MRE {results[m]['test_relative_error']:.3f})")
        bins = [b for b in results[m]["energy_bins"] if b["events"] > 0]
        centres = [0.5 * (b["low_gev"] + b["high_gev"]) for b in bins]
        bottom.plot(centres, [b["relative_error"] for b in bins], "o-", color=color, label=label)
    top.plot([0, hi], [0, hi], color="black", lw=0.8)
    top.set_ylabel("estimated energy [GeV]")
    top.set_title("Estimated energy (test set)")
    top.legend()
    bottom.axhline(0.10, color="grey", lw=0.8, ls=":")
    bottom.set_xlabel("true energy [GeV]")
    bottom.set_ylabel("relative error")
    bottom.set_ylim(bottom=0)
    fig.tight_layout()
    plotting.save(fig, path, DPI)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: evolve_plots.py RESULTS.json OUT_DIR")
    with open(argv[1]) as f:
        results = json.load(f)
    plot_losses(results, os.path.join(argv[2], "losses.png"))
    plot_energy(results, os.path.join(argv[2], "energy.png"))


if __name__ == "__main__":
    main(sys.argv)
