#include "calo3dgan/onnx/OnnxGraph.hh"

#include <algorithm>

#include "calo3dgan/base/Error.hh"
#include "detail/ProtoWriter.hh"

namespace calo::onnx
{
namespace
{
using detail::ProtoWriter;

// Field numbers of onnx.proto (ONNX project, IR version 7; unchanged since).
namespace model_field
{
constexpr int ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7,
              opset_import = 8, metadata_props = 14;
}
namespace opset_field
{
constexpr int domain = 1, version = 2;
}
namespace entry_field
{
constexpr int key = 1, value = 2;
}
namespace graph_field
{
constexpr int node = 1, name = 2, initializer = 5, input = 11, output = 12;
}
namespace node_field
{
constexpr int input = 1, output = 2, name = 3, op_type = 4, attribute = 5;
}
namespace attribute_field
{
constexpr int name = 1, f = 2, i = 3, s = 4, floats = 7, ints = 8, type = 20;
// AttributeProto.AttributeType
constexpr int type_float = 1, type_int = 2, type_string = 3, type_floats = 6, type_ints = 7;
}  // namespace attribute_field
namespace tensor_field
{
constexpr int dims = 1, data_type = 2, name = 8, raw_data = 9;
}
namespace value_info_field
{
constexpr int name = 1, type = 2, doc_string = 3;
}
namespace type_field
{
constexpr int tensor_type = 1;           // TypeProto
constexpr int elem_type = 1, shape = 2;  // TypeProto.Tensor
constexpr int dim = 1;                   // TensorShapeProto
constexpr int dim_value = 1, dim_param = 2;  // TensorShapeProto.Dimension
}  // namespace type_field

ProtoWriter encode_attribute(Attribute const& a)
{
    namespace f = attribute_field;
    ProtoWriter w;
    w.add_bytes(f::name, a.name);
    switch (a.kind)
    {
        case Attribute::Kind::real:
            w.add_float(f::f, a.real_value);
            w.add_int(f::type, f::type_float);
            break;
        case Attribute::Kind::integer:
            w.add_int(f::i, a.integer_value);
            w.add_int(f::type, f::type_int);
            break;
        case Attribute::Kind::text:
            w.add_bytes(f::s, a.text_value);
            w.add_int(f::type, f::type_string);
            break;
        case Attribute::Kind::reals:
            w.add_packed_floats(f::floats, a.real_values);
            w.add_int(f::type, f::type_floats);
            break;
        case Attribute::Kind::integers:
            w.add_packed_ints(f::ints, a.integer_values);
            w.add_int(f::type, f::type_ints);
            break;
    }
    return w;
}

template<class ValueInfo>
ProtoWriter encode_value_info(ValueInfo const& v)
{
    namespace t = type_field;
    ProtoWriter shape;
    for (auto const& d : v.shape)
    {
        ProtoWriter dim;
        if (d.size >= 0)
            dim.add_int(t::dim_value, d.size);
        else
            dim.add_bytes(t::dim_param, d.name);
        shape.add_message(t::dim, dim);
    }
    ProtoWriter tensor;
    tensor.add_int(t::elem_type, static_cast<int>(v.type));
    tensor.add_message(t::shape, shape);
    ProtoWriter type;
    type.add_message(t::tensor_type, tensor);
    ProtoWriter w;
    w.add_bytes(value_info_field::name, v.name);
    w.add_message(value_info_field::type, type);
    if (!v.doc.empty())
        w.add_bytes(value_info_field::doc_string, v.doc);
    return w;
}

std::int64_t element_count(std::vector<std::int64_t> const& dims)
{
    std::int64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
}
}  // namespace

Attribute Attribute::real(std::string name, float value)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::real;
    a.real_value = value;
    return a;
}

Attribute Attribute::integer(std::string name, std::int64_t value)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::integer;
    a.integer_value = value;
    return a;
}

Attribute Attribute::text(std::string name, std::string value)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::text;
    a.text_value = std::move(value);
    return a;
}

Attribute Attribute::reals(std::string name, std::vector<float> values)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::reals;
    a.real_values = std::move(values);
    return a;
}

Attribute Attribute::integers(std::string name, std::vector<std::int64_t> values)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::integers;
    a.integer_values = std::move(values);
    return a;
}

OnnxGraph::OnnxGraph(std::string name) : name_(std::move(name)) {}

void OnnxGraph::claim(std::string const& name)
{
    CALO_VALIDATE(!name.empty() && used_names_.insert(name).second,
                  "ONNX graph value '" + name + "' defined twice — bug in the exporter");
}

void OnnxGraph::add_input(std::string const& name, std::vector<Dimension> shape, std::string doc, ElementType type)
{
    claim(name);
    defined_.insert(name);
    inputs_.push_back({name, type, std::move(shape), std::move(doc)});
}

void OnnxGraph::add_output(std::string const& name, std::vector<Dimension> shape, std::string doc, ElementType type)
{
    // Claimed when a node produces it
    outputs_.push_back({name, type, std::move(shape), std::move(doc)});
}

std::string OnnxGraph::unique_name(std::string const& hint)
{
    std::string const base = hint.empty() ? std::string("value") : hint;
    if (!used_names_.count(base) &&
        std::none_of(outputs_.begin(), outputs_.end(), [&](ValueInfo const& v) { return v.name == base; }))
        return base;
    for (int i = 1;; ++i)
    {
        auto const candidate = base + "_" + std::to_string(i);
        if (!used_names_.count(candidate) &&
            std::none_of(outputs_.begin(), outputs_.end(), [&](ValueInfo const& v) { return v.name == candidate; }))
            return candidate;
    }
}

