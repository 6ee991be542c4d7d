#include "calo3dgan/event/DatasetLayout.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"

namespace calo::event
{
TEST(DatasetLayout, ParsesTheTwoLayouts)
{
    EXPECT_EQ(parse_layout("a"), Layout::fixed_angle);
    EXPECT_EQ(parse_layout("b"), Layout::variable_angle);
    EXPECT_EQ(to_string(Layout::fixed_angle), "a");
    EXPECT_EQ(to_string(Layout::variable_angle), "b");
}

TEST(DatasetLayout, RejectsUnknownNames)
{
    for (char const* name : {"", "c", "A", "fixed", "a "})
    {
        try
        {
            parse_layout(name);
            FAIL() << "accepted '" << name << "'";
        }
        catch (UsageError const& e)
        {
            EXPECT_NE(std::string(e.what()).find("'" + std::string(name) + "'"), std::string::npos) << e.what();
        }
    }
}

TEST(DatasetLayout, ShapesAndUnits)
{
    EXPECT_EQ(default_shape(Layout::fixed_angle), (geo::ImageShape{25, 25, 25}));
    EXPECT_EQ(default_shape(Layout::variable_angle), (geo::ImageShape{51, 51, 25}));
    EXPECT_EQ(layout_for_shape({25, 25, 25}), Layout::fixed_angle);
    EXPECT_EQ(layout_for_shape({51, 51, 25}), Layout::variable_angle);
    EXPECT_FALSE(layout_for_shape({24, 25, 25}).has_value());
    EXPECT_DOUBLE_EQ(cell_unit_gev(Layout::fixed_angle), 1.0);
    EXPECT_DOUBLE_EQ(cell_unit_gev(Layout::variable_angle), 1.0 / 50.0);
    EXPECT_EQ(describe_units(Layout::fixed_angle), "GeV");
    EXPECT_EQ(describe_units(Layout::variable_angle), "GeV x 50");
}
}  // namespace calo::event
