#pragma once
// The primary particle of a shower and how its energy and angle are chosen.
#include <string>
#include <vector>

#include "calo3dgan/base/Random.hh"

namespace calo::mc
{
//! Particles the shower Monte Carlo can start.
enum class Particle
{
    electron,
    photon
};

//! "e-" or "gamma"; anything else throws calo::UsageError.
Particle parse_particle(std::string const& text);
//! "e-" or "gamma" (the Geant4 names, as in the 3DGAN file names).
std::string to_string(Particle particle);
//! PDG Monte Carlo particle number: 11 (e-) or 22 (gamma).
int pdg_id(Particle particle);

//! One primary: energy [GeV], polar angle to the layer planes [rad]
//! (pi/2 = normal incidence; below pi/2 the shower moves to +y with depth),
//! and particle type.
struct Primary
{
    double energy_gev = 0;
    double theta_rad = 0;
    Particle particle = Particle::electron;
};

//! A value given as fixed "100", uniform range "2:500", or list "10,50,100"
//! (list: each event picks one entry uniformly). Unit-free: the caller
//! decides what the numbers mean (GeV, degrees).
class ValueSpec
{
  public:
    //! Parse; `what` names the option ("--energy") and `unit` ("GeV") is
    //! shown in messages. Throws calo::UsageError with one line for empty or
    //! garbage text, non-finite values, values <= min_exclusive or
    //! > max_inclusive, and reversed ranges (a:b with b < a).
    static ValueSpec parse(std::string const& text, std::string const& what, double min_exclusive, double max_inclusive,
                           std::string const& unit = {});
    //! Always `v`.
    static ValueSpec fixed(double v);
    //! Uniform in [lo, hi]; throws calo::UsageError if hi < lo.
    static ValueSpec range(double lo, double hi);
    //! One of `values`, uniformly; throws calo::UsageError if empty.
    static ValueSpec list(std::vector<double> values);

    //! Draw a value. A fixed value draws nothing from `rng`; a range or list
    //! draws exactly one uniform.
    double sample(Rng& rng) const;
    double min() const;
    double max() const;
    //! Text that parse() turns back into the same spec (shortest round-trip
    //! decimal form of each number).
    std::string to_string() const;

  private:
    enum class Kind
    {
        fixed,
        range,
        list
    };
    ValueSpec(Kind kind, std::vector<double> values) : kind_(kind), values_(std::move(values)) {}

    Kind kind_ = Kind::fixed;
    std::vector<double> values_;  //!< fixed: {v}; range: {lo, hi}; list: entries
};
}  // namespace calo::mc
