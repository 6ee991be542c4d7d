// Checkpoint files: save/load round trip, run folders, and clear errors for
// missing, damaged and foreign files.
#include "calo3dgan/nn/Checkpoint.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "ErrorMessage.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::nn
{
namespace fs = std::filesystem;

namespace
{
//! A model-B config with non-default values wherever a round trip could lose them.
ArchitectureConfig custom_config()
{
    auto config = preset_b();
    config.name = "my-3dgan-b \"v2\"";
    config.train.learning_rate = 3.25e-4;
    config.train.batch_size = 24;
    config.train.epochs = 7;
    config.train.loss_weights = {3.5, 0.125, 20.0, 0.2};
    config.leaky_relu_slope = 0.2;
    config.batchnorm.epsilon = 2.5e-6;
    return config;
}

//! Give every buffer (BatchNorm running statistics, counters) a non-default
//! value, so that a round trip that dropped one would be seen.
void perturb_buffers(torch::nn::Module& module, std::uint64_t seed)
{
    torch::manual_seed(seed);
    torch::NoGradGuard no_grad;
    for (auto& buffer : module.buffers())
    {
        if (buffer.is_floating_point())
            buffer.uniform_(0.5, 1.5);
        else
            buffer.fill_(17);
    }
}

//! Every named parameter and buffer of `a` equals `b`'s, bit for bit.
::testing::AssertionResult same_state(torch::nn::Module const& a, torch::nn::Module const& b)
{
    auto const pa = a.named_parameters(), pb = b.named_parameters();
    auto const ba = a.named_buffers(), bb = b.named_buffers();
    if (pa.size() != pb.size() || ba.size() != bb.size())
        return ::testing::AssertionFailure() << "different numbers of tensors";
    for (auto const& [items_a, items_b] : {std::pair{&pa, &pb}, std::pair{&ba, &bb}})
        for (auto const& item : *items_a)
        {
            auto const* other = items_b->find(item.key());
            if (!other)
                return ::testing::AssertionFailure() << item.key() << " is missing";
            if (other->scalar_type() != item.value().scalar_type() || !torch::equal(*other, item.value()))
                return ::testing::AssertionFailure() << item.key() << " differs";
        }
    return ::testing::AssertionSuccess();
}

struct Saved
{
    ArchitectureConfig config;
    Generator generator{nullptr};
    Discriminator discriminator{nullptr};
};

//! Write a checkpoint with both networks, a metadata JSON and one extra entry.
Saved save_checkpoint(std::string const& path, std::string const& metadata_json)
{
    Saved saved{custom_config()};
    saved.generator = Generator(saved.config, 11);
    saved.discriminator = Discriminator(saved.config, 12);
    perturb_buffers(*saved.generator, 13);
    perturb_buffers(*saved.discriminator, 14);
    torch::serialize::OutputArchive archive;
    write_checkpoint_entries(archive, saved.config, saved.generator, saved.discriminator, metadata_json);
    archive.write("optimizer_step", torch::tensor({42}, torch::kInt64));
    save_archive_atomically(archive, path);
    return saved;
}
}  // namespace

TEST(Checkpoint, RoundTripIsBitForBit)
{
    test::TempDir dir;
    std::string const path = dir / "epoch0007.pt";
    std::string const metadata = R"({"epoch":7,"note":"quotes \" and \\ and ü","seed":12345678901234})";
    auto saved = save_checkpoint(path, metadata);
    // Only the final file: the temporary was renamed into place.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);

    auto loaded = load_checkpoint(path);
    EXPECT_EQ(loaded.path, path);
    EXPECT_TRUE(loaded.config == saved.config);
    EXPECT_EQ(loaded.config.name, "my-3dgan-b \"v2\"");
    EXPECT_EQ(loaded.config.train.loss_weights, (std::vector<double>{3.5, 0.125, 20.0, 0.2}));
    EXPECT_EQ(loaded.metadata_json, metadata);
    ASSERT_TRUE(loaded.generator);
    ASSERT_TRUE(loaded.discriminator);
    EXPECT_TRUE(same_state(*loaded.generator, *saved.generator));
    EXPECT_TRUE(same_state(*loaded.discriminator, *saved.discriminator));
    EXPECT_TRUE(loaded.generator->config() == saved.config);

    // Extra entries stay readable from the open archive.
    torch::Tensor step;
    loaded.archive.read("optimizer_step", step);
    EXPECT_EQ(step.item<std::int64_t>(), 42);

    // The same weights give the same images.
    saved.generator->eval();
    loaded.generator->eval();
    torch::NoGradGuard no_grad;
    torch::manual_seed(3);
    auto const noise = torch::randn({2, saved.config.noise_size()});
    auto const conditions = torch::tensor({{1.5f, 1.6f}, {1.2f, 1.9f}});
    EXPECT_TRUE(torch::equal(loaded.generator->forward(noise, conditions),
                             saved.generator->forward(noise, conditions)));
}

