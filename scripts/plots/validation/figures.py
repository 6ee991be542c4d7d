"""The figures of the validation report, drawn with matplotlib from the metrics.

Every number is computed by the C++ side; this only draws. Each plot_* function
takes the metrics and returns (figure, caption) or raises Skip when its data
is absent; the caption is HTML (Markup: fixed prose, data escaped). draw_all
draws them all through a Renderer and groups them into the report's sections.
"""
import math
import os
import re
import sys
from typing import NamedTuple

import matplotlib
import numpy as np
from markupsafe import Markup
from matplotlib.colors import LogNorm

import plotting

from .formatting import format_percent, format_value
from .metrics import (MetricsError, field, histograms, number, numbers, sample_label, separation_powers, text,
                      type_name)

plt = plotting.pyplot()

DPI = 100
REF_FILL = "#c6dbef"
REF_LINE = "#2171b5"
CAND = "#cb181d"
GROUP_COLOURS = {"energy": "#6a51a3", "moments": "#2171b5", "maximum": "#238b45",
                 "hits": "#d94801", "angle": "#8c6d31", "other": "#636363"}

plt.rcParams.update({
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5,
    # Offsets like "+1.2e1" on a barycentre axis are harder to read than plain numbers.
    "axes.formatter.useoffset": False,
    "savefig.facecolor": "white",
})


class Skip(Exception):
    """A plot cannot be drawn from the data present; the message says why."""


# --------------------------------------------------------------------------
# Drawing helpers shared by the plots.

def normalised(counts):
    total = np.nansum(counts)
    return np.nan_to_num(counts) / total if total > 0 else np.zeros_like(counts)


def counting_errors(counts):
    """Error of each normalised bin, or None when the values are not raw counts."""
    counts = np.nan_to_num(counts)
    total = counts.sum()
    # Already-normalised input (sums to ~1) has lost its statistics.
    if total <= 1.0 + 1e-6 or np.any(np.abs(counts - np.round(counts)) > 1e-6):
        return None
    return np.sqrt(counts) / total


def draw_reference_hist(ax, edges, values, label, log=False):
    baseline = 0.0
    if log:
        positive = values[values > 0]
        baseline = positive.min() / 3.0 if positive.size else 1e-12
    ax.stairs(np.maximum(values, baseline), edges, baseline=baseline, fill=True, color=REF_FILL, label=label)
    ax.stairs(values, edges, baseline=None, color=REF_LINE, linewidth=1.0)


def draw_reference_band(ax, edges, mean, err, label):
    """Reference profile: a line per bin with its error as a shaded box."""
    ok = np.isfinite(mean)
    left, right = edges[:-1][ok], edges[1:][ok]
    e = np.nan_to_num(err[ok]) if err is not None else np.zeros(ok.sum())
    ax.bar(left, 2 * e, bottom=mean[ok] - e, width=right - left, align="edge", color=REF_FILL, linewidth=0)
    ax.hlines(mean[ok], left, right, color=REF_LINE, linewidth=1.2, label=label)


def draw_candidate_points(ax, x, y, yerr, label, xerr=None):
    ax.errorbar(x, y, yerr=yerr, xerr=xerr, fmt="o", color=CAND, markersize=3, elinewidth=0.9,
                capsize=0, label=label)


def ratio_limits(ratio, significant=None):
    """The narrowest of a few fixed ranges around 1 that holds 90 % of the meaningful ratios."""
    keep = np.isfinite(ratio) if significant is None else np.isfinite(ratio) & significant
    if not keep.any():
        return 0.5, 1.5
    need = np.percentile(np.abs(ratio[keep] - 1.0), 90)
    for span in (0.2, 0.5, 1.0):
        if need <= 0.9 * span:
            return max(1.0 - span, 0.0), 1.0 + span
    return 0.0, 3.0


def draw_ratio(ax, x, ratio, err, ref_rel_err=None, edges=None, centre=1.0, lim=None, ylabel="cand./ref.",
               log=False):
    """Ratio (or difference) panel; points outside the range sit on its edge as triangles."""
    lim = lim or ratio_limits(ratio)
    if ref_rel_err is not None and edges is not None:
        # A band wider than the panel (nearly empty reference bins) would only paint it grey.
        ok = np.isfinite(ref_rel_err) & (ref_rel_err < 0.5 * (lim[1] - lim[0]))
        ax.bar(edges[:-1][ok], 2 * ref_rel_err[ok], bottom=centre - ref_rel_err[ok],
               width=np.diff(edges)[ok], align="edge", color="#d9d9d9", linewidth=0)
    ax.axhline(centre, color=REF_LINE, linewidth=1.0)
    inside = np.isfinite(ratio) & (ratio >= lim[0]) & (ratio <= lim[1])
    ax.errorbar(x[inside], ratio[inside], yerr=None if err is None else err[inside], fmt="o", color=CAND,
                markersize=2.5, elinewidth=0.8, capsize=0)
    if log:
        ax.set_yscale("log")
        top, bottom = lim[1] / 1.25, lim[0] * 1.25
    else:
        pad = 0.04 * (lim[1] - lim[0])
        top, bottom = lim[1] - pad, lim[0] + pad
    above = np.isfinite(ratio) & (ratio > lim[1])
    below = np.isfinite(ratio) & (ratio < lim[0])
    ax.plot(x[above], np.full(above.sum(), top), "^", color=CAND, markersize=4)
    ax.plot(x[below], np.full(below.sum(), bottom), "v", color=CAND, markersize=4)
    ax.set_ylim(*lim)
    ax.set_ylabel(ylabel)


