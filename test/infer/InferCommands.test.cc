// import-keras, generate and discriminate, run as a user would.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "CliHelpers.hh"
#include "ModelFixture.hh"
#include "calo3dgan/inference/Generator.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"

namespace calo::test
{
namespace
{
namespace fs = std::filesystem;

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
    auto const r = run_calo("generate --checkpoint " + imported_checkpoint('b') + " --precision fp32 --latent " +
                            (dir / "latent.h5") + " -o " + (dir / "out.h5"));
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

//---------------------------------------------------------------------------//
// The inference engine behind `generate`, the model file and MPI splitting.
namespace
{
//! The ECAL values of a dataset file.
std::vector<float> ecal_of(std::string const& path)
{
    auto const datasets = io::read_float_datasets(path);
    auto const* ecal = find(datasets, "ECAL");
    EXPECT_TRUE(ecal) << path;
    return ecal ? ecal->values : std::vector<float>{};
}

double relative_l2(std::vector<float> const& a, std::vector<float> const& b)
{
    EXPECT_EQ(a.size(), b.size());
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    {
        diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
        norm += static_cast<double>(b[i]) * b[i];
    }
    return std::sqrt(diff / norm);
}

std::string mpirun()
{
    char const* path = std::getenv("CALO3DGAN_MPIEXEC");
    return (path && *path ? std::string(path) : std::string("mpirun")) + " --oversubscribe --allow-run-as-root";
}
}  // namespace

// fp32 engine against the libtorch path on the same seeded inputs: equal to
// float reassociation (required 1e-5 relative L2), for both model families.
TEST(InferCommands, generate_engine_matches_the_libtorch_generator)
{
    TempDir dir;
    for (char model : {'a', 'b'})
    {
        SCOPED_TRACE(model);
        auto const base = std::string("-q generate --checkpoint ") + imported_checkpoint(model) + " -n 6 --seed 3";
        auto const engine = run_calo(base + " --precision fp32 -o " + (dir / "engine.h5"));
        ASSERT_EQ(engine.exit_code, 0) << engine.output;
        auto const torch_run = run_calo(base + " --engine torch -o " + (dir / "torch.h5"));
        ASSERT_EQ(torch_run.exit_code, 0) << torch_run.output;
        auto const a = io::read_float_datasets(dir / "engine.h5");
        auto const b = io::read_float_datasets(dir / "torch.h5");
        EXPECT_EQ(find(a, "energy")->values, find(b, "energy")->values);
        EXPECT_LT(relative_l2(find(a, "ECAL")->values, find(b, "ECAL")->values), 1e-5);
        fs::remove(dir / "engine.h5");
        fs::remove(dir / "torch.h5");
    }
}

TEST(InferCommands, exported_model_file_generates_the_same_showers)
{
    TempDir dir;
    auto const& checkpoint = imported_checkpoint('a');
    auto const exported = run_calo("-q export --checkpoint " + checkpoint + " -o " + (dir / "generator.h5"));
    ASSERT_EQ(exported.exit_code, 0) << exported.output;
    auto const args = " -n 4 --energy 50:300 --seed 11 --precision fp32";
    ASSERT_EQ(run_calo("-q generate --checkpoint " + checkpoint + args + " -o " + (dir / "from_ckpt.h5")).exit_code, 0);
    auto const r = run_calo("-q generate --checkpoint " + (dir / "generator.h5") + args + " -o " + (dir / "from_model.h5"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(ecal_of(dir / "from_ckpt.h5"), ecal_of(dir / "from_model.h5"));

    // Bad input: existing output, discriminator asked of the engine format,
    // a model file for the torch engine, damaged model files.
    expect_one_line_error(run_calo("export --checkpoint " + checkpoint + " -o " + (dir / "generator.h5")), 1,
                          "--overwrite");
    expect_one_line_error(
        run_calo("export --checkpoint " + checkpoint + " --discriminator -o " + (dir / "d.h5")), 2, "--discriminator");
    EXPECT_FALSE(fs::exists(dir / "d.h5"));
    expect_one_line_error(run_calo("generate --checkpoint " + (dir / "generator.h5") + " -n 1 --engine torch -o " +
                                   (dir / "x.h5")),
                          2, "inference engine");
    auto const bytes = read_bytes(dir / "generator.h5");
    {
        std::ofstream truncated(dir / "truncated.h5", std::ios::binary);
        truncated.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    }
    auto const t = run_calo("generate --checkpoint " + (dir / "truncated.h5") + " -n 1 -o " + (dir / "x.h5"));
    EXPECT_NE(t.exit_code, 0);
    EXPECT_EQ(t.output.find("Segmentation"), std::string::npos) << t.output;
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
    // A model file whose weights have the wrong shape (rewritten with h5py, independently).
    fs::copy_file(dir / "generator.h5", dir / "reshaped.h5");
    ASSERT_EQ(run_command(python() + " -c \"import h5py, numpy as np; f = h5py.File('" + (dir / "reshaped.h5") +
                          "', 'a'); del f['blocks/1/weight']; f['blocks/1/weight'] = np.zeros((6, 64, 6, 5, 7), "
                          "'f4')\"")
                  .exit_code,
              0);
    expect_one_line_error(run_calo("generate --checkpoint " + (dir / "reshaped.h5") + " -n 1 -o " + (dir / "x.h5")), 1,
                          "blocks/1/weight");
    // A file of another format: the checkpoint given as -o of a training is no model file.
    expect_one_line_error(run_calo("generate --checkpoint " + (dir / "from_ckpt.h5") + " -n 1 -o " + (dir / "x.h5")),
                          1, "");
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
}

// The library's generate(seed, first_event) gives the showers of
// `calo3dgan generate --seed` for the same energies, event by event.
TEST(InferCommands, library_reproduces_seeded_generate)
{
    TempDir dir;
    auto const& checkpoint = imported_checkpoint('a');
    ASSERT_EQ(run_calo("-q export --checkpoint " + checkpoint + " -o " + (dir / "generator.h5")).exit_code, 0);
    auto const r = run_calo("-q generate --checkpoint " + (dir / "generator.h5") +
                            " -n 5 --energy 30:300 --seed 17 --precision fp32 -o " + (dir / "cli.h5"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const datasets = io::read_float_datasets(dir / "cli.h5");
    auto const& energy = find(datasets, "energy")->values;
    auto const generator = inference::Generator::load(dir / "generator.h5", {inference::Precision::fp32, 0});
    std::vector<float> cells(5 * 25 * 25 * 25), tail(2 * 25 * 25 * 25);
    generator.generate(5, energy.data(), nullptr, 17, 0, cells.data());
    EXPECT_EQ(cells, find(datasets, "ECAL")->values);
    // Events 3 and 4 alone, as a simulation asking for them one event later would.
    generator.generate(2, energy.data() + 3, nullptr, 17, 3, tail.data());
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), cells.begin() + 3 * 25 * 25 * 25));
}

// A CPU without native bf16 (oneDNN told to stop at AVX-512 core): auto gives
// fp32, and asking for bf16 is one clear error.
TEST(InferCommands, bf16_is_refused_where_the_cpu_lacks_it)
{
    TempDir dir;
    auto const& checkpoint = imported_checkpoint('a');
    auto const no_bf16 = "DNNL_MAX_CPU_ISA=AVX512_CORE ";
    auto const r = run_command(std::string(no_bf16) + calo_binary() + " generate --checkpoint " + checkpoint +
                               " -n 2 --precision bf16 -o " + (dir / "x.h5"));
    expect_one_line_error(r, 1, "bf16");
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
    auto const ok = run_command(std::string(no_bf16) + calo_binary() + " generate --checkpoint " + checkpoint +
                                " -n 2 -o " + (dir / "auto.h5"));
    ASSERT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("fp32"), std::string::npos) << ok.output;
}

// mpirun splits the events by index; the files together are the single-process output.
TEST(InferCommands, generate_under_mpirun_splits_events_by_index)
{
    TempDir dir;
    auto const& checkpoint = imported_checkpoint('a');
    auto const args = " generate --checkpoint " + checkpoint + " -n 7 --energy 20:400 --seed 5 --precision fp32";
    ASSERT_EQ(run_calo("-q" + args + " -o " + (dir / "single.h5")).exit_code, 0);
    auto const r = run_command("OMP_NUM_THREADS=1 timeout -k 10 300 " + mpirun() + " -np 2 " + calo_binary() + " -q" +
                               args + " -o " + (dir / "parts"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const first = ecal_of(dir / "parts/showers-0000.h5");
    auto const second = ecal_of(dir / "parts/showers-0001.h5");
    std::size_t const cells = 25 * 25 * 25;
    EXPECT_EQ(first.size(), 3 * cells);
    EXPECT_EQ(second.size(), 4 * cells);
    auto joined = first;
    joined.insert(joined.end(), second.begin(), second.end());
    EXPECT_EQ(joined, ecal_of(dir / "single.h5"));
}
}  // namespace calo::test
