#pragma once
// Layer stack of the CLIC/LCD-like W/Si ECAL behind the 3DGAN data.
//
// Coordinates: x, y transverse [mm], depth z [mm] from the front face, along
// the layer index (the 3rd image axis). Each layer is absorber (W), then the
// silicon sensor, then services, so the sensor of layer l reads the shower in
// the tungsten just in front of it.
#include <string>
#include <vector>

#include "EffectiveMedium.hh"

namespace calo::geo
{
//! Layer composition. The defaults are preset "lcd" (docs/mc.md, "Geometry"):
//! 17 layers of 2.4 mm W then 8 of 4.8 mm W (CLIC NDM ECal twiki), 0.5 mm Si,
//! 1.5 mm services, 5.1 mm pads. The services make the 4.4/6.8 mm layer
//! pitch read off the LCD converter's per-layer cell counts (docs/mc.md,
//! "Layer pitch").
struct CalorimeterSpec
{
    int thin_layers = 17;            //!< layers in the front section
    int thick_layers = 8;            //!< layers in the back section
    double thin_absorber_mm = 2.4;   //!< W per front layer [mm]
    double thick_absorber_mm = 4.8;  //!< W per back layer [mm]
    double silicon_mm = 0.5;         //!< sensor thickness [mm]
    double services_mm = 1.5;        //!< low-density material behind each sensor [mm]
    double cell_size_mm = 5.1;       //!< square pad pitch [mm]

    //! Preset "lcd": 1.5 mm services, R_M,eff = 15.7 mm in the front.
    static CalorimeterSpec lcd();
    //! Preset "compact": W + Si only, R_M,eff = 10.8 mm in the front.
    static CalorimeterSpec compact();
    //! "lcd" or "compact"; anything else throws calo::InputError.
    static CalorimeterSpec preset(std::string const& name);
};

//! One sampling layer.
struct Layer
{
    double front_mm = 0;         //!< depth of the front face [mm]
    double back_mm = 0;          //!< depth of the back face [mm]
    double front_x0 = 0;         //!< material in front of the layer [X0]
    double back_x0 = 0;          //!< material up to the back face [X0]
    int section = 0;             //!< index of the section (thin, thick)
    double mip_loss_mev = 0;     //!< mean MIP energy loss in the whole layer [MeV]
    double silicon_mip_mev = 0;  //!< mean MIP energy loss in the sensor [MeV]

    //! Fraction of a MIP's energy loss seen by the sensor.
    double mip_sampling_fraction() const { return silicon_mip_mev / mip_loss_mev; }
};

//! A run of identical layers and their GFLASH effective medium.
struct Section
{
    int first_layer = 0;
    int num_layers = 0;
    double front_mm = 0;     //!< [mm]
    double front_x0 = 0;     //!< [X0]
    EffectiveMedium medium;  //!< medium.thickness_mm is the layer pitch
};

//! The layer stack with depth <-> radiation-length conversions.
class Calorimeter
{
  public:
    //! Build the stack; throws calo::InputError for negative thicknesses,
    //! no layers or a non-positive pad size.
    explicit Calorimeter(CalorimeterSpec const& spec = {});

    CalorimeterSpec const& spec() const { return spec_; }
    int num_layers() const { return static_cast<int>(layers_.size()); }
    Layer const& layer(int index) const { return layers_[index]; }
    int num_sections() const { return static_cast<int>(sections_.size()); }
    Section const& section(int index) const { return sections_[index]; }
    double cell_size_mm() const { return spec_.cell_size_mm; }
    //! Front-to-back depth [mm].
    double depth_mm() const { return layers_.back().back_mm; }
    //! Front-to-back material [X0].
    double depth_x0() const { return layers_.back().back_x0; }

    //! Depth [mm] at which `t_x0` radiation lengths have been traversed at
    //! normal incidence. Linear within each layer (the layer is treated as
    //! its effective medium, docs/mc.md, "Effective medium"); continued with
    //! the last section's slope behind the back face and the first's before
    //! the front.
    double depth_mm_at_x0(double t_x0) const
    {
        Section const& s = sections_[section_at_x0(t_x0)];
        return s.front_mm + (t_x0 - s.front_x0) * s.medium.radiation_length_mm;
    }

    //! Section containing depth `z_mm`, clamped to the first/last section.
    int section_at_depth_mm(double z_mm) const
    {
        int s = 0;
        while (s + 1 < num_sections() && z_mm >= sections_[s + 1].front_mm) ++s;
        return s;
    }

    //! Layer containing depth `z_mm` in [front, back), or -1 outside the stack.
    int layer_at_depth_mm(double z_mm) const
    {
        if (!(z_mm >= 0 && z_mm < depth_mm()))
            return -1;
        Section const& s = sections_[section_at_depth_mm(z_mm)];
        int offset = static_cast<int>((z_mm - s.front_mm) / s.medium.thickness_mm);
        // Rounding at a section's back face can land one past its last layer.
        if (offset >= s.num_layers)
            offset = s.num_layers - 1;
        return s.first_layer + offset;
    }

  private:
    int section_at_x0(double t_x0) const
    {
        int s = 0;
        while (s + 1 < num_sections() && t_x0 >= sections_[s + 1].front_x0) ++s;
        return s;
    }

    CalorimeterSpec spec_;
    std::vector<Layer> layers_;
    std::vector<Section> sections_;
};
}  // namespace calo::geo
