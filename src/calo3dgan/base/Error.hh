#pragma once
// Error types and checks.
//
// User input (options, files, data) is validated always and reported with one
// line: "what is wrong (where) — what to do". Contract checks on internal
// invariants are only compiled in debug-check builds.
#include <stdexcept>
#include <string>

namespace calo
{
//! Bad command-line usage: the app exits with status 2.
class UsageError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

//! Bad input data or a failed run (unreadable file, invalid values): exit 1.
class InputError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

//! A training diverged (non-finite losses, a generator of empty showers):
//! not the user's input but the run's outcome; exit 1 with the last good
//! checkpoint named.
class TrainingDiverged : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

//! The run was interrupted (Ctrl-C): exit 130 after cleaning up.
class Interrupted : public std::runtime_error
{
  public:
    Interrupted() : std::runtime_error("interrupted") {}
};

namespace detail
{
[[noreturn]] void contract_failure(char const* condition, char const* file, int line);
}  // namespace detail
}  // namespace calo

//! Always-on validation of user input: throws calo::InputError(message).
#define CALO_VALIDATE(condition, message)          \
    do                                             \
    {                                              \
        if (!(condition))                          \
        {                                          \
            throw ::calo::InputError(message);     \
        }                                          \
    } while (0)

//! Always-on validation of command-line usage: throws calo::UsageError.
#define CALO_VALIDATE_USAGE(condition, message)    \
    do                                             \
    {                                              \
        if (!(condition))                          \
        {                                          \
            throw ::calo::UsageError(message);     \
        }                                          \
    } while (0)

#if defined(CALO3DGAN_DEBUG_CHECKS) && CALO3DGAN_DEBUG_CHECKS
#    define CALO_EXPECT(condition)                                               \
        do                                                                       \
        {                                                                        \
            if (!(condition))                                                    \
                ::calo::detail::contract_failure(#condition, __FILE__, __LINE__); \
        } while (0)
#else
#    define CALO_EXPECT(condition) \
        do                         \
        {                          \
        } while (false && (condition))
#endif
#define CALO_ASSERT(condition) CALO_EXPECT(condition)
