#include "calo3dgan/evolve/StepSizeControl.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
StepSizeControl one_fifth(int window = 2)
{
    StepSizeControl::Options o;
    o.rule = StepSizeRule::one_fifth;
    o.initial_power = 0.1;
    o.window = window;
    o.factor = 0.5;
    o.limit = 4;
    return StepSizeControl(o);
}
}  // namespace

TEST(StepSizeControl, OneFifthRuleGrowsShrinksOrKeepsThePowerPerWindow)
{
    auto c = one_fifth();
    c.record(8, 8);  // the window is not complete yet
    EXPECT_DOUBLE_EQ(c.power(), 0.1);
    c.record(0, 8);  // 8 of 16 > 1/5: grow
    EXPECT_DOUBLE_EQ(c.power(), 0.2);
    c.record(1, 8);
    c.record(1, 8);  // 2 of 16 < 1/5: shrink
    EXPECT_DOUBLE_EQ(c.power(), 0.1);
    c.record(2, 5);
    c.record(0, 5);  // exactly 1/5: keep
    EXPECT_DOUBLE_EQ(c.power(), 0.1);
    for (int i = 0; i < 20; ++i)
        c.record(0, 8);
    EXPECT_DOUBLE_EQ(c.power(), 0.1 / 4);  // clamped at initial / limit
}

TEST(StepSizeControl, FixedRuleNeverChangesAndStateRoundTrips)
{
    StepSizeControl fixed(StepSizeControl::Options{});
    for (int i = 0; i < 50; ++i)
        fixed.record(8, 8);
    EXPECT_DOUBLE_EQ(fixed.power(), 0.01);

    auto a = one_fifth(3);
    a.record(5, 8);
    auto b = one_fifth(3);
    b.restore(a.state());
    a.record(0, 8);
    a.record(0, 8);
    b.record(0, 8);
    b.record(0, 8);
    EXPECT_DOUBLE_EQ(a.power(), b.power());
    EXPECT_DOUBLE_EQ(a.power(), 0.2);  // 5 of 24 > 1/5
}

TEST(StepSizeControl, RejectsNonPositivePower)
{
    StepSizeControl::Options o;
    o.initial_power = 0;
    EXPECT_THROW(StepSizeControl{o}, InputError);
    o.initial_power = -1;
    EXPECT_THROW(StepSizeControl{o}, InputError);
    EXPECT_THROW(parse_step_size_rule("1/5"), UsageError);
    EXPECT_EQ(parse_step_size_rule("one-fifth"), StepSizeRule::one_fifth);
}
}  // namespace calo::evolve