def main_and_ratio_axes(fig, spec):
    inner = spec.subgridspec(2, 1, height_ratios=[3, 1], hspace=0.05)
    ax = fig.add_subplot(inner[0])
    ax_r = fig.add_subplot(inner[1], sharex=ax)
    ax.tick_params(labelbottom=False)
    return ax, ax_r


def headroom(ax, factor=1.35, log=False):
    lo, hi = ax.get_ylim()
    if log:
        ax.set_ylim(lo, hi * 10 ** (0.15 * math.log10(max(hi / lo, 10))))
    else:
        ax.set_ylim(min(lo, 0.0), hi * factor)


# --------------------------------------------------------------------------
# (a) Sampling fraction versus primary energy: Figure 2 of Carminati et al. 2019.

def plot_sampling_fraction(m):
    labels = sample_label(m, "reference"), sample_label(m, "candidate")
    prof = field(m.get("plots"), "sampling_fraction_profile", "plots")
    rows = per_bin_sampling_fraction(m)
    if prof is None and not rows:
        raise Skip("neither plots.sampling_fraction_profile nor per-bin sampling fractions are in metrics.json")
    mre = number(m.get("sampling_fraction_mre"), "sampling_fraction_mre")
    mre_err = number(m.get("sampling_fraction_mre_error"), "sampling_fraction_mre_error")
    fig = plt.figure(figsize=(10, 6.5), layout="constrained")
    ax, ax_r = main_and_ratio_axes(fig, fig.add_gridspec(1, 1)[0])
    if prof is not None:
        draw_sf_profile(ax, ax_r, prof, labels, mre, mre_err)
    else:
        draw_sf_bins_main(ax, rows, labels, mre, mre_err)
    draw_sf_bins_ratio(ax_r, rows, alone=prof is None)
    ax.set_ylabel("sampling fraction ΣE$_\\mathrm{cell}$ / E$_p$")
    ax_r.set_xlabel("primary energy E$_p$ [GeV]")
    ax.legend(loc="best")
    ax.set_title("Sampling fraction versus primary energy")
    if prof is not None:
        caption = ("Mean sampling fraction ΣE/E<sub>p</sub> in fine bins of primary energy (profile; error bars: error "
                   "on the mean). Lower panel: relative difference (candidate − reference)/reference in per cent; the "
                   "grey band is the reference's statistical error"
                   + ("; open markers with horizontal bars: the energy bins over which the MRE is averaged" if rows
                      else "") + ".")
    else:
        caption = ("Mean sampling fraction ΣE/E<sub>p</sub> per energy bin of the table above (no fine-binned profile "
                   "in metrics.json). Lower panel: relative difference (candidate − reference)/reference in per cent.")
    return fig, Markup(caption)  # fixed prose with HTML markup


def per_bin_sampling_fraction(m):
    """(E range, theta range, ref, ref_err, cand, cand_err, rel) for every bin with SF numbers."""
    rows = []
    for i, b in enumerate(m.get("bins") or []):
        where = f"bins[{i}]"
        energy = numbers(field(b, "energy_gev", where), f"{where}.energy_gev", 2)
        theta = numbers(field(b, "theta_deg", where), f"{where}.theta_deg", 2)
        sf = field(b, "sampling_fraction", where)
        values = [number(field(sf, k, f"{where}.sampling_fraction"), f"{where}.sampling_fraction.{k}")
                  for k in ("reference", "reference_error", "candidate", "candidate_error", "relative_error")]
        if energy is not None:
            rows.append((energy, theta, *values))
    return rows


def profile_arrays(prof):
    where = "plots.sampling_fraction_profile"
    edges = numbers(field(prof, "energy_edges_gev", where), f"{where}.energy_edges_gev")
    if edges is None or len(edges) < 2:
        raise Skip(f"{where}.energy_edges_gev is missing or has fewer than 2 edges")
    n = len(edges) - 1
    arrays = [numbers(field(prof, k, where), f"{where}.{k}", n)
              for k in ("reference_mean", "reference_error", "candidate_mean", "candidate_error")]
    if arrays[0] is None or arrays[2] is None:
        raise Skip(f"{where}: reference_mean or candidate_mean is missing")
    return edges, arrays


