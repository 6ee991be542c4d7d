"""matplotlib set-up shared by the plotting scripts (validation report, evolve and search figures).

Nothing here imports matplotlib at import time, so a script can call
ensure_modules() first and re-run itself under the Debian interpreter.
"""
import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"


def fail(prog, message, code):
    """One line on stderr, then exit: the C++ side shows the last line of the output."""
    print(f"{prog}: {message}", file=sys.stderr)
    sys.exit(code)


def ensure_modules(prog, modules, packages):
    """Import `modules`, or re-run the script under the Debian interpreter.

    `python3` on PATH may be a pyenv or virtualenv one without the Debian
    packages; /usr/bin/python3 has them after scripts/setup.sh. `packages`
    names the Debian packages for the message when they are missing there too.
    """
    try:
        for name in modules:
            __import__(name)
        return
    except ImportError as err:
        missing = err.name or "/".join(modules)
    already_system = os.path.realpath(sys.executable) == os.path.realpath(SYSTEM_PYTHON)
    if os.environ.get("CALO3DGAN_PLOTS_REEXEC") or already_system or not os.path.exists(SYSTEM_PYTHON):
        fail(prog, f"python module '{missing}' is missing; install {packages} (scripts/setup.sh)", 1)
    os.environ["CALO3DGAN_PLOTS_REEXEC"] = "1"
    os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)


def pyplot():
    """matplotlib.pyplot on the Agg backend: files only, no display needed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path, dpi):
    """Write `fig` as a PNG of `dpi` dots per inch and free it."""
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
