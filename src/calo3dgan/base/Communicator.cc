#include "calo3dgan/base/Communicator.hh"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "calo3dgan/base/Error.hh"

#if CALO3DGAN_USE_MPI
#    define OMPI_SKIP_MPICXX 1  // the C API only
#    define MPICH_SKIP_MPICXX 1
#    include <mpi.h>
#    if __has_include(<mpi-ext.h>)
#        include <mpi-ext.h>  // Open MPI: MPIX_Query_cuda_support
#    endif
#endif

namespace calo
{
namespace
{
#if CALO3DGAN_USE_MPI
bool g_we_initialised = false;

void check(int code, char const* what)
{
    if (code != MPI_SUCCESS)
    {
        char text[MPI_MAX_ERROR_STRING];
        int length = 0;
        MPI_Error_string(code, text, &length);
        throw InputError(std::string("MPI call failed (where: ") + what + ": " + text + ")");
    }
}

//! MPI counts are int; fusion buffers are far smaller, so refuse rather than split.
int checked_count(std::size_t count)
{
    if (count > static_cast<std::size_t>(INT_MAX))
        throw InputError("MPI message of " + std::to_string(count)
                         + " elements is too large for one call — use a smaller fusion buffer");
    return static_cast<int>(count);
}

//! MPI datatype of a C++ element type.
template<class T>
MPI_Datatype mpi_type();
template<>
MPI_Datatype mpi_type<float>()
{
    return MPI_FLOAT;
}
template<>
MPI_Datatype mpi_type<double>()
{
    return MPI_DOUBLE;
}
#endif

/*!
 * In-place reduction of `count` values over all ranks (nothing alone);
 * with `request`, started and left to MPI_Wait/MPI_Test.
 */
template<class T>
void allreduce_in_place([[maybe_unused]] int size, [[maybe_unused]] T* data, [[maybe_unused]] std::size_t count,
                        [[maybe_unused]] bool maximum, [[maybe_unused]] void* request = nullptr)
{
#if CALO3DGAN_USE_MPI
    if (size <= 1)
        return;
    MPI_Op const op = maximum ? MPI_MAX : MPI_SUM;
    MPI_Request local = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, checked_count(count), mpi_type<T>(), op, MPI_COMM_WORLD,
                         request ? static_cast<MPI_Request*>(request) : &local),
          "MPI_Iallreduce");
    if (!request)
        Communicator::world().complete(&local, "a gradient or value reduction (MPI_Allreduce)");
#endif
}
}  // namespace

struct Communicator::Request::Impl
{
#if CALO3DGAN_USE_MPI
    MPI_Request request = MPI_REQUEST_NULL;
#endif
};

Communicator::Request::Request() : impl_(std::make_unique<Impl>()) {}
Communicator::Request::~Request() = default;
Communicator::Request::Request(Request&&) noexcept = default;
Communicator::Request& Communicator::Request::operator=(Request&&) noexcept = default;

bool Communicator::Request::pending() const
{
#if CALO3DGAN_USE_MPI
    return impl_ && impl_->request != MPI_REQUEST_NULL;
#else
    return false;
#endif
}

