#pragma once
// Run a subcommand on every MPI rank (or alone, without a launcher) with the
// error handling a distributed job needs.
#include <functional>

#include "calo3dgan/base/Communicator.hh"

namespace calo::app
{
/*!
 * Call body(world) and finalise MPI. Alone, errors propagate as usual. Under
 * mpirun, rank 0 logs and the others only warn; Ctrl-C (every rank stopped at
 * the same point) exits collectively with 130; any other error on any rank
 * aborts the whole job (MPI_Abort) with exit 2 for usage errors, 1 otherwise,
 * so no rank is left waiting.
 */
void run_on_all_ranks(std::function<void(Communicator const&)> const& body);
}  // namespace calo::app
