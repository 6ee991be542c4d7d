// Projections and 3DGAN moments on small images with values worked out by hand.
#include "calo3dgan/physval/ShowerShape.hh"

#include <gtest/gtest.h>

namespace calo::physval
{
namespace
{
TEST(ShowerShape, ProjectionsOfTwoCells)
{
    geo::ImageShape const shape{2, 3, 4};
    std::vector<float> cells(shape.size(), 0.0f);
    cells[shape.index(0, 1, 2)] = 3.0f;
    cells[shape.index(1, 2, 0)] = 1.0f;
    AxisProjections const p = project(cells.data(), shape);
    EXPECT_DOUBLE_EQ(p.total, 4.0);
    EXPECT_EQ(p.x, (std::vector<double>{3, 1}));
    EXPECT_EQ(p.y, (std::vector<double>{0, 3, 1}));
    EXPECT_EQ(p.z, (std::vector<double>{1, 0, 3, 0}));
}

TEST(ShowerShape, MomentsUseCellIndexWithoutOffset)
{
    // P = (1, 0, 3): M1 = (0*1 + 2*3)/4 = 1.5; M2 = (1*1.5² + 3*0.5²)/4 = 0.75.
    AxisMoments const m = axis_moments({1, 0, 3});
    EXPECT_DOUBLE_EQ(m.first, 1.5);
    EXPECT_DOUBLE_EQ(m.second, 0.75);
}

TEST(ShowerShape, MomentsOfEmptyProfileAreZero)
{
    AxisMoments const m = axis_moments({0, 0, 0});
    EXPECT_EQ(m.first, 0);
    EXPECT_EQ(m.second, 0);
}
}  // namespace
}  // namespace calo::physval
