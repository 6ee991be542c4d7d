"""PyTorch (Python) reference of the 3DGAN training step and of generation,
timed for the side-by-side benchmark bench/run_gan_comparison.sh.

Written from the specification (3DGAN reference, svalleco/3Dgan Energy-gan:
keras/EcalEnergyTrain.py::Gan3DTrain for model A and Anglegan:keras/
AngleTrain3dGAN.py::Gan3DTrainAngle for model B), independently of the C++
trainer, on the networks of models.py. One training step is one 3DGAN batch:

1. read `batch` real showers (shuffled order) from the HDF5 file and
   preprocess them (A: GetprocData, B: GetDataAngle);
2. fakes for the D step from G in inference mode under no_grad
   (A: y ~ U(0.1, 5), input y*z, ECAL target from GetEcalFit mod 1;
    B: the real batch's [y, theta] and ECAL sum);
3. D step on the real batch, labels BitFlip(1, p=0.05);
4. D step on the fake batch, labels BitFlip(0, p=0.05);
5. two G steps through D with frozen weights but in training mode (batch
   statistics, dropout), as Keras trains the combined model, target label 1
   and fresh noise (A: fresh y too).

Losses (Keras 2.2.4): BCE on clipped probabilities, MAPE for y and the ECAL
sum, MAE for theta (B); weights A [2, 0.1, 0.1], B [3, 0.1, 25, 0.1].
Optimiser: RMSprop(lr 1e-3, alpha (Keras rho) 0.9, eps 1e-7), one for D and
one for G (the combined model).

Generation: G in eval mode under no_grad, `gen_batch` showers per call,
inputs sampled per call (A: y ~ U(0.1, 5); B: y ~ U(1, 2), theta ~ U(60, 120) deg).

Prints one JSON object on stdout. Run with Debian's /usr/bin/python3 (torch 1.13):
    OMP_NUM_THREADS=2 /usr/bin/python3 scripts/reference/bench_reference.py \
        --model a --data showers_a.h5 --threads 2 --batch 16

--turn-in/--turn-out let bench/run_gan_comparison.sh alternate this program
and bench_gan step by step; --profile PREFIX writes autograd-profiler traces.
"""

import argparse
import json
import math
import os
import platform
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

KERAS_EPSILON = 1e-7


# ---------------------------------------------------------------------------
# Data (docs/preprocessing.md, "Data layouts", "Model A" and "Model B")
# ---------------------------------------------------------------------------
class RealShowers:
    """Shuffled real batches read per step from a 3DGAN-layout HDF5 file."""

    def __init__(self, path, model, test_fraction, seed):
        self.file = h5py.File(path, "r")
        self.ecal = self.file["ECAL"]
        self.model = model
        n = self.ecal.shape[0]
        n_train = n - int(math.ceil(test_fraction * n))
        self.order = np.random.default_rng(seed).permutation(n_train)
        self.next = 0
        if "energy" in self.file:
            self.energy = self.file["energy"][:]
        else:
            self.energy = self.file["target"][:, 1]
        if model == "b":
            self.angle = self.file["mtheta"][:] if "mtheta" in self.file else None
            if self.angle is None:
                raise SystemExit(f"{path}: model B needs `mtheta`")

    def batch(self, size, device):
        if self.next + size > len(self.order):
            self.next = 0
        events = self.order[self.next : self.next + size]
        self.next += size
        # h5py fancy indexing needs increasing indices; restore the order after.
        ascending = np.sort(events)
        where = np.searchsorted(ascending, events)
        cells = self.ecal[ascending][where].astype(np.float32)
        energy = self.energy[events].astype(np.float32)
        if self.model == "a":
            return self._preprocess_a(cells, energy, device)
        return self._preprocess_b(cells, energy, self.angle[events].astype(np.float32), device)

    @staticmethod
    def _preprocess_a(cells, energy, device):
        # GetprocData: zero cells < 1e-6 GeV, x100, ecal = sum after scaling, y = E/100.
        cells[cells < 1e-6] = 0
        cells *= 100.0
        ecal = cells.reshape(len(cells), -1).sum(axis=1, dtype=np.float64).astype(np.float32)
        images = torch.from_numpy(cells[:, None]).to(device)
        return {
            "images": images,
            "y": torch.from_numpy(energy / 100.0)[:, None].to(device),
            "ecal": torch.from_numpy(ecal)[:, None].to(device),
        }

    @staticmethod
    def _preprocess_b(cells, energy, angle, device):
        # GetDataAngle: cells in GeV x 50, xscale 1, threshold 0, ecal before
        # the power, drop ecal <= 10, angle = mtheta, cells^0.85.
        ecal = cells.reshape(len(cells), -1).sum(axis=1, dtype=np.float64).astype(np.float32)
        keep = ecal > 10
        cells = np.power(cells[keep], np.float32(0.85))
        return {
            "images": torch.from_numpy(cells[:, None]).to(device),
            "y": torch.from_numpy(energy[keep] / 100.0)[:, None].to(device),
            "theta": torch.from_numpy(angle[keep])[:, None].to(device),
            "ecal": torch.from_numpy(ecal[keep])[:, None].to(device),
        }


