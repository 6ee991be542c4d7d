#include "calo3dgan/base/Communicator.hh"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "calo3dgan/base/Error.hh"

#if CALO3DGAN_USE_MPI
#    include <mpi.h>
#endif

namespace calo
{
namespace
{
bool g_we_initialised = false;

#if CALO3DGAN_USE_MPI
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
#endif
}  // namespace

Communicator& Communicator::world()
{
    static Communicator instance;
    return instance;
}

Communicator::Communicator()
{
#if CALO3DGAN_USE_MPI
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised)
    {
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

void Communicator::barrier() const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
        check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
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
        check(MPI_Bcast(p + offset, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
    }
#else
    (void)data, (void)bytes, (void)root;
#endif
}

void Communicator::allreduce_sum(float* data, std::size_t count) const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
        check(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce");
#else
    (void)data, (void)count;
#endif
}

void Communicator::allreduce_sum(double* data, std::size_t count) const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
        check(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce");
#else
    (void)data, (void)count;
#endif
}

bool Communicator::any(bool flag) const
{
#if CALO3DGAN_USE_MPI
    if (size_ > 1)
    {
        int local = flag ? 1 : 0;
        int global = 0;
        check(MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD), "MPI_Allreduce");
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
    int const length = static_cast<int>(text.size());
    std::vector<int> lengths(size_);
    check(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    std::vector<int> offsets(size_, 0);
    for (int r = 1; r < size_; ++r)
        offsets[r] = offsets[r - 1] + lengths[r - 1];
    std::vector<char> all(offsets.back() + lengths.back());
    check(MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                         MPI_COMM_WORLD),
          "MPI_Allgatherv");
    for (int r = 0; r < size_; ++r)
        result[r].assign(all.data() + offsets[r], lengths[r]);
#endif
    return result;
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
}  // namespace calo
