#!/usr/bin/env python3
"""Turn the metrics.json of `calo3dgan validate` into PNG plots and one report.html.

    validation_report.py METRICS_JSON OUT_DIR [--strict]

Every number is computed by the C++ side; this script only draws and lays out.
report.html is self-contained (CSS inline, images as data URIs) so it can be
mailed; the PNG files are kept next to it. Null or missing values are shown as
"n/a" and listed under "Skipped". A malformed metrics.json (not JSON, wrong
schema, wrong types) ends the script with one line on stderr and exit code 2.
A plot that fails to draw is listed as skipped (a warning on stderr); with
--strict it is fatal instead, which is what the tests use.

Standard library, numpy and matplotlib (Agg) only.
"""
import argparse
import base64
import html
import json
import math
import os
import re
import sys
import time

PROG = "validation_report.py"
SCHEMA_PREFIX = "calo3dgan.validation/"
SUPPORTED_SCHEMA_MAJOR = 1
DPI = 100


def ensure_plotting_modules():
    """Import numpy and matplotlib, or re-run under the Debian interpreter.

    `python3` on PATH may be a pyenv or virtualenv one without the Debian
    python3-matplotlib package; /usr/bin/python3 has it after scripts/setup.sh.
    """
    try:
        import matplotlib  # noqa: F401
        import numpy  # noqa: F401
        return
    except ImportError as err:
        missing = err.name or "numpy/matplotlib"
    system = "/usr/bin/python3"
    already_system = os.path.realpath(sys.executable) == os.path.realpath(system)
    if os.environ.get("CALO3DGAN_PLOTS_REEXEC") or already_system or not os.path.exists(system):
        fail(f"python module '{missing}' is missing; install python3-matplotlib and python3-numpy "
             "(scripts/setup.sh)", 1)
    os.environ["CALO3DGAN_PLOTS_REEXEC"] = "1"
    os.execv(system, [system] + sys.argv)


def fail(message, code):
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    ensure_plotting_modules()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

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


# --------------------------------------------------------------------------
# Reading metrics.json: missing or null -> None; wrong type -> MetricsError.

class MetricsError(Exception):
    """metrics.json does not follow the schema; the message names the key."""


class Skip(Exception):
    """A plot cannot be drawn from the data present; the message says why."""


def field(obj, key, where):
    """obj[key], or None when absent or null. obj itself must be an object or null."""
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise MetricsError(f"{where}: expected an object, got {type_name(obj)}")
    return obj.get(key)


def type_name(value):
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)


def number(value, where):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetricsError(f"{where}: expected a number, got {type_name(value)}")
    return float(value)


