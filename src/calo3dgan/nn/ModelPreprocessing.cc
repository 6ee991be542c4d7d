#include "ModelPreprocessing.hh"

namespace calo::nn
{
io::PreprocessOptions preprocess_options(ArchitectureConfig const& config)
{
    auto options = config.family == ModelFamily::a ? io::PreprocessOptions::model_a() : io::PreprocessOptions::model_b();
    options.xscale = config.train.xscale;
    options.yscale = config.train.yscale;
    options.xpower = config.power;
    return options;
}
}  // namespace calo::nn