std::string OnnxGraph::add_initializer(std::string const& hint, std::vector<std::int64_t> dims,
                                       std::vector<float> values)
{
    CALO_VALIDATE(element_count(dims) == static_cast<std::int64_t>(values.size()),
                  "ONNX initializer '" + hint + "' has " + std::to_string(values.size()) +
                      " values for its shape — bug in the exporter");
    auto const name = unique_name(hint);
    claim(name);
    defined_.insert(name);
    num_weights_ += values.size();
    initializers_.push_back({name, ElementType::float32, std::move(dims), std::move(values), {}});
    return name;
}

std::string OnnxGraph::add_int64_initializer(std::string const& hint, std::vector<std::int64_t> dims,
                                             std::vector<std::int64_t> values)
{
    CALO_VALIDATE(element_count(dims) == static_cast<std::int64_t>(values.size()),
                  "ONNX initializer '" + hint + "' has " + std::to_string(values.size()) +
                      " values for its shape — bug in the exporter");
    auto const name = unique_name(hint);
    claim(name);
    defined_.insert(name);
    initializers_.push_back({name, ElementType::int64, std::move(dims), {}, std::move(values)});
    return name;
}

std::string OnnxGraph::scalar(std::string const& hint, float value)
{
    return add_initializer(hint, {}, {value});
}

std::string OnnxGraph::int64_vector(std::string const& hint, std::vector<std::int64_t> values)
{
    auto const n = static_cast<std::int64_t>(values.size());
    return add_int64_initializer(hint, {n}, std::move(values));
}

void OnnxGraph::add_node(std::string const& op_type, std::vector<std::string> const& inputs,
                         std::vector<std::string> const& outputs, std::vector<Attribute> attributes)
{
    for (auto const& input : inputs)
    {
        // "" marks an omitted optional input
        CALO_VALIDATE(input.empty() || defined_.count(input),
                      "ONNX node " + op_type + " reads '" + input + "' before it is defined — bug in the exporter");
    }
    for (auto const& output : outputs)
    {
        claim(output);
        defined_.insert(output);
    }
    Node node;
    node.op_type = op_type;
    node.name = op_type + "_" + std::to_string(nodes_.size());
    node.inputs = inputs;
    node.outputs = outputs;
    node.attributes = std::move(attributes);
    nodes_.push_back(std::move(node));
}

std::string OnnxGraph::apply(std::string const& op_type, std::vector<std::string> const& inputs,
                             std::vector<Attribute> attributes, std::string const& hint)
{
    auto const output = unique_name(hint.empty() ? op_type : hint);
    add_node(op_type, inputs, {output}, std::move(attributes));
    return output;
}

std::string OnnxGraph::serialize(ModelInfo const& info) const
{
    ProtoWriter graph;
    for (auto const& node : nodes_)
    {
        ProtoWriter w;
        for (auto const& input : node.inputs) w.add_bytes(node_field::input, input);
        for (auto const& output : node.outputs) w.add_bytes(node_field::output, output);
        w.add_bytes(node_field::name, node.name);
        w.add_bytes(node_field::op_type, node.op_type);
        for (auto const& a : node.attributes) w.add_message(node_field::attribute, encode_attribute(a));
        graph.add_message(graph_field::node, w);
    }
    graph.add_bytes(graph_field::name, name_);
    for (auto const& init : initializers_)
    {
        ProtoWriter w;
        w.add_packed_ints(tensor_field::dims, init.dims);
        w.add_int(tensor_field::data_type, static_cast<int>(init.type));
        w.add_bytes(tensor_field::name, init.name);
        if (init.type == ElementType::float32)
            w.add_bytes(tensor_field::raw_data, init.floats.data(), init.floats.size() * sizeof(float));
        else
            w.add_bytes(tensor_field::raw_data, init.ints.data(), init.ints.size() * sizeof(std::int64_t));
        graph.add_message(graph_field::initializer, w);
    }
    for (auto const& input : inputs_) graph.add_message(graph_field::input, encode_value_info(input));
    for (auto const& output : outputs_)
    {
        CALO_VALIDATE(defined_.count(output.name),
                      "ONNX graph output '" + output.name + "' is never computed — bug in the exporter");
        graph.add_message(graph_field::output, encode_value_info(output));
    }

    ProtoWriter model;
    model.add_int(model_field::ir_version, info.ir_version);
    model.add_bytes(model_field::producer_name, info.producer_name);
    if (!info.producer_version.empty())
        model.add_bytes(model_field::producer_version, info.producer_version);
    if (!info.doc_string.empty())
        model.add_bytes(model_field::doc_string, info.doc_string);
    model.add_message(model_field::graph, graph);
    ProtoWriter opset;
    opset.add_bytes(opset_field::domain, "");
    opset.add_int(opset_field::version, info.opset);
    model.add_message(model_field::opset_import, opset);
    for (auto const& [key, value] : info.metadata)
    {
        ProtoWriter entry;
        entry.add_bytes(entry_field::key, key);
        entry.add_bytes(entry_field::value, value);
        model.add_message(model_field::metadata_props, entry);
    }
    return model.bytes();
}
}  // namespace calo::onnx
