"""Reading metrics.json: the checks reject malformed files with a message naming the key."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import PLOTS_DIR
from validation import html, metrics
from validation.metrics import MetricsError, load_metrics

SCHEMA = "calo3dgan.validation/1"


def write(tmp_path, content):
    path = tmp_path / "metrics.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_minimal_and_minor_versions_load(tmp_path):
    assert load_metrics(write(tmp_path, {"schema": SCHEMA})) == {"schema": SCHEMA}
    assert load_metrics(write(tmp_path, {"schema": SCHEMA + ".3", "bins": None}))["bins"] is None


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ([1, 2], "expected a JSON object at the top level, got a list"),
    ({"created": "today"}, 'has no "schema" key; expected "calo3dgan.validation/1"'),
    ({"schema": "other/1"}, 'schema is "other/1", expected "calo3dgan.validation/1"'),
    ({"schema": "calo3dgan.validation/2.0"}, "schema calo3dgan.validation/2.0 is not supported (this script reads "
                                             "version 1)"),
    ({"schema": SCHEMA, "settings": [1]}, "settings: expected an object, got a list"),
    ({"schema": SCHEMA, "plots": "none"}, "plots: expected an object, got a string"),
    ({"schema": SCHEMA, "bins": {"a": 1}}, "bins: expected a list, got an object"),
    ({"schema": SCHEMA, "skipped": "all"}, "skipped: expected a list, got a string"),
])
def test_malformed_files_are_rejected(tmp_path, content, message):
    with pytest.raises(MetricsError) as err:
        load_metrics(write(tmp_path, content))
    assert message in str(err.value)


def test_unreadable_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        load_metrics(tmp_path / "absent.json")


def test_values_of_the_wrong_type_name_their_key():
    with pytest.raises(MetricsError, match=r"^auc_features: expected a number, got a string$"):
        metrics.number("0.6", "auc_features")
    with pytest.raises(MetricsError, match="expected a number, got a boolean"):
        metrics.number(True, "figure_of_merit")
    with pytest.raises(MetricsError, match=r"^plots.sparsity.reference\[1\]: expected a number, got a list$"):
        metrics.numbers([0.1, [0.2]], "plots.sparsity.reference")
    with pytest.raises(MetricsError, match="^edges: expected 3 values, got 2$"):
        metrics.numbers([1, 2], "edges", 3)
    with pytest.raises(MetricsError, match=r"^bins\[0\]: expected an object, got a list$"):
        metrics.field([], "label", "bins[0]")
    with pytest.raises(MetricsError, match="^reference.label: expected a string, got an object$"):
        metrics.text({}, "reference.label")


def test_missing_values_read_as_none_and_nan():
    assert metrics.field(None, "x", "where") is None
    assert metrics.field({"x": None}, "x", "where") is None
    assert metrics.number(None, "x") is None
    assert metrics.number(3, "x") == 3.0
    values = metrics.numbers([1, None, 2.5], "x")
    assert np.isnan(values[1]) and values[0] == 1.0 and values[2] == 2.5
    assert metrics.text(12, "x") == "12"


def test_a_malformed_bin_is_reported_with_its_path():
    m = {"schema": SCHEMA, "bins": [{"label": "2-50 GeV", "sampling_fraction": {"reference": "0.02"}}]}
    with pytest.raises(MetricsError, match=r"bins\[0\].sampling_fraction.reference: expected a number, got a string"):
        html.report_context(m, [], [], 0.0)


def test_skipped_accepts_objects_and_strings():
    m = {"skipped": [{"what": "image classifier", "why": "switched off"}, "energy bin 450-500 GeV", {}]}
    assert metrics.skipped_by_validate(m) == [("image classifier", "switched off"), ("energy bin 450-500 GeV", ""),
                                              ("(unnamed)", "no reason given")]


def test_separation_powers_merge_histograms_and_table():
    m = {"plots": {"histograms": {"hits": {"separation_power": 0.1}, "moment1_x": {}}},
         "separation_power": {"hits": 0.2, "layer_energy_3": 0.05, "moment2_z": None}}
    assert metrics.separation_powers(m) == {"hits": 0.2, "layer_energy_3": 0.05}
    with pytest.raises(MetricsError, match="plots.histograms: expected an object, got a list"):
        metrics.separation_powers({"plots": {"histograms": []}})


def test_family_b_from_the_samples_or_the_angle_bins():
    assert metrics.is_family_b({"candidate": {"model_family": "B"}})
    assert metrics.is_family_b({"settings": {"theta_bins_deg": [60, 90]}})
    assert not metrics.is_family_b({"reference": {"model_family": "a"}})


def run_script(*args):
    return subprocess.run([sys.executable, str(PLOTS_DIR / "validation_report.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_script_exits_2_with_one_line_for_malformed_metrics(tmp_path):
    result = run_script(write(tmp_path, {"schema": SCHEMA, "auc_features": "high"}), tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "validation_report.py: malformed metrics.json: auc_features: expected a number, got a string"]
    assert not (tmp_path / "out" / "report.html").exists()


def test_script_exits_1_when_the_file_cannot_be_read(tmp_path):
    result = run_script(tmp_path / "absent.json", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.strip() == f"validation_report.py: cannot read {tmp_path / 'absent.json'}: " \
                                    "No such file or directory"
