/* The plugin's parts that need no Slurm: plugstack arguments, --lockstep values, device
 * selection on a node, the lock directory and device locks, and device access (ACLs). */
#define BOOST_TEST_MODULE plugin
#include <boost/test/unit_test.hpp>

#include <acl/libacl.h>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "device_access.h"
#include "device_lock.h"
#include "device_request.h"
#include "plugin_args.h"
#include "util/errors.h"

using namespace lockstep;
using namespace lockstep::spank;
namespace fs = std::filesystem;

namespace
{

/* A fresh directory under /tmp, removed with everything in it. */
struct TempDir {
    TempDir()
    {
        std::string pattern = "/tmp/lockstep-plugin-XXXXXX";
        BOOST_REQUIRE(mkdtemp(pattern.data()));
        path = pattern;
    }
    ~TempDir() { fs::remove_all(path); }
    std::string path;
};

template <typename Fn> std::string errorOf(Fn &&fn)
{
    try {
        fn();
    } catch (const std::exception &e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

MotorConfig motor(const std::string &name)
{
    MotorConfig config;
    config.name = name;
    return config;
}

CameraConfig camera(const std::string &name)
{
    CameraConfig config;
    config.name = name;
    return config;
}

RigConfig twoNodeRig()
{
    RigConfig rig;
    rig.path = "/etc/lockstep/rig.yaml";
    NodeConfig pi01;
    pi01.hostname = "pi01";
    pi01.motors.push_back(motor("turntable"));
    pi01.cameras.push_back(camera("cam1"));
    NodeConfig pi02;
    pi02.hostname = "pi02";
    pi02.cameras.push_back(camera("cam2"));
    rig.nodes = {pi01, pi02};
    return rig;
}

std::vector<std::string> names(const std::vector<Device> &devices)
{
    std::vector<std::string> result;
    result.reserve(devices.size());
    for (const Device &device : devices)
        result.push_back(device.name);
    return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(plugin_args_are_strict_key_value)
{
    const PluginArgs args =
        parsePluginArgs({"rig=/srv/rig.yaml", "lockdir=/run/ls", "conflict=wait"});
    BOOST_TEST(args.rig == "/srv/rig.yaml");
    BOOST_TEST(args.lockDir == "/run/ls");
    BOOST_TEST((args.conflict == Conflict::Wait));
    BOOST_TEST((parsePluginArgs({}).conflict == Conflict::Refuse));

    BOOST_TEST(contains(errorOf([] { parsePluginArgs({"rigg=/x"}); }), "unknown argument 'rigg'"));
    BOOST_TEST(contains(errorOf([] { parsePluginArgs({"rig"}); }), "is not key=value"));
    BOOST_TEST(contains(errorOf([] { parsePluginArgs({"lockdir=run/ls"}); }), "absolute path"));
    BOOST_TEST(contains(errorOf([] { parsePluginArgs({"conflict=maybe"}); }), "refuse or wait"));

    BOOST_TEST(parsePluginArgs({}).waitTimeoutSeconds == 600U);
    BOOST_TEST(parsePluginArgs({"wait_timeout=86400"}).waitTimeoutSeconds == 86400U);
    for (const char *bad : {"wait_timeout=0", "wait_timeout=", "wait_timeout=010",
                            "wait_timeout=86401", "wait_timeout=5s", "wait_timeout=-1"})
        BOOST_TEST(contains(errorOf([&] { parsePluginArgs({bad}); }),
                            "wait_timeout= must be whole seconds from 1 to 86400"),
                   bad);
}

BOOST_AUTO_TEST_CASE(device_request_syntax)
{
    const DeviceRequest all = parseDeviceRequest("all");
    BOOST_TEST((all.allMotors && all.allCameras && all.names.empty()));
    const DeviceRequest mixed = parseDeviceRequest("motors,cam-1,lens_2.a");
    BOOST_TEST((mixed.allMotors && !mixed.allCameras));
    BOOST_TEST(mixed.names == std::vector<std::string>({"cam-1", "lens_2.a"}));

    BOOST_TEST(contains(errorOf([] { parseDeviceRequest(""); }), "needs a value"));
    BOOST_TEST(
        contains(errorOf([] { parseDeviceRequest("cam1,,cam2"); }), "'' is not a device name"));
    BOOST_TEST(contains(errorOf([] { parseDeviceRequest("cam1,no/such"); }),
                        "'no/such' is not a device name"));
}

BOOST_AUTO_TEST_CASE(devices_are_selected_per_node)
{
    const RigConfig rig = twoNodeRig();
    const DeviceRequest named = parseDeviceRequest("turntable,cam2");
    BOOST_TEST(names(selectDevices(named, rig, rig.nodes[0])) ==
               std::vector<std::string>({"turntable"}));
    BOOST_TEST(names(selectDevices(named, rig, rig.nodes[1])) ==
               std::vector<std::string>({"cam2"}));
    BOOST_TEST(names(selectDevices(parseDeviceRequest("all"), rig, rig.nodes[0])) ==
               std::vector<std::string>({"turntable", "cam1"}));
    BOOST_TEST(selectDevices(parseDeviceRequest("motors"), rig, rig.nodes[1]).empty());

    const std::string error =
        errorOf([&] { selectDevices(parseDeviceRequest("cam1,lens9"), rig, rig.nodes[0]); });
    BOOST_TEST(contains(error, "device 'lens9' is not in rig file /etc/lockstep/rig.yaml"));
}

BOOST_AUTO_TEST_CASE(unsafe_lock_directories_are_refused)
{
    TempDir tmp;
    const std::string real = tmp.path + "/locks";
    BOOST_REQUIRE(mkdir(real.c_str(), 0755) == 0);
    const std::string link = tmp.path + "/link";
    fs::create_directory_symlink(real, link);
    BOOST_TEST(contains(errorOf([&] { LockDir dir(link); }), "is a symlink"));

    const std::string file = tmp.path + "/file";
    BOOST_REQUIRE(close(creat(file.c_str(), 0644)) == 0);
    BOOST_TEST(contains(errorOf([&] { LockDir dir(file); }), "is not a directory"));

    const std::string open = tmp.path + "/open";
    BOOST_REQUIRE(mkdir(open.c_str(), 0755) == 0);
    BOOST_REQUIRE(chmod(open.c_str(), 0777) == 0);
    BOOST_TEST(contains(errorOf([&] { LockDir dir(open); }), "writable only by root"));

    if (geteuid() != 0) {
        BOOST_TEST(contains(errorOf([&] { LockDir dir(real); }), "owned by root"));
    } else {
        const std::string created = tmp.path + "/created";
        const LockDir dir(created);
        struct stat st = {};
        BOOST_TEST(lstat(created.c_str(), &st) == 0);
        BOOST_TEST(S_ISDIR(st.st_mode));
        /* A parent others may write (not sticky) could swap the directory: refused, and nothing
         * created in it. Sticky, like /tmp, it is safe. */
        const std::string shared = tmp.path + "/shared";
        BOOST_REQUIRE(mkdir(shared.c_str(), 0755) == 0);
        BOOST_REQUIRE(chmod(shared.c_str(), 0777) == 0);
        BOOST_TEST(contains(errorOf([&] { LockDir dir(shared + "/locks"); }),
                            shared + " above it must be owned by root"));
        BOOST_TEST(!fs::exists(shared + "/locks"));
        BOOST_REQUIRE(chmod(shared.c_str(), 01777) == 0);
        BOOST_TEST(errorOf([&] { LockDir dir(shared + "/locks"); }).empty());
    }
}

BOOST_AUTO_TEST_CASE(a_held_device_is_refused_naming_its_holder)
{
    if (geteuid() != 0) {
        BOOST_TEST_MESSAGE("skipped: lock files must be root-owned, which needs root");
        return;
    }
    TempDir tmp;
    const LockDir dir(tmp.path);
    const LockHolder alice{42, 0, "alice"};
    const LockHolder bob{43, 1, "bob"};
    {
        const DeviceLock first(dir, "pi01", "turntable", alice, Conflict::Refuse);
        /* Another open file description conflicts even within one process, as another job would. */
        BOOST_TEST(errorOf([&] {
                       DeviceLock second(dir, "pi01", "turntable", bob, Conflict::Refuse);
                   }) == "turntable on pi01 is in use by job 42 (user alice)");
        /* A different device, or the same name on another node, is free. */
        BOOST_TEST(
            errorOf([&] { DeviceLock other(dir, "pi01", "cam1", bob, Conflict::Refuse); }).empty());
        BOOST_TEST(errorOf([&] {
                       DeviceLock other(dir, "pi02", "turntable", bob, Conflict::Refuse);
                   }).empty());
    }
    BOOST_TEST(errorOf([&] {
                   DeviceLock again(dir, "pi01", "turntable", bob, Conflict::Refuse);
               }).empty());

    /* Waiting: bounded, naming the holder when it gives up; taken as soon as it is free. */
    {
        const auto first =
            std::make_unique<DeviceLock>(dir, "pi01", "turntable", alice, Conflict::Refuse);
        const auto start = std::chrono::steady_clock::now();
        BOOST_TEST(errorOf([&] {
                       DeviceLock second(dir, "pi01", "turntable", bob, Conflict::Wait,
                                         std::chrono::milliseconds(300));
                   }) == "turntable on pi01 is still in use by job 42 (user alice) after waiting "
                         "300 ms (conflict=wait)");
        const auto waited = std::chrono::steady_clock::now() - start;
        BOOST_TEST((waited >= std::chrono::milliseconds(300)));
    }
    {
        auto first =
            std::make_unique<DeviceLock>(dir, "pi01", "turntable", alice, Conflict::Refuse);
        std::thread releaser([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            first.reset();
        });
        BOOST_TEST(errorOf([&] {
                       DeviceLock second(dir, "pi01", "turntable", bob, Conflict::Wait,
                                         std::chrono::seconds(30));
                   }).empty());
        releaser.join();
        BOOST_TEST(!first);
    }

    /* A lock file replaced by a symlink is not followed. */
    const std::string planted = tmp.path + "/pi03.cam3.lock";
    fs::create_symlink("/etc/passwd", planted);
    BOOST_TEST(
        contains(errorOf([&] { DeviceLock lock(dir, "pi03", "cam3", bob, Conflict::Refuse); }),
                 "lock file " + planted));
}

namespace
{

/* The named-user entries of a file's ACL, as "uid:rw-". */
std::string userEntries(const std::string &path)
{
    std::string out;
    acl_t acl = acl_get_file(path.c_str(), ACL_TYPE_ACCESS);
    BOOST_REQUIRE(acl != nullptr);
    acl_entry_t entry;
    for (int which = ACL_FIRST_ENTRY; acl_get_entry(acl, which, &entry) == 1;
         which = ACL_NEXT_ENTRY) {
        acl_tag_t tag;
        acl_permset_t perms;
        if (acl_get_tag_type(entry, &tag) != 0 || tag != ACL_USER ||
            acl_get_permset(entry, &perms) != 0)
            continue;
        auto *uid = static_cast<uid_t *>(acl_get_qualifier(entry));
        out += std::to_string(*uid) + ":" + (acl_get_perm(perms, ACL_READ) == 1 ? "r" : "-") +
               (acl_get_perm(perms, ACL_WRITE) == 1 ? "w" : "-") +
               (acl_get_perm(perms, ACL_EXECUTE) == 1 ? "x" : "-") + " ";
        acl_free(uid);
    }
    acl_free(acl);
    return out;
}

} // namespace

/* An open directory for DeviceAccess's grant records, closed on scope exit. */
struct RegistryDir {
    explicit RegistryDir(const std::string &path) : fd(open(path.c_str(), O_RDONLY | O_DIRECTORY))
    {
        BOOST_REQUIRE(fd >= 0);
    }
    ~RegistryDir() { close(fd); }
    RegistryDir(const RegistryDir &) = delete;
    RegistryDir &operator=(const RegistryDir &) = delete;
    int fd;
};

/* A character device like /dev/null, in a directory of our own; false without CAP_MKNOD. */
bool makeTestDevice(const std::string &device)
{
    if (mknod(device.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0)
        return true;
    BOOST_TEST_MESSAGE("skipped: mknod needs root (CAP_MKNOD) to make a test device node");
    return false;
}

/* A test device node and a registry for grant records, both in a temporary directory. */
struct AccessBench {
    TempDir tmp;
    const std::string device = tmp.path + "/gpiochip9";
    const bool ready = makeTestDevice(device);
    const RegistryDir registry{tmp.path};
};

BOOST_FIXTURE_TEST_CASE(device_access_is_given_and_taken_back, AccessBench)
{
    if (!ready)
        return;
    std::vector<std::string> log;
    {
        DeviceAccess access(
            [&](bool error, const std::string &message) {
                log.push_back((error ? "error: " : "") + message);
            },
            registry.fd);
        access.grant(device, 4242);
        BOOST_TEST(userEntries(device) == "4242:rw- ");
        access.grant(device, 4243);
        BOOST_TEST(userEntries(device) == "4242:rw- 4243:rw- ");
        access.revokeAll();
        BOOST_TEST(userEntries(device).empty());
        BOOST_TEST(log.size() == 2u);
        BOOST_TEST(log.front() == "access to " + device + " taken back from uid 4242");

        /* An entry that was there before is not ours to take away. */
        BOOST_REQUIRE(std::system(("setfacl -m u:4244:r " + device).c_str()) == 0);
        access.grant(device, 4244);
        access.grant(device, 4245);
        /* The destructor takes back what is still granted. */
    }
    BOOST_TEST(userEntries(device) == "4244:r-- ");
    BOOST_TEST(log.back() == "access to " + device + " taken back from uid 4245");
}

BOOST_FIXTURE_TEST_CASE(device_access_shared_by_two_steps_lasts_until_the_last_one_ends,
                        AccessBench)
{
    if (!ready)
        return;
    std::vector<std::string> log;
    const auto record = [&](bool, const std::string &message) { log.push_back(message); };
    /* Two jobs of one user, each driving its own motor on the same GPIO chip. */
    auto first = std::make_unique<DeviceAccess>(record, registry.fd);
    auto second = std::make_unique<DeviceAccess>(record, registry.fd);
    first->grant(device, 4242);
    second->grant(device, 4242);
    BOOST_TEST(userEntries(device) == "4242:rw- ");
    first.reset();
    BOOST_TEST(userEntries(device) == "4242:rw- ", "the first job's end took the second's access");
    BOOST_TEST(log.back() == "access to " + device + " stays with uid 4242 for another step");
    second.reset();
    BOOST_TEST(userEntries(device).empty());
    BOOST_TEST(log.back() == "access to " + device + " taken back from uid 4242");
}

BOOST_FIXTURE_TEST_CASE(device_access_of_a_step_that_died_is_taken_back_by_the_next, AccessBench)
{
    if (!ready)
        return;
    /* A step that is killed before it can take access back: its flock dies with it. */
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        DeviceAccess access([](bool, const std::string &) {}, registry.fd);
        access.grant(device, 4242);
        _exit(0); /* no destructor runs, as after SIGKILL */
    }
    int status = 0;
    BOOST_REQUIRE(waitpid(child, &status, 0) == child);
    BOOST_TEST(userEntries(device) == "4242:rw- ");
    {
        DeviceAccess next([](bool, const std::string &) {}, registry.fd);
        next.grant(device, 4242);
    }
    BOOST_TEST(userEntries(device).empty(), "the dead step's entry outlived the next step");
}

BOOST_AUTO_TEST_CASE(device_access_only_for_character_devices)
{
    TempDir tmp;
    const std::string file = tmp.path + "/video0";
    std::ofstream(file) << "not a device";
    const std::string link = tmp.path + "/video1";
    fs::create_symlink("/dev/null", link);
    const RegistryDir registry(tmp.path);
    DeviceAccess access([](bool, const std::string &) {}, registry.fd);
    BOOST_TEST(contains(errorOf([&] { access.grant(file, 4242); }), "not a character device"));
    BOOST_TEST(contains(errorOf([&] { access.grant(link, 4242); }), "not a character device"));
    BOOST_TEST(contains(errorOf([&] { access.grant(tmp.path + "/none", 4242); }),
                        "cannot give access to " + tmp.path + "/none"));
    /* Nothing was touched behind the link. */
    BOOST_TEST(userEntries("/dev/null").find("4242") == std::string::npos);
}
