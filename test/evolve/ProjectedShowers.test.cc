#include "calo3dgan/evolve/ProjectedShowers.hh"

#include <gtest/gtest.h>

#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/DatasetWriter.hh"

namespace calo::evolve
{
namespace
{
event::EventBatch two_events(event::Layout layout)
{
    event::EventBatch batch;
    batch.layout = layout;
    batch.shape = event::default_shape(layout);
    batch.cells.assign(2 * batch.shape.size(), 0.0f);
    batch.energy_gev = {50, 80};
    // Event 0: cells at (x=3, y=1, z=7) and (3, 20, 7) add up; (4, 2, 0) stays alone.
    batch.image(0)[batch.shape.index(3, 1, 7)] = 1.5f;
    batch.image(0)[batch.shape.index(3, 20, 7)] = 2.0f;
    batch.image(0)[batch.shape.index(4, 2, 0)] = 0.25f;
    batch.image(1)[batch.shape.index(0, 0, 24)] = 8.0f;
    return batch;
}
}  // namespace

TEST(ProjectedShowers, SumsOverYKeepingXAndDepthInGeV)
{
    auto const p = project_showers(two_events(event::Layout::fixed_angle));
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p.rows, 25);
    EXPECT_EQ(p.cols, 25);
    EXPECT_FLOAT_EQ(p.image(0)[3 * 25 + 7], 3.5f);
    EXPECT_FLOAT_EQ(p.image(0)[4 * 25 + 0], 0.25f);
    EXPECT_FLOAT_EQ(p.image(1)[0 * 25 + 24], 8.0f);
    double total = 0;
    for (float v : p.images)
        total += v;
    EXPECT_FLOAT_EQ(static_cast<float>(total), 11.75f);
    EXPECT_EQ(p.energy_gev, (std::vector<float>{50, 80}));
    // Layout b stores GeV x 50: the projection is in GeV.
    auto const b = project_showers(two_events(event::Layout::variable_angle));
    EXPECT_EQ(b.rows, 51);
    EXPECT_FLOAT_EQ(b.image(0)[3 * 25 + 7], 3.5f * static_cast<float>(event::cell_unit_gev(event::Layout::variable_angle)));
}

TEST(ProjectedShowers, ReadsARangeOfAFileAndRefusesTooFewEvents)
{
    calo::test::TempDir dir;
    auto batch = two_events(event::Layout::fixed_angle);
    {
        io::DatasetWriter writer(dir / "a.h5", event::Layout::fixed_angle, batch.shape, "{}", true);
        writer.append(batch);
        writer.commit();
    }
    io::DatasetReader const reader({dir / "a.h5"});
    auto const second = project_showers(reader, 1, 1);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_FLOAT_EQ(second.energy_gev[0], 80.0f);
    EXPECT_FLOAT_EQ(second.image(0)[24], 8.0f);
    EXPECT_THROW(project_showers(reader, 1, 2), InputError);
}
}  // namespace calo::evolve
