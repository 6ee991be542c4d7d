#pragma once
// An ONNX graph under construction, and its serialisation to a ModelProto.
//
// Torch-free: the exporters fill it from the nn modules, tests build small
// graphs directly. Field numbers follow onnx.proto of the ONNX project (stable
// since IR version 3; see docs/onnx.md).
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace calo::onnx
{
//! Tensor element types (TensorProto.DataType values).
enum class ElementType : int
{
    float32 = 1,
    int64 = 7,
    boolean = 9,
};

//! One dimension of a graph input or output: a fixed size, or a symbolic
//! name (dim_param) such as "N" for a dynamic batch.
struct Dimension
{
    std::int64_t size = -1;  //!< >= 0 for a fixed size
    std::string name;        //!< symbolic name when size < 0

    Dimension(std::int64_t fixed) : size(fixed) {}  // NOLINT: sizes read naturally in shape lists
    Dimension(char const* symbol) : name(symbol) {}  // NOLINT
};

//! A node attribute (AttributeProto) of one of the kinds the exporters use.
struct Attribute
{
    enum class Kind
    {
        real,     //!< FLOAT
        integer,  //!< INT
        text,     //!< STRING
        reals,    //!< FLOATS
        integers  //!< INTS
    };
    std::string name;
    Kind kind = Kind::integer;
    float real_value = 0;
    std::int64_t integer_value = 0;
    std::string text_value;
    std::vector<float> real_values;
    std::vector<std::int64_t> integer_values;

    static Attribute real(std::string name, float value);
    static Attribute integer(std::string name, std::int64_t value);
    static Attribute text(std::string name, std::string value);
    static Attribute reals(std::string name, std::vector<float> values);
    static Attribute integers(std::string name, std::vector<std::int64_t> values);
};

//! What goes around the graph in the ModelProto.
struct ModelInfo
{
    int opset = 13;               //!< default-domain operator set version
    std::int64_t ir_version = 7;  //!< ONNX IR version 7 (the one that goes with opset 13)
    std::string producer_name = "calo3dgan";
    std::string producer_version;
    std::string doc_string;
    //! metadata_props: free key/value pairs (config, provenance).
    std::vector<std::pair<std::string, std::string>> metadata;
};

/*!
 * Nodes, initializers, inputs and outputs of one ONNX graph, in topological
 * order (each node only reads graph inputs, initializers and outputs of
 * earlier nodes: add_node checks this).
 */
class OnnxGraph
{
  public:
    explicit OnnxGraph(std::string name);

    //! Declare a graph input; float32 unless given otherwise.
    void add_input(std::string const& name, std::vector<Dimension> shape, std::string doc = {},
                   ElementType type = ElementType::float32);
    //! Declare a graph output; a node must produce `name` (checked by serialize()).
    void add_output(std::string const& name, std::vector<Dimension> shape, std::string doc = {},
                    ElementType type = ElementType::float32);

    //! A float32 initializer (weights); returns its unique name.
    std::string add_initializer(std::string const& hint, std::vector<std::int64_t> dims, std::vector<float> values);
    //! An int64 initializer (shapes, axes, pads); returns its unique name.
    std::string add_int64_initializer(std::string const& hint, std::vector<std::int64_t> dims,
                                      std::vector<std::int64_t> values);
    //! A float32 scalar constant (shape []).
    std::string scalar(std::string const& hint, float value);
    //! An int64 vector constant (shape [n]).
    std::string int64_vector(std::string const& hint, std::vector<std::int64_t> values);

    //! Add a node writing to the given outputs.
    void add_node(std::string const& op_type, std::vector<std::string> const& inputs,
                  std::vector<std::string> const& outputs, std::vector<Attribute> attributes = {});
    //! Add a one-output node; returns the fresh name of its output.
    std::string apply(std::string const& op_type, std::vector<std::string> const& inputs,
                      std::vector<Attribute> attributes = {}, std::string const& hint = {});

    //! A name not used yet in this graph, built from `hint`.
    std::string unique_name(std::string const& hint);

    std::size_t num_nodes() const { return nodes_.size(); }
    //! Number of float weights in initializers.
    std::size_t num_weights() const { return num_weights_; }

    //! The ModelProto bytes. InputError if an output is never produced.
    std::string serialize(ModelInfo const& info) const;

  private:
    struct ValueInfo
    {
        std::string name;
        ElementType type;
        std::vector<Dimension> shape;
        std::string doc;
    };
    struct Node
    {
        std::string op_type;
        std::string name;
        std::vector<std::string> inputs;
        std::vector<std::string> outputs;
        std::vector<Attribute> attributes;
    };
    struct Initializer
    {
        std::string name;
        ElementType type;
        std::vector<std::int64_t> dims;
        std::vector<float> floats;
        std::vector<std::int64_t> ints;
    };

    void claim(std::string const& name);

    std::string name_;
    std::vector<ValueInfo> inputs_;
    std::vector<ValueInfo> outputs_;
    std::vector<Initializer> initializers_;
    std::vector<Node> nodes_;
    std::unordered_set<std::string> defined_;     //!< values available to later nodes
    std::unordered_set<std::string> used_names_;  //!< every name handed out or declared
    std::size_t num_weights_ = 0;
};
}  // namespace calo::onnx