def draw_sf_profile(ax, ax_r, prof, labels, mre, mre_err):
    edges, (rm, re_, cm, ce) = profile_arrays(prof)
    centres = 0.5 * (edges[:-1] + edges[1:])
    draw_reference_band(ax, edges, rm, re_, labels[0])
    draw_candidate_points(ax, centres, cm, ce, candidate_legend(labels[1], mre, mre_err))
    set_sf_ylim(ax, np.concatenate([rm, cm]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = 100.0 * (cm - rm) / rm
        rel_err = 100.0 * np.abs(ce / rm) if ce is not None else None
        ref_band = 100.0 * np.abs(re_ / rm) if re_ is not None else None
    draw_ratio(ax_r, centres, rel, rel_err, ref_band, edges, centre=0.0, lim=sf_rel_limits(rel),
               ylabel="(cand.−ref.)/ref. [%]")
    ax.set_xlim(edges[0], edges[-1])


def candidate_legend(label, mre, mre_err):
    if mre is None:
        return f"{label} (MRE n/a)"
    return f"{label}: MRE = {format_percent(mre, mre_err)} %"


def set_sf_ylim(ax, values):
    """Centre on the data but never zoom below ±10 %, so noise does not look like a trend."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return
    mid = np.median(finite)
    half = max(0.1 * abs(mid), 0.6 * (finite.max() - finite.min()))
    ax.set_ylim(mid - half, mid + 1.3 * half)


def sf_rel_limits(rel):
    finite = np.abs(rel[np.isfinite(rel)])
    span = max(5.0, np.percentile(finite, 95) * 1.5) if finite.size else 5.0
    span = min(span, 50.0)
    return -span, span


def draw_sf_bins_main(ax, rows, labels, mre, mre_err):
    for theta_key, group in group_rows_by_theta(rows).items():
        x, xerr, ref, ref_err, cand, cand_err = bin_points(group)
        suffix = f" ({theta_key})" if theta_key else ""
        ax.errorbar(x, ref, yerr=ref_err, xerr=xerr, fmt="s", color=REF_LINE, markersize=3, label=labels[0] + suffix)
        draw_candidate_points(ax, x, cand, cand_err, candidate_legend(labels[1], mre, mre_err) + suffix, xerr=xerr)
    values = np.array([r[2] for r in rows] + [r[4] for r in rows], dtype=float)
    set_sf_ylim(ax, values)


def draw_sf_bins_ratio(ax_r, rows, alone):
    """Per-bin relative differences, over the profile's panel or (alone) as the only content."""
    if not rows:
        return
    all_rel = []
    markers = ["D", "s", "^", "v", "P"]
    groups = group_rows_by_theta(rows)
    for k, (theta_key, group) in enumerate(groups.items()):
        x, xerr, ref, _, cand, cand_err = bin_points(group)
        x = x + (k - (len(groups) - 1) / 2) * 0.08 * np.median(xerr)  # angle bins side by side
        rel = np.array([np.nan if r[6] is None else 100.0 * r[6] for r in group])
        err = 100.0 * np.abs(cand_err / ref)
        label = "per energy bin" + (f", {theta_key}" if theta_key else "")
        ax_r.errorbar(x, rel, xerr=xerr, yerr=err, fmt=markers[k % len(markers)], color="#252525", markersize=3,
                      elinewidth=0.8, capsize=0, mfc="white", label=label)
        all_rel.append(rel)
    if alone:
        ax_r.axhline(0.0, color=REF_LINE, linewidth=1.0)
        ax_r.set_ylim(*sf_rel_limits(np.concatenate(all_rel)))
        ax_r.set_ylabel("(cand.−ref.)/ref. [%]")
    if not alone or len(all_rel) > 1:
        ax_r.legend(loc="upper left", fontsize=7, ncol=3)


def group_rows_by_theta(rows):
    groups = {}
    for r in rows:
        key = f"θ {r[1][0]:.0f}–{r[1][1]:.0f}°" if r[1] is not None else ""
        groups.setdefault(key, []).append(r)
    return groups


def bin_points(group):
    lo = np.array([r[0][0] for r in group])
    hi = np.array([r[0][1] for r in group])
    col = [np.array([np.nan if r[k] is None else r[k] for r in group], dtype=float) for k in (2, 3, 4, 5)]
    return 0.5 * (lo + hi), 0.5 * (hi - lo), col[0], col[1], col[2], col[3]


# --------------------------------------------------------------------------
# (b) Mean longitudinal and transverse profiles.

AXIS_TITLES = {"z": ("longitudinal", "layer index"), "x": ("transverse x", "cell index x"),
               "y": ("transverse y", "cell index y")}


def plot_profile(m, axis):
    labels = sample_label(m, "reference"), sample_label(m, "candidate")
    where = f"plots.profiles.{axis}"
    prof = field(field(m.get("plots"), "profiles", "plots"), axis, "plots.profiles")
    ref = numbers(field(prof, "reference", where), f"{where}.reference")
    if ref is None:
        raise Skip(f"{where} is not in metrics.json")
    cand = numbers(field(prof, "candidate", where), f"{where}.candidate", len(ref))
    if cand is None:
        raise Skip(f"{where}.candidate is not in metrics.json")
    edges = np.arange(len(ref) + 1) - 0.5
    idx = np.arange(len(ref))
    title, xlabel = AXIS_TITLES[axis]
    fig = plt.figure(figsize=(11, 4.6), layout="constrained")
    outer = fig.add_gridspec(1, 2)
    for col, log in enumerate((False, True)):
        ax, ax_r = main_and_ratio_axes(fig, outer[col])
        draw_reference_hist(ax, edges, np.nan_to_num(ref), labels[0], log=log)
        draw_candidate_points(ax, idx, cand, None, labels[1])
        if log:
            ax.set_yscale("log")
        headroom(ax, log=log)
        with np.errstate(divide="ignore", invalid="ignore"):
            draw_ratio(ax_r, idx, cand / ref, None)
        ax.set_ylabel("mean energy per event [GeV]")
        ax_r.set_xlabel(xlabel)
        ax.set_xlim(edges[0], edges[-1])
        ax.set_title(f"{title} profile ({'log' if log else 'linear'} scale)")
        ax.legend(loc="upper right")
    caption = (f"Mean {title} shower profile: energy per {xlabel.split(' index')[0]} summed over the other two axes, "
               "averaged over all events; linear (left) and logarithmic (right) scale. "
               "Lower panels: candidate/reference.")
    return fig, Markup(caption)  # fixed prose with HTML markup


def plot_longitudinal_per_bin(m):
    """Mean longitudinal profile in each used energy bin, log scale."""
    labels = sample_label(m, "reference"), sample_label(m, "candidate")
    bins = [b for b in (m.get("bins") or []) if isinstance(b, dict) and b.get("kind", "energy") == "energy"
            and not b.get("skipped") and isinstance(b.get("reference"), dict)
            and isinstance((b["reference"].get("profiles") or {}).get("z"), list)
            and isinstance(((b.get("candidate") or {}).get("profiles") or {}).get("z"), list)]
    if not bins:
        raise Skip("no per-bin profiles (bins[].reference.profiles) in metrics.json")
    cols = min(4, len(bins))
    rows = (len(bins) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols + 0.6, 2.6 * rows + 0.4), layout="constrained",
                             squeeze=False)
    for ax in axes.flat[len(bins):]:
        ax.set_visible(False)
    for ax, b in zip(axes.flat, bins):
        ref = np.array(b["reference"]["profiles"]["z"], dtype=float)
        cand = np.array(b["candidate"]["profiles"]["z"], dtype=float)
        edges = np.arange(len(ref) + 1) - 0.5
        draw_reference_hist(ax, edges, np.nan_to_num(ref), labels[0], log=True)
        draw_candidate_points(ax, np.arange(len(cand)), cand, None, labels[1])
        ax.set_yscale("log")
        ax.set_title(str(b.get("label", "")), fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[:len(bins)]:
        ax.set_xlabel("layer", fontsize=8)
    for row in axes:
        row[0].set_ylabel("mean energy [GeV]", fontsize=9)
    axes.flat[0].legend(fontsize=7, loc="lower center")
    caption = ("Mean longitudinal profile in each energy bin (log scale): the depth of the shower maximum moves "
               "back with energy; a candidate that gets it wrong in some bins only shows it here.")
    return fig, Markup(caption)  # fixed prose with HTML markup


# --------------------------------------------------------------------------
# (c, d) Histograms of high-level features, drawn as grids by group.

# Features drawn together; anything unknown goes to a figure of its "group".
HISTOGRAM_FIGURES = [
    ("energy", "Energy", ["sampling_fraction", "total_energy_gev", "log10_incident_energy"]),
    ("moments", "Moments", ["moment1_x", "moment1_y", "moment1_z", "moment2_x", "moment2_y", "moment2_z"]),
    ("maximum", "Position of the maximum", ["max_position_x", "max_position_y", "max_position_z"]),
    ("angle", "Angle", ["theta_deg", "measured_angle_deg"]),
    ("hits", "Hits and energy fractions", ["hits", "energy_fraction_first_third", "energy_fraction_second_third",
                                           "energy_fraction_last_third"]),
]
LAYER_FEATURE = re.compile(r"^(layer_[a-z_]+?)_(\d+)$")


def histogram_figure_plan(hists):
    """[(figure key, title, [feature names])] for the features present, per-layer ones excluded."""
    known = {name for _, _, names in HISTOGRAM_FIGURES for name in names}
    plan = [(key, title, [n for n in names if n in hists]) for key, title, names in HISTOGRAM_FIGURES]
    extra = {}
    for name, hist in hists.items():
        if name in known or LAYER_FEATURE.match(name):
            continue
        group = text(field(hist, "group", f"plots.histograms.{name}"), f"plots.histograms.{name}.group") or "other"
        extra.setdefault(group, []).append(name)
    plan += [(f"group_{safe_name(g)}", g.capitalize(), names) for g, names in sorted(extra.items())]
    return [p for p in plan if p[2]]


def safe_name(s):
    return re.sub(r"[^A-Za-z0-9_-]+", "_", s)


def side_arrays(obj, where, length, what="counts"):
    """The `reference` and `candidate` arrays of `obj`, each of `length` values; Skip if either is missing."""
    ref = numbers(field(obj, "reference", where), f"{where}.reference", length)
    cand = numbers(field(obj, "candidate", where), f"{where}.candidate", length)
    if ref is None or cand is None:
        raise Skip(f"{where}: reference or candidate {what} missing")
    return ref, cand


def histogram_arrays(name, hist):
    where = f"plots.histograms.{name}"
    edges = numbers(field(hist, "edges", where), f"{where}.edges")
    if edges is None or len(edges) < 2:
        raise Skip(f"{where}.edges missing")
    ref, cand = side_arrays(hist, where, len(edges) - 1)
    label = text(field(hist, "label", where), f"{where}.label") or name
    sp = number(field(hist, "separation_power", where), f"{where}.separation_power")
    return edges, ref, cand, label, sp


def plot_histogram_grid(m, title, names, separation):
    labels = sample_label(m, "reference"), sample_label(m, "candidate")
    hists = histograms(m)
    ncols = 2 if len(names) == 4 else min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = plt.figure(figsize=(4.0 * ncols, 3.5 * nrows + 0.2), layout="constrained")
    outer = fig.add_gridspec(nrows, ncols)
    for k, name in enumerate(names):
        ax, ax_r = main_and_ratio_axes(fig, outer[k // ncols, k % ncols])
        edges, ref, cand, label, sp = histogram_arrays(name, hists[name])
        draw_feature_histogram(ax, ax_r, edges, ref, cand, labels)
        if sp is None:
            sp = separation.get(name)
        ax.text(0.03, 0.95, f"sep. power {format_value(sp, digits=2)}", transform=ax.transAxes, va="top", fontsize=7.5,
                bbox={"facecolor": "white", "edgecolor": "#bdbdbd", "boxstyle": "round,pad=0.25"})
        ax_r.set_xlabel(label)
        if k % ncols == 0:
            ax.set_ylabel("fraction of events")
        if k == 0:
            ax.legend(loc="upper right")
    fig.suptitle(title, fontsize=11)
    # The title of an unknown group comes from metrics.json: escaped.
    caption = Markup("{}: distributions normalised to unit area, with bins taken from the reference. "
                     "Lower panels: candidate/reference with the reference's statistical error (grey). "
                     "Separation power: 0 = identical, 1 = no overlap.").format(title)
    return fig, caption


def draw_feature_histogram(ax, ax_r, edges, ref, cand, labels):
    p, q = normalised(ref), normalised(cand)
    p_err, q_err = counting_errors(ref), counting_errors(cand)
    centres = 0.5 * (edges[:-1] + edges[1:])
    draw_reference_hist(ax, edges, p, labels[0])
    draw_candidate_points(ax, centres, np.where(q > 0, q, np.nan), q_err, labels[1])
    headroom(ax, 1.45)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p > 0, q / p, np.nan)
        ratio_err = ratio * q_err / q if q_err is not None else None
        ref_rel = p_err / p if p_err is not None else None
    draw_ratio(ax_r, centres, ratio, ratio_err, ref_rel, edges, lim=ratio_limits(ratio, p > 0.05 * p.max()))
    ax.set_xlim(edges[0], edges[-1])


# --------------------------------------------------------------------------
# (d) Cell-energy spectrum and sparsity.

def plot_cell_spectrum(m):
    labels = sample_label(m, "reference"), sample_label(m, "candidate")
    where = "plots.cell_spectrum"
    spec = field(m.get("plots"), "cell_spectrum", "plots")
    edges = numbers(field(spec, "edges_gev", where), f"{where}.edges_gev")
    if edges is None or len(edges) < 2:
        raise Skip(f"{where} is not in metrics.json")
    ref, cand = side_arrays(spec, where, len(edges) - 1)
    if np.any(edges <= 0):
        raise MetricsError(f"{where}.edges_gev: cell-energy bins must be positive (log-spaced)")
    fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
    p, q = normalised(ref), normalised(cand)
    draw_reference_hist(ax, edges, p, labels[0], log=True)
    ax.stairs(q, edges, color=CAND, linewidth=1.3, label=labels[1])
    ax.set_xscale("log")
    ax.set_yscale("log")
    draw_thresholds(ax, m)
    ax.set_xlabel("cell energy [GeV]")
    ax.set_ylabel("fraction of non-empty cells")
    ax.set_title("Cell-energy spectrum")
    ax.legend(loc="upper left")
    caption = ("Energies of all non-empty cells, normalised to unit area, log-spaced bins. "
               "Dotted lines: the hit threshold and the readout threshold of the classifier test.")
    return fig, Markup(caption)  # fixed prose with HTML markup


def draw_thresholds(ax, m, log10=False):
    settings = m.get("settings") or {}
    hit_key = "threshold_gev" if "threshold_gev" in settings else "hit_threshold_gev"  # both spellings occur
    lines = ((hit_key, "hit threshold", ":"), ("readout_threshold_gev", "readout threshold", "-."))
    for key, name, style in lines:
        value = number(settings.get(key), f"settings.{key}")
        if value is not None and value > 0:
            ax.axvline(math.log10(value) if log10 else value, color="#525252", linestyle=style, linewidth=1.0,
                       label=f"{name} {format_value(value, digits=2)} GeV")


def plot_sparsity(m):
    labels = sample_label(m, "reference"), sample_label(m, "candidate")
    where = "plots.sparsity"
    sp = field(m.get("plots"), "sparsity", "plots")
    t = numbers(field(sp, "log10_thresholds_gev", where), f"{where}.log10_thresholds_gev")
    if t is None or len(t) == 0:
        raise Skip(f"{where} is not in metrics.json")
    ref, cand = side_arrays(sp, where, len(t), "fractions")
    fig = plt.figure(figsize=(8, 5.2), layout="constrained")
    ax, ax_r = main_and_ratio_axes(fig, fig.add_gridspec(1, 1)[0])
    ax.fill_between(t, ref, color=REF_FILL, step=None)
    ax.plot(t, ref, "-", color=REF_LINE, linewidth=1.2, label=labels[0])
    ax.plot(t, cand, "o--", color=CAND, markersize=4, linewidth=0.8, label=labels[1])
    ax.set_yscale("log")
    draw_thresholds(ax, m, log10=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = cand / ref
    finite = ratio[np.isfinite(ratio) & (ratio > 0)]
    if finite.size and (finite.max() > 3.0 or finite.min() < 1.0 / 3.0):
        # Generators that never output zeros differ by orders of magnitude at low thresholds.
        lo, hi = min(finite.min() / 2, 0.5), max(finite.max() * 2, 2.0)
        draw_ratio(ax_r, t, ratio, None, lim=(max(lo, 1e-4), min(hi, 1e4)), log=True)
    else:
        draw_ratio(ax_r, t, ratio, None)
    ax.set_ylabel("mean fraction of cells above threshold")
    ax_r.set_xlabel("log$_{10}$(threshold / GeV)")
    ax.set_title("Sparsity versus threshold")
    ax.legend(loc="lower left")
    caption = ("Mean fraction of all cells whose energy is above 10<sup>t</sup> GeV, versus t. "
               "A generator that never outputs exact zeros shows up at low thresholds.")
    return fig, Markup(caption)  # fixed prose with HTML markup


# --------------------------------------------------------------------------
# (e) Classifier two-sample tests.

CLASSIFIERS = (("features", "high-level features"), ("images", "cell images"))


def classifier_sides(m):
    """{side: dict} for the classifiers present in plots.classifier."""
    block = field(m.get("plots"), "classifier", "plots")
    sides = {}
    for side, _ in CLASSIFIERS:
        value = field(block, side, "plots.classifier")
        if value is not None:
            if not isinstance(value, dict):
                raise MetricsError(f"plots.classifier.{side}: expected an object, got {type_name(value)}")
            sides[side] = value
    return sides


def plot_roc(m):
    sides = classifier_sides(m)
    curves = {}
    for side, name in CLASSIFIERS:
        roc = field(sides.get(side), "roc", f"plots.classifier.{side}")
        where = f"plots.classifier.{side}.roc"
        fpr = numbers(field(roc, "false_positive_rate", where), f"{where}.false_positive_rate")
        if fpr is not None:
            tpr = numbers(field(roc, "true_positive_rate", where), f"{where}.true_positive_rate", len(fpr))
            auc = number(field(sides[side], "auc", f"plots.classifier.{side}"), f"plots.classifier.{side}.auc")
            if auc is None:
                auc = number(m.get(f"auc_{side}"), f"auc_{side}")
            curves[name] = (fpr, tpr, auc)
    if not curves:
        raise Skip("no ROC curve in plots.classifier")
    fig, ax = plt.subplots(figsize=(5.6, 5.2), layout="constrained")
    ax.plot([0, 1], [0, 1], "--", color="#969696", linewidth=1.0, label="indistinguishable (AUC 0.5)")
    for (name, (fpr, tpr, auc)), colour in zip(curves.items(), (CAND, "#6a51a3")):
        ax.plot(fpr, tpr, color=colour, linewidth=1.6, label=f"{name}: AUC = {format_value(auc)}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate (reference called candidate)")
    ax.set_ylabel("true positive rate")
    ax.set_title("Classifier two-sample test: ROC")
    ax.legend(loc="lower right")
    caption = ("ROC curves of the classifiers trained to tell candidate from reference, on the held-out split. "
               "The diagonal is a classifier that cannot tell them apart (AUC 0.5); the further above it, the "
               "easier the candidate is to recognise.")
    return fig, Markup(caption)  # fixed prose with HTML markup


def plot_classifier_training(m):
    sides = {side: v for side, v in classifier_sides(m).items()
             if v.get("train_loss") is not None or v.get("test_accuracy") is not None}
    if not sides:
        raise Skip("no training curves in plots.classifier")
    fig, axes = plt.subplots(1, len(sides), figsize=(5.2 * len(sides), 3.8), layout="constrained", squeeze=False)
    for ax, (side, block) in zip(axes[0], sides.items()):
        draw_training_curves(ax, side, block)
    caption = ("Training of each classifier: training loss (binary cross-entropy, left axis) and accuracy on the "
               "test split (right axis) per epoch; the dashed line marks the epoch kept (best test accuracy).")
    return fig, Markup(caption)  # fixed prose with HTML markup


def draw_training_curves(ax, side, block):
    where = f"plots.classifier.{side}"
    loss = numbers(field(block, "train_loss", where), f"{where}.train_loss")
    acc = numbers(field(block, "test_accuracy", where), f"{where}.test_accuracy")
    best = number(field(block, "best_epoch", where), f"{where}.best_epoch")
    handles = []
    if loss is not None:
        handles += ax.plot(np.arange(1, len(loss) + 1), loss, "-", color=REF_LINE, label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (BCE)", color=REF_LINE)
    if acc is not None:
        ax2 = ax.twinx()
        ax2.grid(False)
        handles += ax2.plot(np.arange(1, len(acc) + 1), acc, "o-", color=CAND, markersize=2.5, linewidth=1.0,
                            label="test accuracy")
        ax2.set_ylabel("test accuracy", color=CAND)
    if best is not None:
        handles.append(ax.axvline(best, color="#525252", linestyle="--", linewidth=1.0,
                                  label=f"kept: epoch {format_value(best)}"))
    ax.set_title(f"{dict(CLASSIFIERS)[side]} classifier")
    ax.legend(handles=handles, loc="center right")


# --------------------------------------------------------------------------
# (f) Separation powers.

def statistical_floor(m, name):
    """Separation power expected between two samples of the same distribution.

    For p = q estimated from N_p and N_q events, E[½ Σ (p̂−q̂)²/(p̂+q̂)] ≈ (B−1)/4 · (1/N_p + 1/N_q)
    with B the number of filled bins.
    """
    hist = histograms(m).get(name)
    try:
        _, ref, cand, _, _ = histogram_arrays(name, hist)
    except Skip:
        return None
    n_p, n_q = np.nansum(ref), np.nansum(cand)
    filled = np.count_nonzero(np.nan_to_num(ref) + np.nan_to_num(cand))
    if n_p <= 1 or n_q <= 1 or counting_errors(ref) is None:
        return None
    return (filled - 1) / 4.0 * (1.0 / n_p + 1.0 / n_q)


def feature_group(m, name):
    for key, _, names in HISTOGRAM_FIGURES:
        if name in names:
            return key
    hist = histograms(m).get(name)
    return text(field(hist, "group", f"plots.histograms.{name}"), "group") or "other"


def plot_separation_bars(m):
    powers = {k: v for k, v in separation_powers(m).items() if not LAYER_FEATURE.match(k)}
    if not powers:
        raise Skip("no separation powers for whole-shower features")
    names = sorted(powers, key=lambda k: powers[k])
    values = np.array([powers[k] for k in names])
    floor_value = 1e-5
    shown = np.maximum(values, floor_value)  # log axis: zero would vanish
    groups = [feature_group(m, k) for k in names]
    colours = [GROUP_COLOURS.get(g, GROUP_COLOURS["other"]) for g in groups]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(names) + 1.4), layout="constrained")
    y = np.arange(len(names))
    ax.barh(y, shown, color=colours, height=0.7)
    floors = [statistical_floor(m, k) for k in names]
    fy = [i for i, f in enumerate(floors) if f]
    ax.plot([floors[i] for i in fy], fy, "|", color="black", markersize=11, markeredgewidth=1.5,
            label="expected for identical samples")
    for i, v in enumerate(values):
        ax.text(max(shown[i], floors[i] or 0) * 1.15, i, format_value(v, digits=2), va="center", fontsize=7)
    ax.set_yticks(y, names)
    ax.set_xscale("log")
    ax.set_xlim(floor_value, max(1.0, shown.max() * 3))
    ax.set_xlabel("separation power (triangular discrimination; 0 = identical, 1 = no overlap)")
    ax.grid(axis="y", visible=False)
    present = list(dict.fromkeys(groups))
    handles = [plt.Rectangle((0, 0), 1, 1, color=GROUP_COLOURS.get(g, GROUP_COLOURS["other"])) for g in present]
    floor_handles, floor_labels = ax.get_legend_handles_labels()
    ax.legend(handles + floor_handles, present + floor_labels, loc="lower right")
    ax.set_title("Separation power of the whole-shower features")
    caption = ("Separation power between reference and candidate for each whole-shower feature, largest at the top, "
               "log scale. Black ticks: the value two statistically identical samples of these sizes would give "
               "(≈ (filled bins − 1)/4 · (1/N<sub>ref</sub> + 1/N<sub>cand</sub>)); bars near their tick show no "
               "significant difference.")
    return fig, Markup(caption)  # fixed prose with HTML markup


LAYER_TYPE_NAMES = {"layer_energy": "energy", "layer_centre_x": "centre x", "layer_centre_y": "centre y",
                    "layer_width_x": "width x", "layer_width_y": "width y", "layer_sparsity": "sparsity"}


def layer_matrix(m):
    """(row names, matrix[type, layer]) of the per-layer separation powers; NaN where absent."""
    cells = {}
    for name, value in separation_powers(m).items():
        match = LAYER_FEATURE.match(name)
        if match:
            cells[(match.group(1), int(match.group(2)))] = value
    if not cells:
        return None, None
    types = [t for t in LAYER_TYPE_NAMES if any(key[0] == t for key in cells)]
    types += sorted({key[0] for key in cells} - set(types))
    n_layers = max(k for _, k in cells) + 1
    matrix = np.full((len(types), n_layers), np.nan)
    for (t, k), v in cells.items():
        matrix[types.index(t), k] = v
    return types, matrix


def plot_separation_layers(m):
    types, matrix = layer_matrix(m)
    if types is None:
        raise Skip("no per-layer separation powers (layer_<feature>_<k>)")
    n_layers = matrix.shape[1]
    positive = matrix[np.isfinite(matrix) & (matrix > 0)]
    vmin = max(positive.min(), 1e-6) if positive.size else 1e-6
    vmax = max(positive.max(), vmin * 10) if positive.size else 1.0
    fig, ax = plt.subplots(figsize=(max(7.0, 0.3 * n_layers + 2.5), 0.45 * len(types) + 1.6), layout="constrained")
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad("#e0e0e0")
    shown = np.where(np.isfinite(matrix), np.maximum(matrix, vmin), np.nan)
    image = ax.imshow(np.ma.masked_invalid(shown), aspect="auto", cmap=cmap, norm=LogNorm(vmin=vmin, vmax=vmax),
                      interpolation="nearest")
    ax.set_yticks(range(len(types)), [LAYER_TYPE_NAMES.get(t, t) for t in types])
    step = 1 if n_layers <= 30 else 5
    ax.set_xticks(range(0, n_layers, step))
    ax.set_xlabel("layer")
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="separation power", pad=0.01)
    ax.set_title("Separation power per layer")
    caption = ("Separation power of the per-layer features (energy, centre of energy and width in x and y, fraction of "
               "cells above threshold) for every layer, log colour scale; grey: not computed. Differences that "
               "grow towards the back layers point to a poorly modelled shower tail. The per-layer histograms themselves "
               "are in metrics.json but not drawn one by one.")
    return fig, Markup(caption)  # fixed prose with HTML markup


# --------------------------------------------------------------------------
# Driver

class Figure(NamedTuple):
    """A saved figure: its name (also the HTML id), the PNG path and the HTML caption."""
    name: str
    path: str
    caption: Markup


class Renderer:
    """Draws each plot, saves it as OUT_DIR/<name>.png, and records what could not be drawn.

    A plot without its data (Skip) is recorded with the reason; one that fails
    to draw is recorded with a warning on stderr, or raised when `strict`.
    """

    def __init__(self, out_dir, strict, prog="validation_report.py"):
        self.out_dir = out_dir
        self.strict = strict
        self.prog = prog
        self.skips = []  # [(what, why)]

    def draw(self, name, what, plot, *args):
        """[Figure] of plot(*args), or [] when it was skipped."""
        try:
            fig, caption = plot(*args)
        except Skip as why:
            self.skips.append((what, str(why)))
            return []
        except MetricsError:
            raise
        except Exception as err:  # a drawing bug must not cost the whole report
            plt.close("all")
            if self.strict:
                raise
            message = f"{type(err).__name__}: {err}"
            print(f"{self.prog}: warning: {what} not drawn: {message}", file=sys.stderr)
            self.skips.append((what, f"plotting failed ({message})"))
            return []
        path = os.path.join(self.out_dir, name + ".png")
        plotting.save(fig, path, DPI)
        return [Figure(name, path, caption)]


def draw_all(m, renderer):
    """[(section title, [Figure])] in the order of the report."""
    hists = histograms(m)
    separation = separation_powers(m)
    plan = {key: (title, names) for key, title, names in histogram_figure_plan(hists)}
    if not hists:
        renderer.skips.append(("feature histograms", "plots.histograms is not in metrics.json"))

    def hist_fig(key):
        if key not in plan:
            return []
        title, names = plan[key]
        return renderer.draw(f"hist_{key}", f"{title} histograms", plot_histogram_grid, m, title, names, separation)

    extra_groups = [k for k in plan if k.startswith("group_")]
    sections = [
        ("Sampling fraction and energy",
         renderer.draw("sampling_fraction", "sampling fraction profile", plot_sampling_fraction, m)
         + hist_fig("energy")),
        ("Shower profiles",
         sum((renderer.draw(f"profile_{a}", f"{AXIS_TITLES[a][0]} profile", plot_profile, m, a) for a in "zxy"), [])
         + renderer.draw("profile_z_per_bin", "longitudinal profile per energy bin", plot_longitudinal_per_bin, m)),
        ("Moments, maximum and angle", hist_fig("moments") + hist_fig("maximum") + hist_fig("angle")),
        ("Cells, hits and sparsity",
         renderer.draw("cell_spectrum", "cell-energy spectrum", plot_cell_spectrum, m)
         + hist_fig("hits")
         + renderer.draw("sparsity", "sparsity versus threshold", plot_sparsity, m)),
        ("Classifier two-sample tests",
         renderer.draw("classifier_roc", "classifier ROC curves", plot_roc, m)
         + renderer.draw("classifier_training", "classifier training curves", plot_classifier_training, m)),
        ("Separation power",
         renderer.draw("separation_power", "separation-power bar chart", plot_separation_bars, m)
         + renderer.draw("separation_power_layers", "per-layer separation powers", plot_separation_layers, m)),
    ]
    if extra_groups:
        sections.append(("Other features", sum((hist_fig(k) for k in extra_groups), [])))
    return sections


