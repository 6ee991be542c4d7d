"""Plot the fp32 and bf16 runs of bench/run_precision_curves.sh: train and test
losses and the validation figure of merit per epoch; print them as a table."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(out):
    runs = {p: json.load(open(f"{out}/run_{p}/history.json")) for p in ("fp32", "bf16")}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    quantities = [("D loss (train)", lambda r: 0.5 * (r["train"]["discriminator_real"]["total"]
                                                      + r["train"]["discriminator_fake"]["total"])),
                  ("G loss (train)", lambda r: r["train"]["generator"]["total"]),
                  ("figure of merit (validation)", lambda r: r.get("validation", {}).get("figure_of_merit"))]
    print("| epoch | " + " | ".join(f"{name} fp32 | bf16" for name, _ in quantities) + " |")
    for epoch in range(len(runs["fp32"])):
        cells = []
        for _, get in quantities:
            cells += [f"{get(runs[p][epoch]):.4g}" if epoch < len(runs[p]) and get(runs[p][epoch]) is not None
                      else "-" for p in ("fp32", "bf16")]
        print(f"| {epoch + 1} | " + " | ".join(cells) + " |")
    for ax, (name, get) in zip(axes, quantities):
        for p, style in (("fp32", "-o"), ("bf16", "--s")):
            xs = [r["epoch"] for r in runs[p] if get(r) is not None]
            ys = [get(r) for r in runs[p] if get(r) is not None]
            ax.plot(xs, ys, style, label=p, markersize=4)
        ax.set_xlabel("epoch (10 batches of 8)")
        ax.set_title(name)
        ax.set_yscale("log")
        ax.legend()
    fig.tight_layout()
    fig.savefig(f"{out}/precision_curves.png", dpi=110)


if __name__ == "__main__":
    main(sys.argv[1])
