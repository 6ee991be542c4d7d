#!/usr/bin/env python3
"""Write a synthetic but realistic metrics.json (schema calo3dgan.validation/1).

For developing and testing validation_report.py without the C++ side. The
numbers come from toy showers drawn with numpy: a "Monte Carlo" reference and a
"GAN" candidate with the flaws GANs typically show (narrower distributions, a
small sampling-fraction bias, spurious tiny cell energies, worse back layers).

    make_sample_metrics.py OUT.json [--family a|b] [--layers 25] [--gaps] [--seed 1]

--gaps exercises the report's handling of missing data: an empty energy bin,
the image classifier switched off, nulls in the tables.
"""
import argparse
import json
import math
import sys

try:
    import numpy as np
except ImportError:
    sys.exit("make_sample_metrics.py: numpy is missing; run it with /usr/bin/python3 or install python3-numpy")

EVENTS = 20000
HIST_BINS = 50


def toy_events(rng, n, family, nz, candidate):
    """Per-event high-level features of n toy showers, as a dict of arrays."""
    e_p = rng.uniform(2.0, 500.0, n)
    log_e = np.log(e_p / 100.0)
    # The GAN reproduces the means roughly and the spreads too narrowly.
    spread = 0.85 if candidate else 1.0
    sf_mean = 0.0205 - 0.0003 * log_e + (0.00025 + 0.0001 * log_e if candidate else 0.0)
    sf = rng.normal(sf_mean, spread * (0.0004 + 0.003 / np.sqrt(e_p)))
    ev = {"e_p": e_p, "sampling_fraction": sf, "total_energy_gev": sf * e_p,
          "log10_incident_energy": np.log10(e_p)}
    centre = 12.0 if family == "a" else 25.0
    if family == "b":
        ev["theta_deg"] = rng.choice([62.0, 90.0, 118.0], n) + rng.normal(0, 2.0, n)
        bias = 1.5 if candidate else 0.0
        ev["measured_angle_deg"] = ev["theta_deg"] + bias + rng.normal(0, 4.0 * spread, n)
    depth = nz / 25.0 * (7.5 + 0.9 * log_e) + (0.25 if candidate else 0.0)
    ev["moment1_z"] = rng.normal(depth, 0.7 * spread)
    for axis in "xy":
        ev["moment1_" + axis] = rng.normal(centre, 0.12 * spread, n)
        ev["moment2_" + axis] = rng.lognormal(math.log(2.0 if candidate else 2.2), 0.25 * spread, n)
    ev["moment2_z"] = rng.lognormal(math.log(nz / 25.0 * 14.0), 0.2 * spread, n)
    for axis in "xy":
        ev["max_position_" + axis] = np.round(rng.normal(centre, 0.4 * spread, n))
    ev["max_position_z"] = np.clip(np.round(ev["moment1_z"] - 1.5 + rng.normal(0, 1.2, n)), 0, nz - 1)
    ev["hits"] = np.clip(rng.normal(60 + 1.6 * e_p, 25 + 0.1 * e_p) * (0.95 if candidate else 1.0), 0, None)
    first = np.clip(rng.normal(0.5 - 0.02 * log_e, 0.06 * spread), 0.05, 0.9)
    last = np.clip(rng.normal(0.05 + 0.01 * log_e, 0.02 * spread), 0.0, 0.3)
    ev["energy_fraction_first_third"] = first
    ev["energy_fraction_second_third"] = 1.0 - first - last
    ev["energy_fraction_last_third"] = last
    for k in range(nz):
        # Longitudinal energy of a gamma-shaped shower; the GAN worsens with depth.
        frac = k / max(nz - 1, 1)
        worse = 1.0 + (0.35 * frac if candidate else 0.0)
        mean_k = gamma_profile(nz)[k] * sf * e_p
        ev[f"layer_energy_{k}"] = mean_k * rng.lognormal(0.0, 0.3 * worse, n)
        ev[f"layer_centre_x_{k}"] = rng.normal(centre, (0.2 + frac) / worse ** 0.5, n)
        ev[f"layer_centre_y_{k}"] = rng.normal(centre, (0.2 + frac) / worse ** 0.5, n)
        ev[f"layer_width_x_{k}"] = rng.lognormal(math.log(1.0 + 1.5 * frac), 0.2 * worse, n)
        ev[f"layer_width_y_{k}"] = rng.lognormal(math.log(1.0 + 1.5 * frac), 0.2 * worse, n)
        ev[f"layer_sparsity_{k}"] = np.clip(rng.normal(0.1 + 0.3 * math.sin(math.pi * frac), 0.03 * worse, n), 0, 1)
    return ev