# ---------------------------------------------------------------------------
# Losses (docs/training.md, "Losses and weights")
# ---------------------------------------------------------------------------
def bce(p, t):
    p = p.clamp(KERAS_EPSILON, 1 - KERAS_EPSILON)
    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()


def mape(p, t):
    return 100.0 * ((t - p).abs() / t.abs().clamp(min=KERAS_EPSILON)).mean()


def mae(p, t):
    return (t - p).abs().mean()


def ecal_fit(y, xscale=100.0):
    """GetEcalFit mod 1: ratio(y) * y * xscale."""
    ratio = 0.0018 * y**4 - 0.023 * y**3 + 0.11 * y**2 - 0.28 * y + 2.21
    return ratio * y * xscale


class Reference3DGAN:
    def __init__(self, model, device, flip=0.05, precision="fp32"):
        self.model = model
        self.precision = precision
        self.device = device
        self.flip = flip
        self.G = models.build(model, "generator").to(device)
        self.D = models.build(model, "discriminator").to(device)
        self.weights = [2.0, 0.1, 0.1] if model == "a" else [3.0, 0.1, 25.0, 0.1]
        rms = dict(lr=1e-3, alpha=0.9, eps=1e-7)
        self.opt_d = torch.optim.RMSprop(self.D.parameters(), **rms)
        self.opt_g = torch.optim.RMSprop(self.G.parameters(), **rms)
        self.noise_size = 200 if model == "a" else 254

    def loss(self, out, labels, y, theta, ecal):
        parts = [bce(out["probability"], labels), mape(out["energy"], y)]
        if self.model == "b":
            parts.append(mae(out["angle"], theta))
        parts.append(mape(out["ecal"], ecal))
        total = sum(w * p for w, p in zip(self.weights, parts))
        return total, [float(p) for p in parts]

    def labels(self, n, value):
        flip = torch.rand(n, 1, device=self.device) < self.flip
        base = torch.full((n, 1), value, device=self.device)
        return torch.where(flip, 1.0 - base, base)

    def fake_conditions(self, real):
        """(G conditions, y target, theta target, ecal target) of one fake batch."""
        n = real["y"].shape[0]
        if self.model == "a":
            y = torch.empty(n, 1, device=self.device).uniform_(0.1, 5.0)
            return y, y, None, ecal_fit(y)
        return torch.cat([real["y"], real["theta"]], dim=1), real["y"], real["theta"], real["ecal"]

    def autocast(self):
        """PyTorch's own bf16 autocast for the forward passes (--precision bf16)."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def discriminate(self, images):
        """D's outputs, in fp32 for the losses."""
        with self.autocast():
            out = self.D(images)
        return {k: v.float() for k, v in out.items()}

    def noise(self, n):
        return torch.randn(n, self.noise_size, device=self.device)

    def train_step(self, real):
        n = real["y"].shape[0]
        theta = real.get("theta")
        cond, y_fake, theta_fake, ecal_fake = self.fake_conditions(real)
        self.G.eval()
        with torch.no_grad(), self.autocast():
            fakes = self.G(self.noise(n), cond)

        self.D.train()
        for p in self.D.parameters():
            p.requires_grad_(True)
        total, d_real = self.loss(self.discriminate(real["images"]), self.labels(n, 1.0), real["y"], theta, real["ecal"])
        self.opt_d.zero_grad()
        total.backward()
        self.opt_d.step()
        total, d_fake = self.loss(self.discriminate(fakes), self.labels(n, 0.0), y_fake, theta_fake, ecal_fake)
        self.opt_d.zero_grad()
        total.backward()
        self.opt_d.step()

        self.G.train()
        for p in self.D.parameters():
            p.requires_grad_(False)
        ones = torch.ones(n, 1, device=self.device)
        g_losses = []
        for _ in range(2):
            cond, y_fake, theta_fake, ecal_fake = self.fake_conditions(real)
            with self.autocast():
                images = self.G(self.noise(n), cond)
            total, parts = self.loss(self.discriminate(images), ones, y_fake, theta_fake, ecal_fake)
            self.opt_g.zero_grad()
            total.backward()
            self.opt_g.step()
            g_losses.append(float(total))
        return d_real, d_fake, g_losses

    def generate(self, n):
        self.G.eval()
        with torch.no_grad(), self.autocast():
            if self.model == "a":
                cond = torch.empty(n, 1, device=self.device).uniform_(0.1, 5.0)
            else:
                y = torch.empty(n, 1, device=self.device).uniform_(1.0, 2.0)
                theta = torch.empty(n, 1, device=self.device).uniform_(math.pi / 3, 2 * math.pi / 3)
                cond = torch.cat([y, theta], dim=1)
            return self.G(self.noise(n), cond)


