#pragma once
// Device and thread options shared by the torch-using subcommands.
#include <string>

#include <torch/torch.h>

namespace calo::app
{
//! "cpu", "cuda" or "cuda:N"; UsageError if CUDA is asked for but absent.
torch::Device parse_device(std::string const& text);
//! Set libtorch's intra-op threads (0: the cores of this node divided by the
//! job's processes on it) and return the count.
int configure_threads(int threads);
}  // namespace calo::app
