#include "calo3dgan/physval/FeatureDistances.hh"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <Eigen/Dense>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/ParallelFor.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::physval
{
namespace
{
struct Moments
{
    Eigen::VectorXd mean;        //!< d
    Eigen::MatrixXd covariance;  //!< d x d, symmetric
};

Moments moments_of(InputMatrix const& m, std::vector<std::size_t> const& rows)
{
    auto const d = static_cast<Eigen::Index>(m.cols);
    auto const n = static_cast<Eigen::Index>(rows.size());
    Eigen::MatrixXd centred(n, d);
    for (Eigen::Index r = 0; r < n; ++r)
        centred.row(r) = Eigen::Map<Eigen::RowVectorXf const>(m.row(rows[r]), d).cast<double>();
    Moments out;
    out.mean = centred.colwise().mean().transpose();
    centred.rowwise() -= out.mean.transpose();
    // Unbiased sample covariance; only its lower triangle is read below.
    out.covariance = Eigen::MatrixXd::Zero(d, d);
    out.covariance.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose(), 1.0 / static_cast<double>(n - 1));
    return out;
}

double frechet_of(Moments const& r, Moments const& c)
{
    using Solver = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>;
    double distance = (r.mean - c.mean).squaredNorm() + r.covariance.trace() + c.covariance.trace();
    // Tr((Σr Σc)^½) = Σ sqrt(eig(S Σc S)) with S = Σr^½ (symmetric), since
    // Σr Σc is similar to S Σc S, which is symmetric positive semi-definite.
    // Eigenvalues that rounding makes slightly negative count as zero.
    Solver const of_reference(r.covariance);
    Eigen::VectorXd const root_values = of_reference.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    Eigen::MatrixXd const root =
        of_reference.eigenvectors() * root_values.asDiagonal() * of_reference.eigenvectors().transpose();
    Eigen::MatrixXd const covariance_c = c.covariance.selfadjointView<Eigen::Lower>();
    Solver const of_inner(root * covariance_c * root, Eigen::EigenvaluesOnly);
    distance -= 2 * of_inner.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
    return distance;
}

std::vector<std::size_t> resample(std::size_t n, Rng& rng)
{
    std::vector<std::size_t> rows(n);
    for (auto& r : rows)
        r = rng() % n;
    return rows;
}

double mean_kernel(InputMatrix const& a, std::vector<std::size_t> const& ra, InputMatrix const& b,
                   std::vector<std::size_t> const& rb, bool skip_diagonal, int threads)
{
    std::size_t const d = a.cols;
    std::vector<double> row_sums(ra.size(), 0.0);
    parallel_for(0, static_cast<std::int64_t>(ra.size()), threads, [&](std::int64_t i) {
        float const* x = a.row(ra[i]);
        double sum = 0;
        for (std::size_t j = 0; j < rb.size(); ++j)
        {
            if (skip_diagonal && static_cast<std::size_t>(i) == j)
                continue;
            float const* y = b.row(rb[j]);
            double dot = 0;
            for (std::size_t k = 0; k < d; ++k)
                dot += static_cast<double>(x[k]) * y[k];
            double const base = dot / static_cast<double>(d) + 1.0;
            sum += base * base * base;
        }
        row_sums[i] = sum;
    });
    double const pairs = skip_diagonal ? static_cast<double>(ra.size()) * (ra.size() - 1)
                                       : static_cast<double>(ra.size()) * rb.size();
    return std::accumulate(row_sums.begin(), row_sums.end(), 0.0) / pairs;
}

std::vector<std::size_t> all_rows(std::size_t n)
{
    std::vector<std::size_t> rows(n);
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

//! `m` distinct rows of `n`: the head of a seeded partial shuffle.
std::vector<std::size_t> random_subset(std::size_t n, std::size_t m, Rng& rng)
{
    std::vector<std::size_t> rows = all_rows(n);
    for (std::size_t i = 0; i < m; ++i)
        std::swap(rows[i], rows[i + rng() % (n - i)]);
    rows.resize(m);
    return rows;
}

//! Mean and sample standard deviation of `values`.
DistanceEstimate mean_and_spread(std::vector<double> const& values)
{
    double mean = 0;
    for (double v : values)
        mean += v;
    mean /= static_cast<double>(values.size());
    double var = 0;
    for (double v : values)
        var += (v - mean) * (v - mean);
    var /= std::max<double>(1, static_cast<double>(values.size()) - 1);
    return {mean, std::sqrt(var)};
}
}  // namespace

int standardise_like_reference(InputMatrix& reference, InputMatrix& candidate)
{
    CALO_VALIDATE(reference.cols == candidate.cols && reference.rows > 1 && candidate.rows > 1,
                  "feature distances need two samples of at least 2 events with the same features");
    std::size_t const d = reference.cols;
    std::vector<double> mean(d, 0.0), spread(d, 0.0);
    for (std::size_t r = 0; r < reference.rows; ++r)
        for (std::size_t i = 0; i < d; ++i)
            mean[i] += reference.row(r)[i];
    for (double& m : mean)
        m /= static_cast<double>(reference.rows);
    for (std::size_t r = 0; r < reference.rows; ++r)
        for (std::size_t i = 0; i < d; ++i)
            spread[i] += std::pow(reference.row(r)[i] - mean[i], 2);
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < d; ++i)
    {
        spread[i] = std::sqrt(spread[i] / static_cast<double>(reference.rows - 1));
        if (spread[i] > 1e-12 * std::max(1.0, std::abs(mean[i])))
            kept.push_back(i);
    }
    for (InputMatrix* m : {&reference, &candidate})
    {
        std::vector<float> values(m->rows * kept.size());
        for (std::size_t r = 0; r < m->rows; ++r)
            for (std::size_t k = 0; k < kept.size(); ++k)
                values[r * kept.size() + k] = static_cast<float>((m->row(r)[kept[k]] - mean[kept[k]]) / spread[kept[k]]);
        m->values = std::move(values);
        m->cols = kept.size();
    }
    return static_cast<int>(kept.size());
}

