#include "calo3dgan/classifier/ClassifierTest.hh"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/physval/Roc.hh"

namespace calo::classifier
{
using physval::ClassifierOptions;
using physval::ClassifierResult;
using physval::InputMatrix;
using physval::IsotonicCalibration;
using physval::roc_auc;
using physval::roc_curve;

namespace
{
struct Split
{
    std::vector<std::size_t> train, test, validation;
};

//! 0..n-1 in a seeded random order (Fisher-Yates with our portable engine).
template<class Index>
std::vector<Index> shuffled_indices(Index n, Rng& rng)
{
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index{0});
    for (Index i = n; i > 1; --i)
        std::swap(order[i - 1], order[rng() % static_cast<std::uint64_t>(i)]);
    return order;
}

Split split_events(std::size_t n, ClassifierOptions const& options, std::uint64_t stream)
{
    Rng rng(derive_seed(options.seed, stream, 0xC1A55));
    auto const order = shuffled_indices(n, rng);
    std::size_t const n_train = static_cast<std::size_t>(std::round(options.train_fraction * n));
    std::size_t const n_test = (n - n_train) / 2;
    Split s;
    s.train.assign(order.begin(), order.begin() + n_train);
    s.test.assign(order.begin() + n_train, order.begin() + n_train + n_test);
    s.validation.assign(order.begin() + n_train + n_test, order.end());
    return s;
}

//! Rows of both classes stacked, with labels 0 (reference) and 1 (candidate).
std::pair<torch::Tensor, torch::Tensor> gather(InputMatrix const& ref, std::vector<std::size_t> const& ref_rows,
                                               InputMatrix const& cand, std::vector<std::size_t> const& cand_rows)
{
    std::size_t const rows = ref_rows.size() + cand_rows.size();
    auto x = torch::empty({static_cast<long>(rows), static_cast<long>(ref.cols)}, torch::kFloat32);
    auto y = torch::empty({static_cast<long>(rows)}, torch::kFloat32);
    float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    std::size_t r = 0;
    for (std::size_t k : ref_rows)
    {
        std::copy(ref.row(k), ref.row(k) + ref.cols, xp + r * ref.cols);
        yp[r++] = 0;
    }
    for (std::size_t k : cand_rows)
    {
        std::copy(cand.row(k), cand.row(k) + cand.cols, xp + r * ref.cols);
        yp[r++] = 1;
    }
    return {x, y};
}

torch::nn::Sequential make_network(long inputs, std::vector<int> const& hidden)
{
    torch::nn::Sequential net;
    long width = inputs;
    for (int units : hidden)
    {
        net->push_back(torch::nn::Linear(width, units));
        net->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
        width = units;
    }
    net->push_back(torch::nn::Linear(width, 1));
    return net;
}

std::vector<double> to_vector(torch::Tensor t)
{
    t = t.to(torch::kFloat64).contiguous();
    return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

std::vector<int> to_labels(torch::Tensor t)
{
    auto v = to_vector(t);
    return std::vector<int>(v.begin(), v.end());
}
}  // namespace

ClassifierResult two_sample_test(InputMatrix const& reference, InputMatrix const& candidate,
                                 ClassifierOptions const& options)
{
    auto const start = std::chrono::steady_clock::now();
    CALO_VALIDATE(reference.cols == candidate.cols && reference.cols > 0,
                  "classifier inputs of reference and candidate differ in width");
    CALO_VALIDATE(reference.rows >= 10 && candidate.rows >= 10,
                  "the classifier test needs at least 10 events per sample");
    CALO_VALIDATE(options.train_fraction > 0 && options.train_fraction < 1, "classifier train fraction must be in (0, 1)");

    Split const ref_split = split_events(reference.rows, options, 0);
    Split const cand_split = split_events(candidate.rows, options, 1);
    auto [x_train, y_train] = gather(reference, ref_split.train, candidate, cand_split.train);
    auto [x_test, y_test] = gather(reference, ref_split.test, candidate, cand_split.test);
    auto [x_val, y_val] = gather(reference, ref_split.validation, candidate, cand_split.validation);

    // Standardise with the training split only, so nothing leaks from the held-out events.
    auto const mean = x_train.mean(0, true);
    auto const train_std = x_train.std(0, true, true);
    auto const spread = train_std.clamp_min(1e-12);
    auto const constant = train_std <= 1e-12;
    auto standardise = [&](torch::Tensor x) { return ((x - mean) / spread).masked_fill(constant, 0.0); };
    x_train = standardise(x_train);
    x_test = standardise(x_test);
    x_val = standardise(x_val);

    torch::manual_seed(derive_seed(options.seed, 2, 0xC1A55));
    auto net = make_network(static_cast<long>(reference.cols), options.hidden);
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(options.learning_rate));
    auto generator_seed = derive_seed(options.seed, 3, 0xC1A55);

