/* Error types that map to lockstep's exit statuses. */
#pragma once

#include <stdexcept>
#include <string>

namespace lockstep
{

/* Exit statuses of every lockstep command. */
enum ExitStatus : int {
    kExitOk = 0,
    kExitFailure = 1,  /* a run failed: hardware, I/O, coordination, verification */
    kExitBadInput = 2, /* bad command line or configuration: nothing was moved or written */
};

/* Bad input from the user (command line, option values, paths). Exit status 2. */
class InputError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/* A failure while running (I/O, hardware, timing bound exceeded). Exit status 1. */
class RunError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

} // namespace lockstep
