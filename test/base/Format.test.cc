// Significant-digit formatting: the C standard's %g rules (7.21.6.1) by example.
#include "calo3dgan/base/Format.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace calo
{
TEST(Format, SignificantDigitsDropTrailingZeros)
{
    EXPECT_EQ(format_significant(499.8, 4), "499.8");
    EXPECT_EQ(format_significant(10.123, 4), "10.12");
    EXPECT_EQ(format_significant(2.0, 4), "2");
    EXPECT_EQ(format_significant(0.0, 4), "0");
    EXPECT_EQ(format_significant(-0.5, 4), "-0.5");
    EXPECT_EQ(format_significant(62.00004, 6), "62");
    EXPECT_EQ(format_significant(0.1 + 0.2, 6), "0.3");
    EXPECT_EQ(format_significant(0.1, 17), "0.10000000000000001");
}

TEST(Format, RoundsHalfToTheNearestRepresentable)
{
    // 1.2345 is stored as 1.23449999999999993...: rounds down; 0.125 is exact
    // and rounds to even.
    EXPECT_EQ(format_significant(1.2345, 4), "1.234");
    EXPECT_EQ(format_significant(0.125, 2), "0.12");
    EXPECT_EQ(format_significant(9.9996, 4), "10");
}

TEST(Format, ExponentFormOutsideTheDigits)
{
    // Exponent form when the decimal exponent X < -4 or X >= digits.
    EXPECT_EQ(format_significant(123456.0, 4), "1.235e+05");
    EXPECT_EQ(format_significant(1234.0, 4), "1234");
    EXPECT_EQ(format_significant(12345.0, 4), "1.234e+04");
    EXPECT_EQ(format_significant(123456789.0, 6), "1.23457e+08");
    EXPECT_EQ(format_significant(0.0001, 4), "0.0001");
    EXPECT_EQ(format_significant(0.00001, 4), "1e-05");
    EXPECT_EQ(format_significant(1e300, 6), "1e+300");
}

TEST(Format, NonFiniteAndDegenerateDigits)
{
    EXPECT_EQ(format_significant(std::numeric_limits<double>::quiet_NaN(), 4), "nan");
    EXPECT_EQ(format_significant(std::numeric_limits<double>::infinity(), 4), "inf");
    EXPECT_EQ(format_significant(-std::numeric_limits<double>::infinity(), 4), "-inf");
    // Precision 0 means 1 for %g.
    EXPECT_EQ(format_significant(47.0, 0), "5e+01");
    EXPECT_EQ(format_significant(47.0, 1), "5e+01");
    // Long outputs are not cut.
    EXPECT_EQ(format_significant(-1.0 / 3 * 1e-300, 30).size(), 36u);
}
}  // namespace calo