bool Communicator::launched_by_mpi()
{
    if (char const* forced = std::getenv("CALO3DGAN_MPI"))
        return std::strcmp(forced, "0") != 0;
    // Open MPI's mpirun, MPICH/Intel MPI Hydra, MVAPICH, and srun with the
    // PMI-2 or PMIx plugin each set one of these.
    for (char const* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
        if (std::getenv(name))
            return true;
    return false;
}

Communicator& Communicator::world()
{
    static Communicator instance;
    return instance;
}

Communicator const& Communicator::local()
{
    static Communicator const instance{LocalTag{}};
    return instance;
}

Communicator::Communicator()
{
#if CALO3DGAN_USE_MPI
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised && !launched_by_mpi())
        return;  // a plain run: one rank, MPI never started
    if (!initialised)
    {
        // FUNNELED: only the main thread calls MPI (gradient hooks of CPU
        // tensors run on the thread that called backward).
        int provided = 0;
        check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
        g_we_initialised = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
#endif
}

void Communicator::finalize()
{
#if CALO3DGAN_USE_MPI
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (g_we_initialised && !finalised)
        MPI_Finalize();
#endif
}

void Communicator::set_deadline(double seconds)
{
    CALO_VALIDATE(seconds >= 0 && std::isfinite(seconds), "the communication deadline must be >= 0 seconds");
    deadline_seconds_ = seconds;
}

void Communicator::complete([[maybe_unused]] void* mpi_request, [[maybe_unused]] std::string const& operation) const
{
#if CALO3DGAN_USE_MPI
    auto* request = static_cast<MPI_Request*>(mpi_request);
    if (*request == MPI_REQUEST_NULL)
        return;
    if (deadline_seconds_ <= 0)
    {
        check(MPI_Wait(request, MPI_STATUS_IGNORE), "MPI_Wait");
        return;
    }
    // MPI alone waits forever for a silent peer (a killed or stopped rank, a
    // cut link): poll, spinning for the first millisecond (normal replies),
    // then sleeping briefly, and end the whole job at the deadline.
    using Clock = std::chrono::steady_clock;
    auto const start = Clock::now();
    auto const spin = start + std::chrono::milliseconds(1);
    auto const deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(deadline_seconds_));
    while (true)
    {
        int done = 0;
        check(MPI_Test(request, &done, MPI_STATUS_IGNORE), "MPI_Test");
        if (done)
            return;
        auto const now = Clock::now();
        if (now > deadline)
        {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%g", deadline_seconds_);
            abort(std::string("no answer from the other ranks within ") + seconds + " s in " + operation +
                  " — a rank died, hangs or lost its network link; the job ends (raise --comm-timeout if a step "
                  "can take that long)");
        }
        if (now > spin)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
#endif
}

void Communicator::barrier() const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
    {
        MPI_Request request = MPI_REQUEST_NULL;
        check(MPI_Ibarrier(MPI_COMM_WORLD, &request), "MPI_Ibarrier");
        complete(&request, "a barrier (MPI_Barrier)");
    }
#endif
}

void Communicator::broadcast(void* data, std::size_t bytes, int root) const
{
#if CALO3DGAN_USE_MPI
    if (size_ == 1)
        return;
    // MPI counts are int: send large buffers in pieces.
    constexpr std::size_t kPiece = std::size_t(1) << 30;
    auto* p = static_cast<char*>(data);
    for (std::size_t offset = 0; offset < bytes; offset += kPiece)
    {
        int const n = static_cast<int>(std::min(kPiece, bytes - offset));
        MPI_Request request = MPI_REQUEST_NULL;
        check(MPI_Ibcast(p + offset, n, MPI_BYTE, root, MPI_COMM_WORLD, &request), "MPI_Ibcast");
        complete(&request, "a broadcast from rank " + std::to_string(root) + " (MPI_Bcast)");
    }
#else
    (void)data, (void)bytes, (void)root;
#endif
}

void Communicator::allreduce_sum(float* data, std::size_t count) const
{
    allreduce_in_place(size_, data, count, false);
}

void Communicator::allreduce_sum(double* data, std::size_t count) const
{
    allreduce_in_place(size_, data, count, false);
}

void Communicator::allreduce_max(double* data, std::size_t count) const
{
    allreduce_in_place(size_, data, count, true);
}

Communicator::Request Communicator::iallreduce_sum(float* data, std::size_t count) const
{
    Request request;
#if CALO3DGAN_USE_MPI
    allreduce_in_place(size_, data, count, false, &request.impl_->request);
#else
    allreduce_in_place(size_, data, count, false);
#endif
    return request;
}

Communicator::Request Communicator::iallreduce_sum(double* data, std::size_t count) const
{
    Request request;
#if CALO3DGAN_USE_MPI
    allreduce_in_place(size_, data, count, false, &request.impl_->request);
#else
    allreduce_in_place(size_, data, count, false);
#endif
    return request;
}

