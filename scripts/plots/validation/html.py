"""report.html from the metrics and the drawn figures, through templates/report.html.j2.

report_context() turns the metrics into plain values (text already formatted
by formatting.format_value, None where a value is missing); the template holds
the page and its prose. Autoescaping is on: text from metrics.json is escaped
wherever it appears; only the figure captions (Markup) carry HTML.
The page is self-contained (CSS inline, images as data URIs) so it can be mailed.
"""
import base64
import json
import math
import os

import jinja2

from .formatting import NOT_AVAILABLE, format_percent, format_value
from .metrics import field, is_family_b, number, sample_label, skipped_by_validate, text

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
TEMPLATE = "report.html.j2"

CLASSIFIERS = (("features", "high-level features"), ("images", "cell images"))
FIGURE_OF_MERIT_TERMS = ("moment", "shape", "sampling_fraction", "angle")
DISTANCES = (("fpd", "FPD × 10³"), ("kpd", "KPD × 10³"))


def environment():
    """The Jinja2 environment of the report templates: autoescaping on, undefined names are errors."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def render_report(context):
    """The page as a string, from report_context()."""
    return environment().get_template(TEMPLATE).render(context)


def report_context(m, sections, report_skips, report_seconds):
    """Everything the template shows.

    m: the checked metrics; sections: [(title, [figures.Figure])];
    report_skips: [(what, why)] of the plots not drawn; report_seconds: the
    time this script took.
    """
    from_validate = skipped_by_validate(m)
    return {
        "reference": sample_label(m, "reference"),
        "candidate": sample_label(m, "candidate"),
        "meta": [v for v in (text(m.get(k), k) for k in ("created", "build", "schema")) if v],
        "samples": samples(m),
        "headline": headline(m),
        "family_b": is_family_b(m),
        "bins": bins(m),
        "skipped": {"validate": from_validate, "report": list(report_skips),
                    "count": len(from_validate) + len(report_skips)},
        "sections": [(title, [figure(f) for f in figs]) for title, figs in sections if figs],
        "settings": list(flatten(m.get("settings") or {})),
        "timing": timing(m, report_seconds),
    }


def samples(m):
    """One row per sample: role, label, source, events, shape, model."""
    rows = []
    for role in ("reference", "candidate"):
        s = m.get(role) or {}
        shape = field(s, "shape", role)
        family = field(s, "model_family", role)
        rows.append({
            "role": role,
            "label": text(field(s, "label", role), f"{role}.label"),
            "source": text(field(s, "source", role), f"{role}.source"),
            "events": format_value(number(field(s, "events", role), f"{role}.events")),
            "shape": "×".join(str(v) for v in shape) if isinstance(shape, list) else text(shape, f"{role}.shape"),
            "model": text(family, f"{role}.model_family"),
        })
    return rows


def auc_reading(auc):
    """(words, CSS class) reading an AUC; (None, "") when it was not computed."""
    if auc is None:
        return None, ""
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
    return words, cls


def headline(m):
    """The headline table: AUCs, sampling-fraction MRE, figure of merit and its terms, FPD and KPD."""
    aucs = []
    for side, name in CLASSIFIERS:
        auc = number(m.get(f"auc_{side}"), f"auc_{side}")
        words, cls = auc_reading(auc)
        jsd = number(m.get(f"jsd_{side}"), f"jsd_{side}")
        aucs.append({"name": name, "value": format_value(auc), "class": cls, "words": words,
                     "jsd": None if jsd is None else format_value(jsd)})
    mre = number(m.get("sampling_fraction_mre"), "sampling_fraction_mre")
    mre_err = number(m.get("sampling_fraction_mre_error"), "sampling_fraction_mre_error")
    floor = number(m.get("figure_of_merit_floor"), "figure_of_merit_floor")
    terms = []
    for key in FIGURE_OF_MERIT_TERMS:
        value = number((m.get("figure_of_merit_terms") or {}).get(key), f"figure_of_merit_terms.{key}")
        if value is None and key == "angle" and not is_family_b(m):
            continue  # model A has no angle term: nothing was skipped
        terms.append({"key": key, "name": key.replace("_", " "), "value": format_value(value)})
    distances = []
    for key, name in DISTANCES:
        value = number(m.get(key), key)
        error = number(m.get(f"{key}_error"), f"{key}_error")
        if value is None and key not in m:
            continue  # written by an older calo3dgan: nothing was skipped
        # x 10^3 as the literature quotes them.
        shown = format_value(None if value is None else 1e3 * value, None if error is None else 1e3 * error, 4)
        distances.append({"key": key, "name": name, "value": shown, "computed": value is not None})
    return {
        "aucs": aucs,
        "mre": None if mre is None else format_percent(mre, mre_err),
        "figure_of_merit": format_value(number(m.get("figure_of_merit"), "figure_of_merit")),
        "floor": None if floor is None else format_value(floor),
        "terms": terms,
        "distances": distances,
        "note": text(m.get("figure_of_merit_note"), "figure_of_merit_note"),
    }


def bins(m):
    """The per-bin table, or None when metrics.json has no bins."""
    entries = m.get("bins") or []
    if not entries:
        return None
    with_angle_term = is_family_b(m)
    # calo3dgan validate gives each bin a "skipped" reason (null when used); the schema example has none.
    with_reason = any(isinstance(b, dict) and b.get("skipped") for b in entries)
    rows = [bin_row(i, b, with_angle_term) for i, b in enumerate(entries)]
    return {
        "headers": (["bin", "events ref.", "events cand.", "SF ref. [%]", "SF cand. [%]", "rel. diff.",
                     "FoM moment", "FoM shape", "FoM SF"] + (["FoM angle"] if with_angle_term else [])
                    + ["FoM total"] + (["note"] if with_reason else [])),
        "rows": rows,
        "with_reason": with_reason,
        "with_angle": any(field(b, "theta_deg", f"bins[{i}]") is not None for i, b in enumerate(entries)),
        "any_tension": any(r["tension"] for r in rows),
    }


def bin_row(i, b, with_angle_term):
    where = f"bins[{i}]"
    sf = field(b, "sampling_fraction", where)
    fom = field(b, "figure_of_merit", where)

    def sf_value(key):
        return number(field(sf, key, f"{where}.sampling_fraction"), f"{where}.sampling_fraction.{key}")

    def fom_value(key):
        return format_value(number(field(fom, key, f"{where}.figure_of_merit"), f"{where}.figure_of_merit.{key}"))

    ref, ref_err, cand, cand_err, rel = (sf_value(k) for k in ("reference", "reference_error", "candidate",
                                                              "candidate_error", "relative_error"))
    tension = False
    if None not in (ref, ref_err, cand, cand_err, rel) and ref and cand:
        sigma = math.hypot(ref_err / ref, cand_err / ref)
        tension = sigma > 0 and abs(rel) > 3 * sigma
    keys = ("moment", "shape", "sampling_fraction") + (("angle",) if with_angle_term else ()) + ("total",)
    label = text(field(b, "label", where), f"{where}.label")
    return {
        "label": NOT_AVAILABLE if label is None else label,
        "events": [format_value(number(field(b, k, where), f"{where}.{k}"))
                   for k in ("events_reference", "events_candidate")],
        "sampling_fraction": [format_percent(ref, ref_err, 4), format_percent(cand, cand_err, 4)],
        "relative": NOT_AVAILABLE if rel is None else format_percent(rel, sign=True) + " %",
        "tension": tension,
        "figure_of_merit": [fom_value(k) for k in keys],
        "reason": text(field(b, "skipped", where), f"{where}.skipped"),
    }


def figure(fig):
    """A figures.Figure as the template shows it, the PNG inlined as a data URI."""
    with open(fig.path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return {"name": fig.name, "src": f"data:image/png;base64,{data}", "file": os.path.basename(fig.path),
            "caption": fig.caption}


def flatten(obj, prefix=""):
    """(dotted key, value text) for every leaf of the settings; lists as JSON, null as None."""
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, name + ".")
        elif isinstance(value, list):
            yield name, json.dumps(value, separators=(", ", ": "))
        else:
            # Settings are echoed as written (seeds, thresholds): no rounding.
            yield name, None if value is None else str(value)


def timing(m, report_seconds):
    """Rows (step, time text) of the timing table, their sum, and the report's own time."""
    rows, total = [], 0.0
    for key, value in (m.get("timing_s") or {}).items():
        value = number(value, f"timing_s.{key}")
        total += value or 0.0
        rows.append((key.replace("_", " "), NOT_AVAILABLE if value is None else format_value(value) + " s"))
    return {"rows": rows, "total": format_value(total) + " s" if rows else None,
            "report": format_value(report_seconds) + " s"}
