"""pytest set-up for the plotting scripts' tests: scripts/plots on the import path."""
import pathlib
import sys

PLOTS_DIR = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "plots"
sys.path.insert(0, str(PLOTS_DIR))
