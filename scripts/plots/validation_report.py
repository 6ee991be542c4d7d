#!/usr/bin/env python3
"""Turn the metrics.json of `calo3dgan validate` into PNG plots and one report.html.

    validation_report.py METRICS_JSON OUT_DIR [--strict]

Every number is computed by the C++ side; this script only draws and lays out
(the package validation/ next to it does the work). report.html is
self-contained (CSS inline, images as data URIs) so it can be mailed; the PNG
files are kept next to it. Null or missing values are shown as "n/a" and
listed under "Skipped". A malformed metrics.json (not JSON, wrong schema,
wrong types) ends the script with one line on stderr and exit code 2; a file
that cannot be read or written, with exit code 1. A plot that fails to draw is
listed as skipped (a warning on stderr); with --strict it is fatal instead,
which is what the tests use.

Needs numpy, matplotlib (Agg) and jinja2: the Debian packages python3-numpy,
python3-matplotlib and python3-jinja2 (scripts/setup.sh).
"""
import argparse
import os
import sys

import plotting

PROG = "validation_report.py"


def main():
    parser = argparse.ArgumentParser(description="Plots and report.html from the metrics.json of calo3dgan validate.")
    parser.add_argument("metrics", help="metrics.json written by calo3dgan validate")
    parser.add_argument("out_dir", help="folder for the PNG files and report.html (created if needed)")
    parser.add_argument("--strict", action="store_true", help="fail when a plot cannot be drawn instead of skipping it")
    args = parser.parse_args()
    plotting.ensure_modules(PROG, ("numpy", "matplotlib", "jinja2"),
                            "python3-numpy, python3-matplotlib and python3-jinja2")
    from validation.metrics import MetricsError
    from validation.report import ReportError, run

    try:
        count = run(args.metrics, args.out_dir, args.strict, PROG)
    except MetricsError as err:
        plotting.fail(PROG, f"malformed metrics.json: {err}", 2)
    except ReportError as err:
        plotting.fail(PROG, str(err), 1)
    except OSError as err:
        plotting.fail(PROG, f"{err.filename}: {err.strerror}" if err.filename else err.strerror, 1)
    print(f"{PROG}: wrote {count} plots and {os.path.join(args.out_dir, 'report.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
