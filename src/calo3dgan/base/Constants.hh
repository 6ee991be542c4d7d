#pragma once
// Mathematical constants used across the layers (one definition).

namespace calo
{
//! pi, the same double as POSIX M_PI.
inline constexpr double kPi = 3.14159265358979323846;
//! One degree in radians.
inline constexpr double kDegree = kPi / 180.0;
}  // namespace calo