TEST(Checkpoint, GeneratorOnly)
{
    test::TempDir dir;
    auto const config = preset_a();
    Generator generator(config, 5);
    torch::serialize::OutputArchive archive;
    write_checkpoint_entries(archive, config, generator, Discriminator{nullptr}, "{}");
    save_archive_atomically(archive, dir / "g.pt");
    auto const loaded = load_checkpoint(dir / "g.pt");
    EXPECT_TRUE(loaded.config == config);
    EXPECT_TRUE(same_state(*loaded.generator, *generator));
    EXPECT_FALSE(loaded.discriminator);
    EXPECT_EQ(loaded.metadata_json, "{}");
}

TEST(Checkpoint, RunFolderMeansItsLatestCheckpoint)
{
    test::TempDir dir;
    fs::create_directories(dir.path() / run_layout::kCheckpointDir);
    auto const saved
        = save_checkpoint((dir.path() / run_layout::kCheckpointDir / "epoch0003.pt").string(), R"({"epoch":3})");
    std::ofstream(dir / run_layout::kLatestFile) << "epoch0003.pt\n";

    std::string const expected = (dir.path() / "checkpoints" / "epoch0003.pt").string();
    EXPECT_EQ(resolve_checkpoint_path(dir.path().string()), expected);
    // A file argument is returned as it is.
    EXPECT_EQ(resolve_checkpoint_path(expected), expected);
    auto const loaded = load_checkpoint(dir.path().string());
    EXPECT_EQ(loaded.path, expected);
    EXPECT_EQ(loaded.metadata_json, R"({"epoch":3})");
    EXPECT_TRUE(same_state(*loaded.generator, *saved.generator));
}

TEST(Checkpoint, MissingFilesAndFoldersAreClearErrors)
{
    test::TempDir dir;
    auto const missing = test::error_message([&] { load_checkpoint(dir / "nothing.pt"); });
    EXPECT_CONTAINS(missing, "checkpoint not found");
    EXPECT_CONTAINS(missing, dir / "nothing.pt");

    // A run folder before its first checkpoint.
    fs::create_directories(dir / "run");
    auto const untrained = test::error_message([&] { load_checkpoint(dir / "run"); });
    EXPECT_CONTAINS(untrained, "no checkpoint yet");
    EXPECT_CONTAINS(untrained, "latest");

    // `latest` names a file that is gone.
    std::ofstream(dir / "run/latest") << "epoch0009.pt\n";
    auto const gone = test::error_message([&] { load_checkpoint(dir / "run"); });
    EXPECT_CONTAINS(gone, "latest checkpoint is missing");
    EXPECT_CONTAINS(gone, "epoch0009.pt");
}

