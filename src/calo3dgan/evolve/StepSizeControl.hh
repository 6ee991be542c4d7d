#pragma once
// Mutation power: fixed, or adapted by Rechenberg's 1/5 success rule
// (Rechenberg 1973; Schwefel 1981: factor 0.817-1 per window): when more than a fifth of the
// children of a window beat their parent the power grows, when fewer it shrinks.
#include <string>

#include <nlohmann/json.hpp>

namespace calo::evolve
{
enum class StepSizeRule
{
    fixed,
    one_fifth
};
StepSizeRule parse_step_size_rule(std::string const& name);
std::string to_string(StepSizeRule rule);

class StepSizeControl
{
  public:
    struct Options
    {
        StepSizeRule rule = StepSizeRule::fixed;
        double initial_power = 0.01;  //!< mutation power at the start, > 0
        int window = 10;  //!< generations per adaptation
        double factor = 0.85;  //!< power x factor (too few successes) or / factor (too many), in (0, 1)
        //! The power stays within initial_power x [1/limit, limit].
        double limit = 1000;
    };

    //! Throws InputError for a non-positive power, a window < 1 or a factor outside (0, 1).
    explicit StepSizeControl(Options options);

    //! Power for the children of the next generation.
    double power() const { return power_; }
    //! After a generation: how many of its `children` beat their parent.
    void record(int successes, int children);

    nlohmann::json state() const;
    void restore(nlohmann::json const& state);
    Options const& options() const { return options_; }

  private:
    Options options_;
    double power_;
    int generations_ = 0;  // in the current window
    long long successes_ = 0;
    long long children_ = 0;
};
}  // namespace calo::evolve
