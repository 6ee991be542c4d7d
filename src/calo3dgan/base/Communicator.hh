#pragma once
// A thin MPI communicator: the only place that talks to MPI.
//
// Without MPI (CALO3DGAN_USE_MPI=OFF, or a run not started under mpirun) it
// behaves as a single rank, so serial code paths need no special cases. MPI
// is initialised only when a launcher (mpirun, mpiexec, srun) started the
// process, so a plain run never pays for (or depends on) MPI start-up.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace calo
{
class Communicator
{
  public:
    //! A pending non-blocking operation (MPI_Request). Move-only; complete it
    //! with wait() before the buffers it uses go away.
    class Request
    {
      public:
        Request();
        ~Request();
        Request(Request&&) noexcept;
        Request& operator=(Request&&) noexcept;
        //! True between the start of an operation and its completion.
        bool pending() const;

      private:
        friend class Communicator;
        struct Impl;
        std::unique_ptr<Impl> impl_;
    };

    //! The world communicator; initialises MPI on first use if the process
    //! was started by an MPI launcher.
    static Communicator& world();
    //! This process alone (rank 0 of 1), for work that must not be shared
    //! with the other ranks (one candidate of a search, trained by one rank).
    static Communicator const& local();
    //! True if an MPI launcher started this process (environment of mpirun,
    //! mpiexec or srun's PMI/PMIx), whatever the number of ranks.
    static bool launched_by_mpi();

    int rank() const { return rank_; }
    int size() const { return size_; }
    //! Rank among the processes of this node, from the launcher's
    //! environment (0 if unknown): picks one GPU per rank.
    int local_rank() const;
    bool is_root() const { return rank_ == 0; }

    void barrier() const;
    //! Broadcast `bytes` bytes from `root` in place.
    void broadcast(void* data, std::size_t bytes, int root = 0) const;
    //! Element-wise sum over ranks, in place.
    void allreduce_sum(float* data, std::size_t count) const;
    void allreduce_sum(double* data, std::size_t count) const;
    //! Start an in-place element-wise sum over ranks (MPI_Iallreduce). Every
    //! rank must start its non-blocking collectives in the same order.
    Request iallreduce_sum(float* data, std::size_t count) const;
    Request iallreduce_sum(double* data, std::size_t count) const;
    //! Start a barrier without blocking (MPI_Ibarrier).
    Request ibarrier() const;
    //! Drive progress; true (and the request done) if it has completed.
    bool test(Request& request) const;
    //! Block until the operation has completed; no-op on a finished request.
    void wait(Request& request) const;
    //! Element-wise maximum over ranks, in place.
    void allreduce_max(double* data, std::size_t count) const;
    //! Logical OR over ranks: used so that one failing rank stops them all.
    bool any(bool flag) const;
    //! Gather one string per rank on every rank.
    std::vector<std::string> allgather(std::string const& text) const;
    //! Send a text to one rank (MPI_Send; small messages of work queues).
    //! Main thread only, as every MPI call here (MPI_THREAD_FUNNELED).
    void send_text(std::string const& text, int destination, int tag) const;
    //! A message with `tag` from any rank if one is waiting (MPI_Iprobe, then
    //! MPI_Recv): its source and text; never blocks.
    std::optional<std::pair<int, std::string>> try_receive_text(int tag) const;
    //! Kill the whole job (MPI_Abort) after printing `message`.
    [[noreturn]] void abort(std::string const& message, int code = 1) const;

    /*!
     * Deadline of every collective and wait [s] (0: none, MPI's own
     * unbounded wait). A silent peer then ends the job within the deadline
     * with one line naming this rank and the operation, instead of a hang.
     */
    void set_deadline(double seconds);
    double deadline() const { return deadline_seconds_; }
    //! Wait for the MPI request behind `mpi_request` (an MPI_Request*) under
    //! the deadline; `operation` names it in the message.
    void complete(void* mpi_request, std::string const& operation) const;
    //! True if MPI can read and write device (CUDA) memory directly.
    bool cuda_aware() const;

    //! Finalise MPI if this process initialised it.
    static void finalize();

  private:
    Communicator();
    struct LocalTag
    {
    };
    explicit Communicator(LocalTag) {}
    int rank_ = 0;
    int size_ = 1;
    double deadline_seconds_ = 0;
};
}  // namespace calo
