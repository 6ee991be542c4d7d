// The latent file of `generate --latent`: shapes checked, one line per misfit.
#include "calo3dgan/io/LatentFile.hh"

#include <gtest/gtest.h>

#include "ErrorMessage.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"

namespace calo::io
{
namespace
{
constexpr std::size_t kNoise = 4;

std::string write(test::TempDir const& dir, std::string const& name, std::vector<FloatDataset> const& datasets)
{
    auto const path = dir / name;
    write_float_datasets(path, datasets, "{}", true);
    return path;
}

FloatDataset noise(std::size_t events, std::size_t columns = kNoise)
{
    std::vector<float> values(events * columns);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.25f * static_cast<float>(i);
    return {"z", {events, columns}, values};
}

TEST(LatentFile, ReadsNoiseEnergiesAndAngles)
{
    test::TempDir dir;
    // Energies as (N, 1), angles as (N,): both layouts are accepted.
    auto const path = write(dir, "ok.h5",
                            {noise(3), {"energy", {3, 1}, {10.0f, 100.0f, 400.0f}}, {"theta", {3}, {1.0f, 1.5f, 2.0f}}});
    auto const with_angle = read_latent_file(path, kNoise, true, "b");
    EXPECT_EQ(with_angle.size(), 3u);
    EXPECT_EQ(with_angle.noise.size(), 3 * kNoise);
    EXPECT_EQ(with_angle.noise[5], 1.25f);
    EXPECT_EQ(with_angle.energy_gev, (std::vector<float>{10.0f, 100.0f, 400.0f}));
    EXPECT_EQ(with_angle.theta_rad, (std::vector<float>{1.0f, 1.5f, 2.0f}));
    EXPECT_FALSE(with_angle.ignored_theta);
    // A fixed-angle model takes no angles and says the file had some.
    auto const fixed = read_latent_file(path, kNoise, false, "a");
    EXPECT_TRUE(fixed.theta_rad.empty());
    EXPECT_TRUE(fixed.ignored_theta);
}

TEST(LatentFile, MisfitsAreOneLineNamingTheDataset)
{
    test::TempDir dir;
    auto const no_theta = write(dir, "no_theta.h5", {noise(2), {"energy", {2}, {10.0f, 20.0f}}});
    EXPECT_CONTAINS(test::error_message<InputError>([&] { read_latent_file(no_theta, kNoise, true, "b"); }),
                    "latent file lacks dataset `theta`");
    auto const columns = write(dir, "columns.h5", {noise(2, 5), {"energy", {2}, {10.0f, 20.0f}}});
    EXPECT_CONTAINS(test::error_message<InputError>([&] { read_latent_file(columns, kNoise, false, "a"); }),
                    "dataset `z` has 5 columns, model a needs 4 noise values per event");
    auto const short_energy = write(dir, "energy.h5", {noise(3), {"energy", {2}, {10.0f, 20.0f}}});
    EXPECT_CONTAINS(test::error_message<InputError>([&] { read_latent_file(short_energy, kNoise, false, "a"); }),
                    "dataset `energy` does not have one value for each of the 3 rows");
    auto const wide_theta =
        write(dir, "theta.h5", {noise(2), {"energy", {2}, {10.0f, 20.0f}}, {"theta", {2, 2}, {1, 1, 1, 1}}});
    EXPECT_CONTAINS(test::error_message<InputError>([&] { read_latent_file(wide_theta, kNoise, true, "b"); }),
                    "dataset `theta` does not have one value for each of the 2 rows");
}
}  // namespace
}  // namespace calo::io
