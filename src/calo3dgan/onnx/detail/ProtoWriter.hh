#pragma once
// A minimal protocol-buffers wire-format encoder: just what ONNX's ModelProto
// needs (varints, 32-bit floats, length-delimited strings, bytes and nested
// messages, packed repeated scalars). Protocol buffers encoding as documented
// by the protobuf project ("Encoding": tag = field << 3 | wire type).
#include <cstdint>
#include <string>
#include <vector>

namespace calo::onnx::detail
{
/*!
 * Appends fields of one message to a byte string. Nested messages are written
 * by encoding them into their own ProtoWriter and adding the bytes with
 * add_message(): protobuf prefixes every sub-message with its length.
 */
class ProtoWriter
{
  public:
    //! Wire types (protobuf encoding): 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.
    enum WireType : std::uint32_t
    {
        kVarint = 0,
        kFixed64 = 1,
        kLengthDelimited = 2,
        kFixed32 = 5,
    };

    //! int64/int32/enum/bool field (two's complement varint, like protobuf's int64).
    void add_int(int field, std::int64_t value);
    //! float field (little-endian IEEE 754 single).
    void add_float(int field, float value);
    //! string or bytes field.
    void add_bytes(int field, std::string const& bytes);
    void add_bytes(int field, void const* data, std::size_t size);
    //! Embedded message field (its encoded bytes).
    void add_message(int field, ProtoWriter const& message);
    //! Packed repeated int64 field.
    void add_packed_ints(int field, std::vector<std::int64_t> const& values);
    //! Packed repeated float field.
    void add_packed_floats(int field, std::vector<float> const& values);

    std::string const& bytes() const { return bytes_; }
    std::size_t size() const { return bytes_.size(); }

  private:
    void put_tag(int field, WireType type);
    void put_varint(std::uint64_t value);

    std::string bytes_;
};

//! The varint encoding of `value` (exposed for tests).
std::string encode_varint(std::uint64_t value);
}  // namespace calo::onnx::detail