def gamma_profile(nz):
    """Fraction of the shower energy per layer (longitudinal gamma profile)."""
    t = np.arange(nz) + 0.5
    shape = t ** 3.2 * np.exp(-t / (2.4 * nz / 25.0))
    return shape / shape.sum()


FEATURES = [
    ("sampling_fraction", "energy", "sampling fraction ΣE/E_p"),
    ("total_energy_gev", "energy", "total deposited energy ΣE [GeV]"),
    ("log10_incident_energy", "energy", "log10(E_p / GeV)"),
    ("theta_deg", "energy", "incident angle θ [deg]"),
    ("measured_angle_deg", "energy", "measured angle θ_meas [deg]"),
    ("moment1_x", "moments", "transverse barycentre M1 x [cell]"),
    ("moment1_y", "moments", "transverse barycentre M1 y [cell]"),
    ("moment1_z", "moments", "longitudinal barycentre M1 z [layer]"),
    ("moment2_x", "moments", "transverse variance M2 x [cell²]"),
    ("moment2_y", "moments", "transverse variance M2 y [cell²]"),
    ("moment2_z", "moments", "longitudinal variance M2 z [layer²]"),
    ("max_position_x", "maximum", "position of the maximum x [cell]"),
    ("max_position_y", "maximum", "position of the maximum y [cell]"),
    ("max_position_z", "maximum", "position of the maximum z [layer]"),
    ("hits", "hits", "cells above 3×10⁻⁴ GeV"),
    ("energy_fraction_first_third", "hits", "energy fraction, first third of layers"),
    ("energy_fraction_second_third", "hits", "energy fraction, second third of layers"),
    ("energy_fraction_last_third", "hits", "energy fraction, last third of layers"),
]
LAYER_FEATURES = [
    ("layer_energy", "energy in layer {k} [GeV]"),
    ("layer_centre_x", "centre of energy x, layer {k} [cell]"),
    ("layer_centre_y", "centre of energy y, layer {k} [cell]"),
    ("layer_width_x", "width x, layer {k} [cell]"),
    ("layer_width_y", "width y, layer {k} [cell]"),
    ("layer_sparsity", "fraction of cells above threshold, layer {k}"),
]


def separation_power(p_counts, q_counts):
    p = np.asarray(p_counts, float) / max(sum(p_counts), 1)
    q = np.asarray(q_counts, float) / max(sum(q_counts), 1)
    s = p + q
    m = s > 0
    return float(0.5 * np.sum((p[m] - q[m]) ** 2 / s[m]))


def feature_histogram(ref, cand, label, group):
    """Histogram both samples with bins from the reference, as the challenge does."""
    lo, hi = np.quantile(ref, [0.001, 0.999])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, HIST_BINS + 1)
    r, _ = np.histogram(ref, edges)
    c, _ = np.histogram(cand, edges)
    return {"label": label, "group": group, "edges": rounded(edges),
            "reference": r.tolist(), "candidate": c.tolist(),
            "separation_power": round(separation_power(r, c), 6)}


def rounded(values, digits=6):
    return [None if v is None or not np.isfinite(v) else float(f"{v:.{digits}g}") for v in values]


def make_histograms(ref, cand, family, nz):
    hists = {}
    for name, group, label in FEATURES:
        if name in ("theta_deg", "measured_angle_deg") and family != "b":
            continue
        hists[name] = feature_histogram(ref[name], cand[name], label, group)
    for k in range(nz):
        for base, label in LAYER_FEATURES:
            name = f"{base}_{k}"
            hists[name] = feature_histogram(ref[name], cand[name], label.format(k=k), "layers")
    return hists


def sf_profile(ev, edges):
    """Mean and error on the mean of the sampling fraction in E_p bins."""
    idx = np.digitize(ev["e_p"], edges) - 1
    means, errors = [], []
    for b in range(len(edges) - 1):
        sel = ev["sampling_fraction"][idx == b]
        if len(sel) < 2:
            means.append(None)
            errors.append(None)
        else:
            means.append(float(sel.mean()))
            errors.append(float(sel.std(ddof=1) / math.sqrt(len(sel))))
    return means, errors


