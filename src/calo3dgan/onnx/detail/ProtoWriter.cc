#include "ProtoWriter.hh"

#include <cstring>

#include "calo3dgan/base/Error.hh"

namespace calo::onnx::detail
{
namespace
{
// Floats go out as raw little-endian bytes; every platform calo3dgan builds on
// (x86-64, aarch64, ppc64le) is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the ONNX writer assumes a little-endian host");
static_assert(sizeof(float) == 4, "IEEE single precision float expected");
}  // namespace

std::string encode_varint(std::uint64_t value)
{
    std::string out;
    while (value >= 0x80)
    {
        out.push_back(static_cast<char>((value & 0x7F) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
    return out;
}

void ProtoWriter::put_varint(std::uint64_t value)
{
    bytes_ += encode_varint(value);
}

void ProtoWriter::put_tag(int field, WireType type)
{
    CALO_EXPECT(field > 0);
    put_varint((static_cast<std::uint64_t>(field) << 3) | type);
}

void ProtoWriter::add_int(int field, std::int64_t value)
{
    put_tag(field, kVarint);
    // Negative int64 values are sent as 10-byte two's complement varints.
    put_varint(static_cast<std::uint64_t>(value));
}

void ProtoWriter::add_float(int field, float value)
{
    put_tag(field, kFixed32);
    char raw[4];
    std::memcpy(raw, &value, 4);
    bytes_.append(raw, 4);
}

void ProtoWriter::add_bytes(int field, std::string const& bytes)
{
    add_bytes(field, bytes.data(), bytes.size());
}

void ProtoWriter::add_bytes(int field, void const* data, std::size_t size)
{
    put_tag(field, kLengthDelimited);
    put_varint(size);
    bytes_.append(static_cast<char const*>(data), size);
}

void ProtoWriter::add_message(int field, ProtoWriter const& message)
{
    add_bytes(field, message.bytes_);
}

void ProtoWriter::add_packed_ints(int field, std::vector<std::int64_t> const& values)
{
    std::string payload;
    for (auto v : values) payload += encode_varint(static_cast<std::uint64_t>(v));
    add_bytes(field, payload);
}

void ProtoWriter::add_packed_floats(int field, std::vector<float> const& values)
{
    add_bytes(field, values.data(), values.size() * sizeof(float));
}
}  // namespace calo::onnx::detail
