"""The validation report of `calo3dgan validate`: metrics.json in, PNG figures and report.html out.

    metrics     reading and checking metrics.json (schema and types)
    formatting  numbers as text: 'value ± uncertainty', scientific outside [1e-3, 1e5)
    figures     the matplotlib figures and the order they appear in
    html        report.html from templates/report.html.j2 (Jinja2, autoescaped)
    report      the whole run: load, draw, render, write

validation_report.py (next to this package) is the command-line entry.
"""
