"""Reference PyTorch implementation of the 3DGAN networks (models A and B).

Written directly from the original Keras code, independently of the C++
library, so that it can serve as (1) the writer of test fixtures and (2) the
PyTorch baseline in benchmarks:

* model A: svalleco/3Dgan branch Energy-gan, keras/EcalEnergyGan.py
  (generator(latent_size=200), discriminator()); 25x25x25 images;
* model B: svalleco/3Dgan branch Anglegan, keras/AngleArch3dGAN.py
  (generator(latent_size=256), discriminator(power=0.85)); 51x51x25 images.

Conventions (Keras 2.2.4 semantics on PyTorch layouts):

* images are (N, 1, x, y, z) tensors: NCDHW with D = x, H = y, W = z (layers);
* Keras kernels (kx, ky, kz) map to Conv3d kernels (kx, ky, kz);
  ZeroPadding3D((a, b, c)) pads x by a, y by b, z by c on both sides;
  padding='same' with an even kernel pads one more zero after than before
  (kernel 6: 2 before, 3 after), which is what Conv3d(padding='same') does;
* UpSampling3D is nearest-neighbour repetition by integer factors;
* LeakyReLU slope 0.3 (Keras default); BatchNormalization momentum 0.99 in
  Keras is momentum 0.01 in PyTorch;
* the generator's Dense output is reshaped channels-last, (x, y, z, C) with C
  fastest, and the discriminator flattens channels-last, so Keras Dense
  kernels need no re-ordering (to_keras_weights relies on this).

Run `python3 models.py` to print the parameter counts.
"""

import math

import h5py
import numpy as np
import torch
from torch import nn

LEAKY_SLOPE = 0.3
KERAS_EPSILON = 1e-7  # K.epsilon()
EMPTY_EVENT_ANGLE = 100.0
# scipy.stats.truncnorm.std(a=-2, b=2): Keras >= 2.2.3 divides by it so that
# its truncated normal initialisers have the intended standard deviation.
TRUNCATED_NORMAL_STD = 0.87962566103423978


# ---------------------------------------------------------------------------
# Keras initialisers
# ---------------------------------------------------------------------------
def _fans(weight):
    """Keras fans of a torch weight, (out, in, k...) for Conv and Linear."""
    receptive = int(np.prod(weight.shape[2:])) if weight.dim() > 2 else 1
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def glorot_uniform_(weight):
    return nn.init.xavier_uniform_(weight)


def he_uniform_(weight):
    fan_in, _ = _fans(weight)
    limit = math.sqrt(6.0 / fan_in)
    return nn.init.uniform_(weight, -limit, limit)


def glorot_normal_(weight):
    fan_in, fan_out = _fans(weight)
    sigma = math.sqrt(2.0 / (fan_in + fan_out)) / TRUNCATED_NORMAL_STD
    return nn.init.trunc_normal_(weight, 0.0, sigma, -2 * sigma, 2 * sigma)


def _dense(n_in, n_out):
    layer = nn.Linear(n_in, n_out)
    glorot_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def _conv(n_in, n_out, kernel, init=glorot_uniform_, bias=True, padding=0):
    layer = nn.Conv3d(n_in, n_out, kernel, bias=bias, padding=padding)
    init(layer.weight)
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


def _batchnorm(channels, epsilon):
    return nn.BatchNorm3d(channels, eps=epsilon, momentum=0.01)


def _zero_pad(x, y, z):
    # ConstantPad3d lists (z_before, z_after, y_before, y_after, x_before, x_after)
    return nn.ConstantPad3d((z, z, y, y, x, x), 0.0)


def _upsample(x, y, z):
    return nn.Upsample(scale_factor=(x, y, z), mode="nearest")


class KerasReshape(nn.Module):
    """Keras Reshape((x, y, z, C)) on channels_last data, returned as NCDHW."""

    def __init__(self, x, y, z, channels):
        super().__init__()
        self.shape = (x, y, z, channels)

    def forward(self, h):
        return h.view(h.shape[0], *self.shape).permute(0, 4, 1, 2, 3)


