/* Raspberry Pi's software camera sync: the decisions lockstep makes about it. The sync itself
 * runs in Raspberry Pi's IPA on a Pi with a camera; none is here (Debian's libcamera builds have
 * no rpi controls), so the backend's use of it is shown by these decisions and by the
 * libcamera-virtual tests, where every camera takes the "off" branch. */
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "camera/rpi_sync.h"
#include "gpio/temp_dir.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace
{

/* The shape of Raspberry Pi's tuning files (version 2.0: algorithms as one-key maps). */
const char *kTuning = R"({
    "version": 2.0,
    "target": "bcm2835",
    "algorithms": [
        { "rpi.black_level": { "black_level": 4096 } },
        { "rpi.agc": { "channels": [ { "metering_modes": { "centre-weighted": { "weights": [ 3, 3, 2 ] } } } ] } },
        { "rpi.sync": { } }
    ]
})";

RpiSyncInputs usable(unsigned rank)
{
    RpiSyncInputs inputs;
    inputs.compiledIn = true;
    inputs.offered = true;
    inputs.groupPrepared = true;
    inputs.rank = rank;
    return inputs;
}

void write(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::string read(const fs::path &path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

BOOST_AUTO_TEST_CASE(rank_zero_serves_and_every_other_camera_follows)
{
    BOOST_CHECK(chooseRpiSyncRole(usable(0)).role == RpiSyncRole::Server);
    RpiSyncInputs second = usable(0);
    second.serverTaken = true;
    BOOST_CHECK(chooseRpiSyncRole(second).role == RpiSyncRole::Client);
    BOOST_CHECK(chooseRpiSyncRole(usable(3)).role == RpiSyncRole::Client);
}

BOOST_AUTO_TEST_CASE(sync_stays_off_unless_everything_it_needs_is_there)
{
    RpiSyncInputs inputs = usable(0);
    inputs.compiledIn = false;
    BOOST_CHECK(chooseRpiSyncRole(inputs).role == RpiSyncRole::Off);
    inputs = usable(0);
    inputs.offered = false;
    BOOST_CHECK(chooseRpiSyncRole(inputs).role == RpiSyncRole::Off);
    inputs = usable(1);
    inputs.groupPrepared = false;
    const RpiSyncChoice noGroup = chooseRpiSyncRole(inputs);
    BOOST_CHECK(noGroup.role == RpiSyncRole::Off);
    BOOST_CHECK(noGroup.why.find("multicast group") != std::string::npos);
    inputs = usable(1);
    inputs.scheme = CaptureSync::OpenLoop;
    BOOST_CHECK(chooseRpiSyncRole(inputs).role == RpiSyncRole::Off);
    inputs = usable(1);
    inputs.rank.reset();
    BOOST_CHECK(chooseRpiSyncRole(inputs).role == RpiSyncRole::Off);
}

BOOST_AUTO_TEST_CASE(each_job_gets_its_own_local_scope_group_and_port)
{
    std::set<std::string> groups;
    std::set<uint16_t> ports;
    for (uint64_t job = 1000; job < 13768; ++job) {
        const RpiSyncEndpoint endpoint = rpiSyncEndpoint(job);
        BOOST_REQUIRE_EQUAL(endpoint.group.rfind("239.255.", 0), 0u);
        BOOST_REQUIRE_NE(endpoint.group, "239.255.255.250");
        BOOST_REQUIRE_GE(endpoint.port, 20000);
        BOOST_REQUIRE_LE(endpoint.port, 32767);
        groups.insert(endpoint.group);
        ports.insert(endpoint.port);
    }
    BOOST_CHECK_EQUAL(groups.size(), 12768u);
    BOOST_CHECK_EQUAL(ports.size(), 12768u);
    BOOST_CHECK_EQUAL(rpiSyncEndpoint(7).group, rpiSyncEndpoint(7).group);
}

/* Sets the job's variables for one test and puts back what was there. */
struct JobEnvironment {
    static constexpr std::array<const char *, 3> kNames{"SLURM_JOB_ID", "SLURM_PROCID",
                                                        "PMIX_RANK"};
    std::array<std::optional<std::string>, 3> saved;
    JobEnvironment()
    {
        for (size_t i = 0; i < kNames.size(); ++i)
            if (const char *value = std::getenv(kNames[i]))
                saved[i] = value;
    }
    ~JobEnvironment()
    {
        for (size_t i = 0; i < kNames.size(); ++i)
            if (saved[i])
                setenv(kNames[i], saved[i]->c_str(), 1);
            else
                unsetenv(kNames[i]);
    }
    JobEnvironment(const JobEnvironment &) = delete;
    JobEnvironment &operator=(const JobEnvironment &) = delete;
};

BOOST_AUTO_TEST_CASE(job_place_comes_from_slurm_then_pmix)
{
    const JobEnvironment restore;
    setenv("SLURM_JOB_ID", "4242", 1);
    setenv("SLURM_PROCID", "3", 1);
    setenv("PMIX_RANK", "5", 1);
    JobPlace place = jobPlaceFromEnvironment();
    BOOST_CHECK_EQUAL(place.jobId.value_or(0), 4242u);
    BOOST_CHECK_EQUAL(place.rank.value_or(99), 3u);
    unsetenv("SLURM_PROCID");
    BOOST_CHECK_EQUAL(jobPlaceFromEnvironment().rank.value_or(99), 5u);
    setenv("SLURM_JOB_ID", "42x", 1);
    BOOST_CHECK(!jobPlaceFromEnvironment().jobId);
    unsetenv("SLURM_JOB_ID");
    unsetenv("PMIX_RANK");
    place = jobPlaceFromEnvironment();
    BOOST_CHECK(!place.jobId);
    BOOST_CHECK(!place.rank);
}

BOOST_AUTO_TEST_CASE(tuning_gets_the_jobs_endpoint_and_keeps_everything_else)
{
    const RpiSyncEndpoint endpoint{"239.255.3.4", 21234};
    const std::optional<std::string> text = withSyncEndpoint(kTuning, endpoint);
    BOOST_REQUIRE(text);
    const YAML::Node root = YAML::Load(*text);
    BOOST_CHECK_EQUAL(root["version"].as<double>(), 2.0);
    const YAML::Node algorithms = root["algorithms"];
    BOOST_REQUIRE_EQUAL(algorithms.size(), 3u);
    BOOST_CHECK_EQUAL(algorithms[0]["rpi.black_level"]["black_level"].as<int>(), 4096);
    BOOST_CHECK_EQUAL(
        algorithms[1]["rpi.agc"]["channels"][0]["metering_modes"]["centre-weighted"]["weights"][2]
            .as<int>(),
        2);
    BOOST_CHECK_EQUAL(algorithms[2]["rpi.sync"]["group"].as<std::string>(), "239.255.3.4");
    BOOST_CHECK_EQUAL(algorithms[2]["rpi.sync"]["port"].as<int>(), 21234);

    BOOST_CHECK(
        !withSyncEndpoint(R"({"version": 2.0, "algorithms": [{"rpi.agc": {}}]})", endpoint));
    BOOST_CHECK_THROW(withSyncEndpoint("{ \"version\": [", endpoint), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(job_tuning_copies_the_first_file_found_for_each_sensor)
{
    const TempDir temp;
    const fs::path root(temp.path());
    const fs::path user = root / "user";
    const fs::path system = root / "system";
    const fs::path job = root / "job";
    write(user / "rpi/vc4/imx477.json", kTuning);
    write(system / "rpi/vc4/imx477.json",
          R"({"version": 2.0, "algorithms": [{"rpi.sync": {"group": "x"}}]})");
    write(system / "rpi/pisp/imx708.json", kTuning);
    write(system / "rpi/pisp/uncalibrated.json", R"({"version": 2.0, "algorithms": []})");
    write(system / "rpi/pisp/notes.txt", "not a tuning file");

    const RpiSyncEndpoint endpoint{"239.255.9.9", 29999};
    BOOST_CHECK_EQUAL(prepareRpiSyncTuning({user, system, root / "absent"}, job, endpoint,
                                           {"imx477", "imx708", "uncalibrated"}),
                      2u);
    const YAML::Node imx477 = YAML::Load(read(job / "rpi/vc4/imx477.json"));
    BOOST_CHECK_EQUAL(imx477["algorithms"].size(), 3u); /* the user's copy, not the system's */
    BOOST_CHECK_EQUAL(imx477["algorithms"][2]["rpi.sync"]["port"].as<int>(), 29999);
    BOOST_CHECK(fs::exists(job / "rpi/pisp/imx708.json"));
    BOOST_CHECK(!fs::exists(job / "rpi/pisp/uncalibrated.json")); /* no sync in it */
    BOOST_CHECK(!fs::exists(job / "rpi/pisp/notes.txt"));

    /* A symbolic link planted where a copy goes is not followed. */
    const fs::path elsewhere = root / "elsewhere.json";
    write(elsewhere, "keep");
    fs::remove(job / "rpi/pisp/imx708.json");
    fs::create_symlink(elsewhere, job / "rpi/pisp/imx708.json");
    BOOST_CHECK_THROW(prepareRpiSyncTuning({system}, job, endpoint, {"imx708"}),
                      std::runtime_error);
    BOOST_CHECK_EQUAL(read(elsewhere), "keep");
}

BOOST_AUTO_TEST_CASE(only_the_sensors_present_get_a_copy)
{
    const TempDir temp;
    const fs::path root(temp.path());
    write(root / "ipa/rpi/pisp/imx708.json", kTuning);
    write(root / "ipa/rpi/pisp/imx708_wide_noir.json", kTuning);
    write(root / "ipa/rpi/pisp/imx477.json", kTuning);
    write(root / "sys/class/video4linux/v4l-subdev0/name", "imx708 10-001a\n");
    write(root / "sys/bus/i2c/devices/10-001a/name", "imx708\n");
    write(root / "sys/bus/i2c/devices/1-0050/name", "24c32\n");
    const std::vector<std::string> sensors = sensorNames(root / "sys");
    BOOST_CHECK((sensors == std::vector<std::string>{"24c32", "imx708"}));
    BOOST_CHECK_EQUAL(
        prepareRpiSyncTuning({root / "ipa"}, root / "job", {"239.255.1.1", 20001}, sensors), 2u);
    BOOST_CHECK(fs::exists(root / "job/rpi/pisp/imx708_wide_noir.json"));
    BOOST_CHECK(!fs::exists(root / "job/rpi/pisp/imx477.json"));
    BOOST_CHECK(sensorNames(root / "absent").empty());
}

BOOST_AUTO_TEST_CASE(server_serves_only_on_grid_frames_and_is_ready_with_the_sync)
{
    RpiSyncSession session({RpiSyncRole::Server, 100, 200});
    BOOST_CHECK(!session.takeModeControl()); /* nothing at start */
    BOOST_CHECK(!session.syncHolds());       /* lockstep's loop steers the server */
    for (int i = 0; i < 10; ++i)
        session.onFrame(std::nullopt, false, false);
    BOOST_CHECK(!session.takeModeControl());
    session.onFrame(std::nullopt, true, true); /* locked onto the grid: serve from now on */
    BOOST_CHECK_EQUAL(session.takeModeControl().value_or(-1), kRpiSyncModeServer);
    BOOST_CHECK(!session.takeModeControl());
    for (int i = 0; i < 50; ++i)
        session.onFrame(false, true, true);
    BOOST_CHECK(!session.ready());
    session.onFrame(true, true, true);
    BOOST_CHECK(session.ready());
    BOOST_CHECK(!session.gaveUp());
}

BOOST_AUTO_TEST_CASE(server_without_sync_answer_gives_up_but_stays_on_the_grid)
{
    RpiSyncSession session({RpiSyncRole::Server, 100, 200});
    session.onFrame(std::nullopt, true, true);
    BOOST_CHECK_EQUAL(session.takeModeControl().value_or(-1), kRpiSyncModeServer);
    for (int i = 0; i < 200; ++i)
        session.onFrame(std::nullopt, true, true);
    BOOST_CHECK(!session.ready());
    session.onFrame(std::nullopt, true, true);
    BOOST_CHECK(session.ready());
    BOOST_CHECK(session.gaveUp());
    BOOST_CHECK_EQUAL(session.takeModeControl().value_or(-1), kRpiSyncModeOff);
}

BOOST_AUTO_TEST_CASE(client_waits_for_sync_ready_and_the_bound)
{
    RpiSyncSession session({RpiSyncRole::Client, 100, 300});
    BOOST_CHECK_EQUAL(session.takeModeControl().value_or(-1), kRpiSyncModeClient);
    BOOST_CHECK(session.syncHolds());
    /* Ready says the agreed frame has come; the frame must also be on the grid. */
    BOOST_CHECK(session.onFrame(true, false, false) == RpiSyncSession::Action::None);
    BOOST_CHECK(!session.ready());
    session.onFrame(false, true, true);
    BOOST_CHECK(!session.ready());
    session.onFrame(true, true, false);
    BOOST_CHECK(!session.ready());
    session.onFrame(true, true, true);
    BOOST_CHECK(session.ready());
    BOOST_CHECK(session.syncHolds());
}

BOOST_AUTO_TEST_CASE(client_without_a_server_hands_over_to_lockstep_loop)
{
    RpiSyncSession session({RpiSyncRole::Client, 100, 300});
    (void)session.takeModeControl();
    for (int i = 0; i < 300; ++i)
        BOOST_REQUIRE(session.onFrame(std::nullopt, true, true) == RpiSyncSession::Action::None);
    BOOST_CHECK(session.onFrame(std::nullopt, true, true) == RpiSyncSession::Action::StartSteering);
    BOOST_CHECK(!session.syncHolds());
    BOOST_CHECK_EQUAL(session.takeModeControl().value_or(-1), kRpiSyncModeOff);
    BOOST_CHECK(!session.ready());
    session.onFrame(std::nullopt, false, false); /* lockstep's loop still probing */
    BOOST_CHECK(!session.ready());
    session.onFrame(std::nullopt, true, true);
    BOOST_CHECK(session.ready());
}

BOOST_AUTO_TEST_CASE(off_is_ready_when_lockstep_loop_locks)
{
    RpiSyncSession session({RpiSyncRole::Off, 100, 300});
    BOOST_CHECK(!session.takeModeControl());
    session.onFrame(true, false, true);
    BOOST_CHECK(!session.ready());
    session.onFrame(std::nullopt, true, true);
    BOOST_CHECK(session.ready());
}
