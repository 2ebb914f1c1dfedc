/* A position's frames become durable together: every file's data before any rename, every
 * rename before the directory syncs, one sync per directory, and a frame reported to the
 * manifest only after all of that. A writer killed between any two steps leaves each frame
 * complete under its name or absent, and no record of a frame that is not. */
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "image/image.h"
#include "numbered_frame.h"
#include "scratch_dirs.h"
#include "storage/durable_batch.h"
#include "storage/writer_pool.h"
#include "util/atomic_file.h"

using namespace lockstep;
using namespace lockstep::test;
namespace fs = std::filesystem;

namespace
{

std::vector<uint8_t> bytesOf(const std::string &text)
{
    return {text.begin(), text.end()};
}

std::vector<std::string> temporariesIn(const std::string &dir)
{
    std::vector<std::string> found;
    for (const auto &entry : fs::recursive_directory_iterator(dir))
        if (entry.path().filename().string().find(".tmp-") != std::string::npos)
            found.push_back(entry.path().string());
    return found;
}

/* One position: three frames, two of them in one folder, one in another. */
const std::vector<std::string> kFrames = {"a/frame-0.jpg", "a/frame-1.jpg", "b/frame-2.jpg"};
/* Hook calls of that position: 3 staged, 3 flushed, 3 published, 2 directories synced. */
constexpr int kSteps = 11;

std::vector<WriteJob> positionIn(const std::string &dir)
{
    std::vector<WriteJob> batch;
    for (unsigned n = 0; n < kFrames.size(); ++n) {
        WriteJob job;
        job.frame = frameNumber(n, 32, 24);
        job.path = dir + "/" + kFrames[n];
        job.camera = "pi01/cam";
        batch.push_back(std::move(job));
    }
    return batch;
}

/* In a child: writes the position, recording each frame the pool reports as a line of
 * `records` (appended and synced, as the manifest is), and SIGKILLs itself after hook call
 * `killAfter` (never when it exceeds kSteps). */
void writePositionAndDie(const std::string &dir, const std::string &records, int killAfter)
{
    int calls = 0;
    {
        WriterPool pool(
            1, 4,
            [&](const WriteJob &job, const WriteResult &result) {
                if (!result.error.empty())
                    _exit(3);
                std::ofstream out(records, std::ios::app);
                out << job.path << "\n";
            },
            [&](CommitStep, size_t) {
                if (++calls == killAfter)
                    raise(SIGKILL);
            });
        pool.submit(positionIn(dir));
        pool.drain();
    }
    _exit(0);
}

} // namespace

BOOST_AUTO_TEST_CASE(every_flush_before_any_rename_and_one_sync_per_directory)
{
    const TempDir dir;
    fs::create_directories(dir.path() + "/a");
    fs::create_directories(dir.path() + "/b");
    std::vector<std::pair<CommitStep, size_t>> steps;
    DurableBatch batch([&](CommitStep step, size_t index) {
        steps.emplace_back(step, index);
        /* Nothing is under its name before its rename. */
        if (step == CommitStep::Flushed)
            BOOST_TEST(!fs::exists(dir.path() + "/" + kFrames[index]));
    });
    for (const std::string &name : kFrames)
        batch.add(dir.path() + "/" + name, bytesOf("frame " + name));
    BOOST_TEST(temporariesIn(dir.path()).size() == 3u);
    batch.commit();

    const std::vector<std::pair<CommitStep, size_t>> expected = {
        {CommitStep::Staged, 0},         {CommitStep::Staged, 1},
        {CommitStep::Staged, 2},         {CommitStep::Flushed, 0},
        {CommitStep::Flushed, 1},        {CommitStep::Flushed, 2},
        {CommitStep::Published, 0},      {CommitStep::Published, 1},
        {CommitStep::Published, 2},      {CommitStep::DirectorySynced, 0},
        {CommitStep::DirectorySynced, 1}};
    BOOST_TEST((steps == expected));
    for (const std::string &name : kFrames)
        BOOST_TEST(readFileBytes(dir.path() + "/" + name) == bytesOf("frame " + name));
    BOOST_TEST(temporariesIn(dir.path()).empty());
}

BOOST_AUTO_TEST_CASE(an_uncommitted_batch_leaves_nothing)
{
    const TempDir dir;
    {
        DurableBatch batch;
        batch.add(dir.path() + "/frame.jpg", bytesOf("x"));
    }
    BOOST_TEST(fs::is_empty(dir.path()));
}

BOOST_AUTO_TEST_CASE(a_failure_in_a_position_fails_all_of_it_and_leaves_none_of_it)
{
    const TempDir dir;
    writeFileAtomic(dir.path() + "/b", std::string("a file where a folder should be"));
    std::vector<WriteResult> results;
    {
        WriterPool pool(
            1, 4, [&](const WriteJob &, const WriteResult &result) { results.push_back(result); });
        pool.submit(positionIn(dir.path()));
        BOOST_CHECK_THROW(pool.drain(), RunError);
    }
    BOOST_REQUIRE_EQUAL(results.size(), 3u);
    for (const WriteResult &result : results)
        BOOST_TEST(!result.error.empty());
    /* The frames staged before the failure are not left under their names. */
    BOOST_TEST(!fs::exists(dir.path() + "/a/frame-0.jpg"));
    BOOST_TEST(temporariesIn(dir.path()).empty());
}

BOOST_AUTO_TEST_CASE(a_writer_killed_between_any_two_steps_leaves_whole_frames_and_true_records)
{
    /* What each frame is when complete: the same position written without a kill. */
    const TempDir reference;
    const std::string referenceRecords = reference.path() + "/records";
    const pid_t whole = fork();
    BOOST_REQUIRE(whole >= 0);
    if (whole == 0)
        writePositionAndDie(reference.path(), referenceRecords, kSteps + 1);
    int status = 0;
    waitpid(whole, &status, 0);
    BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    BOOST_REQUIRE_EQUAL(linesOf(referenceRecords).size(), kFrames.size());

    for (int killAfter = 1; killAfter <= kSteps; ++killAfter) {
        BOOST_TEST_CONTEXT("killed after step " << killAfter << " of " << kSteps)
        {
            const TempDir dir;
            const std::string records = dir.path() + "/records";
            const pid_t child = fork();
            BOOST_REQUIRE(child >= 0);
            if (child == 0)
                writePositionAndDie(dir.path(), records, killAfter);
            waitpid(child, &status, 0);
            BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));

            /* Renames come after every flush, in order: exactly those renamed are in place,
             * each complete. */
            const int published = std::clamp(killAfter - 6, 0, 3);
            for (int n = 0; n < 3; ++n) {
                const std::string path = dir.path() + "/" + kFrames[size_t(n)];
                if (n < published)
                    BOOST_TEST(readFileBytes(path) ==
                                   readFileBytes(reference.path() + "/" + kFrames[size_t(n)]),
                               path);
                else
                    BOOST_TEST(!fs::exists(path), path);
            }
            /* The pool reports a frame only after its directory is synced, and the whole
             * position at once: a kill at any step leaves no record. */
            BOOST_TEST(linesOf(records).empty());
        }
    }
}
