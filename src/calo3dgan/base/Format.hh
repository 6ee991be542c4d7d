#pragma once
// Numbers as text for labels and messages.
#include <string>

namespace calo
{
/*!
 * `value` with `digits` significant digits, trailing zeros dropped, in
 * exponent form when the exponent is below -4 or not below `digits`: what
 * printf's "%.*g" (and a stream's default float format with that precision)
 * writes, e.g. 499.8, 1.235e+05, 1e-05, nan. `digits` < 1 counts as 1.
 */
std::string format_significant(double value, int digits);
}  // namespace calo
