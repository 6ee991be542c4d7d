"""report.html from the template: the key numbers appear, formatted, and text from metrics.json is escaped."""
import base64
import html.parser
import subprocess
import sys

import pytest

from conftest import PLOTS_DIR
from validation import figures, report
from validation.html import render_report, report_context

SCHEMA = "calo3dgan.validation/1"
EVIL = '<script>alert("x")</script> & <b>bold</b>'


def metrics():
    """A small but complete metrics dict with known numbers."""
    return {
        "schema": SCHEMA, "created": "2026-01-02T03:04:05Z", "build": "calo3dgan 0.9",
        "reference": {"label": "Monte Carlo", "source": "data/ref", "events": 20000, "shape": [25, 25, 25],
                      "model_family": "a"},
        "candidate": {"label": "GAN epoch 30", "source": "runs/a1", "events": 150000, "shape": [25, 25, 25],
                      "model_family": "a"},
        "auc_features": 0.6234, "auc_images": None, "jsd_features": 0.0213,
        "sampling_fraction_mre": 0.01547, "sampling_fraction_mre_error": 0.00062,
        "figure_of_merit": 0.1321, "figure_of_merit_floor": 0.0214,
        "figure_of_merit_terms": {"moment": 0.0187, "shape": 0.064, "sampling_fraction": 0.0195},
        "figure_of_merit_note": "moment term counted once",
        # An untrained generator: the kernel distance is huge, its error tiny.
        "fpd": 22393183.993404478, "fpd_error": 325261.237,
        "kpd": 6146378982.98049121, "kpd_error": 8.0e-7,
        "skipped": [{"what": "image classifier", "why": "switched off (--no-image-classifier)"}],
        "bins": [
            {"label": "2-50 GeV", "energy_gev": [2, 50], "events_reference": 1960, "events_candidate": 1969,
             "sampling_fraction": {"reference": 0.020968, "reference_error": 0.0000253, "candidate": 0.021100,
                                   "candidate_error": 0.0000233, "relative_error": 0.006295},
             "figure_of_merit": {"moment": 0.0148, "shape": 0.06, "sampling_fraction": 0.00874, "total": 0.0835}},
            {"label": "450-500 GeV", "energy_gev": [450, 500], "events_reference": 2043, "events_candidate": 0,
             "sampling_fraction": {"reference": 0.020054, "reference_error": 0.0000012},
             "figure_of_merit": {}, "skipped": "no candidate events"},
        ],
        "settings": {"seed": 123456789, "hit_threshold_gev": 0.0003, "energy_bins": [2, 50, 500]},
        "timing_s": {"features": 0.0123, "classifier_features": 10.0},
    }


INLINE = {"b", "span", "sub", "sup", "code", "a"}


class Text(html.parser.HTMLParser):
    """The visible text of a page (no style, no script), whitespace collapsed; the images' data-name."""

    def __init__(self, page):
        super().__init__()
        self.parts, self.images, self.ids, self.hidden = [], [], [], 0
        self.feed(page)
        self.text = " ".join("".join(self.parts).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.hidden += tag in ("style", "script")
        if tag not in INLINE:
            self.parts.append(" ")
        if tag == "img":
            self.images.append(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])

    def handle_endtag(self, tag):
        self.hidden -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def render(m, sections=(), skips=()):
    return render_report(report_context(m, list(sections), list(skips), 1.5))


def test_key_numbers_are_shown_formatted():
    text = Text(render(metrics())).text
    assert "Physics validation: GAN epoch 30 vs Monte Carlo" in text
    assert "AUC, high-level features 0.623 clearly distinguishable." in text
    assert "JSD 0.0213" in text
    assert "AUC, cell images n/a not computed (see Skipped)" in text
    assert "sampling-fraction MRE 1.547 ± 0.062 %" in text
    assert "figure of merit 0.132" in text and "Statistical floor (the reference against itself): 0.0214" in text
    assert "↳ sampling fraction term 0.0195" in text
    assert "↳ angle term" not in text  # model A has no angle term
    # FPD and KPD x 10^3, in scientific notation: never the 13 digits of 6146378982980.49.
    assert "FPD × 10³ (2.239 ± 0.033)×10¹⁰" in text
    assert "KPD × 10³ 6.146×10¹² ± 8.0×10⁻⁴" in text
    assert "6146378982980" not in text
    # Samples, with 150000 events in scientific notation as every number from 1e5 on.
    assert "candidate GAN epoch 30 runs/a1 1.50×10⁵ 25×25×25 a" in text
    # Per-bin table: sampling fractions in per cent with their errors, relative difference, skipped reason.
    assert "2-50 GeV 1960 1969 2.0968 ± 0.0025 2.1100 ± 0.0023 +0.63 % 0.0148 0.06 0.00874 0.0835" in text
    assert "450-500 GeV 2043 0 2.00540 ± 0.00012 n/a n/a n/a n/a n/a n/a no candidate events" in text
    # Settings echoed as written; timings through the formatter.
    assert "seed 123456789" in text and "hit_threshold_gev 0.0003" in text and "energy_bins [2, 50, 500]" in text
    assert "features 0.0123 s" in text and "classifier features 10 s" in text and "sum of the steps above 10 s" in text
    assert "1 item could not be computed or plotted" in text
    assert "image classifier: switched off (--no-image-classifier)" in text


