#include "calo3dgan/evolve/GeneSpace.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::evolve
{
namespace
{
std::string range_text(double low, double high)
{
    auto text = [](double v) {
        auto s = nlohmann::json(v).dump();
        return s.size() > 2 && s.substr(s.size() - 2) == ".0" ? s.substr(0, s.size() - 2) : s;
    };
    return text(low) + ":" + text(high);
}

//! Reflect x into [low, high].
double reflect(double x, double low, double high)
{
    if (high <= low)
        return low;
    double const width = high - low;
    double y = std::fmod(x - low, 2 * width);
    if (y < 0)
        y += 2 * width;
    return y <= width ? low + y : low + 2 * width - y;
}
}  // namespace

double Gene::value(float stored) const
{
    switch (kind)
    {
        case GeneKind::integer:
        case GeneKind::categorical:
            return stored;
        case GeneKind::power_of_two:
            return with_zero && stored < low ? 0.0 : std::ldexp(1.0, static_cast<int>(stored));
        case GeneKind::log_uniform:
            return std::pow(10.0, static_cast<double>(stored));
    }
    return stored;
}

std::size_t Gene::cardinality() const
{
    if (kind == GeneKind::log_uniform)
        return 0;
    return static_cast<std::size_t>(high - low) + 1 + (with_zero ? 1 : 0);
}

Gene integer_gene(std::string name, int low, int high, std::string const& option)
{
    CALO_VALIDATE_USAGE(low <= high, option + " " + range_text(low, high)
                                         + " is inverted — write LOW:HIGH with LOW <= HIGH");
    return Gene{std::move(name), GeneKind::integer, static_cast<double>(low), static_cast<double>(high), false, {}};
}

Gene power_of_two_gene(std::string name, int low, int high, std::string const& option)
{
    CALO_VALIDATE_USAGE(low <= high, option + " " + range_text(low, high)
                                         + " is inverted — write LOW:HIGH with LOW <= HIGH");
    CALO_VALIDATE_USAGE(low >= 0, option + " " + range_text(low, high) + " is negative — use powers of two");
    bool const with_zero = low == 0;
    int first = 0;
    while (first < 30 && (1 << first) < std::max(low, with_zero ? 4 : 1))
        ++first;
    int last = 0;
    while (last < 30 && (1 << (last + 1)) <= high)
        ++last;
    bool const any = high >= 1 && (1 << first) <= high;
    CALO_VALIDATE_USAGE(any || (with_zero && high == 0),
                        option + " " + range_text(low, high)
                            + " is empty: it holds no power of two (the values are powers of two"
                            + (with_zero ? std::string(" from 4, or 0") : std::string()) + ") — widen it");
    if (!any)  // just 0
        return Gene{std::move(name), GeneKind::power_of_two, 2.0, 1.0, true, {}};
    return Gene{std::move(name), GeneKind::power_of_two, static_cast<double>(first), static_cast<double>(last),
                with_zero, {}};
}

Gene categorical_gene(std::string name, std::vector<std::string> choices, std::string const& option)
{
    CALO_VALIDATE_USAGE(!choices.empty(), option + " is empty — name at least one choice");
    for (auto const& choice : choices)
        CALO_VALIDATE_USAGE(!choice.empty(), option + " has an empty choice — separate choices by single commas");
    double const high = static_cast<double>(choices.size()) - 1;
    return Gene{std::move(name), GeneKind::categorical, 0.0, high, false, std::move(choices)};
}

Gene log_uniform_gene(std::string name, double low, double high, std::string const& option)
{
    CALO_VALIDATE_USAGE(low > 0 && high > 0 && std::isfinite(low) && std::isfinite(high),
                        option + " " + range_text(low, high) + " must be positive");
    CALO_VALIDATE_USAGE(low <= high, option + " " + range_text(low, high)
                                         + " is inverted — write LOW:HIGH with LOW <= HIGH");
    return Gene{std::move(name), GeneKind::log_uniform, std::log10(low), std::log10(high), false, {}};
}

GeneSpace::GeneSpace(std::vector<Gene> genes) : genes_(std::move(genes))
{
    CALO_VALIDATE_USAGE(!genes_.empty(), "a search needs at least one gene");
}

std::size_t GeneSpace::index(std::string const& name) const
{
    for (std::size_t i = 0; i < genes_.size(); ++i)
        if (genes_[i].name == name)
            return i;
    throw InputError("no gene called '" + name + "'");
}

std::vector<float> GeneSpace::sample(std::uint64_t seed) const
{
    Rng rng(seed);
    std::vector<float> out;
    out.reserve(genes_.size());
    for (auto const& gene : genes_)
    {
        if (gene.kind == GeneKind::log_uniform)
        {
            out.push_back(static_cast<float>(gene.low + (gene.high - gene.low) * rng.uniform()));
            continue;
        }
        auto const n = gene.cardinality();
        auto const k = static_cast<double>(uniform_index(rng, n));
        // power_of_two with zero: index 0 is the zero, stored as low - 1.
        double const lowest = gene.with_zero ? gene.low - 1 : gene.low;
        out.push_back(static_cast<float>(lowest + k));
    }
    return out;
}

std::vector<float> GeneSpace::decode(Genome const& genome, Mutation const& mutation) const
{
    auto genes = sample(genome.init_seed);
    for (auto const& step : genome.steps)
        mutation.apply(genes, step.seed, step.power);
    return genes;
}

nlohmann::json GeneSpace::to_json(std::vector<float> const& genes) const
{
    nlohmann::json out = nlohmann::json::object();
    for (std::size_t i = 0; i < genes_.size() && i < genes.size(); ++i)
    {
        auto const& gene = genes_[i];
        if (gene.kind == GeneKind::categorical)
            out[gene.name] = gene.choices.at(static_cast<std::size_t>(genes[i]));
        else if (gene.kind == GeneKind::log_uniform)
            out[gene.name] = gene.value(genes[i]);
        else
            out[gene.name] = static_cast<long long>(std::llround(gene.value(genes[i])));
    }
    return out;
}

nlohmann::json GeneSpace::describe() const
{
    static char const* const kinds[] = {"integer", "power_of_two", "categorical", "log_uniform"};
    auto out = nlohmann::json::array();
    for (auto const& gene : genes_)
    {
        nlohmann::json g = {{"name", gene.name}, {"kind", kinds[static_cast<int>(gene.kind)]}};
        if (gene.kind == GeneKind::categorical)
            g["choices"] = gene.choices;
        else if (gene.kind == GeneKind::log_uniform)
            g["range"] = {gene.value(static_cast<float>(gene.low)), gene.value(static_cast<float>(gene.high))};
        else
            g["range"] = {gene.value(static_cast<float>(gene.with_zero ? gene.low - 1 : gene.low)),
                          gene.value(static_cast<float>(gene.high))};
        out.push_back(std::move(g));
    }
    return out;
}

GeneMutation::GeneMutation(GeneSpace const& space, Options options) : space_(space), options_(options)
{
    CALO_VALIDATE_USAGE(options_.rate >= 0 && options_.rate <= 1,
                        "the gene mutation rate " + std::to_string(options_.rate) + " is outside [0, 1]");
}

void GeneMutation::apply(std::vector<float>& genes, std::uint64_t seed, double power) const
{
    auto const& all = space_.genes();
    CALO_VALIDATE(genes.size() == all.size(), "gene vector of the wrong length");
    Rng rng(seed);
    // Which genes change: each with probability `rate`; at least one, so a
    // child is never its parent again.
    std::vector<bool> chosen(all.size());
    bool any = false;
    for (std::size_t i = 0; i < all.size(); ++i)
    {
        chosen[i] = rng.uniform() < options_.rate;
        any = any || chosen[i];
    }
    if (!any)
        chosen[uniform_index(rng, all.size())] = true;
    for (std::size_t i = 0; i < all.size(); ++i)
    {
        if (!chosen[i])
            continue;
        auto const& gene = all[i];
        double const u = 2 * rng.uniform() - 1;
        double const lowest = gene.with_zero ? gene.low - 1 : gene.low;
        switch (gene.kind)
        {
            case GeneKind::log_uniform:
                genes[i] = static_cast<float>(reflect(genes[i] + u * power * (gene.high - gene.low), gene.low,
                                                      gene.high));
                break;
            case GeneKind::categorical:
            {
                auto const n = gene.choices.size();
                if (n < 2)
                    break;
                // One of the n - 1 other choices.
                auto const k = uniform_index(rng, n - 1);
                auto const current = static_cast<std::uint64_t>(genes[i]);
                genes[i] = static_cast<float>(k < current ? k : k + 1);
                break;
            }
            case GeneKind::integer:
            case GeneKind::power_of_two:
            {
                double const span = gene.high - lowest;
                if (span <= 0)
                    break;
                double step = std::round(u * power * span);
                if (step == 0)
                    step = u < 0 ? -1 : 1;
                double const x = genes[i];
                // A step reflected back onto the start goes the other way.
                double value = reflect(x + step, lowest, gene.high);
                if (value == x)
                    value = reflect(x - step, lowest, gene.high);
                genes[i] = static_cast<float>(value);
                break;
            }
        }
    }
}
}  // namespace calo::evolve
