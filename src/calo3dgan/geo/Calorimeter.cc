#include "Calorimeter.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::geo
{
namespace
{
void check_thickness(double value, char const* what, bool allow_zero)
{
    bool const ok = std::isfinite(value) && (allow_zero ? value >= 0 : value > 0);
    CALO_VALIDATE(ok, std::string("calorimeter: ") + what + " = " + std::to_string(value) +
                          " mm — use a finite value " + (allow_zero ? ">= 0" : "> 0"));
}
}  // namespace

CalorimeterSpec CalorimeterSpec::lcd()
{
    return CalorimeterSpec{};
}

CalorimeterSpec CalorimeterSpec::compact()
{
    CalorimeterSpec spec;
    spec.services_mm = 0;
    return spec;
}

CalorimeterSpec CalorimeterSpec::preset(std::string const& name)
{
    if (name == "lcd")
        return lcd();
    if (name == "compact")
        return compact();
    throw InputError("unknown calorimeter preset '" + name + "' — use lcd or compact");
}

Calorimeter::Calorimeter(CalorimeterSpec const& spec) : spec_(spec)
{
    CALO_VALIDATE(spec.thin_layers >= 0 && spec.thick_layers >= 0 && spec.thin_layers + spec.thick_layers > 0,
                  "calorimeter: " + std::to_string(spec.thin_layers) + " thin and " +
                      std::to_string(spec.thick_layers) + " thick layers — need at least one layer");
    check_thickness(spec.thin_absorber_mm, "thin absorber", true);
    check_thickness(spec.thick_absorber_mm, "thick absorber", true);
    check_thickness(spec.silicon_mm, "silicon", false);
    check_thickness(spec.services_mm, "services", true);
    check_thickness(spec.cell_size_mm, "cell size", false);

    double front_mm = 0;
    double front_x0 = 0;
    auto add_section = [&](int count, double absorber_mm)
    {
        if (count == 0)
            return;
        std::vector<Slab> const slabs{
            {tungsten(), absorber_mm}, {silicon(), spec.silicon_mm}, {services(), spec.services_mm}};
        Section section;
        section.first_layer = static_cast<int>(layers_.size());
        section.num_layers = count;
        section.front_mm = front_mm;
        section.front_x0 = front_x0;
        section.medium = mix_materials(slabs);
        double mip_loss = 0;
        for (auto const& slab : slabs) mip_loss += slab.material.mip_loss_mev(slab.thickness_mm);
        for (int i = 0; i < count; ++i)
        {
            // Boundaries from the index, not by accumulation, so that
            // layer_at_depth_mm inverts them exactly.
            Layer layer;
            layer.front_mm = section.front_mm + i * section.medium.thickness_mm;
            layer.back_mm = section.front_mm + (i + 1) * section.medium.thickness_mm;
            layer.front_x0 = section.front_x0 + i * section.medium.thickness_x0;
            layer.back_x0 = section.front_x0 + (i + 1) * section.medium.thickness_x0;
            layer.section = static_cast<int>(sections_.size());
            layer.mip_loss_mev = mip_loss;
            layer.silicon_mip_mev = silicon().mip_loss_mev(spec.silicon_mm);
            layers_.push_back(layer);
        }
        front_mm = layers_.back().back_mm;
        front_x0 = layers_.back().back_x0;
        sections_.push_back(section);
    };
    add_section(spec.thin_layers, spec.thin_absorber_mm);
    add_section(spec.thick_layers, spec.thick_absorber_mm);
}
}  // namespace calo::geo
