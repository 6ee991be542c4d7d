#include "calo3dgan/infer/ModelUnits.hh"

#include "calo3dgan/base/Error.hh"

namespace calo::infer
{
io::Layout layout_for(nn::ArchitectureConfig const& config)
{
    auto const layout = io::layout_for_shape(config.image_shape);
    CALO_VALIDATE(layout.has_value(), "model " + config.name + " makes " + config.image_shape.to_string() +
                                          " images, which fit no dataset layout (25x25x25 or 51x51x25) — use a "
                                          "3DGAN model with a standard window");
    return *layout;
}

io::PreprocessOptions preprocess_options(nn::ArchitectureConfig const& config)
{
    auto options =
        config.family == nn::ModelFamily::a ? io::PreprocessOptions::model_a() : io::PreprocessOptions::model_b();
    options.xscale = config.train.xscale;
    options.yscale = config.train.yscale;
    options.xpower = config.power;
    return options;
}
}  // namespace calo::infer
