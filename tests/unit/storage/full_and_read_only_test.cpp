/* Writing onto a full and onto a read-only file system: a clear error naming the path and the
 * cause, and nothing left behind. Needs root (a small tmpfs in a private mount namespace). */
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/preconditions.h"
#include "scratch_dirs.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace lockstep;
using namespace lockstep::test;

namespace
{

namespace utf = boost::unit_test;

/* Precondition: a tmpfs can be mounted here (root, a private mount namespace). */
boost::test_tools::assertion_result canMount(utf::test_unit_id id)
{
    std::string whyNot;
    const bool mounted = ScratchMount::create("size=4k", whyNot).has_value();
    return skipUnless(id, mounted, "needs a tmpfs: " + whyNot);
}

/* Past the precondition, a mount that fails is a failure. */
ScratchMount mountTmpfs(const std::string &options)
{
    std::string whyNot;
    std::optional<ScratchMount> mount = ScratchMount::create(options, whyNot);
    if (!mount)
        throw std::runtime_error("the precondition could mount a tmpfs, now: " + whyNot);
    return std::move(*mount);
}

std::string errorOf(const std::string &path, const std::vector<uint8_t> &bytes)
{
    try {
        writeFileAtomic(path, bytes);
    } catch (const RunError &e) {
        return e.what();
    }
    return "no error";
}

} // namespace

BOOST_AUTO_TEST_CASE(full_file_system_gives_enospc_and_leaves_no_file,
                     *utf::label("needs_mount") * utf::precondition(canMount))
{
    const ScratchMount fs = mountTmpfs("size=64k");
    const std::string path = fs.path() + "/big.jpg";
    BOOST_TEST(errorOf(path, std::vector<uint8_t>(1 << 20, 0x5a)) ==
               "cannot write " + path + ": No space left on device");
    BOOST_TEST(listDirectory(fs.path()).empty());

    /* The space of the removed temporary is free again. */
    const std::vector<uint8_t> small(size_t{16} * 1024, 1);
    writeFileAtomic(fs.path() + "/small.jpg", small);
    BOOST_TEST(readFileBytes(fs.path() + "/small.jpg") == small);
}

BOOST_AUTO_TEST_CASE(read_only_file_system_gives_erofs_and_leaves_no_file,
                     *utf::label("needs_mount") * utf::precondition(canMount))
{
    const ScratchMount fs = mountTmpfs("ro,size=64k");
    const std::string path = fs.path() + "/frame.jpg";
    BOOST_TEST(errorOf(path, std::vector<uint8_t>(100, 1)) ==
               "cannot write " + path + ": Read-only file system");
    BOOST_TEST(listDirectory(fs.path()).empty());
}
