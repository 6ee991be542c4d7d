#include "calo3dgan/io/detail/Hdf5Support.hh"

#include <H5Cpp.h>

#include <exception>

#include "calo3dgan/base/Error.hh"

namespace calo::io::detail
{
namespace
{
// The most specific message of the last HDF5 failure. It is recorded when the
// failure happens because the error stack is cleared by the next HDF5 call,
// e.g. the H5Sclose of a DataSpace destroyed while the exception unwinds.
thread_local std::string last_hdf5_error;

herr_t record_innermost(unsigned n, H5E_error2_t const* err, void* data)
{
    if (n == 0 && err && err->desc && *err->desc)
        *static_cast<std::string*>(data) = err->desc;
    return 0;
}

//! HDF5's automatic error handler: record instead of printing to stderr.
herr_t record_error(hid_t stack, void*)
{
    std::string message;
    H5Ewalk2(stack, H5E_WALK_UPWARD, record_innermost, &message);
    if (!message.empty())
        last_hdf5_error = message;
    return 0;
}
/*!
 * HDF5's file-driver messages run over several lines ("file write failed:
 * time = ..., filename = ..., errno = 28, error message = 'No space left on
 * device', ..."): keep the system's reason, on one line.
 */
std::string one_line(std::string const& detail)
{
    auto const key = std::string("error message = '");
    auto const at = detail.find(key);
    if (at != std::string::npos)
    {
        auto const end = detail.find('\'', at + key.size());
        auto const head = detail.substr(0, detail.find(':'));
        if (end != std::string::npos)
            return head + ": " + detail.substr(at + key.size(), end - at - key.size());
    }
    std::string line = detail;
    for (char& c : line)
    {
        if (c == '\n' || c == '\r')
            c = ' ';
    }
    return line;
}
}  // namespace

void silence_hdf5_errors()
{
    H5Eset_auto2(H5E_DEFAULT, record_error, nullptr);
    last_hdf5_error.clear();
}

void rethrow_with_context(std::string const& what, std::string const& where, std::string const& hint)
{
    std::string detail;
    std::swap(detail, last_hdf5_error);
    try
    {
        throw;
    }
    catch (H5::Exception const& e)
    {
        if (detail.empty())
            detail = e.getDetailMsg();
        detail = one_line(detail);
        throw InputError(what + " (where: " + where + (detail.empty() ? "" : ": " + detail) + ") — " + hint);
    }
}
}  // namespace calo::io::detail
