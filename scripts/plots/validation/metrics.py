"""Reading and checking the metrics.json of `calo3dgan validate` (schema calo3dgan.validation/1).

Missing or null values read as None (shown as 'n/a' and listed under
"Skipped"); a value of the wrong type raises MetricsError naming its key.
"""
import json

import numpy as np

SCHEMA_PREFIX = "calo3dgan.validation/"
SUPPORTED_SCHEMA_MAJOR = 1
TOP_LEVEL_OBJECTS = ("settings", "reference", "candidate", "figure_of_merit_terms", "separation_power", "plots",
                     "timing_s")
TOP_LEVEL_LISTS = ("skipped", "bins")


class MetricsError(Exception):
    """metrics.json does not follow the schema; the message names the key."""


def type_name(value):
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def field(obj, key, where):
    """obj[key], or None when absent or null. obj itself must be an object or null."""
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise MetricsError(f"{where}: expected an object, got {type_name(obj)}")
    return obj.get(key)


def number(value, where):
    """A float, or None for null; MetricsError for anything else (booleans included)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetricsError(f"{where}: expected a number, got {type_name(value)}")
    return float(value)


def numbers(value, where, length=None):
    """A list of numbers (null -> NaN) as a float array, or None when absent; `length` values if given."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise MetricsError(f"{where}: expected a list of numbers, got {type_name(value)}")
    out = np.array([np.nan if v is None else number(v, f"{where}[{i}]") for i, v in enumerate(value)], dtype=float)
    if length is not None and len(out) != length:
        raise MetricsError(f"{where}: expected {length} values, got {len(out)}")
    return out


def text(value, where):
    """A string (numbers are written as they are), or None for null."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise MetricsError(f"{where}: expected a string, got {type_name(value)}")
    return str(value)


def load_metrics(path):
    """The metrics as a dict after the schema and top-level checks.

    OSError when the file cannot be read; MetricsError when it is not JSON or
    not this schema.
    """
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise MetricsError(f"{path} is not valid JSON: {err}") from None
    check_metrics(data, path)
    return data


def check_metrics(data, where):
    """Check the schema version and the types of the top-level keys; `where` names the file."""
    if not isinstance(data, dict):
        raise MetricsError(f"{where}: expected a JSON object at the top level, got {type_name(data)}")
    expected = f'"{SCHEMA_PREFIX}{SUPPORTED_SCHEMA_MAJOR}"'
    schema = text(data.get("schema"), "schema")
    if schema is None:
        raise MetricsError(f'{where} has no "schema" key; expected {expected}')
    if not schema.startswith(SCHEMA_PREFIX):
        raise MetricsError(f'{where}: schema is "{schema}", expected {expected}')
    major = schema[len(SCHEMA_PREFIX):].split(".")[0]
    if major != str(SUPPORTED_SCHEMA_MAJOR):
        raise MetricsError(f"{where}: schema {schema} is not supported "
                           f"(this script reads version {SUPPORTED_SCHEMA_MAJOR})")
    for key in TOP_LEVEL_OBJECTS:
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise MetricsError(f"{key}: expected an object, got {type_name(data[key])}")
    for key in TOP_LEVEL_LISTS:
        if data.get(key) is not None and not isinstance(data[key], list):
            raise MetricsError(f"{key}: expected a list, got {type_name(data[key])}")


def sample_label(m, role):
    """The label of the "reference" or "candidate" sample, else the role itself."""
    return text(field(m.get(role), "label", role), f"{role}.label") or role


def skipped_by_validate(m):
    """[(what, why)] of the "skipped" list, accepting {"what", "why"} objects or plain strings."""
    out = []
    for i, item in enumerate(m.get("skipped") or []):
        if isinstance(item, dict):
            out.append((text(item.get("what"), f"skipped[{i}].what") or "(unnamed)",
                        text(item.get("why"), f"skipped[{i}].why") or "no reason given"))
        else:
            out.append((text(item, f"skipped[{i}]"), ""))
    return out


def is_family_b(m):
    """Whether the showers are of model B (variable angle): then angle bins and an angle term exist."""
    families = {str(field(m.get(r), "model_family", r) or "").lower() for r in ("reference", "candidate")}
    return "b" in families or bool((m.get("settings") or {}).get("theta_bins_deg"))


def histograms(m):
    """plots.histograms as {feature: histogram object}, empty when absent."""
    hists = field(m.get("plots"), "histograms", "plots")
    if hists is None:
        return {}
    if not isinstance(hists, dict):
        raise MetricsError(f"plots.histograms: expected an object, got {type_name(hists)}")
    return hists


def separation_powers(m):
    """{feature: value} from the top-level table, completed from the histograms."""
    out = {}
    for name, hist in histograms(m).items():
        value = number(field(hist, "separation_power", f"plots.histograms.{name}"),
                       f"plots.histograms.{name}.separation_power")
        if value is not None:
            out[name] = value
    for name, value in (m.get("separation_power") or {}).items():
        value = number(value, f"separation_power.{name}")
        if value is not None:
            out[name] = value
    return out
