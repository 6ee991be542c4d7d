#include "calo3dgan/infer/KerasCheckpoint.hh"

#include <filesystem>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/KerasImport.hh"

namespace fs = std::filesystem;

namespace calo::infer
{
namespace
{
bool same_file(std::string const& a, std::string const& b)
{
    std::error_code ec;
    return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}
}  // namespace

void import_keras_checkpoint(KerasImportRequest const& request)
{
    auto const& out = request.output;
    CALO_VALIDATE(!out.empty(), "no output checkpoint given — give -o FILE");
    CALO_VALIDATE(!fs::is_directory(out), "output path is a folder (where: " + out + ") — give a checkpoint file name");
    CALO_VALIDATE(request.overwrite || !fs::exists(out),
                  "output file exists (where: " + out + ") — pass --overwrite or choose another -o");
    CALO_VALIDATE(!same_file(out, request.generator_file) && !same_file(out, request.discriminator_file),
                  "output would replace an input file (where: " + out + ") — choose another -o");
    nn::validate(request.config);

    // Read and check everything before anything is written
    nn::Generator generator(request.config, 0);
    nn::import_keras_generator(io::KerasWeightsFile::read(request.generator_file), *generator);
    nn::Discriminator discriminator{nullptr};
    if (!request.discriminator_file.empty())
    {
        discriminator = nn::Discriminator(request.config, 0);
        nn::import_keras_discriminator(io::KerasWeightsFile::read(request.discriminator_file), *discriminator);
    }

    fs::path const parent = fs::path(out).parent_path();
    ensure_writable_directory(parent.empty() ? std::string(".") : parent.string());
    torch::serialize::OutputArchive archive;
    nn::write_checkpoint_entries(archive, request.config, generator, discriminator,
                                 request.metadata_json.empty() ? "{}" : request.metadata_json);
    nn::save_archive_atomically(archive, out);
}
}  // namespace calo::infer
