#pragma once
// Tests that run under mpirun: MPI is finalised after the last test, on every
// rank (ranks that exit without it fail the job). Include it in the test file;
// the environment is registered once per program.
#include <gtest/gtest.h>

#include "calo3dgan/base/Communicator.hh"

namespace calo::test
{
class MpiEnvironment : public ::testing::Environment
{
  public:
    void TearDown() override
    {
        Communicator::world().barrier();
        Communicator::finalize();
    }
};

inline ::testing::Environment* const kMpiEnvironment = ::testing::AddGlobalTestEnvironment(new MpiEnvironment);

//! The world communicator (all ranks of the test job).
inline Communicator const& comm()
{
    return Communicator::world();
}
}  // namespace calo::test
