// The torch-free generator library: exactness against a direct forward pass,
// precision, seeding, thread safety and bad arguments.
#include "calo3dgan/inference/Generator.hh"

#include <gtest/gtest.h>

#include <thread>

#include "ReferenceGenerator.hh"
#include "calo3dgan/inference/GeneratorModel.hh"

namespace calo::test
{
namespace
{
using inference::Conditioning;
using inference::Generator;
using inference::Precision;

struct Events
{
    std::vector<float> latent, energy_gev, theta_rad;
};

Events random_events(inference::GeneratorModel const& m, std::size_t n, std::uint64_t seed)
{
    Rng rng(seed);
    Events e;
    for (std::size_t i = 0; i < n * static_cast<std::size_t>(m.noise_size()); ++i)
        e.latent.push_back(static_cast<float>(standard_normal(rng)));
    for (std::size_t i = 0; i < n; ++i)
    {
        e.energy_gev.push_back(static_cast<float>(10 + 490 * rng.uniform()));
        if (m.takes_angle())
            e.theta_rad.push_back(static_cast<float>(1.0 + rng.uniform()));
    }
    return e;
}

std::vector<float> run(Generator const& g, Events const& e)
{
    std::size_t const n = e.energy_gev.size();
    std::vector<float> cells(n * g.model().cells_per_event());
    g.generate_from_latent(n, e.latent.data(), e.energy_gev.data(), e.theta_rad.empty() ? nullptr : e.theta_rad.data(),
                           cells.data());
    return cells;
}

//! The direct forward pass of every event, with the conditioning done here.
std::vector<double> expected(inference::GeneratorModel const& m, Events const& e)
{
    std::vector<double> all;
    std::size_t const noise = static_cast<std::size_t>(m.noise_size());
    for (std::size_t i = 0; i < e.energy_gev.size(); ++i)
    {
        double const y = static_cast<float>(e.energy_gev[i] / m.yscale);
        std::vector<double> latent;
        if (m.conditioning == Conditioning::concatenate)
            latent = {y, e.theta_rad[i]};
        for (std::size_t k = 0; k < noise; ++k)
            latent.push_back(m.conditioning == Conditioning::product ? static_cast<float>(e.latent[i * noise + k] * y)
                                                                     : e.latent[i * noise + k]);
        auto const cells = reference_forward(m, latent);
        all.insert(all.end(), cells.begin(), cells.end());
    }
    return all;
}

double relative_l2(std::vector<float> const& actual, std::vector<double> const& expected)
{
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < actual.size(); ++i)
    {
        diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
        norm += expected[i] * expected[i];
    }
    return std::sqrt(diff / norm);
}
}  // namespace

// fp32 reassociates sums (phase kernels, the folded input map, blocked
// kernels) but computes the same function: single-precision rounding over a
// few hundred terms per output gives relative errors of order 1e-6.
TEST(Generator, fp32_equals_the_direct_forward_pass)
{
    for (auto conditioning : {Conditioning::product, Conditioning::concatenate})
    for (bool padded_last : {false, true})
    {
        SCOPED_TRACE(padded_last ? "last layer on oneDNN" : "last layer hand-written");
        auto const model = small_model(conditioning, 3, padded_last);
        auto const generator = Generator::from_model(model, {Precision::fp32, 1});
        auto const events = random_events(model, 21, 4);
        auto const cells = run(generator, events);
        auto const reference = expected(model, events);
        ASSERT_EQ(cells.size(), reference.size());
        EXPECT_LT(relative_l2(cells, reference), 1e-5) << inference::to_string(conditioning);
        // The output is a real shower image: non-negative, mostly non-zero.
        std::size_t nonzero = 0;
        for (float v : cells)
        {
            ASSERT_GE(v, 0.0f);
            nonzero += v > 0;
        }
        EXPECT_GT(nonzero, cells.size() / 10);
    }
}

