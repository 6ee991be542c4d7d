// calo3dgan inspect: summarise 3DGAN-format HDF5 files.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "Commands.hh"
#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/event/SamplingFraction.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/event/EventBatch.hh"

namespace calo::app
{
namespace
{
struct InspectOptions
{
    std::vector<std::string> inputs;
    bool json = false;
    int fit_degree = -1;  //!< degree of the sampling-fraction fit; -1: no fit
    double yscale = 100;  //!< GeV per unit of y in the fit
};

//! Running min/max/mean of one quantity.
struct Range
{
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double sum = 0;
    double sum_sq = 0;
    std::size_t n = 0;

    void add(double v)
    {
        min = std::min(min, v);
        max = std::max(max, v);
        sum += v;
        sum_sq += v * v;
        ++n;
    }
    double mean() const { return n ? sum / n : 0.0; }
    double std() const { return n > 1 ? std::sqrt(std::max(0.0, sum_sq / n - mean() * mean())) : 0.0; }
    nlohmann::json to_json() const
    {
        if (!n)
            return nullptr;
        return {{"min", min}, {"max", max}, {"mean", mean()}, {"std", std()}};
    }
};

struct FileSummary
{
    std::string path;
    std::size_t events = 0;
    Range energy_gev;
    Range theta_deg;
    Range measured_angle_deg;
    Range visible_fraction;  //!< sum of cells [GeV] / primary energy
    Range nonzero_cells;
};

//! Primary and visible energies [GeV] of every shower, for the fit.
struct EnergyPairs
{
    std::vector<double> primary_gev;
    std::vector<double> visible_gev;
};

FileSummary summarise(io::DatasetReader const& reader, std::size_t first, std::size_t count, ProgressBar& progress,
                      std::size_t& done, EnergyPairs& energies)
{
    constexpr std::size_t kChunk = 512;
    FileSummary s;
    s.events = count;
    double const unit = event::cell_unit_gev(reader.layout());
    for (std::size_t c = 0; c < count; c += kChunk)
    {
        throw_if_interrupted();
        auto const batch = reader.read(first + c, std::min(kChunk, count - c));
        for (std::size_t i = 0; i < batch.size(); ++i)
        {
            float const* image = batch.image(i);
            double sum = 0;
            std::size_t nonzero = 0;
            for (std::size_t k = 0; k < batch.shape.size(); ++k)
            {
                sum += image[k];
                nonzero += image[k] > 0;
            }
            s.energy_gev.add(batch.energy_gev[i]);
            energies.primary_gev.push_back(batch.energy_gev[i]);
            energies.visible_gev.push_back(sum * unit);
            if (batch.energy_gev[i] > 0)
                s.visible_fraction.add(sum * unit / batch.energy_gev[i]);
            s.nonzero_cells.add(static_cast<double>(nonzero));
            if (!batch.theta_rad.empty())
                s.theta_deg.add(batch.theta_rad[i] * 180.0 / kPi);
            if (!batch.measured_angle_rad.empty())
                s.measured_angle_deg.add(batch.measured_angle_rad[i] * 180.0 / kPi);
        }
        done += batch.size();
        progress.update(static_cast<std::int64_t>(done));
    }
    return s;
}

std::string range_text(Range const& r, int precision)
{
    if (!r.n)
        return "-";
    return fmt::format("{:.{}f} .. {:.{}f}", r.min, precision, r.max, precision);
}

void merge(Range& into, Range const& from)
{
    into.min = std::min(into.min, from.min);
    into.max = std::max(into.max, from.max);
    into.sum += from.sum;
    into.sum_sq += from.sum_sq;
    into.n += from.n;
}

std::string coefficients_text(event::Polynomial const& coefficients)
{
    std::string text;
    for (double c : coefficients) text += fmt::format("{}{:.6g}", text.empty() ? "" : ", ", c);
    return "[" + text + "]";
}

void print_fit(event::SamplingFractionFit const& fit)
{
    std::string terms;
    auto const degree = static_cast<int>(fit.coefficients.size()) - 1;
    for (int k = degree; k >= 0; --k)
    {
        double const c = fit.coefficients[static_cast<std::size_t>(degree - k)];
        terms += fmt::format(" {} {:.6g}", c < 0 ? "-" : (k == degree ? "" : "+"), std::abs(c));
        if (k > 1)
            terms += fmt::format(" y^{}", k);
        else if (k == 1)
            terms += " y";
    }
    std::cout << fmt::format("\nsampling fraction fit over {} showers (y = E_p / {:g} GeV):\n  ratio(y) [%] ={}\n"
                             "  r.m.s. residual {:.4f} %\n"
                             "train with it: --set 'train.sampling_fraction={}'\n",
                             fit.showers, fit.yscale, terms, fit.rms_residual, coefficients_text(fit.coefficients));
}

void run_inspect(InspectOptions const& opt)
{
    io::DatasetReader const reader(opt.inputs);
    EnergyPairs energies;
    ProgressBar progress(static_cast<std::int64_t>(reader.num_events()), {"inspect", "events"});
    std::vector<FileSummary> summaries;
    FileSummary total;
    total.path = "total";
    std::size_t first = 0;
    std::size_t done = 0;
    for (auto const& file : reader.files())
    {
        FileSummary s = summarise(reader, first, file.events, progress, done, energies);
        s.path = file.path;
        first += file.events;
        total.events += s.events;
        merge(total.energy_gev, s.energy_gev);
        merge(total.theta_deg, s.theta_deg);
        merge(total.measured_angle_deg, s.measured_angle_deg);
        merge(total.visible_fraction, s.visible_fraction);
        merge(total.nonzero_cells, s.nonzero_cells);
        summaries.push_back(std::move(s));
    }
    progress.finish();
    std::optional<event::SamplingFractionFit> fit;
    if (opt.fit_degree >= 0)
        fit = event::fit_sampling_fraction(energies.primary_gev, energies.visible_gev, opt.fit_degree, opt.yscale);

    auto const layout = reader.layout();
    if (opt.json)
    {
        nlohmann::json out;
        out["layout"] = layout == event::Layout::fixed_angle ? "a" : "b";
        out["shape"] = {reader.shape().nx, reader.shape().ny, reader.shape().nz};
        out["units"] = event::describe_units(layout);
        for (auto const* s : {&total})
        {
            out["events"] = s->events;
            out["energy_gev"] = s->energy_gev.to_json();
            out["theta_deg"] = s->theta_deg.to_json();
            out["mtheta_deg"] = s->measured_angle_deg.to_json();
            out["visible_fraction"] = s->visible_fraction.to_json();
            out["nonzero_cells"] = s->nonzero_cells.to_json();
        }
        for (auto const& s : summaries)
            out["files"].push_back({{"path", s.path},
                                    {"events", s.events},
                                    {"energy_gev", s.energy_gev.to_json()},
                                    {"visible_fraction", s.visible_fraction.to_json()}});
        if (fit)
            out["sampling_fraction_fit"] = {{"coefficients", fit->coefficients},
                                            {"yscale_gev", fit->yscale},
                                            {"rms_residual_percent", fit->rms_residual},
                                            {"showers", fit->showers}};
        std::cout << out.dump(2) << '\n';
        return;
    }
    std::cout << fmt::format("layout {} ({}), shape {} (x, y, layer), cell units {}\n",
                             layout == event::Layout::fixed_angle ? "a" : "b",
                             layout == event::Layout::fixed_angle ? "fixed angle" : "variable angle",
                             reader.shape().to_string(), event::describe_units(layout));
    std::cout << fmt::format("{:<40} {:>8} {:>18} {:>16} {:>16} {:>14} {:>10}\n", "file", "events", "energy [GeV]",
                             "theta [deg]", "mtheta [deg]", "Evis/E [%]", "hits");
    auto print = [](FileSummary const& s) {
        std::string name = s.path;
        if (name.size() > 40)
            name = "..." + name.substr(name.size() - 37);
        std::cout << fmt::format("{:<40} {:>8} {:>18} {:>16} {:>16} {:>7.3f}±{:<6.3f} {:>10.0f}\n", name, s.events,
                                 range_text(s.energy_gev, 1), range_text(s.theta_deg, 1),
                                 range_text(s.measured_angle_deg, 1), 100 * s.visible_fraction.mean(),
                                 100 * s.visible_fraction.std(), s.nonzero_cells.mean());
    };
    for (auto const& s : summaries)
        print(s);
    if (summaries.size() > 1)
        print(total);
    if (fit)
        print_fit(*fit);
}
}  // namespace

void add_inspect_command(CLI::App& app)
{
    auto opt = std::make_shared<InspectOptions>();
    auto* cmd = app.add_subcommand("inspect", "Summarise 3DGAN-format HDF5 files (events, shape, units, ranges)");
    cmd->add_option("inputs", opt->inputs, "HDF5 files or folders")->required();
    cmd->add_flag("--json", opt->json, "Print the summary as JSON");
    cmd->add_option("--fit-sampling-fraction", opt->fit_degree,
                    "Fit a polynomial of this degree (3DGAN: 4) to the sampling fraction sum(E_cell)/E_p [%] against "
                    "y = E_p / yscale, and print it as the train.sampling_fraction setting for model-A training")
        ->check(CLI::Range(0, 8));
    cmd->add_option("--yscale", opt->yscale, "GeV per unit of y in the fit (the presets' train.yscale)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->callback([opt] { run_inspect(*opt); });
}
}  // namespace calo::app
