/* A scan's folder before the first position: what --resume refuses, and why, with nothing
 * written. */
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/plan.h"
#include "scan/scan_layout.h"
#include "scan/scan_output.h"
#include "util/staged_file.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace
{

struct Folder {
    std::string path;
    Folder()
    {
        char name[] = "/tmp/scan-output-test.XXXXXX";
        path = mkdtemp(name);
    }
    ~Folder() { fs::remove_all(path); }
    Folder(const Folder &) = delete;
    Folder &operator=(const Folder &) = delete;
};

/* A plan of three positions and the simulated rig, written into the test's folder. */
struct Inputs {
    Folder folder;
    const std::string plan = folder.path + "/plan.yaml";
    const std::string rig = folder.path + "/rig.yaml";
    const ScanLayout layout{folder.path + "/out", "t"};
    Inputs()
    {
        fs::copy_file(LOCKSTEP_SOURCE_DIR "/conf/rig-turntable-sim.yaml", rig);
        std::ofstream(plan)
            << "scan: t\n"
               "positions: { sweep: { motor: turntable, from: 0, to: 60, count: 3 } }\n";
    }
    PreparedOutput prepare(bool resume) const
    {
        return prepareOutput(layout, loadPlanWithRig(plan, rig), resume);
    }
};

void append(const std::string &path, const std::string &text)
{
    std::ofstream(path, std::ios::app) << text;
}

/* What a writer killed mid-position leaves: a staged frame never published. The child ends with
 * _exit, so no destructor removes the temporary, as with SIGKILL. */
std::string temporaryOfKilledWriter(const std::string &target)
{
    int pipeFds[2];
    BOOST_TEST_REQUIRE(pipe(pipeFds) == 0);
    const pid_t child = fork();
    BOOST_TEST_REQUIRE(child >= 0);
    if (child == 0) {
        StagedFile staged(target);
        const uint8_t bytes[] = {0xff, 0xd8, 0xff};
        staged.write(bytes);
        const std::string &name = staged.temporaryName();
        (void)!write(pipeFds[1], name.data(), name.size());
        _exit(0);
    }
    close(pipeFds[1]);
    std::string name;
    char buffer[512];
    for (ssize_t n; (n = read(pipeFds[0], buffer, sizeof(buffer))) > 0;)
        name.append(buffer, size_t(n));
    close(pipeFds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    return name;
}

} // namespace

BOOST_AUTO_TEST_SUITE(scan_output)

BOOST_AUTO_TEST_CASE(resume_refuses_a_folder_without_a_scan)
{
    const Inputs in;
    const PreparedOutput out = in.prepare(true);
    BOOST_TEST(out.decision.inputError ==
               in.layout.root + " has no manifest.jsonl: nothing to resume");
    BOOST_TEST(!out.manifest);
    BOOST_TEST(!fs::exists(in.layout.manifest()));
    BOOST_TEST(!fs::exists(in.layout.planCopy()));
}

BOOST_AUTO_TEST_CASE(resume_refuses_a_changed_plan_or_rig)
{
    const Inputs in;
    {
        const PreparedOutput first = in.prepare(false);
        BOOST_TEST_REQUIRE(first.decision.inputError.empty(), first.decision.inputError);
        BOOST_TEST_REQUIRE(first.decision.runError.empty(), first.decision.runError);
        BOOST_TEST(fs::exists(in.layout.manifest()));
    }
    {
        const PreparedOutput again = in.prepare(false);
        BOOST_TEST(again.decision.inputError ==
                   in.layout.root +
                       " already holds a scan; use --resume to continue it, or another --out");
    }
    const std::string changed = "the plan or rig file changed since " + in.layout.root +
                                " was started; resume needs the same files";
    const std::string manifestBefore = readTextFile(in.layout.manifest());
    append(in.plan, "# edited\n");
    BOOST_TEST(in.prepare(true).decision.inputError == changed);
    fs::copy_file(in.layout.planCopy(), in.plan, fs::copy_options::overwrite_existing);
    append(in.rig, "# edited\n");
    BOOST_TEST(in.prepare(true).decision.inputError == changed);
    BOOST_TEST(readTextFile(in.layout.manifest()) == manifestBefore, "nothing written");
    fs::copy_file(in.layout.rigCopy(), in.rig, fs::copy_options::overwrite_existing);
    const PreparedOutput resumed = in.prepare(true);
    BOOST_TEST(resumed.decision.inputError.empty(), resumed.decision.inputError);
    BOOST_TEST(resumed.decision.firstPosition == 0U);
    BOOST_TEST(bool(resumed.manifest));
}

BOOST_AUTO_TEST_CASE(resume_removes_the_temporaries_of_a_killed_writer_and_nothing_else)
{
    const Inputs in;
    {
        const PreparedOutput first = in.prepare(false);
        BOOST_TEST_REQUIRE(bool(first.manifest));
    }
    fs::create_directories(in.layout.file("pos-0001"));
    const std::string temporary = temporaryOfKilledWriter(in.layout.file("pos-0001/pi01-cam1.jpg"));
    BOOST_TEST_REQUIRE(fs::exists(temporary), temporary);
    const std::string userFile = in.layout.file("pos-0001/notes.txt");
    std::ofstream(userFile) << "kept\n";

    const PreparedOutput resumed = in.prepare(true);
    BOOST_TEST_REQUIRE(resumed.decision.inputError.empty(), resumed.decision.inputError);
    BOOST_TEST(!fs::exists(temporary), temporary << " is left after --resume");
    BOOST_TEST(fs::exists(userFile),
               "a file that is not a writer's temporary is not lockstep's to remove");
}

BOOST_AUTO_TEST_SUITE_END()
