// What a Geant4 G4VFastSimulationModel::DoIt (or a DD4hep fast-simulation
// plug-in) does with calo3dgan: collect the particles that entered the
// calorimeter in this event, generate their showers in one batched call, and
// turn cells into hits (x, y, z, E) in detector coordinates.
//
//   fastsim [MODEL.h5 [PARTICLES [SEED]]]
//
// Without MODEL.h5 (or with "-") it loads the generator that ships with the
// installed calo3dgan (CALO3DGAN_DEFAULT_MODEL from find_package).
//
// One calo3dgan::inference::Generator per process, loaded once; generate()
// is const and thread-safe, so the worker threads of a multi-threaded run
// may share it.
#include <calo3dgan/inference/Generator.hh>
#include <calo3dgan/inference/GeneratorModel.hh>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
using Vector = std::array<double, 3>;

//! The 3DGAN calorimeter (the CLIC/LCD electromagnetic calorimeter of the
//! training data, docs/inference.md): 5.1 mm square pads, 17 layers of
//! 4.4 mm pitch, then 8 of 6.8 mm; each sensor sits behind its tungsten.
struct CalorimeterGeometry
{
    double cell_size_mm = 5.1;
    int thin_layers = 17;
    double thin_pitch_mm = 4.4;
    double thick_pitch_mm = 6.8;
    double thin_absorber_mm = 2.4;
    double thick_absorber_mm = 4.8;
    double silicon_mm = 0.5;

    //! Depth of the middle of layer `layer`'s sensor behind the front face [mm].
    double sensor_depth_mm(int layer) const
    {
        double const half_sensor = silicon_mm / 2;
        if (layer < thin_layers)
            return layer * thin_pitch_mm + thin_absorber_mm + half_sensor;
        return thin_layers * thin_pitch_mm + (layer - thin_layers) * thick_pitch_mm + thick_absorber_mm + half_sensor;
    }
};

//! A particle handed to the fast simulation at the calorimeter's front face.
struct Particle
{
    double energy_gev = 0;
    Vector direction{0, 0, 1};  //!< unit vector, global frame
    Vector entry_mm{0, 0, 0};   //!< entry point on the front face, global frame
};

struct Hit
{
    Vector position_mm;
    double energy_gev;
};

