#include "calo3dgan/base/Error.hh"

#include <sstream>

namespace calo::detail
{
void contract_failure(char const* condition, char const* file, int line)
{
    std::ostringstream os;
    os << "internal error: contract '" << condition << "' violated at " << file << ':' << line
       << " — please report this bug";
    throw std::logic_error(os.str());
}
}  // namespace calo::detail
