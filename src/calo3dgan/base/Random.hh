#pragma once
// Counter-style seeding and a small fast engine.
//
// Every random stream (per event, per rank, per individual) is derived from one
// master seed with derive_seed, so results do not depend on thread or rank
// counts. The engine is xoshiro256++ (Blackman & Vigna 2019): portable and
// identical on every compiler, unlike the std:: distributions.
#include <cmath>
#include <cstdint>
#include <limits>

namespace calo
{
//! SplitMix64 finaliser: a bijective 64-bit mix.
constexpr std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

//! Seed of stream `stream` (e.g. the event index) in domain `domain` of a run.
constexpr std::uint64_t derive_seed(std::uint64_t master, std::uint64_t stream, std::uint64_t domain = 0)
{
    return splitmix64(splitmix64(splitmix64(master) ^ domain) + stream);
}

//! xoshiro256++ engine, a UniformRandomBitGenerator.
class Rng
{
  public:
    using result_type = std::uint64_t;

    explicit Rng(std::uint64_t seed)
    {
        std::uint64_t x = seed;
        for (auto& word : state_)
        {
            x += 0x9E3779B97F4A7C15ull;
            word = splitmix64(x);
        }
    }

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

    result_type operator()()
    {
        std::uint64_t const result = rotl(state_[0] + state_[3], 23) + state_[0];
        std::uint64_t const t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    //! Uniform double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

    //! Uniform double in (0, 1): safe to take the logarithm of.
    double uniform_open() { return (static_cast<double>((*this)() >> 11) + 0.5) * 0x1.0p-53; }

  private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    std::uint64_t state_[4];
};

//! Uniform integer in [0, n) from one draw, by multiply-shift (Lemire 2019):
//! no division, and a bias of at most n / 2^64.
inline std::uint64_t uniform_index(Rng& rng, std::uint64_t n)
{
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}
//! Standard normal variate by the Marsaglia polar method, one variate per
//! call so that a stream's k-th value does not depend on how many were asked for.
inline double standard_normal(Rng& rng)
{
    while (true)
    {
        double const u = 2 * rng.uniform() - 1;
        double const v = 2 * rng.uniform() - 1;
        double const s = u * u + v * v;
        if (s > 0 && s < 1)
            return u * std::sqrt(-2 * std::log(s) / s);
    }
}
}  // namespace calo