TEST(Checkpoint, DamagedAndForeignFilesAreClearErrors)
{
    test::TempDir dir;
    std::string const good = dir / "good.pt";
    save_checkpoint(good, "{}");

    // Cut in half (an interrupted copy).
    std::string const truncated = dir / "truncated.pt";
    {
        std::ifstream in(good, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    }
    auto const cut = test::error_message([&] { load_checkpoint(truncated); });
    EXPECT_CONTAINS(cut, "cannot read checkpoint");
    EXPECT_CONTAINS(cut, truncated);
    EXPECT_CONTAINS(cut, "is it a calo3dgan checkpoint?");
    // One line, without libtorch's stack of frames.
    EXPECT_EQ(cut.find("frame #"), std::string::npos) << cut;

    // Not an archive at all.
    std::string const text = dir / "notes.pt";
    std::ofstream(text) << "these are not weights\n";
    EXPECT_CONTAINS(test::error_message([&] { load_checkpoint(text); }), "cannot read checkpoint");

    // A valid torch archive of something else.
    std::string const foreign = dir / "foreign.pt";
    {
        torch::serialize::OutputArchive archive;
        archive.write("weights", torch::ones({3}));
        archive.save_to(foreign);
    }
    auto const other = test::error_message([&] { load_checkpoint(foreign); });
    EXPECT_CONTAINS(other, "not a calo3dgan checkpoint");
    EXPECT_CONTAINS(other, foreign);

    // A future format version.
    std::string const future = dir / "future.pt";
    {
        torch::serialize::OutputArchive archive;
        archive.write("calo3dgan_checkpoint_format", c10::IValue(std::int64_t(2)));
        archive.save_to(future);
    }
    EXPECT_CONTAINS(test::error_message([&] { load_checkpoint(future); }), "unsupported checkpoint format 2");

    // The right format without its metadata entry.
    std::string const no_metadata = dir / "no_metadata.pt";
    {
        torch::serialize::OutputArchive archive;
        archive.write("calo3dgan_checkpoint_format", c10::IValue(std::int64_t(1)));
        archive.write("config_toml", c10::IValue(to_toml_string(preset_a())));
        archive.save_to(no_metadata);
    }
    EXPECT_CONTAINS(test::error_message([&] { load_checkpoint(no_metadata); }), "no 'metadata_json' entry");

    // Weights of model A under the config of model B (B's extra layers are
    // missing from the file).
    std::string const mismatched = dir / "mismatched.pt";
    {
        torch::serialize::OutputArchive archive;
        archive.write("calo3dgan_checkpoint_format", c10::IValue(std::int64_t(1)));
        archive.write("config_toml", c10::IValue(to_toml_string(preset_b())));
        archive.write("metadata_json", c10::IValue(std::string("{}")));
        torch::serialize::OutputArchive generator;
        Generator(preset_a(), 1)->save(generator);
        archive.write("generator", generator);
        archive.write("has_discriminator", c10::IValue(false));
        archive.save_to(mismatched);
    }
    auto const mismatch = test::error_message([&] { load_checkpoint(mismatched); });
    EXPECT_CONTAINS(mismatch, "does not match its own config");
    EXPECT_CONTAINS(mismatch, mismatched);

    // The same layer names with other shapes (more filters in one block):
    // reading would replace the tensors; the loader compares the shapes.
    std::string const reshaped = dir / "reshaped.pt";
    auto wider = preset_a();
    wider.generator.blocks[1].filters = 7;
    {
        torch::serialize::OutputArchive archive;
        archive.write("calo3dgan_checkpoint_format", c10::IValue(std::int64_t(1)));
        archive.write("config_toml", c10::IValue(to_toml_string(preset_a())));
        archive.write("metadata_json", c10::IValue(std::string("{}")));
        torch::serialize::OutputArchive generator;
        Generator(wider, 1)->save(generator);
        archive.write("generator", generator);
        archive.write("has_discriminator", c10::IValue(false));
        archive.save_to(reshaped);
    }
    auto const shapes = test::error_message([&] { load_checkpoint(reshaped); });
    EXPECT_CONTAINS(shapes, "does not match its own config");
    EXPECT_CONTAINS(shapes, "generator tensor batchnorm1.bias has shape (7), the config gives (6)");
}

// Found by fuzz/CheckpointFuzzer.cc: a damaged type name in the archive made
// libtorch throw a torch::jit::ErrorReport (or std::out_of_range for the name
// of another type), not a c10::Error, which escaped the loader with several
// lines of TorchScript source.
TEST(Checkpoint, DamagedTorchScriptTypeIsOneLineInputError)
{
    test::TempDir dir;
    std::string const path = dir / "damaged_code.pt";
    save_checkpoint(path, "{}");
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    // The class of a submodule in the archive's pickle ("c__torch__.___torch_mangle_1\nModule\n"):
    // one letter changed, so that its TorchScript type is unknown.
    auto const global = bytes.find("c__torch__.___torch_mangle_1\nModule\n");
    ASSERT_NE(global, std::string::npos);
    bytes[bytes.find("Module", global) + 5] = 'f';
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

    auto const message = test::error_message([&] { load_checkpoint(path); });
    EXPECT_CONTAINS(message, "cannot read checkpoint");
    EXPECT_CONTAINS(message, path);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// Found by fuzz/CheckpointFuzzer.cc: the networks are built from the config
// before the stored tensors are compared, so a config edited to a million
// filters made a small file allocate gigabytes.
TEST(Checkpoint, ConfigDeclaringMoreThanTheFileHoldsIsRefusedBeforeBuilding)
{
    test::TempDir dir;
    std::string const path = dir / "huge_config.pt";
    auto huge = preset_a();
    huge.generator.blocks[0].filters = 1000000;  // 2.9e9 generator values
    {
        torch::serialize::OutputArchive archive;
        archive.write("calo3dgan_checkpoint_format", c10::IValue(std::int64_t(1)));
        archive.write("config_toml", c10::IValue(to_toml_string(huge)));
        archive.write("metadata_json", c10::IValue(std::string("{}")));
        torch::serialize::OutputArchive generator;
        Generator(preset_a(), 1)->save(generator);
        archive.write("generator", generator);
        archive.write("has_discriminator", c10::IValue(false));
        archive.save_to(path);
    }
    auto const message = test::error_message([&] { load_checkpoint(path); });
    EXPECT_CONTAINS(message, "does not match its own config");
    EXPECT_CONTAINS(message, "the config declares networks of");
    EXPECT_CONTAINS(message, path);
}

TEST(Checkpoint, UnwritablePathLeavesNothingBehind)
{
    test::TempDir dir;
    torch::serialize::OutputArchive archive;
    write_checkpoint_entries(archive, preset_a(), Generator(preset_a(), 1), Discriminator{nullptr}, "{}");
    auto const error = test::error_message([&] { save_archive_atomically(archive, dir / "no/such/folder/c.pt"); });
    EXPECT_CONTAINS(error, "cannot write the checkpoint");
    EXPECT_CONTAINS(error, "no/such/folder/c.pt");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 0);
}
}  // namespace calo::nn
