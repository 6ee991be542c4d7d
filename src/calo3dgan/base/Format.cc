#include "calo3dgan/base/Format.hh"

#include <cstdio>

namespace calo
{
std::string format_significant(double value, int digits)
{
    int const precision = digits < 1 ? 1 : digits;
    int const length = std::snprintf(nullptr, 0, "%.*g", precision, value);
    std::string text(static_cast<std::size_t>(length) + 1, '\0');
    std::snprintf(text.data(), text.size(), "%.*g", precision, value);
    text.pop_back();
    return text;
}
}  // namespace calo
