#include "calo3dgan/geo/MeasuredAngle.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "LcdFixtures.hh"

namespace calo::geo
{
namespace
{
constexpr double kPi = 3.14159265358979323846;

//! One hit of equal energy per layer 0..23 at (x0 + dx*iz, y0 + dy*iz): the
//! barycentre depth is 12.0, between layer centres, so no layer sits on it.
std::vector<float> straight_track(ImageShape shape, int x0, int dx, int y0, int dy, float energy = 1.0f)
{
    std::vector<float> cells(shape.size(), 0.0f);
    for (int iz = 0; iz < 24; ++iz) cells[shape.index(x0 + dx * iz, y0 + dy * iz, iz)] = energy;
    return cells;
}
}  // namespace

TEST(MeasuredAngle, TrackRisingInYIsFortyFiveDegrees)
{
    // +1 cell in y per layer: m_z = 1 on both sides of the barycentre, theta = pi/2 - atan(1).
    auto const cells = straight_track(kVariableAngleShape, 25, 0, 13, 1);
    EXPECT_NEAR(measured_angle(cells.data(), kVariableAngleShape), kPi / 4, 1e-12);
}

TEST(MeasuredAngle, TrackFallingInYIsHundredThirtyFiveDegrees)
{
    auto const cells = straight_track(kVariableAngleShape, 25, 0, 37, -1);
    EXPECT_NEAR(measured_angle(cells.data(), kVariableAngleShape), 3 * kPi / 4, 1e-12);
}

TEST(MeasuredAngle, NormalIncidenceIsNinetyDegrees)
{
    auto const cells = straight_track(kFixedAngleShape, 12, 0, 12, 0);
    EXPECT_NEAR(measured_angle(cells.data(), kFixedAngleShape), kPi / 2, 1e-12);
}

TEST(MeasuredAngle, DriftInXEntersTheDistanceOnly)
{
    // d_z = sqrt(2)|z - zbar| and y_z - ybar = z - zbar: m = 1/sqrt(2).
    auto const cells = straight_track(kVariableAngleShape, 10, 1, 10, 1);
    EXPECT_NEAR(measured_angle(cells.data(), kVariableAngleShape), kPi / 2 - std::atan(1 / std::sqrt(2.0)), 1e-12);
}

TEST(MeasuredAngle, HalfCellSlopeFromSharedHits)
{
    // y barycentre of layer z: 10.5 + z/2 (odd layers share energy between two cells).
    ImageShape const shape = kVariableAngleShape;
    std::vector<float> cells(shape.size(), 0.0f);
    for (int iz = 0; iz < 24; ++iz)
    {
        if (iz % 2 == 0)
        {
            cells[shape.index(20, 10 + iz / 2, iz)] = 2.0f;
        }
        else
        {
            cells[shape.index(20, 10 + iz / 2, iz)] = 1.0f;
            cells[shape.index(20, 11 + iz / 2, iz)] = 1.0f;
        }
    }
    EXPECT_NEAR(measured_angle(cells.data(), shape), kPi / 2 - std::atan(0.5), 1e-12);
}

TEST(MeasuredAngle, IndependentOfTheEnergyUnit)
{
    auto const gev = straight_track(kVariableAngleShape, 25, 0, 13, 1, 0.02f);
    auto const gev50 = straight_track(kVariableAngleShape, 25, 0, 13, 1, 1.0f);
    EXPECT_NEAR(measured_angle(gev.data(), kVariableAngleShape), measured_angle(gev50.data(), kVariableAngleShape),
                1e-12);
}

TEST(MeasuredAngle, EmptyImageGivesHundred)
{
    std::vector<float> const cells(kVariableAngleShape.size(), 0.0f);
    EXPECT_EQ(measured_angle(cells.data(), kVariableAngleShape), 100.0);
    EXPECT_EQ(kEmptyImageAngle, 100.0);
}

TEST(MeasuredAngle, LayerOnTheBarycentreIsClampedNotNan)
{
    // One layer: its barycentre is the event barycentre (d = 0); Keras clamps d^2 at 1e-7, m = 0.
    std::vector<float> cells(kFixedAngleShape.size(), 0.0f);
    cells[kFixedAngleShape.index(12, 12, 7)] = 3.0f;
    EXPECT_NEAR(measured_angle(cells.data(), kFixedAngleShape), kPi / 2, 1e-12);
}

TEST(MeasuredAngle, MatchesNumpyMeasPythonOnLcdFiles)
{
    // The cells of each fixture file as float32 (the reader's type), and the
    // angles numpy's measPython found on them (scripts/fixtures/write_lcd_fixtures.py).
    auto const& fx = test::lcd_fixtures();
    ASSERT_EQ(fx.manifest["files"].size(), 5u);
    for (auto const& [name, entry] : fx.manifest["files"].items())
    {
        auto const dims = entry["shape"].get<std::vector<int>>();
        ImageShape const shape{dims.at(0), dims.at(1), dims.at(2)};
        auto const cells64 = fx.load(entry["cells"].get<std::string>());
        std::vector<float> const cells(cells64.begin(), cells64.end());  // exact: float32 values
        auto const expected = entry["measured_angle"].get<std::vector<double>>();
        ASSERT_EQ(cells.size(), expected.size() * shape.size()) << name;
        for (std::size_t i = 0; i < expected.size(); ++i)
        {
            double const actual = measured_angle(cells.data() + i * shape.size(), shape);
            EXPECT_TRUE(test::close_rel(actual, expected[i], 1e-5))
                << name << " event " << i << ": " << actual << " vs numpy " << expected[i];
        }
    }
}
}  // namespace calo::geo
