#include "calo3dgan/evolve/ArchitectureSpace.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
std::vector<Gene> architecture_genes(ArchitectureRanges const& r)
{
    CALO_VALIDATE_USAGE(r.conv_layers.first >= 1 && r.conv_layers.second <= 3,
                        "--conv-layers " + std::to_string(r.conv_layers.first) + ":"
                            + std::to_string(r.conv_layers.second) + " is outside 1:3 — the regressor has 1 to 3 "
                            + "convolutions");
    CALO_VALIDATE_USAGE(r.kernel.first >= 1 && r.stride.first >= 1,
                        "--kernel and --stride start at 1 cell — use LOW >= 1");
    CALO_VALIDATE_USAGE(r.filters.first >= 1, "--filters starts at 1 — use LOW >= 1");
    std::vector<Gene> genes;
    genes.push_back(integer_gene("conv_layers", r.conv_layers.first, r.conv_layers.second, "--conv-layers"));
    for (int i = 1; i <= 3; ++i)
    {
        auto const prefix = "conv" + std::to_string(i) + ".";
        genes.push_back(power_of_two_gene(prefix + "filters", r.filters.first, r.filters.second, "--filters"));
        genes.push_back(integer_gene(prefix + "kernel", r.kernel.first, r.kernel.second, "--kernel"));
        genes.push_back(integer_gene(prefix + "stride", r.stride.first, r.stride.second, "--stride"));
    }
    for (auto const& name : r.activations)
        if (!name.empty())
            parse_activation(name);  // UsageError for an unknown one
    genes.push_back(categorical_gene("activation", r.activations, "--activations"));
    genes.push_back(
        power_of_two_gene("hidden_units", r.hidden_units.first, r.hidden_units.second, "--hidden-units"));
    for (auto const& choice : r.bias)
        CALO_VALIDATE_USAGE(choice == "no" || choice == "yes" || choice.empty(),
                            "--bias choice '" + choice + "' is unknown — use no, yes or no,yes");
    genes.push_back(categorical_gene("bias", r.bias, "--bias"));
    genes.push_back(
        log_uniform_gene("learning_rate", r.learning_rate.first, r.learning_rate.second, "--learning-rate"));
    genes.push_back(power_of_two_gene("batch", r.batch.first, r.batch.second, "--batch"));
    CALO_VALIDATE_USAGE(r.batch.first >= 1, "--batch starts at 1 — use LOW >= 1");
    return genes;
}
}  // namespace

ArchitectureSpace::ArchitectureSpace(ArchitectureRanges ranges)
    : ranges_(std::move(ranges)), space_(architecture_genes(ranges_))
{
}

RegressorArchitecture ArchitectureSpace::decode(std::vector<float> const& genes, int rows, int cols) const
{
    CALO_VALIDATE(genes.size() == space_.size(), "gene vector of the wrong length");
    auto const& all = space_.genes();
    auto value = [&](std::size_t i) { return all[i].value(genes[i]); };
    auto integer = [&](std::size_t i) { return static_cast<int>(std::llround(value(i))); };
    RegressorArchitecture a;
    a.layers.clear();
    int const layers = integer(0);
    for (int l = 0; l < layers; ++l)
    {
        std::size_t const base = 1 + 3 * static_cast<std::size_t>(l);
        a.layers.push_back({integer(base), integer(base + 1), integer(base + 2)});
    }
    std::size_t i = 10;
    a.activation = parse_activation(all[i].choices.at(static_cast<std::size_t>(genes[i])));
    ++i;
    a.hidden_units = integer(i++);
    a.bias = all[i].choices.at(static_cast<std::size_t>(genes[i])) == "yes";
    ++i;
    a.learning_rate = value(i++);
    a.batch = integer(i++);
    return fitted(a, rows, cols);
}
}  // namespace calo::evolve
