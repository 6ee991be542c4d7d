#include "calo3dgan/base/Interrupt.hh"

#include <atomic>
#include <csignal>

#include "calo3dgan/base/Error.hh"

namespace calo
{
namespace
{
std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int)
{
    g_interrupted.store(true);
}
}  // namespace

void install_interrupt_handler()
{
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}

bool interrupt_requested()
{
    return g_interrupted.load(std::memory_order_relaxed);
}

void throw_if_interrupted()
{
    if (interrupt_requested())
        throw Interrupted();
}

void set_interrupt_requested(bool value)
{
    g_interrupted.store(value);
}
}  // namespace calo
