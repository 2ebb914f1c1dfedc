/* The durability stage commits batches on its own thread, several as one group when they wait
 * for it, and reports a batch only after its files and directory entries are durable. A
 * process killed between any two steps of a group leaves each file complete at its name or
 * absent, and no record of a batch that is not durable. */
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "scratch_dirs.h"
#include "storage/durability_stage.h"
#include "util/atomic_file.h"

using namespace lockstep;
using namespace lockstep::test;
namespace fs = std::filesystem;

namespace
{

/* Batch A (one file) is committed alone; B and C are handed over while A's report is held, so
 * they wait for the stage and go as one group: B's file in x, C's in y and x. */
const std::vector<std::vector<std::string>> kBatches = {
    {"x/a0.jpg"}, {"x/b0.jpg"}, {"y/c0.jpg", "x/c1.jpg"}};
/* Hook calls: 4 staged (before anything is handed over), A's flushed, published and its
 * directory synced (3), the group's 3 flushed, 3 published, 2 directories synced (8). */
constexpr int kSteps = 15;
constexpr int kStepsBeforeGroup = 7;

std::vector<uint8_t> contentOf(const std::string &name)
{
    std::vector<uint8_t> bytes(3000 + name.size() * 100);
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<uint8_t>(i * 7 + name[0]);
    return bytes;
}

/* In a child: stages the three batches, hands them to a stage, records each batch reported
 * durable as a line of `records` ("A", "B", "C"), and SIGKILLs itself at hook call
 * `killAfter`. */
[[noreturn]] void commitAndDie(const std::string &dir, const std::string &records, int killAfter)
{
    int calls = 0;
    const auto hook = [&](CommitStep, size_t) {
        if (++calls == killAfter)
            raise(SIGKILL);
    };
    fs::create_directories(dir + "/x");
    fs::create_directories(dir + "/y");
    std::vector<DurableBatch> batches;
    for (const std::vector<std::string> &names : kBatches) {
        DurableBatch batch(hook);
        for (const std::string &name : names)
            batch.add(dir + "/" + name, contentOf(name));
        batches.push_back(std::move(batch));
    }
    std::mutex mutex;
    std::condition_variable opened;
    bool reportingA = false;
    bool open = false;
    const auto record = [&](const std::string &name, const std::string &error) {
        if (!error.empty())
            _exit(3);
        std::ofstream(records, std::ios::app) << name << "\n";
    };
    {
        DurabilityStage stage(2);
        stage.commit(std::move(batches[0]), [&](const std::string &error) {
            std::unique_lock lock(mutex);
            reportingA = true;
            opened.notify_all();
            opened.wait(lock, [&] { return open; });
            record("A", error);
        });
        {
            /* B and C are handed over while A is being reported, so they wait together. */
            std::unique_lock lock(mutex);
            opened.wait(lock, [&] { return reportingA; });
        }
        stage.commit(std::move(batches[1]), [&](const std::string &e) { record("B", e); });
        stage.commit(std::move(batches[2]), [&](const std::string &e) { record("C", e); });
        {
            const std::lock_guard lock(mutex);
            open = true;
        }
        opened.notify_all();
        stage.drain();
    }
    _exit(0);
}

int runChild(const std::string &dir, const std::string &records, int killAfter)
{
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0)
        commitAndDie(dir, records, killAfter);
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

} // namespace

BOOST_AUTO_TEST_CASE(batches_that_wait_are_committed_as_one_group_and_reported_in_order)
{
    const TempDir dir;
    const int status = runChild(dir.path(), dir.path() + "/records", kSteps + 1);
    BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    BOOST_TEST((linesOf(dir.path() + "/records") == std::vector<std::string>{"A", "B", "C"}));
    for (const std::vector<std::string> &names : kBatches)
        for (const std::string &name : names)
            BOOST_TEST(readFileBytes(dir.path() + "/" + name) == contentOf(name), name);
}

BOOST_AUTO_TEST_CASE(a_group_killed_between_any_two_steps_leaves_whole_files_and_true_records)
{
    for (int killAfter = 1; killAfter <= kSteps; ++killAfter) {
        BOOST_TEST_CONTEXT("killed after step " << killAfter << " of " << kSteps)
        {
            const TempDir dir;
            const std::string records = dir.path() + "/records";
            const int status = runChild(dir.path(), records, killAfter);
            BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));

            /* A is reported once its directory is synced; the group never before its last
             * directory is (the last step). */
            const std::vector<std::string> expected = killAfter > kStepsBeforeGroup
                                                          ? std::vector<std::string>{"A"}
                                                          : std::vector<std::string>{};
            BOOST_TEST((linesOf(records) == expected));

            /* Renames come after every flush of the group, in order: exactly those renamed
             * are in place, each complete. */
            const int publishedA = killAfter >= 6 ? 1 : 0;
            const int publishedGroup = std::clamp(killAfter - kStepsBeforeGroup - 3, 0, 3);
            const std::vector<std::string> names = {"x/a0.jpg", "x/b0.jpg", "y/c0.jpg", "x/c1.jpg"};
            for (size_t n = 0; n < names.size(); ++n) {
                const std::string path = dir.path() + "/" + names[n];
                const bool published =
                    n == 0 ? publishedA == 1 : static_cast<int>(n) <= publishedGroup;
                if (published)
                    BOOST_TEST(readFileBytes(path) == contentOf(names[n]), path);
                else
                    BOOST_TEST(!fs::exists(path), path);
            }
        }
    }
}