    ClassifierResult result;
    result.train_events = static_cast<std::size_t>(x_train.size(0));
    result.validation_events = static_cast<std::size_t>(x_val.size(0));
    std::vector<torch::Tensor> best_state;
    double best_accuracy = -1;
    long const n_train = x_train.size(0);
    ProgressBar progress(options.max_epochs, {options.progress_label, "epochs"});
    for (int epoch = 1; epoch <= options.max_epochs; ++epoch)
    {
        if (interrupt_requested())
            throw Interrupted();
        net->train();
        Rng rng(derive_seed(generator_seed, static_cast<std::uint64_t>(epoch)));
        auto const permutation = torch::tensor(shuffled_indices(n_train, rng), torch::kLong);
        double loss_sum = 0;
        for (long first = 0; first < n_train; first += options.batch_size)
        {
            auto const idx = permutation.slice(0, first, std::min(n_train, first + options.batch_size));
            auto const logits = net->forward(x_train.index_select(0, idx)).squeeze(1);
            auto const loss = torch::binary_cross_entropy_with_logits(logits, y_train.index_select(0, idx));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            loss_sum += loss.item<double>() * idx.size(0);
        }
        result.train_loss.push_back(loss_sum / n_train);

        torch::NoGradGuard no_grad;
        net->eval();
        auto const predicted = (net->forward(x_test).squeeze(1) > 0).to(torch::kFloat32);
        double const accuracy = predicted.eq(y_test).to(torch::kFloat64).mean().item<double>();
        result.test_accuracy.push_back(accuracy);
        if (accuracy > best_accuracy)
        {
            best_accuracy = accuracy;
            result.best_epoch = epoch;
            best_state.clear();
            for (auto const& p : net->parameters())
                best_state.push_back(p.detach().clone());
        }
        char status[64];
        std::snprintf(status, sizeof status, "test accuracy %.3f", accuracy);
        progress.update(epoch, status);
        if (epoch - result.best_epoch >= options.patience)
            break;
    }
    progress.finish();
    {
        torch::NoGradGuard no_grad;
        auto params = net->parameters();
        for (std::size_t i = 0; i < params.size(); ++i)
            params[i].copy_(best_state[i]);
    }

    torch::NoGradGuard no_grad;
    net->eval();
    IsotonicCalibration const calibrate(to_vector(torch::sigmoid(net->forward(x_test).squeeze(1))), to_labels(y_test));
    std::vector<double> probabilities = to_vector(torch::sigmoid(net->forward(x_val).squeeze(1)));
    for (double& p : probabilities)
        p = calibrate(p);
    std::vector<int> const labels = to_labels(y_val);
    result.auc = roc_auc(probabilities, labels);
    result.roc = roc_curve(probabilities, labels);
    double bce = 0;
    for (std::size_t i = 0; i < probabilities.size(); ++i)
    {
        double const p = std::clamp(probabilities[i], 1e-7, 1 - 1e-7);
        bce -= labels[i] ? std::log(p) : std::log(1 - p);
    }
    bce /= static_cast<double>(probabilities.size());
    result.jsd = (std::log(2.0) - bce) / std::log(2.0);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}
}  // namespace calo::classifier
