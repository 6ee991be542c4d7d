#include "calo3dgan/base/ProgressBar.hh"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace calo
{
ProgressBar::ProgressBar(std::int64_t total, Options options)
    : total_(std::max<std::int64_t>(total, 1))
    , options_(std::move(options))
    , active_(options_.enabled && ::isatty(STDERR_FILENO))
    , start_(std::chrono::steady_clock::now())
    , last_draw_(start_ - std::chrono::seconds(1))
{
}

ProgressBar::~ProgressBar()
{
    if (active_ && !finished_)
        std::fputc('\n', stderr);
}

double ProgressBar::elapsed_seconds() const
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(std::int64_t done, std::string const& extra)
{
    if (!active_)
        return;
    auto const now = std::chrono::steady_clock::now();
    // Redraw at most 10 times a second: terminals are slow.
    if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_)
        return;
    last_draw_ = now;
    draw(done, extra);
}

void ProgressBar::finish(std::string const& extra)
{
    if (!active_ || finished_)
        return;
    draw(total_, extra);
    std::fputc('\n', stderr);
    finished_ = true;
}

void ProgressBar::draw(std::int64_t done, std::string const& extra)
{
    constexpr int width = 30;
    double const fraction = std::clamp(static_cast<double>(done) / total_, 0.0, 1.0);
    int const filled = static_cast<int>(fraction * width);
    std::string bar(filled, '#');
    bar.append(width - filled, '.');
    double const seconds = elapsed_seconds();
    double const rate = seconds > 0 ? done / seconds : 0.0;
    double const eta = rate > 0 ? (total_ - done) / rate : 0.0;
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %lld/%lld %.1f %s/s eta %.0fs %s\033[K",
                 options_.label.c_str(), bar.c_str(), 100 * fraction, static_cast<long long>(done),
                 static_cast<long long>(total_), rate, options_.unit.c_str(), eta, extra.c_str());
    std::fflush(stderr);
}
}  // namespace calo
