#include "DeviceOption.hh"

#include "calo3dgan/base/Error.hh"

namespace calo::app
{
torch::Device parse_device(std::string const& text)
{
    CALO_VALIDATE_USAGE(text == "cpu" || text.rfind("cuda", 0) == 0,
                        "unknown device '" + text + "' — use cpu, cuda or cuda:N");
    if (text == "cpu")
        return torch::kCPU;
    CALO_VALIDATE_USAGE(torch::cuda::is_available(),
                        "--device " + text + " asked for, but this libtorch has no CUDA or no GPU is visible — use "
                        "--device cpu, or build against a CUDA libtorch (see README)");
    try
    {
        torch::Device device(text);
        CALO_VALIDATE_USAGE(!device.has_index() || device.index() < static_cast<int>(torch::cuda::device_count()),
                            "no GPU " + text + " (found " + std::to_string(torch::cuda::device_count()) + ")");
        return device;
    }
    catch (c10::Error const&)
    {
        throw UsageError("cannot parse device '" + text + "' — use cpu, cuda or cuda:N");
    }
}

void configure_threads(int threads)
{
    CALO_VALIDATE_USAGE(threads >= 0, "--threads must be 0 (default) or positive");
    if (threads > 0)
        torch::set_num_threads(threads);
}
}  // namespace calo::app
