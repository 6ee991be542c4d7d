#include "Primary.hh"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "calo3dgan/base/Error.hh"

namespace calo::mc
{
namespace
{
std::string format_number(double v)
{
    char buffer[64];
    auto const result = std::to_chars(buffer, buffer + sizeof(buffer), v);
    return std::string(buffer, result.ptr);
}

std::string trim(std::string const& text)
{
    auto const first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    auto const last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string const kForms = "give a number (100), a range (2:500) or a list (10,50,100)";

//! Parse one number of `text` (the whole option value, for messages).
double parse_number(std::string const& item, std::string const& text, std::string const& what)
{
    std::string const number = trim(item);
    CALO_VALIDATE_USAGE(!number.empty(), what + ": '" + text + "' has an empty entry — " + kForms);
    // from_chars: locale-independent, and it rejects trailing garbage below.
    char const* first = number.data();
    char const* const last = number.data() + number.size();
    if (*first == '+')
        ++first;
    double value = 0;
    auto const result = std::from_chars(first, last, value);
    CALO_VALIDATE_USAGE(result.ec == std::errc() && result.ptr == last,
                        what + ": '" + number + "' is not a number — " + kForms);
    CALO_VALIDATE_USAGE(std::isfinite(value), what + ": '" + number + "' is not a finite number — " + kForms);
    return value;
}

void check_bounds(double value, std::string const& what, double min_exclusive, double max_inclusive,
                  std::string const& unit)
{
    std::string const suffix = unit.empty() ? std::string() : " " + unit;
    CALO_VALIDATE_USAGE(value > min_exclusive && value <= max_inclusive,
                        what + ": " + format_number(value) + suffix + " is out of range — use values > " +
                            format_number(min_exclusive) + " and <= " + format_number(max_inclusive) + suffix);
}
}  // namespace

Particle parse_particle(std::string const& text)
{
    if (text == "e-")
        return Particle::electron;
    if (text == "gamma")
        return Particle::photon;
    throw UsageError("unknown particle '" + text + "' — use e- or gamma");
}

std::string to_string(Particle particle)
{
    return particle == Particle::electron ? "e-" : "gamma";
}

int pdg_id(Particle particle)
{
    return particle == Particle::electron ? 11 : 22;
}

ValueSpec ValueSpec::parse(std::string const& raw_text, std::string const& what, double min_exclusive,
                           double max_inclusive, std::string const& unit)
{
    std::string const text = trim(raw_text);
    CALO_VALIDATE_USAGE(!text.empty(), what + ": empty value — " + kForms);
    bool const is_range = text.find(':') != std::string::npos;
    bool const is_list = text.find(',') != std::string::npos;
    CALO_VALIDATE_USAGE(!(is_range && is_list), what + ": '" + text + "' mixes ':' and ',' — " + kForms);

    std::vector<double> values;
    std::size_t begin = 0;
    char const separator = is_range ? ':' : ',';
    for (;;)
    {
        std::size_t const end = text.find(separator, begin);
        values.push_back(parse_number(text.substr(begin, end - begin), text, what));
        if (end == std::string::npos)
            break;
        begin = end + 1;
    }
    for (double v : values) check_bounds(v, what, min_exclusive, max_inclusive, unit);

    if (is_range)
    {
        CALO_VALIDATE_USAGE(values.size() == 2, what + ": '" + text + "' is not a range lo:hi — " + kForms);
        CALO_VALIDATE_USAGE(values[0] <= values[1],
                            what + ": '" + text + "' is a reversed range — write the lower bound first (" +
                                format_number(values[1]) + ":" + format_number(values[0]) + ")");
        return range(values[0], values[1]);
    }
    if (is_list)
        return list(std::move(values));
    return fixed(values[0]);
}

ValueSpec ValueSpec::fixed(double v)
{
    return ValueSpec(Kind::fixed, {v});
}

ValueSpec ValueSpec::range(double lo, double hi)
{
    CALO_VALIDATE_USAGE(lo <= hi, "range " + format_number(lo) + ":" + format_number(hi) +
                                      " is reversed — write the lower bound first");
    return ValueSpec(Kind::range, {lo, hi});
}

ValueSpec ValueSpec::list(std::vector<double> values)
{
    CALO_VALIDATE_USAGE(!values.empty(), "empty list of values — " + kForms);
    return ValueSpec(Kind::list, std::move(values));
}

double ValueSpec::sample(Rng& rng) const
{
    switch (kind_)
    {
        case Kind::fixed:
            return values_[0];
        case Kind::range:
            // lo + (hi - lo) u stays in [lo, hi] in floating point too.
            return std::min(values_[1], values_[0] + (values_[1] - values_[0]) * rng.uniform());
        case Kind::list:
        default:
        {
            auto index = static_cast<std::size_t>(rng.uniform() * static_cast<double>(values_.size()));
            return values_[std::min(index, values_.size() - 1)];
        }
    }
}

double ValueSpec::min() const
{
    return *std::min_element(values_.begin(), values_.end());
}

double ValueSpec::max() const
{
    return *std::max_element(values_.begin(), values_.end());
}

std::string ValueSpec::to_string() const
{
    std::string text;
    char const separator = kind_ == Kind::range ? ':' : ',';
    for (std::size_t i = 0; i < values_.size(); ++i)
    {
        if (i > 0)
            text += separator;
        text += format_number(values_[i]);
    }
    return text;
}
}  // namespace calo::mc
