/* A writer's folders are made durable in their parents before a frame goes into them: each
 * folder it makes has its parent synced, outermost first, once; a writer asking for a folder
 * another is making returns only after that sync. */
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "scratch_dirs.h"
#include "storage/durable_directories.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/staged_file.h"

using namespace lockstep;
using namespace lockstep::test;
namespace fs = std::filesystem;

namespace
{

/* The parents whose entries were synced, in order: the real sync, recorded. */
struct SyncLog {
    std::mutex mutex;
    std::vector<std::string> parents;

    DurableDirectories::EntrySync hook()
    {
        return [this](const std::string &folder) {
            syncDirectoryOf(folder);
            const std::lock_guard lock(mutex);
            parents.push_back(fs::path(folder).parent_path().string());
        };
    }
    std::vector<std::string> taken()
    {
        const std::lock_guard lock(mutex);
        return std::exchange(parents, {});
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(durable_directories)

BOOST_AUTO_TEST_CASE(each_new_folder_has_its_parent_synced_outermost_first)
{
    const TempDir dir;
    SyncLog log;
    DurableDirectories directories(log.hook());
    const std::string &root = dir.path();
    directories.ensure(root + "/scan/node/pos-0000");
    BOOST_TEST(fs::is_directory(root + "/scan/node/pos-0000"));
    const std::vector<std::string> first = {root, root + "/scan", root + "/scan/node"};
    BOOST_TEST(log.taken() == first, boost::test_tools::per_element());

    /* Asked again, or for a folder that already existed: nothing to sync. */
    directories.ensure(root + "/scan/node/pos-0000");
    directories.ensure(root + "/scan");
    BOOST_TEST(log.taken().empty());

    /* The next position's folder: only its own parent. */
    directories.ensure(root + "/scan/node/pos-0001");
    const std::vector<std::string> next = {root + "/scan/node"};
    BOOST_TEST(log.taken() == next, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_file_in_the_way_is_an_error_naming_it)
{
    const TempDir dir;
    SyncLog log;
    DurableDirectories directories(log.hook());
    writeFileAtomic(dir.path() + "/file", std::string("x"));
    for (const std::string &path : {dir.path() + "/file/sub", dir.path() + "/file"}) {
        try {
            directories.ensure(path);
            BOOST_FAIL("ensure(" + path + ") succeeded through a file");
        } catch (const RunError &e) {
            BOOST_TEST(
                std::string(e.what()).find("cannot create directory " + dir.path() + "/file") == 0,
                e.what());
        }
    }
    BOOST_TEST(log.taken().empty());
}

BOOST_AUTO_TEST_CASE(writers_asking_at_once_make_and_sync_a_folder_once)
{
    const TempDir dir;
    SyncLog log;
    DurableDirectories directories(log.hook());
    const std::string target = dir.path() + "/scan/pos-0000";
    std::vector<std::vector<std::string>> seen(8);
    std::vector<std::thread> writers;
    for (size_t i = 0; i < seen.size(); ++i)
        writers.emplace_back([&, i] {
            directories.ensure(target);
            /* Back from ensure(): both syncs are done, whoever made the folder. */
            const std::lock_guard lock(log.mutex);
            seen[i] = log.parents;
        });
    for (std::thread &writer : writers)
        writer.join();
    const std::vector<std::string> once = {dir.path(), dir.path() + "/scan"};
    BOOST_TEST(log.taken() == once, boost::test_tools::per_element());
    for (const std::vector<std::string> &parents : seen)
        BOOST_TEST(parents == once, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
