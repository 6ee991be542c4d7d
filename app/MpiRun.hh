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
 * so no rank is left waiting. With a timeout (seconds, 0: none) every
 * collective has that deadline: a silent rank ends the job instead of hanging it.
 */
void run_on_all_ranks(std::function<void(Communicator const&)> const& body, double comm_timeout_seconds = 0);

//! Default of --comm-timeout [s]: far above a training step or an epoch's
//! test and validation on one rank (minutes on a CPU), far below a hang.
inline constexpr double kDefaultCommTimeoutSeconds = 1800;
}  // namespace calo::app
