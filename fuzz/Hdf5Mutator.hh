#pragma once
// Structure-level mutation of HDF5 files for the fuzzing harnesses: the
// fuzzer's bytes choose objects of a valid file and what happens to them
// (attributes deleted or replaced by integers or strings of any content,
// datasets deleted, refilled with NaN, Inf, huge or negative values,
// retyped, or redeclared with absurd extents and nothing stored; the file
// possibly truncated), so that readers meet broken structure, not only
// broken bytes that HDF5 itself rejects.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace calo::fuzz
{
//! The fuzzer's bytes, read front to back; zeros once used up.
class Bytes
{
  public:
    Bytes(std::uint8_t const* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return next_ >= size_; }
    std::uint8_t byte() { return next_ < size_ ? data_[next_++] : 0; }
    std::uint64_t number(int bytes)
    {
        std::uint64_t value = 0;
        for (int i = 0; i < bytes; ++i) value = value << 8 | byte();
        return value;
    }

  private:
    std::uint8_t const* data_;
    std::size_t size_;
    std::size_t next_ = 0;
};

//! Apply up to `max_mutations` mutations chosen by `in` to the HDF5 file at
//! `path` (a copy of a valid file), then maybe truncate it.
//!
//! `names`: root datasets the reader looks up. Given, two more mutations
//! are chosen too: a dataset of one of these names added or replaced (any
//! small shape, a float, integer or string type, NaN, Inf, negative or huge
//! values: extra and missing keys), and a dataset stored again with other
//! chunking, compression and fill value (some chunks possibly never
//! written). Without names the choices are the original six, so that the
//! corpora of the older harnesses keep their meaning.
void mutate_structure(std::string const& path, Bytes& in, int max_mutations = 8,
                      std::vector<std::string> const& names = {});

//! Copy a valid file over the case file. Retried when interrupted:
//! libFuzzer's timeout timer (SIGALRM) can interrupt the kernel's copy.
void copy_valid_file(std::string const& from, std::string const& to);

//! Trap unless every HDF5 file, group, dataset and attribute is closed:
//! called after each input, it turns an identifier left open on an error
//! path (memory that grows with each bad file) into a finding.
void require_all_closed();
}  // namespace calo::fuzz