Vector cross(Vector const& a, Vector const& b)
{
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

Vector normalised(Vector const& v)
{
    double const norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    return {v[0] / norm, v[1] / norm, v[2] / norm};
}

//! The calorimeter: front face through the origin, depth along global +y
//! (a barrel module at phi = 90 deg), the beam along global z.
constexpr Vector kFaceNormal{0, 1, 0};
constexpr Vector kBeamAxis{0, 0, 1};

/*!
 * One event's fast simulation: all particles in one generate() call, then
 * cells -> hits. A fixed-angle model's image is laid along the particle: its
 * layer axis on the direction, its (x, y) grid across it, centred on the
 * entry point (the training images are centred on the shower). A
 * variable-angle model's image already shows the inclination, so its grid
 * stays on the detector's axes and the model gets the polar angle.
 */
std::vector<Hit> simulate_event(calo::inference::Generator const& generator, CalorimeterGeometry const& geometry,
                                std::vector<Particle> const& particles, std::uint64_t seed, std::uint64_t first_event,
                                std::vector<double>& deposited_gev)
{
    std::size_t const n = particles.size();
    auto const [nx, ny, nz] = generator.image_shape();
    std::size_t const cells = static_cast<std::size_t>(nx) * ny * nz;
    std::vector<float> energy(n), theta(n), image(n * cells);
    for (std::size_t i = 0; i < n; ++i)
    {
        energy[i] = static_cast<float>(particles[i].energy_gev);
        auto const d = particles[i].direction;
        theta[i] = static_cast<float>(std::acos(d[0] * kBeamAxis[0] + d[1] * kBeamAxis[1] + d[2] * kBeamAxis[2]));
    }
    generator.generate(n, energy.data(), generator.takes_angle() ? theta.data() : nullptr, seed, first_event,
                       image.data());

    std::vector<Hit> hits;
    deposited_gev.assign(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
    {
        auto const& p = particles[i];
        // Local frame: w along the layers, u and v across them.
        Vector const w = generator.takes_angle() ? kFaceNormal : normalised(p.direction);
        Vector const u = normalised(cross(kBeamAxis, w));
        Vector const v = cross(w, u);
        float const* shower = image.data() + i * cells;
        for (int ix = 0; ix < nx; ++ix)
            for (int iy = 0; iy < ny; ++iy)
                for (int iz = 0; iz < nz; ++iz)
                {
                    float const e = shower[(static_cast<std::size_t>(ix) * ny + iy) * nz + iz];
                    if (e <= 0)
                        continue;
                    double const a = (ix - (nx - 1) / 2.0) * geometry.cell_size_mm;
                    double const b = (iy - (ny - 1) / 2.0) * geometry.cell_size_mm;
                    double const c = geometry.sensor_depth_mm(iz);
                    Hit hit{{p.entry_mm[0] + a * u[0] + b * v[0] + c * w[0], p.entry_mm[1] + a * u[1] + b * v[1] + c * w[1],
                             p.entry_mm[2] + a * u[2] + b * v[2] + c * w[2]},
                            e};
                    hits.push_back(hit);
                    deposited_gev[i] += e;
                }
    }
    return hits;
}
}  // namespace

int main(int argc, char** argv)
{
    if (argc > 4)
    {
        std::fprintf(stderr, "usage: %s [MODEL.h5|- [PARTICLES [SEED]]]\n", argv[0]);
        return 2;
    }
    try
    {
        std::string const model = argc > 1 && std::string(argv[1]) != "-" ? argv[1] : CALO3DGAN_DEFAULT_MODEL;
        int const count = argc > 2 ? std::stoi(argv[2]) : 8;
        std::uint64_t const seed = argc > 3 ? std::stoull(argv[3]) : 1;
        if (count <= 0)
            throw std::invalid_argument("PARTICLES must be positive");
        auto const generator = calo::inference::Generator::load(model);
        auto const [e_min, e_max] = generator.trained_energy_range_gev();
        auto const [t_min, t_max] = generator.trained_angle_range_rad();

        // Particles of one event entering the calorimeter, spread over the
        // trained energy (and angle) range.
        std::vector<Particle> particles(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i)
        {
            double const f = count > 1 ? static_cast<double>(i) / (count - 1) : 0.5;
            auto& p = particles[static_cast<std::size_t>(i)];
            p.energy_gev = e_min + (e_max - e_min) * f;
            double const polar = generator.takes_angle() ? t_min + (t_max - t_min) * (1 - f) : M_PI / 2;
            double const azimuth_tilt = generator.takes_angle() ? 0.0 : 0.02 * i;  // small tilts: the image follows
            p.direction = normalised({std::sin(polar) * std::sin(azimuth_tilt), std::sin(polar) * std::cos(azimuth_tilt),
                                      std::cos(polar)});
            p.entry_mm = {100.0 * i, 0.0, -50.0 * i};
        }

        CalorimeterGeometry const geometry;
        std::vector<double> deposited;
        auto const hits = simulate_event(generator, geometry, particles, seed, 0, deposited);

        std::printf("calo3dgan fast simulation: model %s, %d particles, %s, %s precision, %d x %d x %d cells per "
                    "shower\n",
                    generator.model().name.c_str(), count, generator.takes_angle() ? "variable angle" : "fixed angle",
                    calo::inference::to_string(generator.precision()), generator.image_shape()[0],
                    generator.image_shape()[1], generator.image_shape()[2]);
        std::printf("%10s %10s %12s %14s\n", "E [GeV]", "theta[deg]", "deposit[GeV]", "deposit / E");
        for (std::size_t i = 0; i < particles.size(); ++i)
        {
            double const theta_deg = std::acos(particles[i].direction[2]) * 180 / M_PI;
            std::printf("%10.1f %10.1f %12.4f %14.5f\n", particles[i].energy_gev, theta_deg, deposited[i],
                        deposited[i] / particles[i].energy_gev);
        }
        double depth_sum = 0, energy_sum = 0;
        for (auto const& hit : hits)
        {
            depth_sum += hit.energy_gev * hit.position_mm[1];
            energy_sum += hit.energy_gev;
        }
        std::printf("hits: %zu, total deposit %.4f GeV, energy-weighted mean depth %.1f mm\n", hits.size(), energy_sum,
                    energy_sum > 0 ? depth_sum / energy_sum : 0.0);
        return 0;
    }
    catch (std::exception const& e)
    {
        std::fprintf(stderr, "fastsim: error: %s\n", e.what());
        return 1;
    }
}
