#include "MpiRun.hh"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>

#include "calo3dgan/base/Error.hh"

namespace calo::app
{
void run_on_all_ranks(std::function<void(Communicator const&)> const& body, double comm_timeout_seconds)
{
    auto& comm = Communicator::world();  // MPI only under mpirun/srun
    comm.set_deadline(comm_timeout_seconds);
    if (comm.size() == 1)
    {
        // A plain run (or mpirun -np 1, which must still finalise MPI).
        try
        {
            body(comm);
        }
        catch (...)
        {
            Communicator::finalize();
            throw;
        }
        Communicator::finalize();
        return;
    }
    // Rank 0 logs; the others speak only when they fail.
    if (!comm.is_root())
        spdlog::set_level(spdlog::level::warn);
    try
    {
        body(comm);
    }
    catch (Interrupted const&)
    {
        // Every rank stopped at the same step and rank 0 saved a checkpoint:
        // a clean, collective exit.
        Communicator::finalize();
        if (comm.is_root())
            throw;
        std::exit(130);
    }
    catch (UsageError const& e)
    {
        comm.abort(e.what(), 2);
    }
    catch (std::exception const& e)
    {
        // A failing rank never leaves the others waiting: MPI_Abort ends them all.
        comm.abort(e.what(), 1);
    }
    Communicator::finalize();
}
}  // namespace calo::app
