#!/usr/bin/env python3
"""Figures of a `calo3dgan search` run.

Usage: search_plots.py RESULTS.json OUT_DIR
Writes OUT_DIR/search.png (test error of the best candidate so far, chosen on
the validation split, against the candidates trained: the search, random
search and the fixed 1 conv + 1 dense network of Carminati et al.
2019 at the same budget) and OUT_DIR/pareto.png
(validation error against trained parameters for every candidate, with the
Pareto front). Every number is computed by calo3dgan; this only draws.
"""
import json
import os
import sys

import plotting

plt = plotting.pyplot()
DPI = 120


def error_label(results):
    if results["config"]["target"] == "3dgan":
        return "figure of merit (lower is better)"
    return "relative error mean |E_est - E| / E"


def plot_progress(results, path):
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    styles = {"search": ("evolutionary search", "tab:red"), "random": ("random search", "tab:blue")}
    for name, (label, color) in styles.items():
        if name not in results:
            continue
        curve = results[name]["best_so_far"]
        x = [p["evaluations"] for p in curve]
        ax.step(x, [p["test_error"] for p in curve], where="post", color=color, label=f"{label} (test)")
        ax.step(x, [p["validation_error"] for p in curve], where="post", color=color, ls=":", alpha=0.7,
                label=f"{label} (validation)")
    if "seed" in results:
        curve = results["seed"]["curve"]
        ax.step([p["evaluations"] for p in curve], [p["best_test_error"] for p in curve], where="post",
                color="tab:green", label="fixed network of Carminati et al. 2019, one training (test)")
    ax.set_xlabel("candidate trainings (fixed network: epochs / epochs per candidate)")
    ax.set_ylabel(error_label(results))
    ax.set_yscale("log")
    ax.set_title("Best candidate so far (selected on validation)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plotting.save(fig, path, DPI)


def plot_pareto(results, path):
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    styles = {"search": ("search", "tab:red", "o"), "random": ("random search", "tab:blue", "s")}
    for name, (label, color, marker) in styles.items():
        if name not in results:
            continue
        candidates = results[name]["candidates"]
        params = [c["result"]["parameters"] for c in candidates]
        errors = [c["result"]["validation_error"] for c in candidates]
        ok = [(p, e) for p, e in zip(params, errors) if e is not None]
        ax.scatter([p for p, _ in ok], [e for _, e in ok], s=14, color=color, marker=marker, alpha=0.5, label=label)
        front = [candidates[i]["result"] for i in results[name]["pareto_front"]]
        ax.step([r["parameters"] for r in front], [r["validation_error"] for r in front], where="post",
                color=color, lw=1.5, label=f"{label}: Pareto front")
    if "seed" in results:
        ax.scatter([results["seed"]["parameters"]], [results["seed"]["validation_error"]], marker="*", s=120,
                   color="tab:green", label="fixed network of Carminati et al. 2019", zorder=5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("trained parameters")
    ax.set_ylabel("validation " + error_label(results))
    ax.set_title("Error against size")
    ax.legend(fontsize=7, loc="best", framealpha=0.6)
    fig.tight_layout()
    plotting.save(fig, path, DPI)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        results = json.load(f)
    os.makedirs(sys.argv[2], exist_ok=True)
    plot_progress(results, os.path.join(sys.argv[2], "search.png"))
    plot_pareto(results, os.path.join(sys.argv[2], "pareto.png"))


if __name__ == "__main__":
    main()
