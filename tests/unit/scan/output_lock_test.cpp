/* A scan's folder belongs to one scan at a time. */
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "scan/output_lock.h"
#include "util/errors.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace
{

struct TempDir {
    std::string path;
    TempDir()
    {
        char name[] = "/tmp/output-lock-test.XXXXXX";
        path = mkdtemp(name);
    }
    ~TempDir() { fs::remove_all(path); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
};

std::string contents(const std::string &path)
{
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(output_lock)

BOOST_AUTO_TEST_CASE(a_second_scan_is_refused_naming_the_first)
{
    const TempDir dir;
    const std::string root = dir.path + "/out/scan";
    std::optional<OutputLock> first(root); /* makes out/scan */
    BOOST_TEST(fs::is_directory(root));
    BOOST_TEST(contents(root + "/.lock").find("lockstep scan, pid " + std::to_string(getpid())) ==
               0U);
    /* Another open file of the same path: flock conflicts as between two processes. */
    try {
        OutputLock second(root);
        BOOST_FAIL("a second lock of " << root << " was granted");
    } catch (const InputError &e) {
        const std::string what = e.what();
        BOOST_TEST(what.find(root + " is in use by another scan (lockstep scan, pid " +
                             std::to_string(getpid())) == 0U,
                   what);
    }
    /* Refused: nothing added, the holder's record untouched. */
    BOOST_TEST(std::distance(fs::directory_iterator(root), fs::directory_iterator()) == 1);
    first.reset();
    /* Released with its holder: the folder can be taken again. */
    const OutputLock again(root);
    BOOST_TEST(fs::exists(again.path()));
}

BOOST_AUTO_TEST_CASE(a_symlinked_lock_file_is_not_followed)
{
    const TempDir dir;
    const std::string root = dir.path + "/scan";
    fs::create_directories(root);
    std::ofstream(dir.path + "/victim") << "keep me\n";
    fs::create_symlink(dir.path + "/victim", root + "/.lock");
    BOOST_CHECK_THROW(OutputLock{root}, RunError);
    BOOST_TEST(contents(dir.path + "/victim") == "keep me\n");
}

BOOST_AUTO_TEST_SUITE_END()