Communicator::Request Communicator::ibarrier() const
{
    Request request;
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
        check(MPI_Ibarrier(MPI_COMM_WORLD, &request.impl_->request), "MPI_Ibarrier");
#endif
    return request;
}

bool Communicator::test(Request& request) const
{
#if CALO3DGAN_USE_MPI
    if (!request.pending())
        return true;
    int done = 0;
    check(MPI_Test(&request.impl_->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    return done != 0;
#else
    (void)request;
    return true;
#endif
}

void Communicator::wait(Request& request) const
{
#if CALO3DGAN_USE_MPI
    complete(&request.impl_->request, "a gradient reduction (MPI_Iallreduce)");
#else
    (void)request;
#endif
}

bool Communicator::any(bool flag) const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
    {
        int local = flag ? 1 : 0;
        int global = 0;
        MPI_Request request = MPI_REQUEST_NULL;
        check(MPI_Iallreduce(&local, &global, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD, &request), "MPI_Iallreduce");
        complete(&request, "the per-batch agreement of the ranks (MPI_Allreduce)");
        return global != 0;
    }
#endif
    return flag;
}

std::vector<std::string> Communicator::allgather(std::string const& text) const
{
    if (size_ == 1)
        return {text};
    std::vector<std::string> result(size_);
#if CALO3DGAN_USE_MPI
    int const length = checked_count(text.size());
    std::vector<int> lengths(size_);
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD, &request), "MPI_Iallgather");
    complete(&request, "a gather of texts (MPI_Allgather)");
    std::vector<int> offsets(size_, 0);
    for (int r = 1; r < size_; ++r)
        offsets[r] = offsets[r - 1] + lengths[r - 1];
    std::vector<char> all(offsets.back() + lengths.back());
    check(MPI_Iallgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                          MPI_COMM_WORLD, &request),
          "MPI_Iallgatherv");
    complete(&request, "a gather of texts (MPI_Allgatherv)");
    for (int r = 0; r < size_; ++r)
        result[r].assign(all.data() + offsets[r], lengths[r]);
#endif
    return result;
}

void Communicator::send_text(std::string const& text, int destination, int tag) const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
    {
        check(MPI_Send(text.data(), checked_count(text.size()), MPI_CHAR, destination, tag, MPI_COMM_WORLD),
              "MPI_Send");
        return;
    }
#endif
    (void)text, (void)tag;
    throw InputError("no rank " + std::to_string(destination) + " to send to: this is a single-process run");
}

std::optional<std::pair<int, std::string>> Communicator::try_receive_text(int tag) const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
    {
        int waiting = 0;
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &waiting, &status), "MPI_Iprobe");
        if (!waiting)
            return std::nullopt;
        int length = 0;
        MPI_Get_count(&status, MPI_CHAR, &length);
        std::string text(static_cast<std::size_t>(length), '\0');
        check(MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv");
        return std::make_pair(status.MPI_SOURCE, std::move(text));
    }
#endif
    (void)tag;
    return std::nullopt;
}

void Communicator::abort(std::string const& message, int code) const
{
    std::fprintf(stderr, "calo3dgan: rank %d: error: %s\n", rank_, message.c_str());
    std::fflush(stderr);
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
#endif
    std::exit(code);
}

int Communicator::local_rank() const
{
    if (size_ == 1)
        return 0;
    for (char const* name :
         {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "MV2_COMM_WORLD_LOCAL_RANK"})
        if (char const* value = std::getenv(name))
            return std::atoi(value);
    return 0;
}

bool Communicator::cuda_aware() const
{
#if CALO3DGAN_USE_MPI && defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
    // Compiled with CUDA support; ask the library actually loaded.
    return size_ > 1 && MPIX_Query_cuda_support() == 1;
#else
    return false;
#endif
}
}  // namespace calo
