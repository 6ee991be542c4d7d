#include "calo3dgan/mc/Primary.hh"

#include <gtest/gtest.h>

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::mc
{
namespace
{
ValueSpec energy(std::string const& text)
{
    return ValueSpec::parse(text, "--energy", 0.0, 1e4, "GeV");
}

//! The UsageError message of parsing `text` ("" if it parses).
std::string error_of(std::string const& text)
{
    try
    {
        energy(text);
    }
    catch (UsageError const& e)
    {
        return e.what();
    }
    return {};
}
}  // namespace

TEST(Particle, NamesAndPdgIds)
{
    EXPECT_EQ(parse_particle("e-"), Particle::electron);
    EXPECT_EQ(parse_particle("gamma"), Particle::photon);
    EXPECT_EQ(to_string(Particle::electron), "e-");
    EXPECT_EQ(to_string(Particle::photon), "gamma");
    EXPECT_EQ(pdg_id(Particle::electron), 11);
    EXPECT_EQ(pdg_id(Particle::photon), 22);
    EXPECT_THROW(parse_particle("pi+"), UsageError);
    EXPECT_THROW(parse_particle(""), UsageError);
    try
    {
        parse_particle("mu-");
        FAIL() << "no exception";
    }
    catch (UsageError const& e)
    {
        EXPECT_STREQ(e.what(), "unknown particle 'mu-' — use e- or gamma");
    }
}

TEST(ValueSpec, Fixed)
{
    ValueSpec const spec = energy("100");
    EXPECT_EQ(spec.min(), 100);
    EXPECT_EQ(spec.max(), 100);
    Rng rng(1);
    EXPECT_EQ(spec.sample(rng), 100);
    EXPECT_EQ(spec.to_string(), "100");
    EXPECT_EQ(energy(" 2.5 ").to_string(), "2.5");
    EXPECT_EQ(energy("+7").min(), 7);
    EXPECT_EQ(energy("1e2").min(), 100);
}

TEST(ValueSpec, RangeSamplesWithinBounds)
{
    ValueSpec const spec = energy("2:500");
    EXPECT_EQ(spec.min(), 2);
    EXPECT_EQ(spec.max(), 500);
    EXPECT_EQ(spec.to_string(), "2:500");
    Rng rng(7);
    double sum = 0;
    int const n = 100000;
    for (int i = 0; i < n; ++i)
    {
        double const v = spec.sample(rng);
        ASSERT_GE(v, 2);
        ASSERT_LE(v, 500);
        sum += v;
    }
    // Uniform mean 251, sd 498/sqrt(12) = 143.8; 5 standard errors = 2.27.
    EXPECT_NEAR(sum / n, 251, 5 * 143.8 / std::sqrt(n));
    EXPECT_EQ(energy("3:3").sample(rng), 3);
}

TEST(ValueSpec, ListPicksEachEntryUniformly)
{
    ValueSpec const spec = energy("10,50,100");
    EXPECT_EQ(spec.min(), 10);
    EXPECT_EQ(spec.max(), 100);
    EXPECT_EQ(spec.to_string(), "10,50,100");
    Rng rng(3);
    int counts[3] = {0, 0, 0};
    int const n = 30000;
    for (int i = 0; i < n; ++i)
    {
        double const v = spec.sample(rng);
        ASSERT_TRUE(v == 10 || v == 50 || v == 100) << v;
        ++counts[v == 10 ? 0 : (v == 50 ? 1 : 2)];
    }
    // Binomial(n, 1/3): sd = sqrt(n 2/9) = 81.6; allow 5 sd.
    for (int c : counts) EXPECT_NEAR(c, n / 3.0, 5 * 81.6);
}

TEST(ValueSpec, RoundTripsThroughParse)
{
    for (std::string text : {"100", "2:500", "10,50,100", "0.1", "62,90,118", "1e-3:0.5", "123.456789012345"})
    {
        ValueSpec const spec = energy(text);
        ValueSpec const again = energy(spec.to_string());
        EXPECT_EQ(again.to_string(), spec.to_string()) << text;
        EXPECT_EQ(again.min(), spec.min());
        EXPECT_EQ(again.max(), spec.max());
    }
    EXPECT_EQ(energy("0.1").to_string(), "0.1");
}

TEST(ValueSpec, Errors)
{
    EXPECT_NE(error_of("").find("--energy: empty value"), std::string::npos) << error_of("");
    EXPECT_NE(error_of("   ").find("empty value"), std::string::npos);
    EXPECT_NE(error_of("abc").find("'abc' is not a number"), std::string::npos) << error_of("abc");
    EXPECT_NE(error_of("100GeV").find("is not a number"), std::string::npos);
    EXPECT_NE(error_of("nan").find("not a finite number"), std::string::npos) << error_of("nan");
    EXPECT_NE(error_of("inf").find("not a finite number"), std::string::npos);
    EXPECT_NE(error_of("0").find("0 GeV is out of range — use values > 0 and <= 10000 GeV"), std::string::npos)
        << error_of("0");
    EXPECT_NE(error_of("-5").find("out of range"), std::string::npos);
    EXPECT_NE(error_of("20000").find("out of range"), std::string::npos);
    EXPECT_NE(error_of("500:2").find("reversed range — write the lower bound first (2:500)"), std::string::npos)
        << error_of("500:2");
    EXPECT_NE(error_of("2:500:7").find("not a range"), std::string::npos);
    EXPECT_NE(error_of("2:").find("empty entry"), std::string::npos);
    EXPECT_NE(error_of("10,,100").find("empty entry"), std::string::npos);
    EXPECT_NE(error_of("10,-1").find("out of range"), std::string::npos);
    EXPECT_NE(error_of("1:2,3").find("mixes"), std::string::npos);
    // Every message is one line and names the option.
    for (std::string text : {"", "x", "0", "9:1", "1,,2"})
    {
        std::string const message = error_of(text);
        EXPECT_EQ(message.find('\n'), std::string::npos);
        EXPECT_EQ(message.rfind("--energy", 0), 0u) << message;
    }
    EXPECT_THROW(ValueSpec::range(5, 1), UsageError);
    EXPECT_THROW(ValueSpec::list({}), UsageError);
}

TEST(ValueSpec, FixedDrawsNothingRangeDrawsOne)
{
    Rng a(11);
    Rng b(11);
    ValueSpec::fixed(5).sample(a);
    EXPECT_EQ(a(), b());
    Rng c(11);
    Rng d(11);
    ValueSpec::range(1, 2).sample(c);
    d();
    EXPECT_EQ(c(), d());
}
}  // namespace calo::mc
