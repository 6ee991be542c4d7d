#!/usr/bin/python3
"""Compares two folders written by record_outputs.sh number for number.

HDF5 datasets and attributes must be identical (bit for bit, NaN equal to
NaN); JSON and TOML files must hold equal values (formatting aside) after
dropping fields that record when or how fast something ran (timestamps,
durations, host and build strings).
Prints every difference and exits 1 if there is one.
"""
import hashlib
import json
import pathlib
import re
import sys
import tomllib
import zipfile

import h5py
import numpy as np

# Fields that legitimately differ between two runs of the same commands:
# durations, rates, load balance, and the build that ran them.
VOLATILE = re.compile(r"seconds|timing|per_second|busy|wall|elapsed|created|timestamp|"
                      r"git_revision|^build|compiler|hostname|^host$|busy_fraction")


# The two output folders, whose names appear in recorded paths.
ROOTS = []


def strip(value):
    """The value without volatile fields, with the output folders as <OUT>."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if not VOLATILE.search(k)}
    if isinstance(value, list):
        return [strip(v) for v in value]
    if isinstance(value, str):
        for root in sorted(ROOTS, key=len, reverse=True):
            value = value.replace(root + "/", "<OUT>/")
    return value


def same_array(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def compare_attrs(where, x, y, problems):
    for key in sorted(set(x.attrs) | set(y.attrs)):
        if key not in x.attrs or key not in y.attrs:
            problems.append(f"{where}: attribute {key} only on one side")
            continue
        u, v = x.attrs[key], y.attrs[key]
        if isinstance(u, (bytes, str)):
            text_u = u.decode() if isinstance(u, bytes) else u
            text_v = v.decode() if isinstance(v, bytes) else v
            try:
                if key.endswith("toml"):
                    u, v = tomllib.loads(text_u), tomllib.loads(text_v)
                else:
                    u, v = strip(json.loads(text_u)), strip(json.loads(text_v))
            except ValueError:
                u, v = text_u, text_v
            if u != v and key != "calo3dgan":
                problems.append(f"{where}: attribute {key} differs")
        elif not same_array(u, v):
            problems.append(f"{where}: attribute {key} differs")


def compare_hdf5(path_a, path_b, problems):
    with h5py.File(path_a, "r") as a, h5py.File(path_b, "r") as b:
        names_a, names_b = [], []
        a.visit(names_a.append)
        b.visit(names_b.append)
        if sorted(names_a) != sorted(names_b):
            problems.append(f"{path_a}: objects differ: {sorted(set(names_a) ^ set(names_b))}")
        compare_attrs(str(path_a), a, b, problems)
        for name in sorted(set(names_a) & set(names_b)):
            x, y = a[name], b[name]
            compare_attrs(f"{path_a}:{name}", x, y, problems)
            if isinstance(x, h5py.Dataset) and not same_array(x[()], y[()]):
                problems.append(f"{path_a}:{name}: values differ")


def checkpoint_contents(path):
    """Tensor blobs as a sorted list of digests (libtorch keys optimizer state
    by parameter address, so names and order change between runs; the values
    do not) and the JSON metadata without volatile fields."""
    with zipfile.ZipFile(path) as archive:
        blobs = sorted(hashlib.sha256(archive.read(name)).hexdigest()
                       for name in archive.namelist() if "/data/" in name)
    import torch  # only for checkpoints: slow to import
    module = torch.jit.load(str(path))
    return blobs, tomllib.loads(module.config_toml), strip(json.loads(module.metadata_json))


def main():
    before, after = map(pathlib.Path, sys.argv[1:3])
    ROOTS.extend(str(p.resolve()) for p in (before, after))
    problems = []
    files_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    files_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    for missing in sorted(files_a ^ files_b):
        problems.append(f"{missing}: only in one folder")
    compared = 0
    for rel in sorted(files_a & files_b):
        a, b = before / rel, after / rel
        if rel.suffix == ".h5":
            compare_hdf5(a, b, problems)
        elif rel.suffix == ".pt":
            if checkpoint_contents(a) != checkpoint_contents(b):
                problems.append(f"{rel}: checkpoint tensors or metadata differ")
        elif rel.suffix == ".json":
            if strip(json.loads(a.read_text())) != strip(json.loads(b.read_text())):
                problems.append(f"{rel}: JSON differs")
        elif rel.suffix == ".toml":
            # Values, not formatting
            if tomllib.loads(a.read_text()) != tomllib.loads(b.read_text()):
                problems.append(f"{rel}: TOML values differ")
        elif rel.suffix in (".txt", ".csv", ".onnx"):
            if a.read_bytes() != b.read_bytes():
                problems.append(f"{rel}: contents differ")
        else:
            continue
        compared += 1
    for line in problems:
        print(line)
    print(f"{compared} files compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
