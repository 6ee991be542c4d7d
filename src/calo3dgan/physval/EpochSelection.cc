#include "calo3dgan/physval/EpochSelection.hh"

#include "calo3dgan/base/Error.hh"

namespace calo::physval
{
EpochChoice select_epoch(nlohmann::json const& history, int last)
{
    CALO_VALIDATE(last > 0, "--last must be positive");
    CALO_VALIDATE(history.is_array(), "history is not a list of epoch records");
    std::vector<nlohmann::json const*> validated;
    for (auto const& record : history)
    {
        auto const it = record.find("validation");
        if (it != record.end() && it->is_object() && it->contains("sampling_fraction_mre"))
            validated.push_back(&record);
    }
    CALO_VALIDATE(!validated.empty(),
                  "the run's history has no validation records — train with --validate-every K to record them");
    std::size_t const first = validated.size() > static_cast<std::size_t>(last) ? validated.size() - last : 0;
    EpochChoice best;
    bool found = false;
    for (std::size_t i = first; i < validated.size(); ++i)
    {
        auto const& record = *validated[i];
        auto const& v = record["validation"];
        double const mre = v["sampling_fraction_mre"].get<double>();
        std::int64_t const epoch = record["epoch"].get<std::int64_t>();
        best.considered.push_back(epoch);
        if (!found || mre < best.sampling_fraction_mean_relative_error)
        {
            found = true;
            best.epoch = epoch;
            best.sampling_fraction_mean_relative_error = mre;
            best.sampling_fraction_mean_relative_error_uncertainty = v.value("sampling_fraction_mre_error", 0.0);
            best.figure_of_merit = v.value("figure_of_merit", 0.0);
        }
    }
    best.considered.shrink_to_fit();
    return best;
}
}  // namespace calo::physval