DistanceEstimate frechet_distance(InputMatrix const& reference, InputMatrix const& candidate, int bootstraps,
                                  std::uint64_t seed)
{
    CALO_VALIDATE(reference.cols == candidate.cols && reference.cols > 0, "feature distances need the same features");
    double const central = frechet_of(moments_of(reference, all_rows(reference.rows)),
                                      moments_of(candidate, all_rows(candidate.rows)));
    std::vector<double> resampled;
    for (int b = 0; b < bootstraps; ++b)
    {
        Rng rng(derive_seed(seed, static_cast<std::uint64_t>(b), 0xF9D));
        auto const rr = resample(reference.rows, rng);
        auto const rc = resample(candidate.rows, rng);
        resampled.push_back(frechet_of(moments_of(reference, rr), moments_of(candidate, rc)));
    }
    return {central, bootstraps > 1 ? mean_and_spread(resampled).error : 0.0};
}

DistanceEstimate frechet_distance_infinite(InputMatrix const& reference, InputMatrix const& candidate, int points,
                                           int repeats, std::uint64_t seed)
{
    CALO_VALIDATE(reference.cols == candidate.cols && reference.cols > 0, "feature distances need the same features");
    CALO_VALIDATE(points >= 2 && repeats >= 1, "the FPD extrapolation needs at least 2 sample sizes");
    std::size_t const n_max = std::min(reference.rows, candidate.rows);
    std::size_t const n_min = std::max<std::size_t>(n_max / 4, reference.cols + 2);
    CALO_VALIDATE(n_min < n_max, "too few events (" + std::to_string(n_max) + ") for the FPD extrapolation with "
                                     + std::to_string(reference.cols) + " features");
    std::vector<double> x, y;  // 1/n and FPD(n)
    for (int p = 0; p < points; ++p)
    {
        auto const n = static_cast<std::size_t>(n_min + (n_max - n_min) * static_cast<double>(p) / (points - 1));
        for (int r = 0; r < repeats; ++r)
        {
            Rng rng(derive_seed(seed, static_cast<std::uint64_t>(p * repeats + r), 0xF9D1));
            auto const rr = random_subset(reference.rows, n, rng);
            auto const rc = random_subset(candidate.rows, n, rng);
            x.push_back(1.0 / static_cast<double>(n));
            y.push_back(frechet_of(moments_of(reference, rr), moments_of(candidate, rc)));
        }
    }
    // Least-squares line y = a + b x; the standard error of a from the residuals.
    double const k = static_cast<double>(x.size());
    double const mx = std::accumulate(x.begin(), x.end(), 0.0) / k;
    double const my = std::accumulate(y.begin(), y.end(), 0.0) / k;
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
    {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    double const slope = sxy / sxx;
    double const intercept = my - slope * mx;
    double residual = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        residual += std::pow(y[i] - intercept - slope * x[i], 2);
    double const sigma2 = residual / std::max(1.0, k - 2);
    return {intercept, std::sqrt(sigma2 * (1.0 / k + mx * mx / sxx))};
}

DistanceEstimate kernel_distance(InputMatrix const& reference, InputMatrix const& candidate, int batches,
                                 std::size_t batch_size, std::uint64_t seed, int threads)
{
    CALO_VALIDATE(reference.cols == candidate.cols && reference.cols > 0, "feature distances need the same features");
    CALO_VALIDATE(batches > 0, "the kernel distance needs at least one batch");
    std::size_t const m = std::min({batch_size, reference.rows, candidate.rows});
    CALO_VALIDATE(m >= 2, "the kernel distance needs at least 2 events per side");
    std::vector<double> estimates;
    for (int b = 0; b < batches; ++b)
    {
        Rng rng(derive_seed(seed, static_cast<std::uint64_t>(b), 0x4B9D));
        auto const rr = random_subset(reference.rows, m, rng);
        auto const rc = random_subset(candidate.rows, m, rng);
        estimates.push_back(mean_kernel(reference, rr, reference, rr, true, threads)
                            + mean_kernel(candidate, rc, candidate, rc, true, threads)
                            - 2 * mean_kernel(reference, rr, candidate, rc, false, threads));
    }
    DistanceEstimate const spread = mean_and_spread(estimates);
    return {spread.value, spread.error / std::sqrt(static_cast<double>(batches))};
}
}  // namespace calo::physval