class Turns:
    """Step-by-step turn taking with run_gan_comparison.sh through two named
    pipes, so that the C++ and PyTorch sides alternate and see the same host
    load; a no-op without pipes."""

    def __init__(self, in_path, out_path):
        if (in_path is None) != (out_path is None):
            raise SystemExit("--turn-in and --turn-out go together")
        # The orchestrator opens our input for writing first, then our output for reading.
        self.inp = open(in_path) if in_path else None
        self.out = open(out_path, "w", buffering=1) if out_path else None

    def wait(self):
        if self.inp is not None and not self.inp.readline():
            raise SystemExit("turn pipe closed by the orchestrator")

    def done(self):
        if self.out is not None:
            self.out.write("done\n")
            self.out.flush()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["a", "b"], default="a")
    parser.add_argument("--data", required=True, help="3DGAN-layout HDF5 file of real showers")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--batch", type=int, default=16, help="training batch (real samples per step)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed training steps")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--gen-batch", type=int, default=128)
    parser.add_argument("--gen-warmup", type=int, default=1)
    parser.add_argument("--gen-steps", type=int, default=3)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: PyTorch's bf16 autocast for the forward passes, fp32 weights and losses")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", metavar="PREFIX",
                        help="Chrome traces PREFIX.train.json and PREFIX.gen.json of the last timed training step "
                        "and generation call (autograd profiler)")
    parser.add_argument("--turn-in", help="named pipe: wait for a line before every step and generation call")
    parser.add_argument("--turn-out", help="named pipe: write 'done' after every step and generation call")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    data = RealShowers(args.data, args.model, args.test_fraction, args.seed)
    gan = Reference3DGAN(args.model, device, precision=args.precision)
    turns = Turns(args.turn_in, args.turn_out)

    # process_time: CPU time of all threads, which on a virtual machine leaves
    # out time the host gave to other guests (reported as a noise check).
    load_s, step_s, samples, train_cpu, warmup_s = [], [], 0, 0.0, []
    for i in range(args.warmup + args.steps if args.steps > 0 else 0):
        turns.wait()
        c0 = time.process_time()
        t0 = time.perf_counter()
        real = data.batch(args.batch, device)
        sync(device)
        t1 = time.perf_counter()
        if args.profile and i == args.warmup + args.steps - 1:
            with torch.autograd.profiler.profile() as prof:
                gan.train_step(real)
                sync(device)
            t2, c1 = time.perf_counter(), time.process_time()
            prof.export_chrome_trace(args.profile + ".train.json")  # outside the timings
        else:
            gan.train_step(real)
            sync(device)
            t2, c1 = time.perf_counter(), time.process_time()
        turns.done()
        if i >= args.warmup:
            load_s.append(t1 - t0)
            step_s.append(t2 - t1)
            samples += real["y"].shape[0]
            train_cpu += c1 - c0
        else:
            warmup_s.append(t2 - t0)

    gen_s, gen_cpu = [], 0.0
    for i in range(args.gen_warmup + args.gen_steps if args.gen_steps > 0 else 0):
        turns.wait()
        c0 = time.process_time()
        t0 = time.perf_counter()
        if args.profile and i == args.gen_warmup + args.gen_steps - 1:
            with torch.autograd.profiler.profile() as prof:
                gan.generate(args.gen_batch)
                sync(device)
            t1, c1 = time.perf_counter(), time.process_time()
            prof.export_chrome_trace(args.profile + ".gen.json")  # outside the timings
        else:
            gan.generate(args.gen_batch)
            sync(device)
            t1, c1 = time.perf_counter(), time.process_time()
        turns.done()
        if i >= args.gen_warmup:
            gen_s.append(t1 - t0)
            gen_cpu += c1 - c0

    def ratio(a, b):
        return a / b if b > 0 else None

    total_train = sum(load_s) + sum(step_s)
    result = {
        "implementation": "pytorch",
        "model": args.model,
        "device": args.device,
        "precision": args.precision,
        "threads": torch.get_num_threads(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "batch": args.batch,
        "warmup_steps": args.warmup,
        "timed_steps": args.steps,
        "train_samples": samples,
        "train_seconds": total_train,
        "train_samples_per_s": ratio(samples, total_train),
        "train_step_only_samples_per_s": ratio(samples, sum(step_s)),
        "train_cpu_seconds": train_cpu,
        "train_samples_per_cpu_s": ratio(samples, train_cpu),
        "load_seconds_per_step": ratio(sum(load_s), len(load_s)),
        "step_seconds_per_step": ratio(sum(step_s), len(step_s)),
        "step_seconds": step_s,
        "load_seconds": load_s,
        "warmup_step_seconds": warmup_s,
        "gen_batch": args.gen_batch,
        "gen_warmup_calls": args.gen_warmup,
        "gen_timed_calls": args.gen_steps,
        "gen_seconds": sum(gen_s),
        "gen_call_seconds": gen_s,
        "gen_showers_per_s": ratio(args.gen_batch * len(gen_s), sum(gen_s)),
        "gen_cpu_seconds": gen_cpu,
        "gen_showers_per_cpu_s": ratio(args.gen_batch * len(gen_s), gen_cpu),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