def numbers(value, where, length=None):
    """A list of numbers (null -> NaN) as a float array, or None when absent."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise MetricsError(f"{where}: expected a list of numbers, got {type_name(value)}")
    out = np.array([np.nan if v is None else number(v, f"{where}[{i}]") for i, v in enumerate(value)], dtype=float)
    if length is not None and len(out) != length:
        raise MetricsError(f"{where}: expected {length} values, got {len(out)}")
    return out


def text(value, where):
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise MetricsError(f"{where}: expected a string, got {type_name(value)}")
    return str(value)


def load_metrics(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as err:
        fail(f"cannot read {path}: {err.strerror}", 1)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise MetricsError(f"{path} is not valid JSON: {err}")
    if not isinstance(data, dict):
        raise MetricsError(f"{path}: expected a JSON object at the top level, got {type_name(data)}")
    schema = text(data.get("schema"), "schema")
    if schema is None:
        raise MetricsError(f"{path} has no \"schema\" key; expected \"{SCHEMA_PREFIX}{SUPPORTED_SCHEMA_MAJOR}\"")
    if not schema.startswith(SCHEMA_PREFIX):
        raise MetricsError(f"{path}: schema is \"{schema}\", expected \"{SCHEMA_PREFIX}{SUPPORTED_SCHEMA_MAJOR}\"")
    major = schema[len(SCHEMA_PREFIX):].split(".")[0]
    if major != str(SUPPORTED_SCHEMA_MAJOR):
        raise MetricsError(f"{path}: schema {schema} is not supported "
                           f"(this script reads version {SUPPORTED_SCHEMA_MAJOR})")
    for key in ("settings", "reference", "candidate", "figure_of_merit_terms", "separation_power", "plots", "timing_s"):
        field(data, key, "(top level)")  # type check only
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise MetricsError(f"{key}: expected an object, got {type_name(data[key])}")
    for key in ("skipped", "bins"):
        if data.get(key) is not None and not isinstance(data[key], list):
            raise MetricsError(f"{key}: expected a list, got {type_name(data[key])}")
    return data


def sample_label(m, role):
    return text(field(m.get(role), "label", role), f"{role}.label") or role


def skipped_by_validate(m):
    """The "skipped" list, accepting {"what", "why"} objects or plain strings."""
    out = []
    for i, item in enumerate(m.get("skipped") or []):
        if isinstance(item, dict):
            out.append((text(item.get("what"), f"skipped[{i}].what") or "(unnamed)",
                        text(item.get("why"), f"skipped[{i}].why") or "no reason given"))
        else:
            out.append((text(item, f"skipped[{i}]"), ""))
    return out


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


def fmt(value, digits=3):
    """A number for a table: 'n/a' for None or NaN, scientific only when needed."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:.{max(digits, int(math.log10(abs(value))) + 1)}g}"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa}×10<sup>{int(exponent)}</sup>"


