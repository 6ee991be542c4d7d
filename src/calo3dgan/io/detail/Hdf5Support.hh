#pragma once
// Helpers shared by the io .cc files that talk to HDF5. No HDF5 type appears
// here, so that HDF5 headers stay inside the .cc files.
#include <string>

namespace calo::io::detail
{
//! Stop HDF5 from printing its error stack to stderr: errors are reported as
//! calo::InputError instead. Cheap; call at every entry point.
void silence_hdf5_errors();

//! Call inside a catch block: rethrow an H5::Exception as calo::InputError
//! "<what> (where: <where>: <HDF5 detail>) — <hint>"; other exceptions are
//! rethrown unchanged.
[[noreturn]] void rethrow_with_context(std::string const& what, std::string const& where, std::string const& hint);
}  // namespace calo::io::detail