class KerasFlatten(nn.Module):
    """Keras Flatten on channels_last data: (x, y, z, C) order, C fastest."""

    def forward(self, h):
        return h.permute(0, 2, 3, 4, 1).reshape(h.shape[0], -1)


# ---------------------------------------------------------------------------
# Physics lambdas of the discriminator
# ---------------------------------------------------------------------------
def ecal_sum(image):
    """Sum of the image over x, y, z: (N, 1, X, Y, Z) -> (N, 1)."""
    return image.sum(dim=(2, 3, 4))


def ecal_angle(image):
    """Keras `ecal_angle` (AngleArch3dGAN.py), (N, 1, X, Y, Z) -> (N, 1) rad.

    Depth-weighted mean over non-empty layers of
    theta_z = pi/2 - atan((y_z - y0) / d_z), the slope negated before the
    barycentre, d_z = sqrt(max((x_z - x0)^2 + (z - z0)^2, K.epsilon())), cell
    centres at index + 0.5. Events without energy give 100.
    """
    img = image[:, 0]
    n, nx, ny, nz = img.shape
    xs = torch.arange(nx, dtype=img.dtype, device=img.device) + 0.5
    ys = torch.arange(ny, dtype=img.dtype, device=img.device) + 0.5
    zs = torch.arange(nz, dtype=img.dtype, device=img.device) + 0.5

    total = img.sum(dim=(1, 2, 3))
    empty = total == 0
    total_safe = torch.where(empty, torch.ones_like(total), total)
    one = torch.ones_like(total)
    x_ref = torch.where(empty, one, (img.sum(dim=(2, 3)) * xs).sum(1) / total_safe)
    y_ref = torch.where(empty, one, (img.sum(dim=(1, 3)) * ys).sum(1) / total_safe)
    z_ref = torch.where(empty, one, (img.sum(dim=(1, 2)) * zs).sum(1) / total_safe)

    sumz = img.sum(dim=(1, 2))  # (N, Z)
    zmask = (sumz != 0).to(img.dtype)
    sumz_safe = torch.where(sumz == 0, torch.ones_like(sumz), sumz)
    x_mid = (img.sum(dim=2) * xs[None, :, None]).sum(1) / sumz_safe * zmask
    y_mid = (img.sum(dim=1) * ys[None, :, None]).sum(1) / sumz_safe * zmask

    z = zs[None, :].expand(n, nz)
    zproj = torch.sqrt(torch.clamp((x_mid - x_ref[:, None]) ** 2 + (z - z_ref[:, None]) ** 2, min=KERAS_EPSILON))
    m = (y_mid - y_ref[:, None]) / zproj
    m = torch.where(z < z_ref[:, None], -m, m)
    ang = (math.pi / 2 - torch.atan(m)) * zmask * z
    weight = (z * zmask).sum(1)
    ang = ang.sum(1) / torch.where(weight == 0, torch.ones_like(weight), weight)
    ang = torch.where(empty, torch.full_like(ang, EMPTY_EVENT_ANGLE), ang)
    return ang[:, None]


# ---------------------------------------------------------------------------
# Model A (Energy-gan:keras/EcalEnergyGan.py)
# ---------------------------------------------------------------------------
class GeneratorA(nn.Module):
    """Latent z (N, 200) and y = E/100 (N, 1) -> images (N, 1, 25, 25, 25)."""

    latent_size = 200
    epsilon = 1e-3  # Keras BatchNormalization() default

    def __init__(self):
        super().__init__()
        eps = self.epsilon
        self.layers = nn.Sequential(
            _dense(200, 64 * 7 * 7),
            KerasReshape(7, 7, 8, 8),
            _conv(8, 64, (6, 6, 8), he_uniform_, padding="same"),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(64, eps),
            _upsample(2, 2, 2),
            _zero_pad(2, 2, 0),
            _conv(64, 6, (6, 5, 8), he_uniform_),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(6, eps),
            _upsample(2, 2, 3),
            _zero_pad(1, 0, 3),
            _conv(6, 6, (3, 3, 8), he_uniform_),
            nn.LeakyReLU(LEAKY_SLOPE),
            _conv(6, 1, (2, 2, 2), glorot_normal_, bias=False),
            nn.ReLU(),
        )

    @staticmethod
    def latent_input(noise, energy):
        """Multiplicative conditioning (EcalEnergyTrain.py): y * z."""
        return noise * energy

    def forward(self, noise, energy):
        return self.layers(self.latent_input(noise, energy))

    def forward_latent(self, latent):
        return self.layers(latent)