def fmt_plain(value, digits=2):
    """fmt() for matplotlib text, which has no HTML."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}g}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.{digits - 1}e}"


# --------------------------------------------------------------------------
# (a) Sampling fraction versus primary energy: Figure 2 of the AISIS 2019 paper.

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
    return fig, caption


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
    err = f" ± {100 * mre_err:.2f}" if mre_err is not None else ""
    return f"{label}: MRE = {100 * mre:.2f}{err} %"


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
    return fig, caption


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
    return fig, caption


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


def histogram_figure_plan(histograms):
    """[(figure key, title, [feature names])] for the features present, per-layer ones excluded."""
    known = {name for _, _, names in HISTOGRAM_FIGURES for name in names}
    plan = [(key, title, [n for n in names if n in histograms]) for key, title, names in HISTOGRAM_FIGURES]
    extra = {}
    for name, hist in histograms.items():
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
    histograms = field(m.get("plots"), "histograms", "plots") or {}
    ncols = 2 if len(names) == 4 else min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = plt.figure(figsize=(4.0 * ncols, 3.5 * nrows + 0.2), layout="constrained")
    outer = fig.add_gridspec(nrows, ncols)
    for k, name in enumerate(names):
        ax, ax_r = main_and_ratio_axes(fig, outer[k // ncols, k % ncols])
        edges, ref, cand, label, sp = histogram_arrays(name, histograms[name])
        draw_feature_histogram(ax, ax_r, edges, ref, cand, labels)
        if sp is None:
            sp = separation.get(name)
        ax.text(0.03, 0.95, f"sep. power {fmt_plain(sp)}", transform=ax.transAxes, va="top", fontsize=7.5,
                bbox={"facecolor": "white", "edgecolor": "#bdbdbd", "boxstyle": "round,pad=0.25"})
        ax_r.set_xlabel(label)
        if k % ncols == 0:
            ax.set_ylabel("fraction of events")
        if k == 0:
            ax.legend(loc="upper right")
    fig.suptitle(title, fontsize=11)
    caption = (f"{title}: distributions normalised to unit area, with bins taken from the reference. "
               "Lower panels: candidate/reference with the reference's statistical error (grey). "
               "Separation power: 0 = identical, 1 = no overlap.")
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
    return fig, caption


def draw_thresholds(ax, m, log10=False):
    settings = m.get("settings") or {}
    hit_key = "threshold_gev" if "threshold_gev" in settings else "hit_threshold_gev"  # both spellings occur
    lines = ((hit_key, "hit threshold", ":"), ("readout_threshold_gev", "readout threshold", "-."))
    for key, name, style in lines:
        value = number(settings.get(key), f"settings.{key}")
        if value is not None and value > 0:
            ax.axvline(math.log10(value) if log10 else value, color="#525252", linestyle=style, linewidth=1.0,
                       label=f"{name} {fmt_plain(value)} GeV")


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
    return fig, caption


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
        ax.plot(fpr, tpr, color=colour, linewidth=1.6, label=f"{name}: AUC = {fmt_plain(auc, 3)}")
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
    return fig, caption


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
    return fig, caption


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
                                  label=f"kept: epoch {best:.0f}"))
    ax.set_title(f"{dict(CLASSIFIERS)[side]} classifier")
    ax.legend(handles=handles, loc="center right")


# --------------------------------------------------------------------------
# (f) Separation powers.

def separation_powers(m):
    """{feature: value} from the top-level table, completed from the histograms."""
    out = {}
    hists = field(m.get("plots"), "histograms", "plots") or {}
    if not isinstance(hists, dict):
        raise MetricsError("plots.histograms: expected an object")
    for name, hist in hists.items():
        value = number(field(hist, "separation_power", f"plots.histograms.{name}"),
                       f"plots.histograms.{name}.separation_power")
        if value is not None:
            out[name] = value
    for name, value in (m.get("separation_power") or {}).items():
        value = number(value, f"separation_power.{name}")
        if value is not None:
            out[name] = value
    return out


def statistical_floor(m, name):
    """Separation power expected between two samples of the same distribution.

    For p = q estimated from N_p and N_q events, E[½ Σ (p̂−q̂)²/(p̂+q̂)] ≈ (B−1)/4 · (1/N_p + 1/N_q)
    with B the number of filled bins.
    """
    hist = (field(m.get("plots"), "histograms", "plots") or {}).get(name)
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
    hist = (field(m.get("plots"), "histograms", "plots") or {}).get(name)
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
        ax.text(max(shown[i], floors[i] or 0) * 1.15, i, fmt_plain(v), va="center", fontsize=7)
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
    return fig, caption


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
    return fig, caption


# --------------------------------------------------------------------------
# HTML

CSS = """
body{font-family:-apple-system,"Segoe UI","DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;background:#fafafa;
 margin:0;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px;background:#fff;box-shadow:0 0 12px rgba(0,0,0,.06)}
h1{font-size:1.6em;margin:0 0 4px}
h2{font-size:1.25em;border-bottom:2px solid #e3e3e3;padding-bottom:4px;margin-top:2em}
h3{font-size:1.05em;margin:1.4em 0 .4em}
.meta{color:#666;font-size:.88em;margin-bottom:1.2em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.92em}
th,td{padding:4px 10px;border-bottom:1px solid #e6e6e6;text-align:left;vertical-align:top}
th{background:#f2f4f7;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.label,table.headline td:first-child{white-space:nowrap}
.notice{background:#fff8e1;border-left:4px solid #e0a800;padding:6px 12px;margin:.8em 0;font-size:.92em}
tbody tr:nth-child(even){background:#fbfbfd}
table.headline td.value{font-size:1.25em;font-weight:600;white-space:nowrap;text-align:right}
table.headline td.reading{color:#444}
table.headline tr.sub td{font-size:.9em;color:#555} table.headline tr.sub td.value{font-size:1em;font-weight:500}
.good{color:#1a7f37} .fair{color:#9a6700} .poor{color:#cf222e}
td.tension{background:#fff1c2}
.na{color:#999}
div.wide{overflow-x:auto}
ul.skipped li{margin:.2em 0} .why{color:#555}
figure{margin:1.2em 0 2em} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88em;color:#444;max-width:1000px;margin-top:.3em}
code{background:#f2f4f7;padding:0 3px;border-radius:3px;font-size:.92em}
.note{font-size:.88em;color:#555}
"""

# Marks <body> with how many images loaded, for check_report.py and headless tests.
IMAGE_CHECK_JS = """
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (im) { return !(im.complete && im.naturalWidth > 0); });
  document.body.setAttribute('data-images-loaded', (images.length - broken.length) + '/' + images.length);
  document.body.setAttribute('data-images-broken',
    broken.map(function (im) { return im.getAttribute('data-name') || im.alt; }).join(' '));
});
"""


def esc(value):
    return html.escape("n/a" if value is None else str(value))


def na(value_html):
    return '<span class="na">n/a</span>' if value_html == "n/a" else value_html


def table(headers, rows, cls="", numeric_from=1):
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{na(c)}</td>' if i >= numeric_from else f"<td>{na(c)}</td>" for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def samples_html(m):
    rows = []
    for role in ("reference", "candidate"):
        s = m.get(role) or {}
        shape = field(s, "shape", role)
        shape_text = "×".join(str(v) for v in shape) if isinstance(shape, list) else esc(shape)
        source = text(field(s, "source", role), f"{role}.source")
        rows.append([role, esc(field(s, "label", role)), f"<code>{esc(source)}</code>" if source else "n/a",
                     fmt(number(field(s, "events", role), f"{role}.events")), shape_text,
                     esc(field(s, "model_family", role))])
    return table(["", "label", "source", "events", "shape (x×y×z)", "model"], rows, numeric_from=3)


def auc_reading(auc):
    if auc is None:
        return "not computed (see Skipped)", ""
    d = abs(auc - 0.5)
    if d <= 0.02:
        words, cls = "indistinguishable to this classifier", "good"
    elif d <= 0.1:
        words, cls = "hard to tell apart: small differences", "good"
    elif d <= 0.25:
        words, cls = "clearly distinguishable", "fair"
    else:
        words, cls = "easily told apart", "poor"
    if auc < 0.48:
        words += " (below 0.5: the classifier learned nothing that generalises)"
    return f"{words}. 0.5 = indistinguishable, 1 = perfectly separable.", cls


def headline_html(m):
    rows = []
    for side, name in CLASSIFIERS:
        auc = number(m.get(f"auc_{side}"), f"auc_{side}")
        reading, cls = auc_reading(auc)
        jsd = number(m.get(f"jsd_{side}"), f"jsd_{side}")
        if jsd is not None:
            reading += f" JSD {fmt(jsd)} (0 = identical, 1 = separable)."
        rows.append(("", f"AUC, {name}", f'<span class="{cls}">{fmt(auc, 3)}</span>' if auc is not None else "n/a",
                     reading))
    mre = number(m.get("sampling_fraction_mre"), "sampling_fraction_mre")
    mre_err = number(m.get("sampling_fraction_mre_error"), "sampling_fraction_mre_error")
    if mre is None:
        value, reading = "n/a", "not computed (see Skipped)."
    else:
        value = f"{100 * mre:.2f} %" + (f" ± {100 * mre_err:.2f} %" if mre_err is not None else "")
        reading = (f"the candidate's mean sampling fraction ΣE/E<sub>p</sub> differs from the reference's by "
                   f"{100 * mre:.2f} % on average over the energy bins (0 = identical).")
    rows.append(("", "sampling-fraction MRE", value, reading))
    fom = number(m.get("figure_of_merit"), "figure_of_merit")
    floor = number(m.get("figure_of_merit_floor"), "figure_of_merit_floor")
    floor_text = (f" Statistical floor (the reference against itself): {fmt(floor, 3)}; values near it mean no "
                  "difference beyond sample size." if floor is not None else "")
    rows.append(("", "figure of merit", fmt(fom, 3),
                 "sum of the relative errors on moments, shower shapes and sampling fraction (and angle for model B), "
                 "averaged over energy bins: 0 = perfect, lower is better; compare epochs of the same setup."
                 + floor_text))
    terms = m.get("figure_of_merit_terms") or {}
    for key, meaning in (("moment", "relative error of the first two moments along x, y, z"),
                         ("shape", "relative error of the mean x, y, z profiles"),
                         ("sampling_fraction", "relative difference of the bin means of ΣE/E<sub>p</sub>"),
                         ("angle", "mean |θ − θ<sub>measured</sub>|/θ of the candidate showers (model B)")):
        value = number(terms.get(key), f"figure_of_merit_terms.{key}")
        if value is None and key == "angle" and not is_family_b(m):
            continue  # model A has no angle term: nothing was skipped
        rows.append(("sub", f"&nbsp;&nbsp;↳ {key.replace('_', ' ')} term", fmt(value, 3), meaning))
    # Fréchet and kernel physics distances, x 10^3 as the literature quotes them.
    for key, name, meaning in (
            ("fpd", "FPD × 10³", "Fréchet distance of Gaussians fitted to the standardised high-level features, "
                                 "extrapolated to infinite samples: 0 = same means and covariances."),
            ("kpd", "KPD × 10³", "kernel (MMD, cubic polynomial) distance of the standardised high-level features: "
                                 "0 within its error = same distribution.")):
        value = number(m.get(key), key)
        error = number(m.get(f"{key}_error"), f"{key}_error")
        if value is None and key not in m:
            continue  # written by an older calo3dgan: nothing was skipped
        shown = "n/a" if value is None else value_with_error(1e3 * value, None if error is None else 1e3 * error)
        rows.append(("", name, shown, meaning if value is not None else "not computed (see Skipped)."))
    body = "".join(f'<tr class="{cls}"><td>{name}</td><td class="value">{na(value)}</td>'
                   f'<td class="reading">{reading}</td></tr>' for cls, name, value, reading in rows)
    note = text(m.get("figure_of_merit_note"), "figure_of_merit_note")
    note_html = f'<p class="note">Figure of merit: {esc(note)}.</p>' if note else ""
    return (f'<table class="headline"><thead><tr><th>quantity</th><th>value</th><th>reading</th></tr></thead>'
            f"<tbody>{body}</tbody></table>{note_html}")


def value_with_error(value, error):
    """'12.3 ± 4.5': the value rounded where its error's second digit is."""
    if error is None or not math.isfinite(error) or error <= 0:
        return f"{value:.3g}"
    decimals = max(0, 1 - int(math.floor(math.log10(error))))
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"


def is_family_b(m):
    families = {str(field(m.get(r), "model_family", r) or "").lower() for r in ("reference", "candidate")}
    return "b" in families or bool((m.get("settings") or {}).get("theta_bins_deg"))


def bins_html(m):
    bins = m.get("bins") or []
    if not bins:
        return '<p class="na">No per-bin numbers in metrics.json.</p>'
    with_angle = any(field(b, "theta_deg", f"bins[{i}]") is not None for i, b in enumerate(bins))
    with_angle_term = is_family_b(m)
    headers = ["bin", "events ref.", "events cand.", "SF ref. [%]", "SF cand. [%]", "rel. diff.",
               "FoM moment", "FoM shape", "FoM SF"] + (["FoM angle"] if with_angle_term else []) + ["FoM total"]
    # calo3dgan validate gives each bin a "skipped" reason (null when used); the schema example has none.
    with_reason = any(isinstance(b, dict) and b.get("skipped") for b in bins)
    headers += ["note"] if with_reason else []
    rows = [bin_row_html(i, b, with_angle_term, with_reason) for i, b in enumerate(bins)]
    head = "".join(f"<th>{h}</th>" for h in headers)
    note = ("Shaded relative differences exceed three times their statistical error. "
            if any("tension" in r for r in rows) else "")
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            f'<p class="note">{note}SF: mean sampling fraction ΣE/E<sub>p</sub> in per cent ± error on the mean; '
            'rel. diff.: (cand. − ref.)/ref.; '
            f"FoM: figure-of-merit terms in this bin{' (energy and angle bins)' if with_angle else ''}.</p>")


def bin_row_html(i, b, with_angle_term, with_reason):
    where = f"bins[{i}]"
    sf = field(b, "sampling_fraction", where)
    fom = field(b, "figure_of_merit", where)

    def sfv(key):
        return number(field(sf, key, f"{where}.sampling_fraction"), f"{where}.sampling_fraction.{key}")

    def fomv(key):
        return fmt(number(field(fom, key, f"{where}.figure_of_merit"), f"{where}.figure_of_merit.{key}"), 3)

    ref, ref_err, cand, cand_err, rel = (sfv(k) for k in ("reference", "reference_error", "candidate",
                                                         "candidate_error", "relative_error"))
    rel_cls = "num"
    if None not in (ref, ref_err, cand, cand_err, rel) and ref and cand:
        sigma = math.hypot(ref_err / ref, cand_err / ref)
        if sigma > 0 and abs(rel) > 3 * sigma:
            rel_cls = "num tension"
    cells = [f'<td class="label">{esc(field(b, "label", where))}</td>',
             num_td(fmt(number(field(b, "events_reference", where), f"{where}.events_reference"))),
             num_td(fmt(number(field(b, "events_candidate", where), f"{where}.events_candidate"))),
             num_td(value_with_error(percent(ref), percent(ref_err))),
             num_td(value_with_error(percent(cand), percent(cand_err))),
             f'<td class="{rel_cls}">{na("n/a" if rel is None else f"{100 * rel:+.2f} %")}</td>',
             num_td(fomv("moment")), num_td(fomv("shape")), num_td(fomv("sampling_fraction"))]
    if with_angle_term:
        cells.append(num_td(fomv("angle")))
    cells.append(num_td(fomv("total")))
    if with_reason:
        reason = text(field(b, "skipped", where), f"{where}.skipped")
        cells.append(f'<td class="why">{esc(reason) if reason else ""}</td>')
    return f"<tr>{''.join(cells)}</tr>"


def percent(value):
    return None if value is None else 100.0 * value


def num_td(value_html):
    return f'<td class="num">{na(value_html)}</td>'


def value_with_error(value, error):
    if value is None:
        return "n/a"
    if error is None or error <= 0:
        return f"{value:.4g}"
    decimals = max(0, 1 - int(math.floor(math.log10(error))))
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"


def skipped_html(from_validate, from_report):
    if not from_validate and not from_report:
        return ""
    items = [f"<li><b>{esc(what)}</b>{': <span class=why>' + esc(why) + '</span>' if why else ''}</li>"
             for what, why in from_validate]
    items += [f"<li><b>{esc(what)}</b> (not plotted): <span class=why>{esc(why)}</span></li>"
              for what, why in from_report]
    return f'<h2 id="skipped">Skipped</h2><ul class="skipped">{"".join(items)}</ul>'


def skipped_notice(from_validate, from_report):
    count = len(from_validate) + len(from_report)
    if not count:
        return ""
    return (f'<p class="notice">{count} item{"s" if count > 1 else ""} could not be computed or plotted: '
            f'see <a href="#skipped">Skipped</a>.</p>')


def settings_html(m):
    rows = [[f"<code>{esc(k)}</code>", esc(v)] for k, v in flatten(m.get("settings") or {})]
    return table(["setting", "value"], rows, numeric_from=99) if rows else '<p class="na">No settings recorded.</p>'


def flatten(obj, prefix=""):
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, name + ".")
        elif isinstance(value, list):
            yield name, json.dumps(value, separators=(", ", ": "))
        else:
            yield name, "n/a" if value is None else value


def timing_html(m, report_seconds):
    timing = m.get("timing_s") or {}
    rows, total = [], 0.0
    for key, value in timing.items():
        value = number(value, f"timing_s.{key}")
        total += value or 0.0
        rows.append([esc(key.replace("_", " ")), "n/a" if value is None else f"{value:.1f} s"])
    if rows:
        rows.append(["<b>sum of the steps above</b>", f"<b>{total:.1f} s</b>"])
    rows.append(["report (this script)", f"{report_seconds:.1f} s"])
    return table(["step", "time"], rows)


def figure_html(fig_entry):
    name, path, caption = fig_entry
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    file = os.path.basename(path)
    return (f'<figure id="{name}"><img src="data:image/png;base64,{data}" alt="{esc(file)}" data-name="{esc(file)}">'
            f"<figcaption>{caption} <span class=na>({esc(file)})</span></figcaption></figure>")


def report_html(m, sections, report_skips, report_seconds):
    ref, cand = sample_label(m, "reference"), sample_label(m, "candidate")
    meta = " · ".join(esc(v) for v in (text(m.get("created"), "created"), text(m.get("build"), "build"),
                                       text(m.get("schema"), "schema")) if v)
    plots = "".join(f"<h3>{esc(title)}</h3>" + "".join(figure_html(f) for f in figs)
                    for title, figs in sections if figs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Physics validation: {esc(cand)} vs {esc(ref)}</title>
<style>{CSS}</style></head>
<body><main>
<h1>Physics validation: {esc(cand)} vs {esc(ref)}</h1>
<div class="meta">{meta}</div>
{samples_html(m)}
<h2>Headline numbers</h2>
{headline_html(m)}
{skipped_notice(skipped_by_validate(m), report_skips)}
<h2>Per {"energy and angle" if is_family_b(m) else "energy"} bin</h2>
{bins_html(m)}
{skipped_html(skipped_by_validate(m), report_skips)}
<h2>Plots</h2>
{plots or '<p class="na">No plots could be drawn (see Skipped).</p>'}
<h2>Settings</h2>
{settings_html(m)}
<h2>Timing</h2>
{timing_html(m, report_seconds)}
</main>
<script>{IMAGE_CHECK_JS}</script>
</body></html>
"""


# --------------------------------------------------------------------------
# Driver

class Renderer:
    """Draws each plot, saves it, and records what could not be drawn."""

    def __init__(self, out_dir, strict):
        self.out_dir = out_dir
        self.strict = strict
        self.skips = []

    def draw(self, name, what, plot, *args):
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
            print(f"{PROG}: warning: {what} not drawn: {message}", file=sys.stderr)
            self.skips.append((what, f"plotting failed ({message})"))
            return []
        path = os.path.join(self.out_dir, name + ".png")
        fig.savefig(path, dpi=DPI)
        plt.close(fig)
        return [(name, path, caption)]


def draw_all(m, renderer):
    histograms = field(m.get("plots"), "histograms", "plots") or {}
    if not isinstance(histograms, dict):
        raise MetricsError("plots.histograms: expected an object")
    separation = separation_powers(m)
    plan = {key: (title, names) for key, title, names in histogram_figure_plan(histograms)}
    if not histograms:
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


def write_atomically(path, content):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
    os.replace(tmp, path)


def run(metrics_path, out_dir, strict):
    start = time.monotonic()
    m = load_metrics(metrics_path)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as err:
        fail(f"cannot create {out_dir}: {err.strerror}", 1)
    renderer = Renderer(out_dir, strict)
    sections = draw_all(m, renderer)
    content = report_html(m, sections, renderer.skips, time.monotonic() - start)
    write_atomically(os.path.join(out_dir, "report.html"), content)
    return sum(len(figs) for _, figs in sections)


def main():
    parser = argparse.ArgumentParser(description="Plots and report.html from the metrics.json of calo3dgan validate.")
    parser.add_argument("metrics", help="metrics.json written by calo3dgan validate")
    parser.add_argument("out_dir", help="folder for the PNG files and report.html (created if needed)")
    parser.add_argument("--strict", action="store_true", help="fail when a plot cannot be drawn instead of skipping it")
    args = parser.parse_args()
    try:
        count = run(args.metrics, args.out_dir, args.strict)
    except MetricsError as err:
        fail(f"malformed metrics.json: {err}", 2)
    except OSError as err:
        fail(f"{err.filename or ''}: {err.strerror}", 1)
    print(f"{PROG}: wrote {count} plots and {os.path.join(args.out_dir, 'report.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
