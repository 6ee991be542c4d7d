#pragma once
// A thin MPI communicator: the only place that talks to MPI.
//
// Without MPI (CALO3DGAN_USE_MPI=OFF, or a run not started under mpirun) it
// behaves as a single rank, so serial code paths need no special cases.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace calo
{
class Communicator
{
  public:
    //! The world communicator; initialises MPI on first use if needed.
    static Communicator& world();

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool is_root() const { return rank_ == 0; }

    void barrier() const;
    //! Broadcast `bytes` bytes from `root` in place.
    void broadcast(void* data, std::size_t bytes, int root = 0) const;
    //! Element-wise sum over ranks, in place.
    void allreduce_sum(float* data, std::size_t count) const;
    void allreduce_sum(double* data, std::size_t count) const;
    //! Logical OR over ranks: used so that one failing rank stops them all.
    bool any(bool flag) const;
    //! Gather one string per rank on every rank.
    std::vector<std::string> allgather(std::string const& text) const;
    //! Kill the whole job (MPI_Abort) after printing `message`.
    [[noreturn]] void abort(std::string const& message, int code = 1) const;

    //! Finalise MPI if this process initialised it.
    static void finalize();

  private:
    Communicator();
    int rank_ = 0;
    int size_ = 1;
};
}  // namespace calo
