#!/usr/bin/env python3
"""Rewrite a Keras 2 weights file with other layer numbers and group levels.

Test input for the Keras import: the same weights as IN, but

* every layer with weights becomes a top-level layer (the layout a flat,
  non-nested Keras model writes: /conv3d_1/conv3d_1/kernel:0) instead of
  sitting inside a nested model (/sequential_2/conv3d_5/kernel:0);
* layers are renumbered per type from --start in network order (the order of
  first appearance in the `weight_names` attributes, which is Keras's layer
  order), keeping names without a number ("generation", "auxiliary");
* with --no-layer-names the root attribute `layer_names` is left out, so a
  reader must order the layers by name alone (natural order: conv3d_9 <
  conv3d_10).

Usage: rewrite_keras_weights.py IN OUT [--start N] [--no-layer-names]
"""

import argparse
import re

import h5py
import numpy as np


def _strings(attrs, key):
    if key not in attrs:
        return []
    return [s.decode("utf8") if isinstance(s, bytes) else str(s) for s in np.atleast_1d(attrs[key])
            if isinstance(s, (bytes, str))]


def _layers_in_order(f):
    """[(layer name, [(weight name, array)])] in Keras network order."""
    layers = {}
    order = []
    for top in _strings(f.attrs, "layer_names"):
        group = f[top]
        for full in _strings(group.attrs, "weight_names"):
            layer, weight = full.rsplit("/", 1)
            layer = layer.split("/")[-1]
            if layer not in layers:
                layers[layer] = []
                order.append(layer)
            path = f"{top}/{full}"
            layers[layer].append((weight, np.asarray(group[full])))
            assert path in f
    return [(name, layers[name]) for name in order]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--start", type=int, default=1, help="first number of every layer type")
    parser.add_argument("--no-layer-names", action="store_true", help="omit the root attribute layer_names")
    args = parser.parse_args()

    with h5py.File(args.input, "r") as f:
        layers = _layers_in_order(f)
        root_attrs = {k: f.attrs[k] for k in ("backend", "keras_version") if k in f.attrs}

    counters = {}
    renamed = []
    for name, weights in layers:
        match = re.fullmatch(r"(.*)_(\d+)", name)
        if match:
            kind = match.group(1)
            number = counters.get(kind, args.start)
            counters[kind] = number + 1
            name = f"{kind}_{number}"
        renamed.append((name, weights))

    with h5py.File(args.output, "w") as f:
        for key, value in root_attrs.items():
            f.attrs[key] = value
        names = ["input_1"]
        f.create_group("input_1").attrs["weight_names"] = np.asarray([])
        for name, weights in renamed:
            group = f.create_group(name)
            group.attrs["weight_names"] = np.array([f"{name}/{w}".encode("utf8") for w, _ in weights])
            for weight, value in weights:
                group.create_dataset(f"{name}/{weight}", data=value)
            names.append(name)
        if not args.no_layer_names:
            f.attrs["layer_names"] = np.array([n.encode("utf8") for n in names])


if __name__ == "__main__":
    main()
