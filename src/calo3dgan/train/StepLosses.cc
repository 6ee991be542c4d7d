#include "calo3dgan/train/StepLosses.hh"

#include <cmath>

namespace calo::train
{
LossValues& LossValues::operator+=(LossValues const& other)
{
    total += other.total;
    if (parts.empty())
        parts.assign(other.parts.size(), 0.0);
    for (std::size_t i = 0; i < other.parts.size(); ++i) parts[i] += other.parts[i];
    return *this;
}

LossValues LossValues::scaled(double factor) const
{
    LossValues out{total * factor, parts};
    for (auto& p : out.parts) p *= factor;
    return out;
}

bool LossValues::finite() const
{
    if (!std::isfinite(total))
        return false;
    for (double p : parts)
    {
        if (!std::isfinite(p))
            return false;
    }
    return true;
}

StepLosses& StepLosses::operator+=(StepLosses const& other)
{
    discriminator_real += other.discriminator_real;
    discriminator_fake += other.discriminator_fake;
    generator += other.generator;
    return *this;
}

StepLosses StepLosses::scaled(double factor) const
{
    StepLosses out = *this;
    out.discriminator_real = discriminator_real.scaled(factor);
    out.discriminator_fake = discriminator_fake.scaled(factor);
    out.generator = generator.scaled(factor);
    return out;
}

bool StepLosses::finite() const
{
    return discriminator_real.finite() && discriminator_fake.finite() && generator.finite();
}

nlohmann::json to_json(LossValues const& loss)
{
    return {{"total", loss.total}, {"parts", loss.parts}};
}

nlohmann::json to_json(StepLosses const& losses)
{
    return {{"discriminator_real", to_json(losses.discriminator_real)},
            {"discriminator_fake", to_json(losses.discriminator_fake)},
            {"generator", to_json(losses.generator)}};
}
}  // namespace calo::train