class DiscriminatorA(nn.Module):
    """Images (N, 1, 25, 25, 25) -> (probability, energy, ecal), each (N, 1)."""

    epsilon = 1e-3

    def __init__(self):
        super().__init__()
        eps = self.epsilon
        self.trunk = nn.Sequential(
            _conv(1, 32, (5, 5, 5), padding="same"),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Dropout(0.2),
            _zero_pad(2, 2, 2),
            _conv(32, 8, (5, 5, 5)),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(8, eps),
            nn.Dropout(0.2),
            _zero_pad(2, 2, 2),
            _conv(8, 8, (5, 5, 5)),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(8, eps),
            nn.Dropout(0.2),
            _zero_pad(1, 1, 1),
            _conv(8, 8, (5, 5, 5)),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(8, eps),
            nn.Dropout(0.2),
            nn.AvgPool3d(2),
            KerasFlatten(),
        )
        self.generation = _dense(11 * 11 * 11 * 8, 1)
        self.auxiliary = _dense(11 * 11 * 11 * 8, 1)

    def forward(self, image):
        h = self.trunk(image)
        return {
            "probability": torch.sigmoid(self.generation(h)),
            "energy": self.auxiliary(h),
            "ecal": ecal_sum(image),
        }


# ---------------------------------------------------------------------------
# Model B (Anglegan:keras/AngleArch3dGAN.py)
# ---------------------------------------------------------------------------
class GeneratorB(nn.Module):
    """Noise (N, 254) and [y, theta] (N, 2) -> images (N, 1, 51, 51, 25).

    The output is in the power-transformed space: cell^0.85.
    """

    latent_size = 256
    epsilon = 1e-6

    def __init__(self):
        super().__init__()
        eps = self.epsilon
        self.layers = nn.Sequential(
            _dense(256, 5184),
            KerasReshape(9, 9, 8, 8),
            _upsample(6, 6, 6),
            _conv(8, 8, (6, 6, 8), he_uniform_),
            nn.ReLU(),
            _batchnorm(8, eps),
            _zero_pad(2, 2, 1),
            _conv(8, 6, (4, 4, 6), he_uniform_),
            nn.ReLU(),
            _batchnorm(6, eps),
            _zero_pad(2, 2, 1),
            _conv(6, 6, (4, 4, 6), he_uniform_),
            nn.ReLU(),
            _batchnorm(6, eps),
            _zero_pad(2, 2, 1),
            _conv(6, 6, (4, 4, 6), he_uniform_),
            nn.ReLU(),
            _batchnorm(6, eps),
            _zero_pad(1, 1, 0),
            _conv(6, 6, (3, 3, 5), he_uniform_),
            nn.ReLU(),
            _batchnorm(6, eps),
            _zero_pad(1, 1, 0),
            _conv(6, 6, (3, 3, 3), he_uniform_),
            nn.ReLU(),
            _conv(6, 1, (2, 2, 2), glorot_normal_, bias=True),
            nn.ReLU(),
        )

    @staticmethod
    def latent_input(noise, conditions):
        """Concatenated conditioning (AngleTrain3dGAN.py, concat=2): [y, theta, z]."""
        return torch.cat([conditions, noise], dim=1)

    def forward(self, noise, conditions):
        return self.layers(self.latent_input(noise, conditions))

    def forward_latent(self, latent):
        return self.layers(latent)


