#include "calo3dgan/inference/Generator.hh"

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/inference/ModelFile.hh"
#include "detail/Network.hh"

namespace calo::inference
{
namespace
{
Precision resolve(Precision requested)
{
    if (requested == Precision::automatic)
        return cpu_has_native_bf16() ? Precision::bf16 : Precision::fp32;
    CALO_VALIDATE(requested != Precision::bf16 || cpu_has_native_bf16(),
                  "this CPU has no native bf16 instructions (AVX512-BF16 or AMX) — use precision fp32 or auto");
    return requested;
}

void require(bool condition, char const* message)
{
    if (!condition)
        throw std::invalid_argument(message);
}
}  // namespace

char const* to_string(Precision precision)
{
    switch (precision)
    {
        case Precision::fp32:
            return "fp32";
        case Precision::bf16:
            return "bf16";
        case Precision::automatic:
            return "auto";
    }
    return "?";
}

Precision parse_precision(std::string const& text)
{
    for (auto p : {Precision::fp32, Precision::bf16, Precision::automatic})
    {
        if (text == to_string(p))
            return p;
    }
    throw std::invalid_argument("unknown precision `" + text + "` — use fp32, bf16 or auto");
}

bool cpu_has_native_bf16()
{
    // The ISA oneDNN dispatches to on this CPU: bf16 instructions come with
    // AVX512-BF16 (and AMX, whose value includes those bits).
    auto const isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    auto const bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
    return (isa & bf16) == bf16;
}

Generator::Generator(std::unique_ptr<Network> network) : network_(std::move(network)) {}
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;
Generator::~Generator() = default;

Generator Generator::load(std::string const& model_file, GeneratorOptions const& options)
{
    return from_model(read_model_file(model_file), options);
}

Generator Generator::from_model(GeneratorModel model, GeneratorOptions const& options)
{
    validate(model, model.name.empty() ? std::string("generator model") : model.name);
    CALO_VALIDATE(options.threads >= 0,
                  "threads must be 0 (all cores) or positive, got " + std::to_string(options.threads));
    return Generator(std::make_unique<Network>(std::move(model), resolve(options.precision), options.threads));
}

std::array<int, 3> Generator::image_shape() const
{
    return network_->model().image_shape;
}

std::size_t Generator::noise_size() const
{
    return static_cast<std::size_t>(network_->model().noise_size());
}

bool Generator::takes_angle() const
{
    return network_->model().takes_angle();
}

Precision Generator::precision() const
{
    return network_->precision();
}

std::array<double, 2> Generator::trained_energy_range_gev() const
{
    return network_->model().energy_range_gev;
}

std::array<double, 2> Generator::trained_angle_range_rad() const
{
    return network_->model().angle_range_rad;
}

GeneratorModel const& Generator::model() const
{
    return network_->model();
}

double Generator::multiply_adds_per_shower() const
{
    return network_->multiply_adds_per_event();
}

void draw_latent(std::size_t noise_size, std::size_t n, std::uint64_t seed, std::uint64_t first_event, float* latent)
{
    require(latent != nullptr, "draw_latent: latent is a null pointer — pass n * noise_size floats");
    for (std::size_t i = 0; i < n; ++i)
    {
        Rng rng(derive_seed(seed, first_event + i));
        for (std::size_t k = 0; k < noise_size; ++k)
            latent[i * noise_size + k] = static_cast<float>(standard_normal(rng));
    }
}

void Generator::draw_latent(std::size_t n, std::uint64_t seed, std::uint64_t first_event, float* latent) const
{
    inference::draw_latent(noise_size(), n, seed, first_event, latent);
}

void Generator::generate(std::size_t n, float const* energy_gev, float const* theta_rad, std::uint64_t seed,
                         std::uint64_t first_event, float* cells_gev) const
{
    require(n > 0, "generate: n is 0 — ask for at least one shower");
    std::vector<float> latent(n * noise_size());
    draw_latent(n, seed, first_event, latent.data());
    generate_from_latent(n, latent.data(), energy_gev, theta_rad, cells_gev);
}

void Generator::generate_from_latent(std::size_t n, float const* latent, float const* energy_gev,
                                     float const* theta_rad, float* cells_gev) const
{
    auto const& model = network_->model();
    require(n > 0, "generate: n is 0 — ask for at least one shower");
    require(latent != nullptr, "generate: latent is a null pointer — pass n * noise_size() floats");
    require(energy_gev != nullptr, "generate: energy_gev is a null pointer — pass n energies in GeV");
    require(cells_gev != nullptr, "generate: cells_gev is a null pointer — pass room for n * x * y * layer floats");
    require(!model.takes_angle() || theta_rad != nullptr,
            "generate: this variable-angle model needs theta_rad (n angles in rad), got a null pointer");
    require(model.takes_angle() || theta_rad == nullptr,
            "generate: this fixed-angle model takes no angle — pass nullptr for theta_rad");
    for (std::size_t i = 0; i < n; ++i)
    {
        if (!(std::isfinite(energy_gev[i]) && energy_gev[i] > 0))
            throw std::invalid_argument("generate: energy of event " + std::to_string(i) + " is " +
                                        std::to_string(energy_gev[i]) + " GeV — energies must be positive");
        if (theta_rad && !std::isfinite(theta_rad[i]))
            throw std::invalid_argument("generate: angle of event " + std::to_string(i) +
                                        " is not finite — give angles in rad");
    }

    // The dense layer's input, as the 3DGAN training code builds it:
    // y * z (fixed angle) or [y, theta, z] (variable angle), y = E / yscale.
    std::size_t const noise = noise_size();
    std::size_t const width = static_cast<std::size_t>(model.latent_size);
    std::vector<float> input(n * width);
    for (std::size_t i = 0; i < n; ++i)
    {
        auto const y = static_cast<float>(energy_gev[i] / model.yscale);
        float const* z = latent + i * noise;
        float* row = input.data() + i * width;
        if (model.conditioning == Conditioning::product)
        {
            for (std::size_t k = 0; k < noise; ++k) row[k] = z[k] * y;
        }
        else
        {
            row[0] = y;
            row[1] = theta_rad[i];
            std::copy(z, z + noise, row + 2);
        }
    }
    network_->run(n, input.data(), cells_gev);
}
}  // namespace calo::inference
