#pragma once
// The message of the error a call throws, for tests of one-line errors.
#include <exception>
#include <string>

#include "calo3dgan/base/Error.hh"

namespace calo::test
{
/*!
 * What `call` throws as `Error` (default InputError); a marker that no
 * expected message contains when it throws another type or nothing.
 */
template <class Error = InputError, class F>
std::string error_message(F&& call)
{
    try
    {
        call();
    }
    catch (Error const& e)
    {
        return e.what();
    }
    catch (std::exception const& e)
    {
        return std::string("<wrong exception type> ") + e.what();
    }
    return "<no exception>";
}
}  // namespace calo::test

//! `text` contains `part`; prints both otherwise.
#define EXPECT_CONTAINS(text, part) \
    EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (text) << "' lacks '" << (part) << "'"
