/* What a failing call says: the text of the RunError it throws, or "" when it does not throw. */
#pragma once

#include <string>

#include "util/errors.h"

namespace lockstep::test
{

template <typename Action> std::string errorOf(Action &&action)
{
    try {
        action();
    } catch (const RunError &e) {
        return e.what();
    }
    return {};
}

} // namespace lockstep::test