def mean_profiles(nz, nxy, family, candidate):
    """Mean energy per cell index along x, y, z (GeV per event)."""
    mean_total = 0.0205 * 251.0
    z = gamma_profile(nz) * mean_total
    if candidate:
        z = z * (1.0 + 0.6 * (np.arange(nz) / nz) ** 2)  # too much energy at the back
        z *= mean_total * 1.01 / z.sum()
    centre = (nxy - 1) / 2.0
    i = np.arange(nxy)
    core = np.exp(-0.5 * ((i - centre) / 1.1) ** 2)
    halo = 0.05 * np.exp(-np.abs(i - centre) / (2.2 if candidate else 2.6))
    t = core + halo
    t = t / t.sum() * mean_total
    return {"z": z, "t": t}


def profiles_block(nz, nxy, family):
    ref = mean_profiles(nz, nxy, family, False)
    cand = mean_profiles(nz, nxy, family, True)
    return {axis: {"reference": rounded(ref[key]), "candidate": rounded(cand[key])}
            for axis, key in (("x", "t"), ("y", "t"), ("z", "z"))}


def cell_spectrum(rng, n_cells, candidate):
    """Counts of cell energies in 100 log-spaced bins from 1e-12 to 10 GeV."""
    edges = np.logspace(-12, 1, 101)
    occupied = int(n_cells * 0.08)
    e = rng.lognormal(math.log(2e-3), 2.0, occupied)
    if candidate:
        # GANs rarely output exact zeros: a second population of tiny energies.
        e = np.concatenate([e * 0.97, rng.lognormal(math.log(1e-8), 2.5, int(n_cells * 0.6))])
    counts, _ = np.histogram(e, edges)
    return edges, counts


def sparsity(edges, counts, n_cells):
    """Mean fraction of cells above 10^t, derived from the spectrum."""
    thresholds = list(range(-13, 1))
    centres = np.sqrt(edges[:-1] * edges[1:])
    fractions = [float(counts[centres > 10.0 ** t].sum() / n_cells) for t in thresholds]
    return thresholds, fractions


def classifier_block(rng, auc, epochs):
    """ROC of a binormal classifier with the given AUC, plus training curves."""
    d = math.sqrt(2.0) * normal_quantile(auc)
    # Scanning the cut downwards moves along the ROC from (0, 0) to (1, 1).
    cuts = np.linspace(4 + d, -4, 120)
    fpr = [0.0] + [1.0 - normal_cdf(c) for c in cuts] + [1.0]
    tpr = [0.0] + [1.0 - normal_cdf(c - d) for c in cuts] + [1.0]
    epoch = np.arange(1, epochs + 1)
    plateau = 0.5 + 0.8 * (auc - 0.5)
    loss = 0.693 - 1.2 * (auc - 0.5) ** 2 * (1 - np.exp(-epoch / 6)) - 0.002 * epoch / epochs
    acc = plateau - (plateau - 0.5) * np.exp(-epoch / 4) - 0.004 * np.maximum(epoch - 15, 0) / epochs
    acc = acc + rng.normal(0, 0.004, epochs)
    return {"auc": auc, "roc": {"false_positive_rate": rounded(fpr, 5), "true_positive_rate": rounded(tpr, 5)},
            "train_loss": rounded(loss + rng.normal(0, 0.002, epochs), 5),
            "test_accuracy": rounded(acc, 5), "best_epoch": int(np.argmax(acc)) + 1}


def normal_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def normal_quantile(p):
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if normal_cdf(mid) < p else (lo, mid)
    return 0.5 * (lo + hi)


def energy_bins():
    return [[2, 50]] + [[lo, lo + 50] for lo in range(50, 500, 50)]


def theta_bins(family):
    return [[56.3, 67.7], [84.3, 95.7], [112.3, 123.7]] if family == "b" else None


def per_bin_rows(ref, cand, family, gaps, layout):
    """Model B bins either as an energy × angle grid or as energy bins followed by angle bins.

    The schema example allows both; calo3dgan validate writes the second, with
    "kind" and a per-bin "skipped" reason.
    """
    if family == "a" or layout == "grid":
        return [bin_row(ref, cand, e_bin, t_bin, family, gaps)
                for e_bin in energy_bins() for t_bin in theta_bins(family) or [None]]
    rows = [bin_row(ref, cand, e_bin, None, family, gaps) for e_bin in energy_bins()]
    rows += [bin_row(ref, cand, None, t_bin, family, gaps) for t_bin in theta_bins(family)]
    for row in rows:
        row["kind"] = "energy" if row["energy_gev"] else "theta"
        row["skipped"] = None if row["events_candidate"] else "no candidate events"
    return rows