def test_tension_is_shaded():
    page = render(metrics())
    # 0.63 % against errors of 0.12 % and 0.11 % (0.16 % together): more than three standard deviations.
    assert '<td class="num tension">+0.63 %</td>' in page
    assert page.count("tension") == 2  # the cell and the note
    assert "Shaded relative differences exceed three times their statistical error." in page


def test_text_from_metrics_is_escaped():
    m = metrics()
    m["candidate"]["label"] = EVIL
    m["candidate"]["source"] = EVIL
    m["bins"][1]["skipped"] = EVIL
    m["bins"][0]["label"] = EVIL
    m["skipped"].append({"what": EVIL, "why": EVIL})
    m["settings"][EVIL] = EVIL
    m["timing_s"][EVIL] = 1.0
    m["figure_of_merit_note"] = EVIL
    m["build"] = EVIL
    page = render(m, skips=[(EVIL, EVIL)])
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    # Title and heading, sample label and source, bin label and reason, skipped (2 × 2), settings key and value,
    # timing, note, meta.
    assert page.count(escaped) == 15
    # The page's own markup is kept.
    assert "ΣE/E<sub>p</sub>" in page and "<script>\n" in page
    assert EVIL in Text(page).text


def test_minimal_metrics_render_with_every_gap_explained():
    page = render({"schema": SCHEMA}, skips=[("feature histograms", "plots.histograms is not in metrics.json")])
    text = Text(page).text
    assert "Physics validation: candidate vs reference" in text
    assert "No per-bin numbers in metrics.json." in text
    assert "No plots could be drawn (see Skipped)." in text
    assert "No settings recorded." in text
    assert "feature histograms (not plotted): plots.histograms is not in metrics.json" in text
    assert "sampling-fraction MRE n/a not computed (see Skipped)." in text
    assert "FPD" not in text  # absent key: written by an older calo3dgan, nothing skipped


def test_figure_captions_escape_group_names(tmp_path):
    hist = {"edges": [0.0, 1.0, 2.0], "reference": [10, 20], "candidate": [12, 18], "group": EVIL}
    m = {"schema": SCHEMA, "plots": {"histograms": {"custom": hist}}}
    renderer = figures.Renderer(str(tmp_path), strict=True)
    sections = figures.draw_all(m, renderer)
    other = dict(sections)["Other features"]
    assert len(other) == 1
    caption = str(other[0].caption)
    assert "<script>" not in caption and caption.startswith("&lt;script&gt;")
    page = render(m, sections, renderer.skips)
    assert "<script>alert" not in page
    assert (tmp_path / f"{other[0].name}.png").is_file()


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    """The report of the sample metrics of model B with gaps, as the ctest physval/ReportRenders draws it."""
    work = tmp_path_factory.mktemp("sample")
    metrics_path = work / "metrics.json"
    subprocess.run([sys.executable, str(PLOTS_DIR / "make_sample_metrics.py"), str(metrics_path), "--family", "b",
                    "--gaps"], check=True, timeout=300)
    count = report.run(str(metrics_path), str(work / "report"), strict=True)
    return count, (work / "report" / "report.html").read_text(encoding="utf-8"), work / "report"


def test_sample_report_has_every_section_and_figure(sample_report):
    count, page, folder = sample_report
    parsed = Text(page)
    for heading in ("Headline numbers", "Per energy and angle bin", "Skipped", "Plots", "Settings", "Timing",
                    "Sampling fraction and energy", "Shower profiles", "Moments, maximum and angle",
                    "Cells, hits and sparsity", "Classifier two-sample tests", "Separation power"):
        assert heading in parsed.text
    names = [img["data-name"] for img in parsed.images]
    assert len(names) == count == 15
    assert sorted(names) == sorted(p.name for p in folder.glob("*.png"))
    assert {"sampling_fraction.png", "profile_z.png", "hist_angle.png", "classifier_roc.png",
            "separation_power_layers.png"} <= set(names)
    for img in parsed.images:
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(set(parsed.ids)) == len(parsed.ids)
    assert "longitudinal profile per energy bin (not plotted)" in parsed.text