// bf16 rounds inputs and weights to 8 significant bits (2^-9 relative each);
// the small model's outputs then differ from fp32 by about 1 % (a broken path
// would give errors of order 100 %).
TEST(Generator, bf16_follows_the_direct_forward_pass_where_the_cpu_has_it)
{
    auto const model = small_model(Conditioning::product, 5);
    if (!inference::cpu_has_native_bf16())
    {
        EXPECT_THROW(Generator::from_model(model, {Precision::bf16, 1}), std::runtime_error);
        EXPECT_EQ(Generator::from_model(model, {Precision::automatic, 1}).precision(), Precision::fp32);
        GTEST_SKIP() << "this CPU has no native bf16 (AVX512-BF16 or AMX): bf16 refused, auto gives fp32";
    }
    auto const generator = Generator::from_model(model, {Precision::bf16, 1});
    EXPECT_EQ(generator.precision(), Precision::bf16);
    EXPECT_EQ(Generator::from_model(model, {Precision::automatic, 1}).precision(), Precision::bf16);
    auto const events = random_events(model, 16, 6);
    double const error = relative_l2(run(generator, events), expected(model, events));
    EXPECT_LT(error, 0.05);
    EXPECT_GT(error, 1e-4) << "bf16 gave fp32 results: the bf16 path did not run";
}

TEST(Generator, showers_depend_on_seed_and_event_index_only)
{
    auto const model = small_model(Conditioning::concatenate, 7);
    auto const one = Generator::from_model(model, {Precision::fp32, 1});
    auto const two = Generator::from_model(model, {Precision::fp32, 2});
    std::size_t const n = 37, cells = model.cells_per_event();
    std::vector<float> energy(n), theta(n);
    for (std::size_t i = 0; i < n; ++i)
    {
        energy[i] = 20.0f + 10.0f * static_cast<float>(i);
        theta[i] = 1.2f + 0.01f * static_cast<float>(i);
    }
    std::vector<float> all(n * cells), again(n * cells), part(5 * cells);
    one.generate(n, energy.data(), theta.data(), 9, 1000, all.data());
    two.generate(n, energy.data(), theta.data(), 9, 1000, again.data());
    EXPECT_EQ(all, again);
    // Events 1030..1034 alone (a batch of 5, another micro-batch split).
    two.generate(5, energy.data() + 30, theta.data() + 30, 9, 1030, part.data());
    EXPECT_TRUE(std::equal(part.begin(), part.end(), all.begin() + 30 * cells));
    // The latent vectors are the documented streams.
    std::vector<float> latent(n * one.noise_size());
    inference::draw_latent(one.noise_size(), n, 9, 1000, latent.data());
    Rng stream(derive_seed(9, 1003));
    EXPECT_EQ(latent[3 * one.noise_size()], static_cast<float>(standard_normal(stream)));
    std::vector<float> explicit_cells(n * cells);
    one.generate_from_latent(n, latent.data(), energy.data(), theta.data(), explicit_cells.data());
    EXPECT_EQ(explicit_cells, all);
    one.generate(5, energy.data() + 30, theta.data() + 30, 10, 1030, part.data());
    EXPECT_FALSE(std::equal(part.begin(), part.end(), all.begin() + 30 * cells));
}