class DiscriminatorB(nn.Module):
    """Images^0.85 (N, 1, 51, 51, 25) -> (probability, energy, angle, ecal)."""

    epsilon = 1e-6
    power = 0.85

    def __init__(self):
        super().__init__()
        eps = self.epsilon
        k = (5, 6, 6)
        self.trunk = nn.Sequential(
            _conv(1, 16, k, padding="same"),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Dropout(0.2),
            _zero_pad(0, 0, 1),
            _conv(16, 8, k),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(8, eps),
            nn.Dropout(0.2),
            _zero_pad(0, 0, 1),
            _conv(8, 8, k),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(8, eps),
            nn.Dropout(0.2),
            _conv(8, 8, k),
            nn.LeakyReLU(LEAKY_SLOPE),
            _batchnorm(8, eps),
            nn.Dropout(0.2),
            nn.AvgPool3d(2),
            KerasFlatten(),
        )
        self.generation = _dense(19 * 18 * 7 * 8, 1)
        self.auxiliary = _dense(19 * 18 * 7 * 8, 1)

    def forward(self, image):
        h = self.trunk(image)
        energies = image.pow(1.0 / self.power)
        return {
            "probability": torch.sigmoid(self.generation(h)),
            "energy": self.auxiliary(h),
            "angle": ecal_angle(energies),
            "ecal": ecal_sum(energies),
        }


def build(model, network):
    """build("a" | "b", "generator" | "discriminator") -> nn.Module."""
    classes = {
        ("a", "generator"): GeneratorA,
        ("a", "discriminator"): DiscriminatorA,
        ("b", "generator"): GeneratorB,
        ("b", "discriminator"): DiscriminatorB,
    }
    return classes[(model, network)]()


def count_parameters(module):
    """(trainable, non_trainable) in Keras's convention (BN moving statistics)."""
    trainable = sum(p.numel() for p in module.parameters())
    moving = sum(b.numel() for name, b in module.named_buffers() if name.endswith(("running_mean", "running_var")))
    return trainable, moving


# ---------------------------------------------------------------------------
# Keras 2 HDF5 weights
# ---------------------------------------------------------------------------
class KerasNames:
    """Keras's per-session layer counters ("conv3d_5", "dense_3", ...).

    Keras numbers layers per type in the order a session creates them, so a
    saved file rarely starts at 1: the training scripts build the
    discriminator before the generator, and every rebuild moves the counters
    on. `start` gives the first number per type.
    """

    def __init__(self, **start):
        self.next = dict(start)

    def __call__(self, kind):
        number = self.next.get(kind, 1)
        self.next[kind] = number + 1
        return f"{kind}_{number}"


def _keras_weights_of(layer):
    """[(weight name, array, trainable)] of a torch layer in Keras layout."""
    if isinstance(layer, nn.Linear):
        out = [("kernel:0", layer.weight.detach().cpu().numpy().T, True)]
        if layer.bias is not None:
            out.append(("bias:0", layer.bias.detach().cpu().numpy(), True))
        return out
    if isinstance(layer, nn.Conv3d):
        # torch (out, in, kx, ky, kz) -> Keras (kx, ky, kz, in, out)
        out = [("kernel:0", layer.weight.detach().cpu().numpy().transpose(2, 3, 4, 1, 0), True)]
        if layer.bias is not None:
            out.append(("bias:0", layer.bias.detach().cpu().numpy(), True))
        return out
    if isinstance(layer, nn.BatchNorm3d):
        return [
            ("gamma:0", layer.weight.detach().cpu().numpy(), True),
            ("beta:0", layer.bias.detach().cpu().numpy(), True),
            ("moving_mean:0", layer.running_mean.detach().cpu().numpy(), False),
            ("moving_variance:0", layer.running_var.detach().cpu().numpy(), False),
        ]
    return []


def _keras_kind(layer):
    if isinstance(layer, nn.Linear):
        return "dense"
    if isinstance(layer, nn.Conv3d):
        return "conv3d"
    if isinstance(layer, nn.BatchNorm3d):
        return "batch_normalization"
    return None


