"""One report: load and check metrics.json, draw the figures, write report.html."""
import os
import time

from . import figures, html
from .metrics import load_metrics


class ReportError(Exception):
    """The input cannot be read or the output cannot be written (not a problem of the metrics)."""


def run(metrics_path, out_dir, strict, prog="validation_report.py"):
    """Write OUT_DIR/<figure>.png and OUT_DIR/report.html; return the number of figures drawn.

    MetricsError when metrics.json is malformed; ReportError or OSError when
    a file cannot be read or written. `strict`: a plot that fails to draw is
    an error instead of a skipped item.
    """
    start = time.monotonic()
    try:
        m = load_metrics(metrics_path)
    except OSError as err:
        raise ReportError(f"cannot read {metrics_path}: {err.strerror}") from err
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as err:
        raise ReportError(f"cannot create {out_dir}: {err.strerror}") from err
    renderer = figures.Renderer(out_dir, strict, prog)
    sections = figures.draw_all(m, renderer)
    context = html.report_context(m, sections, renderer.skips, time.monotonic() - start)
    write_atomically(os.path.join(out_dir, "report.html"), html.render_report(context))
    return sum(len(figs) for _, figs in sections)


def write_atomically(path, content):
    """Write `content` to `path` through a temporary file, so no half-written report is left."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(tmp, path)
    except OSError:
        # A full disk: the temporary must not be left behind.
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
