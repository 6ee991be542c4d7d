// import-keras, generate and discriminate, run as a user would.
#include <gtest/gtest.h>

#include <filesystem>

#include "CliHelpers.hh"
#include "ModelFixture.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"

namespace calo::test
{
namespace
{
namespace fs = std::filesystem;

//! Skip while main.cc does not register the inference commands yet.
#define SKIP_UNLESS_REGISTERED()                                                         \
    do                                                                                   \
    {                                                                                    \
        if (!commands_registered())                                                      \
            GTEST_SKIP() << "generate/discriminate/import-keras not registered in main"; \
    } while (0)

bool commands_registered()
{
    // `calo3dgan X --help` prints the main help (exit 0) when X is unknown
    auto const knows = [](std::string const& command, std::string const& option)
    {
        auto const r = run_calo(command + " --help");
        return r.exit_code == 0 && r.output.find(option) != std::string::npos;
    };
    static bool const registered =
        knows("generate", "--latent") && knows("discriminate", "--input") && knows("import-keras", "--generator");
    return registered;
}

//! A checkpoint imported from the reference Keras files of `model`, once per process.
std::string const& imported_checkpoint(char model, bool with_discriminator = true)
{
    static std::map<std::pair<char, bool>, std::string> cache;
    auto& path = cache[{model, with_discriminator}];
    if (path.empty())
    {
        auto const& fixture = model_fixture(model);
        path = process_temp_dir() / (std::string("ckpt-") + model + (with_discriminator ? "-gd" : "-g") + ".pt");
        auto const r =
            run_calo(std::string("import-keras --model ") + model + " --generator " + fixture.generator_weights +
                     (with_discriminator ? " --discriminator " + fixture.discriminator_weights : "") + " -o " + path);
        EXPECT_EQ(r.exit_code, 0) << r.output;
    }
    return path;
}

io::FloatDataset const* find(std::vector<io::FloatDataset> const& datasets, std::string const& name)
{
    for (auto const& d : datasets)
    {
        if (d.path == name)
            return &d;
    }
    return nullptr;
}
}  // namespace

//---------------------------------------------------------------------------//
TEST(InferCommands, generate_is_reproducible_and_readable)
{
    SKIP_UNLESS_REGISTERED();
    TempDir dir;
    auto const& checkpoint = imported_checkpoint('a');
    auto const base = "-q generate --checkpoint " + checkpoint + " -n 5 --energy 100:200 --seed 7";
    ASSERT_EQ(run_calo(base + " --batch 2 -o " + (dir / "g2.h5")).exit_code, 0);
    auto const r = run_calo(base + " --batch 5 -o " + (dir / "g5.h5"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // One stream per event: the batch size does not change the showers (up to
    // float rounding: libtorch's CPU convolutions sum in another order for
    // other batch sizes); the same batch size gives the same file.
    auto const by_two = io::read_float_datasets(dir / "g2.h5");
    auto const by_five = io::read_float_datasets(dir / "g5.h5");
    ASSERT_EQ(by_two.size(), by_five.size());
    for (std::size_t i = 0; i < by_two.size(); ++i)
    {
        SCOPED_TRACE(by_two[i].path);
        ASSERT_EQ(by_two[i].shape, by_five[i].shape);
        auto const tensor = [](io::FloatDataset const& d) {
            return torch::from_blob(const_cast<float*>(d.values.data()), {static_cast<std::int64_t>(d.values.size())})
                .clone();
        };
        if (by_two[i].path == "ECAL")
            EXPECT_TRUE(close_relative(tensor(by_two[i]), tensor(by_five[i]), 1e-5));
        else
            EXPECT_EQ(by_two[i].values, by_five[i].values);
    }
    ASSERT_EQ(run_calo(base + " --batch 2 -o " + (dir / "again.h5")).exit_code, 0);
    EXPECT_EQ(read_bytes(dir / "g2.h5"), read_bytes(dir / "again.h5"));
    ASSERT_EQ(
        run_calo("-q generate --checkpoint " + checkpoint + " -n 5 --energy 100:200 --seed 8 -o " + (dir / "s8.h5"))
            .exit_code,
        0);
    EXPECT_NE(read_bytes(dir / "g2.h5"), read_bytes(dir / "s8.h5"));

    auto const inspect = run_calo("inspect " + (dir / "g5.h5"));
    ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
    EXPECT_NE(inspect.output.find("25x25x25"), std::string::npos) << inspect.output;
    auto const datasets = io::read_float_datasets(dir / "g5.h5");
    auto const* energy = find(datasets, "energy");
    ASSERT_TRUE(energy);
    ASSERT_EQ(energy->values.size(), 5u);
    for (float e : energy->values)
    {
        EXPECT_GE(e, 100);
        EXPECT_LE(e, 200);
    }
    // Existing output
    expect_one_line_error(run_calo(base + " -o " + (dir / "g5.h5")), 1, "--overwrite");
    EXPECT_EQ(run_calo(base + " --overwrite -o " + (dir / "g5.h5")).exit_code, 0);
}

TEST(InferCommands, generate_latent_file_gives_the_network_output)
{
    SKIP_UNLESS_REGISTERED();
    TempDir dir;
    auto const& fixture = model_fixture('b');
    // z, energy [GeV] and theta [rad] of the fixture's reference events
    ASSERT_EQ(run_command(python() + " -c \"import h5py, numpy as np; f = h5py.File('" + fixture.generator_weights +
                          "'.replace('generator_weights', 'fixture'), 'r'); c = f['generator/conditions'][:]; "
                          "g = h5py.File('" +
                          (dir / "latent.h5") +
                          "', 'w'); g['z'] = f['generator/noise'][:]; g['energy'] = c[:, 0] * 100; "
                          "g['theta'] = c[:, 1]\"")
                  .exit_code,
              0);
    auto const r = run_calo("generate --checkpoint " + imported_checkpoint('b') + " --latent " + (dir / "latent.h5") +
                            " -o " + (dir / "out.h5"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const datasets = io::read_float_datasets(dir / "out.h5");
    auto const* ecal = find(datasets, "ECAL");
    ASSERT_TRUE(ecal);
    ASSERT_EQ(ecal->shape, (std::vector<std::size_t>{2, 51, 51, 25}));
    ASSERT_TRUE(find(datasets, "mtheta"));
    auto const cells = torch::from_blob(const_cast<float*>(ecal->values.data()), {2, 51, 51, 25}).clone();
    // Layout b is GeV x 50 = G^(1/0.85) (xscale 1), G from the PyTorch reference
    EXPECT_TRUE(close_relative(cells, fixture.tensor("generator/images").pow(1 / 0.85), 1e-4));
}

TEST(InferCommands, generate_range_checks)
{
    SKIP_UNLESS_REGISTERED();
    TempDir dir;
    auto const& checkpoint = imported_checkpoint('a');
    auto const strict =
        run_calo("generate --checkpoint " + checkpoint + " -n 2 --energy 600 --strict -o " + (dir / "x.h5"));
    expect_one_line_error(strict, 1, "outside");
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
    auto const warned = run_calo("generate --checkpoint " + checkpoint + " -n 2 --energy 600 -o " + (dir / "y.h5"));
    EXPECT_EQ(warned.exit_code, 0) << warned.output;
    EXPECT_NE(warned.output.find("warning"), std::string::npos) << warned.output;
    EXPECT_TRUE(fs::exists(dir / "y.h5"));
    // Model A is fixed-angle
    expect_one_line_error(run_calo("generate --checkpoint " + checkpoint + " -n 2 --theta 60:120 -o " + (dir / "z.h5")),
                          2, "fixed-angle");
    expect_one_line_error(run_calo("generate --checkpoint " + (dir / "missing.pt") + " -n 2 -o " + (dir / "z.h5")), 1,
                          "missing.pt");
    EXPECT_FALSE(fs::exists(dir / "z.h5"));
}

TEST(InferCommands, import_keras_errors)
{
    SKIP_UNLESS_REGISTERED();
    TempDir dir;
    auto const& a = model_fixture('a');
    auto const& b = model_fixture('b');
    // Another model's weights
    expect_one_line_error(
        run_calo("import-keras --model a --generator " + b.generator_weights + " -o " + (dir / "c.pt")), 1,
        "model 3dgan-a");
    expect_one_line_error(run_calo("import-keras --model b --generator " + b.generator_weights + " --discriminator " +
                                   a.discriminator_weights + " -o " + (dir / "c.pt")),
                          1, "discriminator");
    // Missing and foreign files
    expect_one_line_error(run_calo("import-keras --model a --generator " + (dir / "none.h5") + " -o " + (dir / "c.pt")),
                          1, "none.h5");
    ASSERT_EQ(run_command("echo garbage > " + (dir / "bad.h5")).exit_code, 0);
    expect_one_line_error(run_calo("import-keras --model a --generator " + (dir / "bad.h5") + " -o " + (dir / "c.pt")),
                          1, "bad.h5");
    expect_one_line_error(
        run_calo("import-keras --model c --generator " + a.generator_weights + " -o " + (dir / "c.pt")), 2, "--model");
    EXPECT_FALSE(fs::exists(dir / "c.pt"));
    EXPECT_EQ(list_files(dir.path().string()), std::vector<std::string>{"bad.h5"});
    // Existing output: refused, nothing overwritten
    ASSERT_EQ(run_command("echo keep > " + (dir / "c.pt")).exit_code, 0);
    expect_one_line_error(
        run_calo("import-keras --model a --generator " + a.generator_weights + " -o " + (dir / "c.pt")), 1,
        "--overwrite");
    EXPECT_EQ(read_bytes(dir / "c.pt"), "keep\n");
}

TEST(InferCommands, discriminate_scores_every_event)
{
    SKIP_UNLESS_REGISTERED();
    TempDir dir;
    ASSERT_EQ(
        run_calo("-q simulate -o " + (dir / "b") + " --events 3 --format b --energy 100:200 --theta 60:120").exit_code,
        0);
    auto const r = run_calo("discriminate --checkpoint " + imported_checkpoint('b') + " --input " + (dir / "b") +
                            " --batch 2 -o " + (dir / "scores.h5"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const datasets = io::read_float_datasets(dir / "scores.h5");
    for (char const* name : {"probability", "energy_estimate_gev", "ecal_gev", "angle_rad", "energy", "theta"})
    {
        auto const* d = find(datasets, name);
        ASSERT_TRUE(d) << name;
        EXPECT_EQ(d->shape, std::vector<std::size_t>{3}) << name;
    }
    for (float p : find(datasets, "probability")->values)
    {
        EXPECT_GE(p, 0);
        EXPECT_LE(p, 1);
    }

    // Layout b data for a model-A discriminator; a checkpoint without discriminator
    expect_one_line_error(run_calo("discriminate --checkpoint " + imported_checkpoint('a') + " --input " + (dir / "b") +
                                   " -o " + (dir / "x.h5")),
                          1, "51x51x25");
    expect_one_line_error(run_calo("discriminate --checkpoint " + imported_checkpoint('b', false) + " --input " +
                                   (dir / "b") + " -o " + (dir / "x.h5")),
                          1, "no discriminator");
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
}
}  // namespace calo::test
