#include "DeviceOption.hh"

#include <algorithm>
#include <cstdlib>
#include <thread>

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

namespace
{
//! Processes of this job on this node, from the launcher's environment.
int processes_on_node()
{
    for (char const* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
    {
        if (char const* value = std::getenv(name))
        {
            int const n = std::atoi(value);
            if (n > 0)
                return n;
        }
    }
    return 1;
}
}  // namespace

int configure_threads(int threads)
{
    CALO_VALIDATE_USAGE(threads >= 0, "--threads must be 0 (all cores) or positive");
    // libtorch's OpenMP default may be a single thread: 0 means this process's
    // share of the node's cores.
    if (threads == 0)
        threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / processes_on_node());
    torch::set_num_threads(threads);
    return threads;
}
}  // namespace calo::app
