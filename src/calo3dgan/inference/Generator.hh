#pragma once
// calo3dgan inference library: generate calorimeter showers with a trained
// 3DGAN generator (Carminati et al. 2019) inside a detector simulation.
//
// Torch-free: this header includes only the standard library. Link the CMake
// target calo3dgan::inference (find_package(calo3dgan)).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace calo::inference
{
struct GeneratorModel;
class Network;

//! Arithmetic of the convolutions and matrix products.
enum class Precision
{
    fp32,       //!< single precision everywhere (equals the libtorch generator to float rounding)
    bf16,       //!< bfloat16 inputs and weights, fp32 accumulation; needs a CPU with native bf16
    automatic,  //!< bf16 where the CPU has native bf16 instructions (AVX512-BF16, AMX), else fp32
};

//! "fp32", "bf16" or "auto".
char const* to_string(Precision precision);
//! Parse "fp32", "bf16" or "auto"; std::invalid_argument otherwise.
Precision parse_precision(std::string const& text);
//! Whether this CPU runs bf16 convolutions natively (AVX512-BF16 or AMX).
bool cpu_has_native_bf16();

/*!
 * The latent vectors of events [first_event, first_event + n): `noise_size`
 * standard normals each, the first values of the random stream of (seed,
 * event index). Generator::generate uses them, so any program that draws its
 * own conditions can reproduce a seeded generation event by event.
 */
void draw_latent(std::size_t noise_size, std::size_t n, std::uint64_t seed, std::uint64_t first_event, float* latent);

struct GeneratorOptions
{
    Precision precision = Precision::automatic;
    int threads = 0;  //!< threads per call; 0: all cores
};

/*!
 * A loaded generator, ready to produce showers.
 *
 * Errors (unreadable or damaged model files, bad arguments, bf16 asked for on
 * a CPU without it) throw std::runtime_error with one line "what — what to do".
 *
 * generate() and generate_from_latent() are const and may be called from many
 * threads at once on one Generator: every call works in its own scratch memory.
 */
class Generator
{
  public:
    //! Load a model file written by `calo3dgan export` (HDF5).
    static Generator load(std::string const& model_file, GeneratorOptions const& options = {});
    //! Build from an in-memory model description (used by calo3dgan itself).
    static Generator from_model(GeneratorModel model, GeneratorOptions const& options = {});

    Generator(Generator&&) noexcept;
    Generator& operator=(Generator&&) noexcept;
    ~Generator();

    std::array<int, 3> image_shape() const;  //!< cells along x, y, layer
    std::size_t noise_size() const;           //!< length of one latent vector
    bool takes_angle() const;                 //!< true for variable-angle models
    Precision precision() const;              //!< the precision in use (never automatic)
    //! Primary energies [GeV] the model was trained on.
    std::array<double, 2> trained_energy_range_gev() const;
    //! Polar angles [rad] the model was trained on (pi/2, pi/2 for fixed-angle models).
    std::array<double, 2> trained_angle_range_rad() const;
    //! The model's description (layers, weights, units, provenance).
    GeneratorModel const& model() const;
    //! Multiply-adds per shower of the network as run, after the exact rewrites.
    double multiply_adds_per_shower() const;

    /*!
     * n showers into cells_gev (n * x * y * layer floats, cell energies in GeV,
     * event-major, layout (x, y, layer) as in the dataset files); energy in
     * GeV, theta in radians (nullptr for fixed-angle models). Event i draws
     * its latent vector from (seed, first_event + i) (see draw_latent), so
     * results do not depend on n or on threads.
     */
    void generate(std::size_t n, float const* energy_gev, float const* theta_rad, std::uint64_t seed,
                  std::uint64_t first_event, float* cells_gev) const;

    //! The same from explicit latent vectors (n * noise_size floats).
    void generate_from_latent(std::size_t n, float const* latent, float const* energy_gev, float const* theta_rad,
                              float* cells_gev) const;

    //! The latent vectors generate() uses for events [first_event, first_event + n): noise_size()
    //! standard normals each, the first values of the stream derived from (seed, event index).
    void draw_latent(std::size_t n, std::uint64_t seed, std::uint64_t first_event, float* latent) const;

  private:
    explicit Generator(std::unique_ptr<Network> network);
    std::unique_ptr<Network> network_;
};
}  // namespace calo::inference
