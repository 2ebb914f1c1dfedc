/* readSimLine()/writeSimLine() as the plugin uses them: as root, in a directory jobs write to.
 * Whatever a job leaves at the state file's path, nothing but a real state file is touched. */
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "child_process.h"
#include "gpio/shared_lines.h"
#include "gpio/sim_gpio.h"
#include "temp_dir.h"
#include "util/errors.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace
{

constexpr unsigned kLine = 7;

/* A genuine state file for node `node` under `simDir`, with line kLine high. */
void makeStateFile(const std::string &simDir, const std::string &node)
{
    LineRequest request;
    request.outputs = {kLine};
    request.initialLevels = {1};
    const SimGpio gpio(simDir, node, {}, request);
}

std::string readAll(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/* writeSimLine's error for node `node`, "" if it succeeded. */
std::string writeError(const std::string &simDir, const std::string &node)
{
    try {
        writeSimLine(simDir, node, kLine, 0);
        return "";
    } catch (const RunError &e) {
        return e.what();
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_line_access)

BOOST_AUTO_TEST_CASE(reads_and_drives_a_state_file)
{
    TempDir dir;
    makeStateFile(dir.path(), "pi01");
    BOOST_TEST(readSimLine(dir.path(), "pi01", kLine) == 1);
    BOOST_TEST(writeError(dir.path(), "pi01").empty());
    BOOST_TEST(readSimLine(dir.path(), "pi01", kLine) == 0);
}

BOOST_AUTO_TEST_CASE(a_symlinked_state_file_is_not_followed)
{
    TempDir dir;
    makeStateFile(dir.path(), "real");
    fs::create_symlink(dir.path() + "/gpio/real.lines", dir.path() + "/gpio/pi01.lines");
    BOOST_TEST(readSimLine(dir.path(), "pi01", kLine) == -1);
    BOOST_TEST(writeError(dir.path(), "pi01").find("is a symlink (not followed)") !=
               std::string::npos);
    BOOST_TEST(readSimLine(dir.path(), "real", kLine) == 1); /* the target is untouched */
}

BOOST_AUTO_TEST_CASE(a_symlinked_gpio_directory_is_not_followed)
{
    TempDir dir;
    TempDir elsewhere;
    makeStateFile(elsewhere.path(), "pi01");
    fs::create_symlink(elsewhere.path() + "/gpio", dir.path() + "/gpio");
    BOOST_TEST(readSimLine(dir.path(), "pi01", kLine) == -1);
    BOOST_TEST(writeError(dir.path(), "pi01").find("gpio is not a directory") != std::string::npos);
    BOOST_TEST(readSimLine(elsewhere.path(), "pi01", kLine) == 1);
}

BOOST_AUTO_TEST_CASE(a_fifo_is_refused_without_blocking)
{
    TempDir dir;
    fs::create_directories(dir.path() + "/gpio");
    BOOST_REQUIRE(mkfifo((dir.path() + "/gpio/pi01.lines").c_str(), 0666) == 0);
    /* In a child, so that a regression hangs one child and fails, not the whole run. */
    BOOST_TEST(runInChild([&] {
                   alarm(5);
                   return readSimLine(dir.path(), "pi01", kLine);
               }) == 255);
    BOOST_TEST(runInChild([&] {
                   alarm(5);
                   return writeError(dir.path(), "pi01").find("not a lockstep simulated GPIO") !=
                                  std::string::npos
                              ? 0
                              : 1;
               }) == 0);
}

BOOST_AUTO_TEST_CASE(other_files_are_left_unchanged)
{
    TempDir dir;
    fs::create_directories(dir.path() + "/gpio");
    const std::string path = dir.path() + "/gpio/pi01.lines";

    /* The right size, but not a state file (say, a copy of something precious). */
    std::ofstream(path, std::ios::binary) << std::string(336, 'x');
    BOOST_TEST(writeError(dir.path(), "pi01").find("(header)") != std::string::npos);
    BOOST_TEST(readAll(path) == std::string(336, 'x'));

    /* A state file with a second link: it could be a hard link to a file elsewhere. */
    fs::remove(path);
    makeStateFile(dir.path(), "pi02");
    fs::create_hard_link(dir.path() + "/gpio/pi02.lines", path);
    const std::string before = readAll(path);
    BOOST_TEST(writeError(dir.path(), "pi01").find("with one link") != std::string::npos);
    BOOST_TEST(readAll(path) == before);
    BOOST_TEST(before.at(offsetof(SimLinesState, level) + kLine) == 1); /* what a write clears */
}

BOOST_AUTO_TEST_CASE(node_names_cannot_leave_the_directory)
{
    TempDir dir;
    makeStateFile(dir.path(), "pi01");
    BOOST_TEST(writeError(dir.path(), "../gpio/pi01").find("is not a node name") !=
               std::string::npos);
    BOOST_TEST(readSimLine(dir.path(), "", kLine) == -1);
    BOOST_TEST(readSimLine(dir.path(), "pi01", kLine) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