def _write_strings(attrs, key, strings):
    # Keras stores name lists as fixed-length byte strings; an empty list as
    # an empty float array (np.asarray([])).
    attrs[key] = np.array([s.encode("utf8") for s in strings]) if strings else np.asarray([])


def _write_nested(group, layers, names):
    """A nested Keras model (Sequential/Model) as one group.

    Its weight_names list all trainable weights in layer order, then the
    non-trainable ones (Keras Network.weights = trainable + non_trainable),
    so BatchNormalization moving statistics come last.
    """
    trainable, frozen = [], []
    for layer in layers:
        kind = _keras_kind(layer)
        if kind is None:
            continue
        layer_name = names(kind)
        for weight_name, value, is_trainable in _keras_weights_of(layer):
            (trainable if is_trainable else frozen).append((f"{layer_name}/{weight_name}", value))
    ordered = trainable + frozen
    _write_strings(group.attrs, "weight_names", [name for name, _ in ordered])
    for name, value in ordered:
        group.create_dataset(name, data=np.ascontiguousarray(value, dtype=np.float32))


def to_keras_weights(module, path, names=None, model_number=1, input_number=1):
    """Write `module` as a Keras 2.2.4 `save_weights` HDF5 file.

    Layout (h5py paths), with layer numbers from `names`:

    generator (Model([latent], [Sequential(...)(latent)])):
        /input_<i>                                   no weights
        /sequential_<m>/dense_<k>/kernel:0            (latent, units)
        /sequential_<m>/conv3d_<k>/kernel:0           (kx, ky, kz, in, out), bias:0
        /sequential_<m>/batch_normalization_<k>/gamma:0, beta:0,
                                                     moving_mean:0, moving_variance:0
    discriminator (Model([image], [dnn(image) heads..., Lambdas]); dnn a Model):
        /input_<i>                                   no weights
        /model_<m>/conv3d_<k>/..., /model_<m>/batch_normalization_<k>/...
        /generation/generation/kernel:0 (features, 1), bias:0
        /auxiliary/auxiliary/kernel:0 (features, 1), bias:0
        /lambda_<j>                                  no weights

    Root attributes: layer_names, backend, keras_version; every layer group
    has weight_names. Dense kernels need no re-ordering because the modules
    reshape and flatten channels-last.
    """
    names = names or KerasNames()
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        input_name = f"input_{input_number}"
        _write_strings(f.create_group(input_name).attrs, "weight_names", [])
        if isinstance(module, (GeneratorA, GeneratorB)):
            container = f"sequential_{model_number}"
            _write_nested(f.create_group(container), module.layers, names)
            _write_strings(f.attrs, "layer_names", [input_name, container])
            return
        if not isinstance(module, (DiscriminatorA, DiscriminatorB)):
            raise TypeError(f"not a 3DGAN network: {type(module).__name__}")
        container = f"model_{model_number}"
        _write_nested(f.create_group(container), module.trunk, names)
        layer_names = [input_name, container]
        for head in ("generation", "auxiliary"):
            group = f.create_group(head)
            weights = [(f"{head}/{w}", v) for w, v, _ in _keras_weights_of(getattr(module, head))]
            _write_strings(group.attrs, "weight_names", [w for w, _ in weights])
            for name, value in weights:
                group.create_dataset(name, data=np.ascontiguousarray(value, dtype=np.float32))
            layer_names.append(head)
        n_lambdas = 4 if isinstance(module, DiscriminatorB) else 1  # B: pow, angle, ecal, count
        for _ in range(n_lambdas):
            lam = names("lambda")
            _write_strings(f.create_group(lam).attrs, "weight_names", [])
            layer_names.append(lam)
        _write_strings(f.attrs, "layer_names", layer_names)


if __name__ == "__main__":
    for model in ("a", "b"):
        for network in ("generator", "discriminator"):
            trainable, moving = count_parameters(build(model, network))
            print(f"model {model} {network}: {trainable:,} trainable, {moving:,} non-trainable")
