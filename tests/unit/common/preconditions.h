/* Preconditions of test cases that cannot run on every machine, as Boost.Test decorators:
 *
 *     BOOST_AUTO_TEST_CASE(name, *label("needs_root") * precondition(needsRoot))
 *
 * A failed precondition skips the case and prints "SKIPPED <case>: <reason>". ctest runs each such
 * label as an entry of its own (tests/testing.cmake, NEEDS) and reports that entry as skipped, with
 * the reason, so a case that could not run never counts as passed. */
#pragma once

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace lockstep::test
{

/* The precondition's result: when not `ok`, says so on stdout, which ctest matches. */
inline boost::test_tools::assertion_result skipUnless(boost::unit_test::test_unit_id id, bool ok,
                                                      const std::string &why)
{
    boost::test_tools::assertion_result result{ok};
    if (!ok) {
        result.message() << why;
        std::cout << "SKIPPED "
                  << boost::unit_test::framework::get(id, boost::unit_test::TUT_ANY).full_name()
                  << ": " << why << std::endl;
    }
    return result;
}

/* Root: root-owned lock files and marks, chown to another user. */
inline boost::test_tools::assertion_result needsRoot(boost::unit_test::test_unit_id id)
{
    return skipUnless(id, geteuid() == 0,
                      "needs root (running as uid " + std::to_string(geteuid()) + ")");
}

/* CAP_MKNOD: a character device node of our own (a copy of /dev/null) in a temporary directory. */
inline boost::test_tools::assertion_result needsMknod(boost::unit_test::test_unit_id id)
{
    std::string dir = (std::filesystem::temp_directory_path() / "lockstep-mknod.XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr)
        return skipUnless(
            id, false, "cannot make a temporary directory: " + std::string(std::strerror(errno)));
    const std::string node = dir + "/null";
    const bool made = mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0;
    const std::string why = made ? "" : std::strerror(errno);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return skipUnless(id, made, "needs CAP_MKNOD to make a test device node (mknod: " + why + ")");
}

/* No GPIO chip: the no-device error paths can only be seen where there is none. */
inline boost::test_tools::assertion_result needsNoGpioChip(boost::unit_test::test_unit_id id)
{
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator("/dev", ec)) {
        if (entry.path().filename().string().starts_with("gpiochip"))
            return skipUnless(id, false,
                              "this machine has " + entry.path().string() +
                                  ": the no-chip error paths cannot be seen");
    }
    return skipUnless(id, true, "");
}

} // namespace lockstep::test