def bin_row(ref, cand, e_bin, t_bin, family, gaps):
    def select(ev):
        m = np.ones(len(ev["e_p"]), bool)
        if e_bin is not None:
            m &= (ev["e_p"] >= e_bin[0]) & (ev["e_p"] < e_bin[1])
        if t_bin is not None:
            m &= (ev["theta_deg"] >= t_bin[0]) & (ev["theta_deg"] < t_bin[1])
        return ev["sampling_fraction"][m]

    r, c = select(ref), select(cand)
    if gaps and e_bin is not None and e_bin[0] == 450:
        c = c[:0]
    parts = ([f"{e_bin[0]}-{e_bin[1]} GeV"] if e_bin else []) + ([f"{t_bin[0]:.0f}-{t_bin[1]:.0f}°"] if t_bin else [])
    row = {"label": ", ".join(parts), "energy_gev": list(e_bin) if e_bin else None,
           "theta_deg": list(t_bin) if t_bin else None,
           "events_reference": int(len(r)), "events_candidate": int(len(c))}
    e_bin = e_bin or (2, 500)
    if len(c) == 0:
        row["sampling_fraction"] = {"reference": float(r.mean()), "reference_error": float(r.std() / math.sqrt(len(r))),
                                    "candidate": None, "candidate_error": None, "relative_error": None}
        row["figure_of_merit"] = dict.fromkeys(("moment", "shape", "sampling_fraction", "angle", "total"))
        return row
    rel = float((c.mean() - r.mean()) / r.mean())
    moment = 0.012 + 0.004 * math.log(e_bin[1] / 50.0 + 1)
    shape = 0.06 + 0.01 * (e_bin[0] / 500.0)
    sf_term = abs(rel) + 0.004
    angle = 0.03 if family == "b" else None
    total = moment + shape + sf_term + (angle or 0.0)
    row["sampling_fraction"] = {"reference": float(r.mean()), "reference_error": float(r.std() / math.sqrt(len(r))),
                                "candidate": float(c.mean()), "candidate_error": float(c.std() / math.sqrt(len(c))),
                                "relative_error": rel}
    row["figure_of_merit"] = {"moment": round(moment, 5), "shape": round(shape, 5),
                              "sampling_fraction": round(sf_term, 5), "angle": angle, "total": round(total, 5)}
    return row


def headline(rows, family):
    """Overall numbers as the C++ side derives them from the per-bin rows."""
    full = [r for r in rows if r["sampling_fraction"]["candidate"] is not None and r["energy_gev"]]
    mre = float(np.mean([abs(r["sampling_fraction"]["relative_error"]) for r in full]))
    mre_err = float(np.mean([r["sampling_fraction"]["candidate_error"] / r["sampling_fraction"]["reference"]
                             for r in full]))
    terms = {key: float(np.mean([r["figure_of_merit"][key] for r in full]))
             for key in ("moment", "shape", "sampling_fraction")}
    terms["angle"] = float(np.mean([r["figure_of_merit"]["angle"] for r in full])) if family == "b" else None
    total = sum(v for v in terms.values() if v is not None)
    return mre, mre_err, total, {k: (round(v, 5) if v is not None else None) for k, v in terms.items()}


