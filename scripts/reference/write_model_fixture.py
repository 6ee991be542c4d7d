#!/usr/bin/env python3
"""Write a Keras-weights test fixture for one 3DGAN model.

For model A or B this seeds torch, builds the reference networks of
models.py, gives every tensor a non-default value (biases and BatchNorm
gamma, beta and moving statistics are perturbed, so that a weight import that
drops or swaps any of them changes the outputs), and writes three files:

  <out>/3dgan-<m>_generator_weights.h5      Keras 2.2.4 save_weights layout
  <out>/3dgan-<m>_discriminator_weights.h5  Keras 2.2.4 save_weights layout
  <out>/3dgan-<m>_fixture.h5                inputs and reference outputs

Layer numbers in the weight files deliberately do not start at 1 (as in real
3DGAN checkpoints, see models.KerasNames); the exact names are stored in the
fixture's attributes.

The fixture (float32, events first; images without the channel axis, as the
ECAL datasets store them):

  attrs: model, seed, batch, torch_version, generator_weights,
         discriminator_weights, generator_layers, discriminator_layers
  generator/noise        (N, noise)     z ~ N(0, 1)
  generator/conditions   (N, 1) y | (N, 2) [y, theta_rad]
  generator/latent       (N, latent)    the Dense input (A: y*z, B: [y, theta, z])
  generator/images       (N, X, Y, Z)   G(noise, conditions), eval mode
  discriminator/images   (N, X, Y, Z)   D input (B: energies^0.85); event 0 is a
                                        straight track, the rest sparse showers
  discriminator/probability, energy, ecal (and B: angle)   (N, 1), eval mode

Usage: write_model_fixture.py --model a|b --out DIR [--seed S] [--batch N]
"""

import argparse
import math
import os
import warnings

import h5py
import numpy as np
import torch

import models

# First Keras layer numbers per file (any values other than 1 will do).
GENERATOR_NAMES = {"dense": 3, "conv3d": 5, "batch_normalization": 2}
DISCRIMINATOR_NAMES = {"conv3d": 11, "batch_normalization": 7, "lambda": 4}


def perturb(module, generator):
    """Non-default biases and BatchNorm state, drawn from `generator`."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (torch.nn.Conv3d, torch.nn.Linear)) and layer.bias is not None:
                layer.bias.normal_(0.0, 0.05, generator=generator)
            elif isinstance(layer, torch.nn.BatchNorm3d):
                layer.weight.uniform_(0.5, 1.5, generator=generator)
                layer.bias.normal_(0.0, 0.1, generator=generator)
                layer.running_mean.normal_(0.0, 0.1, generator=generator)
                layer.running_var.uniform_(0.5, 2.0, generator=generator)


def conditions_for(model, batch, generator):
    if model == "a":
        return 0.1 + 4.9 * torch.rand(batch, 1, generator=generator)  # y ~ U(0.1, 5)
    y = 1.0 + torch.rand(batch, 1, generator=generator)  # 100-200 GeV
    theta = math.radians(60) + math.radians(60) * torch.rand(batch, 1, generator=generator)
    return torch.cat([y, theta], dim=1)


def discriminator_images(model, batch, rng):
    """Event 0: one cell per layer moving +1 in y per layer; others: sparse
    positive cells. Energies in network units (A: GeV x 100, B: file units)."""
    shape = (25, 25, 25) if model == "a" else (51, 51, 25)
    nx, ny, nz = shape
    images = np.zeros((batch, nx, ny, nz), dtype=np.float32)
    y0 = ny // 2 - nz // 2
    for z in range(nz):
        images[0, nx // 2, y0 + z, z] = 2.0
    for i in range(1, batch):
        mask = rng.random(shape) < 0.05
        images[i] = np.where(mask, rng.exponential(1.0, shape), 0.0)
    if model == "b":
        images = images ** models.DiscriminatorB.power
    return torch.from_numpy(images.astype(np.float32))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("a", "b"), required=True)
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()

    # Conv3d(padding='same') with even kernels pads a copy: expected here
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    generator_rng = torch.Generator().manual_seed(args.seed + 1)
    gen = models.build(args.model, "generator").eval()
    disc = models.build(args.model, "discriminator").eval()
    perturb(gen, generator_rng)
    perturb(disc, generator_rng)

    conditions = conditions_for(args.model, args.batch, generator_rng)
    noise_size = gen.latent_size - conditions.shape[1] + (1 if args.model == "a" else 0)
    noise = torch.randn(args.batch, noise_size, generator=generator_rng)
    d_images = discriminator_images(args.model, args.batch, np.random.default_rng(args.seed))
    with torch.no_grad():
        latent = gen.latent_input(noise, conditions)
        g_images = gen(noise, conditions)
        d_out = disc(d_images[:, None])

    prefix = os.path.join(args.out, f"3dgan-{args.model}")
    gen_file = f"{prefix}_generator_weights.h5"
    disc_file = f"{prefix}_discriminator_weights.h5"
    models.to_keras_weights(gen, gen_file, models.KerasNames(**GENERATOR_NAMES), model_number=2, input_number=2)
    models.to_keras_weights(disc, disc_file, models.KerasNames(**DISCRIMINATOR_NAMES), model_number=3, input_number=1)

    def f32(t):
        return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32)

    with h5py.File(f"{prefix}_fixture.h5", "w") as f:
        f.attrs["model"] = args.model
        f.attrs["seed"] = args.seed
        f.attrs["batch"] = args.batch
        f.attrs["torch_version"] = str(torch.__version__)
        f.attrs["generator_weights"] = os.path.basename(gen_file)
        f.attrs["discriminator_weights"] = os.path.basename(disc_file)
        f.attrs["generator_layers"] = str(GENERATOR_NAMES)
        f.attrs["discriminator_layers"] = str(DISCRIMINATOR_NAMES)
        f["generator/noise"] = f32(noise)
        f["generator/conditions"] = f32(conditions)
        f["generator/latent"] = f32(latent)
        f["generator/images"] = f32(g_images[:, 0])
        f["discriminator/images"] = f32(d_images)
        for key, value in d_out.items():
            f[f"discriminator/{key}"] = f32(value)

    occupied = float((g_images > 0).float().mean())
    print(f"wrote {prefix}_fixture.h5 and the two weight files "
          f"(generator images: {occupied:.1%} non-zero cells, max {float(g_images.max()):.3g})")


if __name__ == "__main__":
    main()
