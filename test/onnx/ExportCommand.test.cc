// calo3dgan export --format onnx, run as a user would: the exported models,
// evaluated in ONNX Runtime, give what `generate --latent` and `discriminate`
// give for the same inputs (models A and B, both generator graphs).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "CliHelpers.hh"
#include "OnnxRuntime.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::test
{
namespace
{
namespace fs = std::filesystem;
constexpr double kDegree = 3.14159265358979323846 / 180.0;
//! Agreement asked of ONNX Runtime against libtorch: both run the same float32
//! network; only the order of the sums differs.
constexpr double kTolerance = 1e-4;

/*!
 * A seeded checkpoint with Keras-initialised weights and BatchNorm moving
 * statistics and affine parameters moved away from (0, 1, 1, 0), so that the
 * exported graph must use inference-mode BatchNorm to agree.
 */
void save_checkpoint(std::string const& path, nn::ArchitectureConfig const& config, std::uint64_t seed,
                     bool with_discriminator)
{
    nn::Generator generator(config, seed);
    nn::Discriminator discriminator{nullptr};
    if (with_discriminator)
        discriminator = nn::Discriminator(config, seed + 1);
    torch::manual_seed(static_cast<std::uint64_t>(seed));
    torch::NoGradGuard no_grad;
    auto const perturb = [](torch::nn::Module& module)
    {
        for (auto const& child : module.modules(false))
        {
            if (auto* bn = child->as<torch::nn::BatchNorm3dImpl>())
            {
                bn->running_mean.uniform_(-0.2, 0.2);
                bn->running_var.uniform_(0.5, 2.0);
                bn->weight.uniform_(0.7, 1.3);
                bn->bias.uniform_(-0.2, 0.2);
            }
        }
    };
    perturb(*generator);
    if (discriminator)
        perturb(*discriminator);
    torch::serialize::OutputArchive archive;
    nn::write_checkpoint_entries(archive, config, generator, discriminator, "{}");
    nn::save_archive_atomically(archive, path);
}

io::FloatDataset dataset(std::string name, std::vector<std::size_t> shape, std::vector<float> values)
{
    io::FloatDataset d;
    d.path = std::move(name);
    d.shape = std::move(shape);
    d.values = std::move(values);
    return d;
}

io::FloatDataset const& find(std::vector<io::FloatDataset> const& datasets, std::string const& name)
{
    for (auto const& d : datasets)
    {
        if (d.path == name)
            return d;
    }
    throw std::runtime_error("no dataset " + name);
}

//! Inputs of N events: z ~ N(0, 1), energies [GeV] and (model B) angles [rad].
struct Latent
{
    std::size_t events = 0;
    std::size_t noise = 0;
    std::vector<float> z, energy_gev, theta_rad;

    std::map<std::string, FloatTensor> feeds(std::size_t count) const
    {
        auto const n = static_cast<std::int64_t>(count);
        std::map<std::string, FloatTensor> f;
        f["z"] = {{n, static_cast<std::int64_t>(noise)}, {z.begin(), z.begin() + count * noise}};
        f["energy_gev"] = {{n}, {energy_gev.begin(), energy_gev.begin() + count}};
        if (!theta_rad.empty())
            f["theta_rad"] = {{n}, {theta_rad.begin(), theta_rad.begin() + count}};
        return f;
    }
};

Latent make_latent(nn::ArchitectureConfig const& config, std::size_t events, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    bool const with_angle = config.family == nn::ModelFamily::b;
    std::uniform_real_distribution<float> energy(with_angle ? 100.0f : 10.0f, with_angle ? 200.0f : 500.0f);
    std::uniform_real_distribution<float> theta(static_cast<float>(60 * kDegree), static_cast<float>(120 * kDegree));
    Latent latent;
    latent.events = events;
    latent.noise = static_cast<std::size_t>(config.noise_size());
    for (std::size_t i = 0; i < events; ++i)
    {
        latent.energy_gev.push_back(energy(rng));
        if (with_angle)
            latent.theta_rad.push_back(theta(rng));
        for (std::size_t k = 0; k < latent.noise; ++k) latent.z.push_back(normal(rng));
    }
    return latent;
}

void write_latent_file(std::string const& path, Latent const& latent)
{
    std::vector<io::FloatDataset> datasets{dataset("z", {latent.events, latent.noise}, latent.z),
                                           dataset("energy", {latent.events}, latent.energy_gev)};
    if (!latent.theta_rad.empty())
        datasets.push_back(dataset("theta", {latent.events}, latent.theta_rad));
    io::write_float_datasets(path, datasets, "{}", false);
}

/*!
 * `generate` options that select calo3dgan's libtorch generator, the fp32
 * reference the exported graph reproduces: " --engine torch" once generate
 * has a faster default engine (which may compute in bf16), else nothing.
 */
std::string const& libtorch_generate_flags()
{
    static std::string const flags =
        run_calo("generate --help").output.find("--engine") != std::string::npos ? " --engine torch" : "";
    return flags;
}

void expect_ok(CommandResult const& r)
{
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

/*!
 * Export generator (both graphs) and discriminator of a seeded model; run them
 * in ONNX Runtime on the inputs of `generate --latent` and on its showers, and
 * compare with `generate` and `discriminate`.
 */
void check_against_cli(nn::ArchitectureConfig const& config, std::size_t events)
{
    CALO_REQUIRE_ONNX_RUNTIME();
    TempDir dir;
    auto const checkpoint = dir / "model.pt";
    save_checkpoint(checkpoint, config, 20190101, true);
    auto const latent = make_latent(config, events, 7);
    write_latent_file(dir / "latent.h5", latent);
    bool const with_angle = config.family == nn::ModelFamily::b;
    auto const& shape = config.image_shape;
    std::vector<std::int64_t> const cell_dims{static_cast<std::int64_t>(events), shape.nx, shape.ny, shape.nz};

    // The reference: libtorch through the CLI, cells in file units -> GeV
    expect_ok(run_calo("-q generate --checkpoint " + checkpoint + libtorch_generate_flags() + " --latent " +
                       (dir / "latent.h5") + " -o " + (dir / "showers.h5")));
    auto const showers = io::read_float_datasets(dir / "showers.h5");
    auto const layout = *event::layout_for_shape(shape);
    std::vector<float> cells_gev = find(showers, "ECAL").values;
    for (float& c : cells_gev) c = static_cast<float>(c * event::cell_unit_gev(layout));

    std::vector<std::string> expected_inputs{"z", "energy_gev"};
    if (with_angle)
        expected_inputs.push_back("theta_rad");
    for (std::string const graph : {"rewritten", "as-written"})
    {
        SCOPED_TRACE("generator graph " + graph);
        auto const model = dir / ("generator-" + graph + ".onnx");
        expect_ok(run_calo("-q export --checkpoint " + checkpoint + " -o " + model +
                           (graph == "as-written" ? " --as-written" : "")));
        EXPECT_EQ(onnx_checker_error(model), "");
        EXPECT_NE(read_bytes(model).find("calo3dgan.config_toml"), std::string::npos);
        auto const run = run_onnx(model, latent.feeds(events), dir / ("run-" + graph));
        EXPECT_EQ(run.input_names, expected_inputs);
        ASSERT_EQ(run.output_names, std::vector<std::string>{"cells_gev"});
        auto const& cells = run.outputs.at("cells_gev");
        EXPECT_EQ(cells.dims, cell_dims);
        EXPECT_TRUE(close_relative(cells.values, cells_gev, kTolerance));
    }
    // --layers-first: the same cells as (N, layer, x, y)
    {
        auto const model = dir / "generator-layers-first.onnx";
        expect_ok(run_calo("-q export --layers-first --checkpoint " + checkpoint + " -o " + model));
        auto const run = run_onnx(model, latent.feeds(events), dir / "run-layers-first");
        auto const& cells = run.outputs.at("cells_gev");
        EXPECT_EQ(cells.dims,
                  (std::vector<std::int64_t>{static_cast<std::int64_t>(events), shape.nz, shape.nx, shape.ny}));
        std::vector<float> expected(cells_gev.size());
        std::size_t k = 0;
        for (std::size_t n = 0; n < events; ++n)
            for (int z = 0; z < shape.nz; ++z)
                for (int x = 0; x < shape.nx; ++x)
                    for (int y = 0; y < shape.ny; ++y) expected[k++] = cells_gev[n * shape.size() + shape.index(x, y, z)];
        EXPECT_TRUE(close_relative(cells.values, expected, kTolerance));
    }
    // Dynamic batch: one event alone gives its shower
    {
        auto const run = run_onnx(dir / "generator-rewritten.onnx", latent.feeds(1), dir / "run-single");
        auto const& cells = run.outputs.at("cells_gev");
        EXPECT_EQ(cells.dims, (std::vector<std::int64_t>{1, shape.nx, shape.ny, shape.nz}));
        EXPECT_TRUE(close_relative(cells.values, {cells_gev.begin(), cells_gev.begin() + shape.size()}, kTolerance));
    }

    // Discriminator on the generated showers, against `discriminate`
    expect_ok(run_calo("-q discriminate --checkpoint " + checkpoint + " --input " + (dir / "showers.h5") + " -o " +
                       (dir / "scores.h5")));
    auto const scores = io::read_float_datasets(dir / "scores.h5");
    auto const model = dir / "discriminator.onnx";
    expect_ok(run_calo("-q export --discriminator --checkpoint " + checkpoint + " -o " + model));
    EXPECT_EQ(onnx_checker_error(model), "");
    auto const run = run_onnx(model, {{"cells_gev", FloatTensor{cell_dims, cells_gev}}}, dir / "run-discriminator");
    EXPECT_EQ(run.input_names, std::vector<std::string>{"cells_gev"});
    std::vector<std::string> heads{"probability", "energy_estimate_gev", "ecal_gev"};
    if (with_angle)
        heads.push_back("angle_rad");
    ASSERT_EQ(run.output_names, heads);
    for (auto const& head : heads)
    {
        SCOPED_TRACE("discriminator output " + head);
        auto const& out = run.outputs.at(head);
        EXPECT_EQ(out.dims, std::vector<std::int64_t>{static_cast<std::int64_t>(events)});
        EXPECT_TRUE(close_relative(out.values, find(scores, head).values, kTolerance));
    }
}
}  // namespace

TEST(ExportCommand, model_a_agrees_with_generate_and_discriminate)
{
    check_against_cli(nn::preset_a(), 4);
}

TEST(ExportCommand, model_b_agrees_with_generate_and_discriminate)
{
    check_against_cli(nn::preset_b(), 2);
}

TEST(ExportCommand, refuses_bad_input_and_leaves_nothing_behind)
{
    TempDir dir;
    auto const generator_only = dir / "generator-only.pt";
    save_checkpoint(generator_only, nn::preset_a(), 3, false);
    // A model whose 26x26x26 images fit no dataset layout: the cell units are unknown
    auto odd = nn::preset_a();
    odd.name = "odd-window";
    odd.image_shape = {26, 26, 26};
    odd.generator.blocks.back().kernel = {1, 1, 1};
    auto const odd_checkpoint = dir / "odd.pt";
    save_checkpoint(odd_checkpoint, odd, 4, true);
    ASSERT_EQ(run_command("echo keep > " + (dir / "exists.onnx")).exit_code, 0);
    ASSERT_EQ(run_command("echo not a checkpoint > " + (dir / "foreign.pt")).exit_code, 0);
    auto const before = list_files(dir.path().string());

    auto const out = " -o " + (dir / "out.onnx");
    expect_one_line_error(run_calo("export --discriminator --checkpoint " + generator_only + out), 1,
                          "no discriminator");
    expect_one_line_error(run_calo("export --checkpoint " + (dir / "foreign.pt") + out), 1, "foreign.pt");
    expect_one_line_error(run_calo("export --checkpoint " + (dir / "missing.pt") + out), 1, "missing.pt");
    expect_one_line_error(run_calo("export --checkpoint " + odd_checkpoint + out), 1, "no dataset layout");
    expect_one_line_error(run_calo("export --discriminator --checkpoint " + odd_checkpoint + out), 1,
                          "no dataset layout");
    expect_one_line_error(run_calo("export --checkpoint " + generator_only + " -o " + (dir / "exists.onnx")), 1,
                          "--overwrite");
    EXPECT_EQ(read_bytes(dir / "exists.onnx"), "keep\n");
    // Usage errors: formats and options
    expect_one_line_error(run_calo("export --checkpoint " + generator_only + " --format tflite" + out), 2,
                          "unknown export format");
    expect_one_line_error(run_calo("export --checkpoint " + generator_only + " -o " + (dir / "model.bin")), 2,
                          "--format");
    expect_one_line_error(run_calo("export --checkpoint " + generator_only + " --opset 11" + out), 2, "--opset");
    expect_one_line_error(run_calo("export --discriminator --layers-first --checkpoint " + odd_checkpoint + out), 2,
                          "generator only");
    EXPECT_EQ(list_files(dir.path().string()), before);  // no output, no temporary left

    // --overwrite replaces the file; any opset in the supported range works
    expect_ok(run_calo("-q export --checkpoint " + generator_only + " --opset 17 --overwrite -o " +
                       (dir / "exists.onnx")));
    EXPECT_NE(read_bytes(dir / "exists.onnx"), "keep\n");
    EXPECT_EQ(onnx_checker_error(dir / "exists.onnx"), "");
}
}  // namespace calo::test