def build(args):
    rng = np.random.default_rng(args.seed)
    nz = args.layers
    nxy = 25 if args.family == "a" else 51
    ref = toy_events(rng, EVENTS, args.family, nz, candidate=False)
    cand = toy_events(rng, EVENTS, args.family, nz, candidate=True)
    rows = per_bin_rows(ref, cand, args.family, args.gaps, args.bin_layout)
    mre, mre_err, fom, terms = headline(rows, args.family)
    hists = make_histograms(ref, cand, args.family, nz)
    sf_edges = np.linspace(2, 500, 51)
    ref_mean, ref_err = sf_profile(ref, sf_edges)
    cand_mean, cand_err = sf_profile(cand, sf_edges)
    n_cells = 1000 * nxy * nxy * nz
    spec_edges, spec_ref = cell_spectrum(rng, n_cells, False)
    _, spec_cand = cell_spectrum(rng, n_cells, True)
    thresholds, sparse_ref = sparsity(spec_edges, spec_ref, n_cells)
    _, sparse_cand = sparsity(spec_edges, spec_cand, n_cells)
    skipped = []
    if args.gaps:
        for i, lo in enumerate(sf_edges[:-1]):
            if lo >= 450:
                cand_mean[i] = cand_err[i] = None
        skipped.append({"what": "energy bin 450-500 GeV", "why": "no candidate events"})
        skipped.append({"what": "image classifier", "why": "switched off (--no-image-classifier)"})
    classifier = {"features": classifier_block(rng, 0.62, 30),
                  "images": None if args.gaps else classifier_block(rng, 0.81, 30)}
    shape = [nxy, nxy, nz]
    run, epoch = ("a1", 30) if args.family == "a" else ("b2", 60)
    # The schema example says threshold_gev, calo3dgan validate writes hit_threshold_gev: use both.
    hit_key = "hit_threshold_gev" if args.family == "b" else "threshold_gev"
    return {
        "schema": "calo3dgan.validation/1",
        "created": "2026-11-27T04:00:00Z",
        "build": "calo3dgan 0.9 (git abc1234, synthetic sample)",
        "settings": {hit_key: 0.0003, "readout_threshold_gev": 1.515e-05, "seed": args.seed,
                     "energy_bins_gev": energy_bins(), "theta_bins_deg": theta_bins(args.family),
                     "classifier": {"hidden": [256, 256], "epochs": 30, "batch": 256,
                                    "learning_rate": 0.0002, "split": [0.6, 0.2, 0.2]}},
        "reference": {"label": "Monte Carlo", "source": "data/ref", "events": EVENTS, "shape": shape,
                      "model_family": args.family},
        "candidate": {"label": f"GAN (runs/{run} epoch {epoch})", "source": f"runs/{run}/checkpoints/epoch-{epoch}.pt",
                      "events": EVENTS, "shape": shape,
                      "model_family": args.family},
        "auc_features": classifier["features"]["auc"],
        "auc_images": None if args.gaps else classifier["images"]["auc"],
        "jsd_features": 0.021, "jsd_images": None if args.gaps else 0.18,
        "sampling_fraction_mre": round(mre, 6),
        "sampling_fraction_mre_error": round(mre_err, 6),
        "figure_of_merit": round(fom, 5),
        "figure_of_merit_terms": terms,
        "figure_of_merit_note": "moment term counted once (the original GANutils.metric counts it twice)",
        # calo3dgan validate adds this; the schema example does not have it.
        "figure_of_merit_floor": 0.021 if args.family == "b" else None,
        "skipped": skipped,
        "bins": rows,
        "separation_power": {name: h["separation_power"] for name, h in hists.items()},
        "plots": {
            "sampling_fraction_profile": {"energy_edges_gev": rounded(sf_edges),
                                          "reference_mean": rounded_nullable(ref_mean),
                                          "reference_error": rounded_nullable(ref_err),
                                          "candidate_mean": rounded_nullable(cand_mean),
                                          "candidate_error": rounded_nullable(cand_err)},
            "profiles": profiles_block(nz, nxy, args.family),
            "histograms": hists,
            "cell_spectrum": {"edges_gev": rounded(spec_edges), "reference": spec_ref.tolist(),
                              "candidate": spec_cand.tolist()},
            "sparsity": {"log10_thresholds_gev": thresholds, "reference": rounded(sparse_ref),
                         "candidate": rounded(sparse_cand)},
            "classifier": classifier,
        },
        "timing_s": {"read": 1.2, "features": 3.4, "classifier_features": 10.0,
                     "classifier_images": None if args.gaps else 30.0},
    }


def rounded_nullable(values):
    return [None if v is None else float(f"{v:.6g}") for v in values]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="metrics.json to write")
    parser.add_argument("--family", choices=["a", "b"], default="a", help="model family (b adds angles)")
    parser.add_argument("--layers", type=int, default=25)
    parser.add_argument("--gaps", action="store_true", help="leave some values null, as after skipped steps")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bin-layout", choices=["separate", "grid"], default="separate",
                        help="model B: energy bins then angle bins (as calo3dgan writes), or an energy × angle grid")
    args = parser.parse_args()
    if args.layers < 3:
        parser.error("--layers must be at least 3")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(build(args), f, ensure_ascii=False, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
