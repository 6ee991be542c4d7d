#include "calo3dgan/evolve/StepSizeControl.hh"

#include <algorithm>
#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
StepSizeRule parse_step_size_rule(std::string const& name)
{
    if (name == "fixed")
        return StepSizeRule::fixed;
    if (name == "one-fifth")
        return StepSizeRule::one_fifth;
    throw UsageError("unknown step-size rule '" + name + "' — use fixed or one-fifth");
}

std::string to_string(StepSizeRule rule)
{
    return rule == StepSizeRule::fixed ? "fixed" : "one-fifth";
}

StepSizeControl::StepSizeControl(Options options) : options_(options), power_(options.initial_power)
{
    CALO_VALIDATE(options_.initial_power > 0 && std::isfinite(options_.initial_power),
                  "mutation power " + std::to_string(options_.initial_power)
                      + " is not positive — it scales the weight changes, e.g. 0.01");
    CALO_VALIDATE(options_.window >= 1, "step-size window must be at least one generation");
    CALO_VALIDATE(options_.factor > 0 && options_.factor < 1, "step-size factor must be in (0, 1)");
    CALO_VALIDATE(options_.limit >= 1, "step-size limit must be at least 1");
}

void StepSizeControl::record(int successes, int children)
{
    if (options_.rule == StepSizeRule::fixed)
        return;
    successes_ += successes;
    children_ += children;
    if (++generations_ < options_.window)
        return;
    // Compare counts, not a rounded rate: 5 x successes against children.
    if (5 * successes_ > children_)
        power_ /= options_.factor;
    else if (5 * successes_ < children_)
        power_ *= options_.factor;
    power_ = std::clamp(power_, options_.initial_power / options_.limit, options_.initial_power * options_.limit);
    generations_ = 0;
    successes_ = 0;
    children_ = 0;
}

nlohmann::json StepSizeControl::state() const
{
    return {{"power", power_}, {"window_generations", generations_}, {"window_successes", successes_},
            {"window_children", children_}};
}

void StepSizeControl::restore(nlohmann::json const& state)
{
    power_ = state.at("power").get<double>();
    generations_ = state.at("window_generations").get<int>();
    successes_ = state.at("window_successes").get<long long>();
    children_ = state.at("window_children").get<long long>();
}
}  // namespace calo::evolve