// One Generator, many threads: each call has its own workspace. The
// ThreadSanitizer build (preset `tsan`, run by scripts/test.sh) checks it with
// one OpenMP thread per call: libgomp is not instrumented, so its barriers
// would look like races inside parallel regions.
TEST(Generator, concurrent_calls_give_the_sequential_results)
{
    auto const model = small_model(Conditioning::product, 11);
#ifdef __SANITIZE_THREAD__
    std::initializer_list<int> const threads_per_call_values{1};
#else
    std::initializer_list<int> const threads_per_call_values{1, 2};
#endif
    for (int threads_per_call : threads_per_call_values)
    {
        auto const generator = Generator::from_model(model, {Precision::fp32, threads_per_call});
        std::size_t const n = 40, cells = model.cells_per_event();
        std::vector<float> energy(n, 100.0f);
        std::vector<float> expected_cells(n * cells);
        generator.generate(n, energy.data(), nullptr, 5, 0, expected_cells.data());
        std::vector<std::vector<float>> results(4, std::vector<float>(n * cells));
        std::vector<std::thread> workers;
        for (std::size_t t = 0; t < results.size(); ++t)
        {
            workers.emplace_back(
                [&, t]
                {
                    for (int repeat = 0; repeat < 3; ++repeat)
                        generator.generate(n, energy.data(), nullptr, 5, 0, results[t].data());
                });
        }
        for (auto& worker : workers) worker.join();
        for (auto const& result : results) EXPECT_EQ(result, expected_cells);
    }
}

TEST(Generator, bad_arguments_throw_one_clear_error)
{
    auto const fixed = Generator::from_model(small_model(Conditioning::product, 1), {Precision::fp32, 1});
    auto const angled = Generator::from_model(small_model(Conditioning::concatenate, 1), {Precision::fp32, 1});
    std::vector<float> energy{100.0f}, cells(fixed.model().cells_per_event()), latent(12, 0.5f);
    float theta = 1.5f, negative = -5.0f, not_a_number = std::nanf("");
    auto const message = [](auto&& call)
    {
        try
        {
            call();
        }
        catch (std::invalid_argument const& e)
        {
            return std::string(e.what());
        }
        return std::string("<no std::invalid_argument>");
    };
    EXPECT_NE(message([&] { fixed.generate(0, energy.data(), nullptr, 1, 0, cells.data()); }).find("n is 0"),
              std::string::npos);
    EXPECT_NE(message([&] { fixed.generate(1, nullptr, nullptr, 1, 0, cells.data()); }).find("energy_gev"),
              std::string::npos);
    EXPECT_NE(message([&] { fixed.generate(1, energy.data(), nullptr, 1, 0, nullptr); }).find("cells_gev"),
              std::string::npos);
    EXPECT_NE(message([&] { fixed.generate(1, energy.data(), &theta, 1, 0, cells.data()); }).find("fixed-angle"),
              std::string::npos);
    EXPECT_NE(message([&] { angled.generate(1, energy.data(), nullptr, 1, 0, cells.data()); }).find("theta_rad"),
              std::string::npos);
    EXPECT_NE(message([&] { fixed.generate_from_latent(1, nullptr, energy.data(), nullptr, cells.data()); })
                  .find("latent"),
              std::string::npos);
    EXPECT_NE(message([&] { fixed.generate(1, &negative, nullptr, 1, 0, cells.data()); }).find("positive"),
              std::string::npos);
    EXPECT_NE(message([&] { fixed.generate(1, &not_a_number, nullptr, 1, 0, cells.data()); }).find("positive"),
              std::string::npos);
    EXPECT_THROW(inference::parse_precision("fp16"), std::invalid_argument);
    EXPECT_EQ(inference::parse_precision("auto"), Precision::automatic);
    EXPECT_THROW(Generator::from_model(small_model(Conditioning::product, 1), {Precision::fp32, -1}),
                 std::runtime_error);
    // A model whose layers do not chain is refused at load.
    auto broken = small_model(Conditioning::product, 1);
    broken.blocks[1].weight.pop_back();
    EXPECT_THROW(Generator::from_model(broken, {}), std::runtime_error);
    EXPECT_EQ(fixed.image_shape(), (std::array<int, 3>{6, 7, 9}));
    EXPECT_EQ(fixed.noise_size(), 12u);
    EXPECT_EQ(angled.noise_size(), 10u);
    EXPECT_TRUE(angled.takes_angle());
    EXPECT_FALSE(fixed.takes_angle());
}
}  // namespace calo::test
