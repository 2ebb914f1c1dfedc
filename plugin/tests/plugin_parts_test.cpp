/* The plugin's parts that need no Slurm: plugstack arguments, --lockstep values, device
 * selection on a node, the lock directory and device locks, and device access (ACLs). */
#define BOOST_TEST_MODULE plugin
#include <boost/test/unit_test.hpp>

#include <acl/libacl.h>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/acl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/preconditions.h"
#include "device_access.h"
#include "device_holders.h"
#include "device_lock.h"
#include "device_node.h"
#include "device_request.h"
#include "job_gres.h"
#include "plugin_args.h"
#include "root_file.h"
#include "unsafe_mark.h"
#include "util/errors.h"

using namespace lockstep;
using namespace lockstep::spank;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;
using lockstep::test::needsMknod;
using lockstep::test::needsRoot;

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
    BOOST_TEST(contains(errorOf([] {
                            parsePluginArgs({"rig=/a", "rig=/b"});
                        }),
                        "argument 'rig' is given twice"));

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

    /* The value reaches root's log: a newline would forge a line there, a long value flood it. */
    const std::string forged = errorOf(
        [] { parseDeviceRequest("cam1\nlockstep: job 1 step 0 reserved [turntable] on pi01"); });
    BOOST_TEST(forged == "--lockstep=cam1\\x0alockstep: job 1 step 0 reserved [turntable] on "
                         "pi01: control characters and non-ASCII bytes are not allowed");
    BOOST_TEST(forged.find('\n') == std::string::npos);
    const std::string huge =
        errorOf([] { parseDeviceRequest(std::string(size_t{200} * 1024, 'a')); });
    BOOST_TEST(huge == "--lockstep: the value is 204800 bytes long, more than 1024");
    std::string many = "d0";
    for (int i = 1; i <= 64; ++i)
        many += ",d" + std::to_string(i);
    BOOST_TEST(contains(errorOf([&] { parseDeviceRequest(many); }), "more than 64 devices"));
    BOOST_TEST(contains(errorOf([] { parseDeviceRequest("cam\xc3\xa9"); }), "cam\\xc3\\xa9"));
    BOOST_TEST(
        contains(errorOf([] { parseDeviceRequest(std::string(100, '/')); }), "... (100 bytes)"));
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
    /* A job that names only a camera gets no motor of that node, and the reverse. */
    BOOST_TEST(names(selectDevices(parseDeviceRequest("cam1"), rig, rig.nodes[0])) ==
               std::vector<std::string>({"cam1"}));
    BOOST_TEST(names(selectDevices(parseDeviceRequest("turntable"), rig, rig.nodes[0])) ==
               std::vector<std::string>({"turntable"}));

    const std::string error =
        errorOf([&] { selectDevices(parseDeviceRequest("cam1,lens9"), rig, rig.nodes[0]); });
    BOOST_TEST(contains(error, "device 'lens9' is not in rig file /etc/lockstep/rig.yaml"));
}

BOOST_AUTO_TEST_CASE(gres_details_are_read_per_node)
{
    BOOST_TEST(parseGresDetail("").empty());
    const GresCounts pi01 = parseGresDetail("camera:1,stepper:1");
    BOOST_TEST(pi01.size() == 2u);
    BOOST_TEST(pi01.at("camera") == 1u);
    BOOST_TEST(pi01.at("stepper") == 1u);
    /* A type and an index list, whose commas are not items. */
    const GresCounts typed = parseGresDetail("gpu:a100:2(IDX:0,2),stepper:3(IDX:0-2)");
    BOOST_TEST(typed.at("gpu") == 2u);
    BOOST_TEST(typed.at("stepper") == 3u);
    BOOST_TEST(typed.size() == 2u);
    BOOST_TEST(
        contains(errorOf([] { parseGresDetail("camera:x"); }), "cannot read the job's GRES"));
}

BOOST_AUTO_TEST_CASE(named_devices_need_their_gres_on_the_node)
{
    const RigConfig rig = twoNodeRig();
    PluginArgs args = parsePluginArgs({"motor_gres=stepper", "camera_gres=camera"});
    BOOST_TEST(gresTieEnabled(args));
    BOOST_TEST(args.str() == "rig=/etc/lockstep/rig.yaml lockdir=/run/lockstep conflict=refuse "
                             "wait_timeout=600 motor_gres=stepper camera_gres=camera");
    const auto missing = [&](const std::string &value, const std::string &gres) {
        const DeviceRequest request = parseDeviceRequest(value);
        return missingGres(request, selectDevices(request, rig, rig.nodes[0]),
                           parseGresDetail(gres), args, "pi01");
    };
    BOOST_TEST(missing("turntable", "camera:1") ==
               "--lockstep names the motor turntable on pi01, but the job holds 0 'stepper' GRES "
               "there, not 1 (ask for --gres=stepper:1 on this node, or use --lockstep=all)");
    BOOST_TEST(missing("turntable", "camera:1,stepper:1").empty());
    BOOST_TEST(contains(missing("turntable,cam1", ""), "the camera cam1 on pi01"));
    BOOST_TEST(missing("turntable,cam1", "stepper:1,camera:1").empty());
    /* Keywords mean what the node has: no GRES needed (a scan over nodes that differ). */
    BOOST_TEST(missing("all", "").empty());
    BOOST_TEST(missing("motors,cameras", "").empty());
    /* A name on another node is that node's business. */
    BOOST_TEST(missing("cam2", "").empty());
    /* Only the kinds whose GRES name is set are checked; without either, no tie at all. */
    args.cameraGres.clear();
    BOOST_TEST(missing("cam1", "").empty());
    BOOST_TEST(!missing("turntable", "").empty());
    BOOST_TEST(!gresTieEnabled(parsePluginArgs({})));
    BOOST_TEST(contains(errorOf([] { parsePluginArgs({"motor_gres=step per"}); }),
                        "motor_gres= must be a GRES name"));
    BOOST_TEST(contains(errorOf([] { parsePluginArgs({"camera_gres="}); }),
                        "camera_gres= must be a GRES name"));
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

BOOST_AUTO_TEST_CASE(a_held_device_is_refused_naming_its_holder,
                     *utf::label("needs_root") * utf::precondition(needsRoot))
{
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
        std::vector<std::string> told;
        BOOST_TEST(errorOf([&] {
                       DeviceLock second(
                           dir, "pi01", "turntable", bob, Conflict::Wait,
                           std::chrono::milliseconds(300),
                           [&](const std::string &holder) { told.push_back(holder); });
                   }) == "turntable on pi01 is still in use by job 42 (user alice) after waiting "
                         "300 ms (conflict=wait)");
        const auto waited = std::chrono::steady_clock::now() - start;
        BOOST_TEST((waited >= std::chrono::milliseconds(300)));
        /* Told once that it waits, and for whom (slurmd's log line). */
        BOOST_TEST(told == std::vector<std::string>{"job 42 (user alice)"},
                   boost::test_tools::per_element());
        /* Another step of the same job is a holder too, and named as one. */
        const LockHolder aliceStep1{42, 1, "alice"};
        BOOST_TEST(errorOf([&] {
                       DeviceLock second(dir, "pi01", "turntable", aliceStep1, Conflict::Refuse);
                   }) == "turntable on pi01 is in use by step 0 of the same job");
    }
    {
        /* A free device: no waiting, nothing told. */
        bool told = false;
        const DeviceLock free(dir, "pi01", "turntable", bob, Conflict::Wait,
                              std::chrono::seconds(30), [&](const std::string &) { told = true; });
        BOOST_TEST(!told);
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

    /* A lock file replaced by a symlink is not followed. It points at a decoy of our own, never
     * at a system file: a mutant that follows it (tests/mutation) once overwrote /etc/passwd. */
    const std::string planted = tmp.path + "/pi03.cam3.lock";
    const std::string decoy = tmp.path + "/decoy";
    std::ofstream(decoy) << "root file\n";
    fs::create_symlink(decoy, planted);
    BOOST_TEST(
        contains(errorOf([&] { DeviceLock lock(dir, "pi03", "cam3", bob, Conflict::Refuse); }),
                 "lock file " + planted));
    std::ifstream back(decoy);
    const std::string content((std::istreambuf_iterator<char>(back)),
                              std::istreambuf_iterator<char>());
    BOOST_TEST(content == "root file\n");
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

/* The ACL mask as "rw-", or "none". */
std::string maskOf(const std::string &path)
{
    std::string out = "none";
    acl_t acl = acl_get_file(path.c_str(), ACL_TYPE_ACCESS);
    BOOST_REQUIRE(acl != nullptr);
    acl_entry_t entry;
    for (int which = ACL_FIRST_ENTRY; acl_get_entry(acl, which, &entry) == 1;
         which = ACL_NEXT_ENTRY) {
        acl_tag_t tag;
        acl_permset_t perms;
        if (acl_get_tag_type(entry, &tag) != 0 || tag != ACL_MASK ||
            acl_get_permset(entry, &perms) != 0)
            continue;
        out = std::string(acl_get_perm(perms, ACL_READ) == 1 ? "r" : "-") +
              (acl_get_perm(perms, ACL_WRITE) == 1 ? "w" : "-") +
              (acl_get_perm(perms, ACL_EXECUTE) == 1 ? "x" : "-");
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

/* A character device like /dev/null, in a directory of our own (the cases that use it need
 * CAP_MKNOD: needs_mknod). */
bool makeTestDevice(const std::string &device)
{
    if (mknod(device.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0)
        return true;
    throw std::runtime_error("mknod " + device + ": " + std::strerror(errno));
}

/* A test device node and a registry for grant records, both in a temporary directory. */
struct AccessBench {
    TempDir tmp;
    const std::string device = tmp.path + "/gpiochip9";
    const bool made = makeTestDevice(device); // or throws
    const RegistryDir registry{tmp.path};
};

BOOST_FIXTURE_TEST_CASE(device_access_is_given_and_taken_back, AccessBench,
                        *utf::label("needs_mknod") * utf::precondition(needsMknod))
{
    std::vector<std::string> log;
    const auto record = [&](bool error, const std::string &message) {
        log.push_back((error ? "error: " : "") + message);
    };
    {
        DeviceAccess access(record, registry.fd);
        /* The test node is a copy of /dev/null: a "mem" device by its sysfs entry. */
        access.grant(device, {"mem"}, 4242);
        BOOST_TEST(userEntries(device) == "4242:rw- ");
        access.revokeAll();
        BOOST_TEST(userEntries(device).empty());
        BOOST_TEST(log.back() == "access to " + device + " taken back from uid 4242");
    }
    /* The ACL is minimal again: no mask left behind that would hide the group's bits. */
    BOOST_TEST(maskOf(device) == "none");

    {
        /* An entry that was there before is not ours to take away. */
        BOOST_REQUIRE(std::system(("setfacl -m u:4244:r " + device).c_str()) == 0);
        DeviceAccess access(record, registry.fd);
        access.grant(device, {"mem"}, 4244);
        /* The destructor takes back what is still granted. */
    }
    BOOST_TEST(userEntries(device) == "4244:r-- ");
}

BOOST_FIXTURE_TEST_CASE(device_access_puts_the_administrators_mask_back, AccessBench,
                        *utf::label("needs_mknod") * utf::precondition(needsMknod))
{
    /* An administrator limits every named entry to read. */
    BOOST_REQUIRE(std::system(("setfacl -m u:4244:rw,m::r " + device).c_str()) == 0);
    {
        DeviceAccess access([](bool, const std::string &) {}, registry.fd);
        access.grant(device, {"mem"}, 4242);
        BOOST_TEST(userEntries(device) == "4242:rw- 4244:rw- ");
        BOOST_TEST(maskOf(device) == "rw-", "the job's entry is useless under a read mask");
    }
    BOOST_TEST(userEntries(device) == "4244:rw- ");
    BOOST_TEST(maskOf(device) == "r--", "the administrator's mask was widened for good");
}

BOOST_FIXTURE_TEST_CASE(two_users_never_have_access_at_once, AccessBench,
                        *utf::label("needs_mknod") * utf::precondition(needsMknod))
{
    DeviceAccess alice([](bool, const std::string &) {}, registry.fd);
    alice.grant(device, {"mem"}, 4242);
    DeviceAccess bob([](bool, const std::string &) {}, registry.fd);
    BOOST_TEST(errorOf([&] { bob.grant(device, {"mem"}, 4243); }) ==
               device + " is open to a step of another user (uid 4242) now; two users never "
                        "share a device");
    BOOST_TEST(userEntries(device) == "4242:rw- ");
    /* conflict=wait: granted once the other user's step let go. */
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        alice.revokeAll();
    });
    BOOST_TEST(errorOf([&] {
                   bob.grant(device, {"mem"}, 4243, Conflict::Wait, std::chrono::seconds(30));
               }).empty());
    releaser.join();
    BOOST_TEST(userEntries(device) == "4243:rw- ");
}

BOOST_FIXTURE_TEST_CASE(device_access_shared_by_two_steps_lasts_until_the_last_one_ends,
                        AccessBench, *utf::label("needs_mknod") * utf::precondition(needsMknod))
{
    std::vector<std::string> log;
    const auto record = [&](bool, const std::string &message) { log.push_back(message); };
    /* Two jobs of one user, each driving its own motor on the same GPIO chip. */
    auto first = std::make_unique<DeviceAccess>(record, registry.fd);
    auto second = std::make_unique<DeviceAccess>(record, registry.fd);
    first->grant(device, {"mem"}, 4242);
    second->grant(device, {"mem"}, 4242);
    BOOST_TEST(userEntries(device) == "4242:rw- ");
    first.reset();
    BOOST_TEST(userEntries(device) == "4242:rw- ", "the first job's end took the second's access");
    BOOST_TEST(log.back() == "access to " + device + " stays with uid 4242 for another step");
    second.reset();
    BOOST_TEST(userEntries(device).empty());
    BOOST_TEST(log.back() == "access to " + device + " taken back from uid 4242");
}

BOOST_FIXTURE_TEST_CASE(device_access_of_a_step_that_died_is_swept, AccessBench,
                        *utf::label("needs_mknod") * utf::precondition(needsMknod))
{
    /* A step that is killed before it can take access back: its flock dies with it. */
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        DeviceAccess access([](bool, const std::string &) {}, registry.fd);
        access.grant(device, {"mem"}, 4242);
        _exit(0); /* no destructor runs, as after SIGKILL */
    }
    int status = 0;
    BOOST_REQUIRE(waitpid(child, &status, 0) == child);
    BOOST_TEST(userEntries(device) == "4242:rw- ");
    {
        /* The next reservation is another user's: the dead step's entry goes first. */
        std::vector<std::string> log;
        DeviceAccess next([&](bool, const std::string &m) { log.push_back(m); }, registry.fd);
        next.grant(device, {"mem"}, 4243);
        BOOST_TEST(userEntries(device) == "4243:rw- ", "the dead step's entry outlived it");
        BOOST_TEST(!log.empty());
        if (!log.empty())
            BOOST_TEST(log.front() == "stale access to " + device +
                                          " taken back from uid 4242 (its step is gone)");
    }
    BOOST_TEST(userEntries(device).empty());
}

BOOST_FIXTURE_TEST_CASE(stale_grants_are_swept_on_their_own, AccessBench,
                        *utf::label("needs_mknod") * utf::precondition(needsMknod))
{
    const pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        DeviceAccess access([](bool, const std::string &) {}, registry.fd);
        access.grant(device, {"mem"}, 4242);
        _exit(0);
    }
    int status = 0;
    BOOST_REQUIRE(waitpid(child, &status, 0) == child);
    /* What slurmd's start and the job epilog do, with no new reservation at all. */
    sweepStaleGrants(registry.fd, [](bool, const std::string &) {});
    BOOST_TEST(userEntries(device).empty());

    /* A record from an earlier boot is cleared without touching the node: after a reboot the
     * path may be another device. */
    BOOST_REQUIRE(std::system(("setfacl -m u:4250:rw " + device).c_str()) == 0);
    const std::string recordPath = tmp.path + "/access.old.4250";
    std::ofstream(recordPath) << "added boot=0-not-this-boot uid=4250 rdev=1:3 mask=none path="
                              << device << "\n";
    std::vector<std::string> log;
    sweepStaleGrants(registry.fd, [&](bool, const std::string &m) { log.push_back(m); });
    BOOST_TEST(userEntries(device) == "4250:rw- ");
    BOOST_TEST(fs::file_size(recordPath) == 0u);
    BOOST_TEST(log.size() == 1u);
}

BOOST_AUTO_TEST_CASE(device_access_only_for_character_devices)
{
    TempDir tmp;
    const std::string file = tmp.path + "/video0";
    std::ofstream(file) << "not a device";
    const RegistryDir registry(tmp.path);
    DeviceAccess access([](bool, const std::string &) {}, registry.fd);
    BOOST_TEST(
        contains(errorOf([&] { access.grant(file, {"gpio"}, 4242); }), "not a character device"));
    BOOST_TEST(contains(errorOf([&] { access.grant(tmp.path + "/none", {"gpio"}, 4242); }),
                        "cannot give access to " + tmp.path + "/none"));
}

/* Symlinks and devices of the wrong kind. Every node here is a decoy in the test's own
 * directory, never a system file such as /dev/null: a mutant that follows the link or skips
 * the subsystem check (tests/mutation, run as root) would change the ACL of what it reaches. */
BOOST_FIXTURE_TEST_CASE(device_access_follows_no_symlink_and_checks_the_subsystem, AccessBench,
                        *utf::label("needs_mknod") * utf::precondition(needsMknod))
{
    DeviceAccess access([](bool, const std::string &) {}, registry.fd);
    /* The link's target is a device of the very kind asked for: only refusing the link
     * itself stops the grant. */
    const std::string link = tmp.path + "/video1";
    fs::create_symlink(device, link);
    BOOST_TEST(
        contains(errorOf([&] { access.grant(link, {"mem"}, 4242); }), "not a character device"));
    BOOST_TEST(userEntries(device).find("4242") == std::string::npos,
               "the ACL behind the symlink was changed");
    /* A rig naming /dev/null (or /dev/mem) as its GPIO chip: the kernel says what it is. The
     * decoy has /dev/null's number, 1:3. */
    BOOST_TEST(errorOf([&] { access.grant(device, {"gpio"}, 4242); }) ==
               "cannot give access to " + device +
                   ": device 1:3 is a mem device, not gpio (see /sys/dev/char)");
    BOOST_TEST(contains(errorOf([&] {
                            access.grant(device, {"video4linux", "media"}, 4242);
                        }),
                        "not video4linux or media"));
    BOOST_TEST(userEntries(device).find("4242") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(lock_directory_and_lock_files_are_root_only,
                     *utf::label("needs_root") * utf::precondition(needsRoot))
{
    TempDir tmp;
    /* Made by an older version: a directory and a lock file anyone could open, and flock needs
     * no write access, so anyone could hold the lock. */
    const std::string locks = tmp.path + "/locks";
    BOOST_REQUIRE(mkdir(locks.c_str(), 0755) == 0);
    BOOST_REQUIRE(chmod(locks.c_str(), 0755) == 0);
    const std::string old = locks + "/pi01.turntable.lock";
    BOOST_REQUIRE(close(creat(old.c_str(), 0644)) == 0);
    BOOST_REQUIRE(chmod(old.c_str(), 0644) == 0);
    {
        const LockDir dir(locks);
        const DeviceLock lock(dir, "pi01", "turntable", {7, 0, "alice"}, Conflict::Refuse);
    }
    BOOST_TEST((fs::status(locks).permissions() == fs::perms::owner_all));
    BOOST_TEST((fs::status(old).permissions() == (fs::perms::owner_read | fs::perms::owner_write)));
    const std::string fresh = tmp.path + "/fresh";
    {
        const LockDir dir(fresh);
    }
    BOOST_TEST((fs::status(fresh).permissions() == fs::perms::owner_all));
}

BOOST_AUTO_TEST_CASE(a_holder_that_died_is_seen_by_the_next,
                     *utf::label("needs_root") * utf::precondition(needsRoot))
{
    TempDir tmp;
    const LockDir dir(tmp.path);
    const LockHolder alice{42, 0, "alice"};
    const LockHolder bob{43, 0, "bob"};
    {
        const DeviceLock first(dir, "pi01", "turntable", alice, Conflict::Refuse);
        BOOST_TEST(!first.previousHolderDied(), "a fresh lock file has no previous holder");
    }
    {
        /* alice's step ended without markReleased(): as if its slurmstepd had been killed. */
        DeviceLock second(dir, "pi01", "turntable", bob, Conflict::Refuse);
        BOOST_TEST(second.previousHolderDied());
        BOOST_TEST(second.previousHolder().jobId == 42u);
        second.markReleased();
    }
    const DeviceLock third(dir, "pi01", "turntable", alice, Conflict::Refuse);
    BOOST_TEST(!third.previousHolderDied(), "bob released it cleanly");
    BOOST_TEST(third.previousHolder().jobId == 43u);
}

BOOST_AUTO_TEST_CASE(unsafe_marks_say_why, *utf::label("needs_root") * utf::precondition(needsRoot))
{
    TempDir tmp;
    const LockDir dir(tmp.path);
    BOOST_TEST(!unsafeReason(dir.fd(), "pi01", "turntable"));
    markUnsafe(dir.fd(), "pi01", "turntable", "ENABLE (GPIO 22) could not be driven inactive");
    markUnsafe(dir.fd(), "pi01", "turntable", "a later reason");
    BOOST_TEST(unsafeReason(dir.fd(), "pi01", "turntable").value_or("") ==
               "ENABLE (GPIO 22) could not be driven inactive");
    BOOST_TEST(!unsafeReason(dir.fd(), "pi01", "cam1"));
    BOOST_TEST((fs::status(tmp.path + "/pi01.turntable.unsafe").permissions() ==
                (fs::perms::owner_read | fs::perms::owner_write)));
}

BOOST_AUTO_TEST_CASE(root_files_are_plain_root_owned_and_not_followed,
                     *utf::label("needs_root") * utf::precondition(needsRoot))
{
    /* Lock files, grant records and unsafe marks live in a root-only directory; still, a file
     * there that another user owns, that has a second name, or that is a symlink could be
     * planted to make root write elsewhere or to let others hold the lock. */
    TempDir tmp;
    const int dir = open(tmp.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    BOOST_REQUIRE(dir >= 0);
    const auto opens = [&](const std::string &name) {
        return errorOf([&] { close(openRootFile(dir, name, 0600, "test file " + name)); });
    };
    BOOST_TEST(opens("fresh").empty());
    BOOST_TEST((fs::status(tmp.path + "/fresh").permissions() ==
                (fs::perms::owner_read | fs::perms::owner_write)));

    const std::string refused = " is not a plain root-owned file: refusing to use it";
    BOOST_REQUIRE(close(creat((tmp.path + "/theirs").c_str(), 0600)) == 0);
    BOOST_REQUIRE(chown((tmp.path + "/theirs").c_str(), 4242, 0) == 0);
    BOOST_TEST(opens("theirs") == "test file theirs" + refused);

    BOOST_REQUIRE(link((tmp.path + "/fresh").c_str(), (tmp.path + "/second-name").c_str()) == 0);
    BOOST_TEST(opens("second-name") == "test file second-name" + refused);
    BOOST_TEST(opens("fresh") == "test file fresh" + refused);
    BOOST_REQUIRE(unlink((tmp.path + "/second-name").c_str()) == 0);

    BOOST_REQUIRE(close(creat((tmp.path + "/target").c_str(), 0600)) == 0);
    BOOST_REQUIRE(symlink("target", (tmp.path + "/link").c_str()) == 0);
    BOOST_TEST(opens("link") == "test file link: " + std::string(std::strerror(ELOOP)));
    close(dir);
}

BOOST_AUTO_TEST_CASE(only_a_file_no_user_could_write_is_trusted_as_configuration)
{
    TempDir tmp;
    const std::string rig = tmp.path + "/rig.yaml";
    std::ofstream(rig) << "rig: x\n";
    BOOST_REQUIRE(chmod(rig.c_str(), 0644) == 0);
    if (geteuid() != 0) {
        BOOST_TEST(contains(errorOf([&] { checkRootConfigFile(rig, "rig file"); }),
                            "must be owned by root"));
        return;
    }
    BOOST_TEST(errorOf([&] { checkRootConfigFile(rig, "rig file"); }).empty());

    BOOST_REQUIRE(chmod(rig.c_str(), 0664) == 0);
    BOOST_TEST(errorOf([&] { checkRootConfigFile(rig, "rig file"); }) ==
               "rig file " + rig +
                   " must be owned by root and writable only by root: refusing to trust it");
    BOOST_REQUIRE(chmod(rig.c_str(), 0644) == 0);
    BOOST_REQUIRE(chown(rig.c_str(), 4242, 0) == 0);
    BOOST_TEST(
        contains(errorOf([&] { checkRootConfigFile(rig, "rig file"); }), "must be owned by root"));
    BOOST_REQUIRE(chown(rig.c_str(), 0, 0) == 0);

    const std::string link = tmp.path + "/link.yaml";
    fs::create_symlink(rig, link);
    BOOST_TEST(contains(errorOf([&] { checkRootConfigFile(link, "rig file"); }),
                        "(a symlink is not followed)"));

    /* A directory above it that others may write: the file could be swapped. */
    const std::string open = tmp.path + "/open";
    BOOST_REQUIRE(mkdir(open.c_str(), 0755) == 0);
    BOOST_REQUIRE(chmod(open.c_str(), 0777) == 0);
    std::ofstream(open + "/rig.yaml") << "rig: x\n";
    BOOST_REQUIRE(chmod((open + "/rig.yaml").c_str(), 0644) == 0);
    BOOST_TEST(contains(errorOf([&] { checkRootConfigFile(open + "/rig.yaml", "rig file"); }),
                        open + " above it must be owned by root"));
}

BOOST_AUTO_TEST_CASE(character_devices_are_told_apart_by_their_subsystem)
{
    struct stat st = {};
    BOOST_REQUIRE(stat("/dev/null", &st) == 0);
    BOOST_TEST(charDeviceSubsystem(st.st_rdev) == "mem");
    BOOST_TEST(charDeviceSubsystem(makedev(239, 77)).empty(), "no such device here");
    /* A stand-in sysfs (what the cluster test mounts for its fake GPIO chip). */
    TempDir sysfs;
    fs::create_directories(sysfs.path + "/dev/char/239:77");
    fs::create_symlink("../../../bus/gpio", sysfs.path + "/dev/char/239:77/subsystem");
    BOOST_TEST(charDeviceSubsystem(makedev(239, 77), sysfs.path) == "gpio");
}

BOOST_AUTO_TEST_CASE(processes_of_the_job_holding_a_device_are_found_and_killed)
{
    TempDir tmp;
    const std::string file = tmp.path + "/gpio.lines";
    std::ofstream(file) << "state";
    /* Two processes hold the file: one of job 77 (escaped from its step), one of job 78. */
    const auto holder = [&](const char *job) {
        const pid_t pid = fork();
        if (pid == 0) {
            setenv("SLURM_JOB_ID", job, 1);
            const int fd = open(file.c_str(), O_RDONLY);
            (void)fd;
            execl("/bin/sleep", "sleep", "30", static_cast<char *>(nullptr));
            _exit(127);
        }
        return pid;
    };
    const pid_t escaped = holder("77");
    const pid_t other = holder("78");
    BOOST_REQUIRE((escaped > 0 && other > 0));
    std::vector<DeviceHolder> found;
    for (int i = 0; i < 100 && found.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        found = findJobHolders(file, 77);
    }
    BOOST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found.front().pid == escaped);
    BOOST_TEST(found.front().command == "sleep");
    BOOST_TEST(found.front().uid == geteuid());
    BOOST_TEST(killHolders(found).empty());
    int status = 0;
    BOOST_TEST(waitpid(escaped, &status, 0) == escaped);
    BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
    BOOST_TEST(findJobHolders(file, 77).empty());
    BOOST_TEST(findJobHolders(file, 78).size() == 1u, "another job's process is left alone");
    kill(other, SIGKILL);
    waitpid(other, &status, 0);
}

BOOST_AUTO_TEST_CASE(processes_of_the_step_holding_its_line_request_are_found)
{
    /* A GPIO line request has no path: its holders are found by the open file itself. Here a
     * memfd stands for it (same name for both, as every kernel line request reads
     * "anon_inode:gpio-line"): the step's one, inherited by an escaped process of job 77 step 0,
     * and another one of the same job and step that is not the step's request. */
    const int request = memfd_create("gpio-line", 0);
    const int unrelated = memfd_create("gpio-line", 0);
    BOOST_REQUIRE((request >= 0 && unrelated >= 0));
    const auto holder = [&](int keep, const char *step) {
        const pid_t pid = fork();
        if (pid == 0) {
            setenv("SLURM_JOB_ID", "77", 1);
            setenv("SLURM_STEP_ID", step, 1);
            dup2(keep, 100); /* the descriptor survives exec, the others are closed */
            close(request);
            close(unrelated);
            execl("/bin/sleep", "sleep", "30", static_cast<char *>(nullptr));
            _exit(127);
        }
        return pid;
    };
    const pid_t escaped = holder(request, "0");
    const pid_t otherStep = holder(request, "1");
    const pid_t otherFile = holder(unrelated, "0");
    BOOST_REQUIRE((escaped > 0 && otherStep > 0 && otherFile > 0));
    std::vector<DeviceHolder> found;
    for (int i = 0; i < 100 && found.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        found = findJobHoldersOfFd(request, 77, 0);
    }
    BOOST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found.front().pid == escaped);
    BOOST_TEST(findJobHoldersOfFd(request, 78, 0).empty(), "another job is not looked at");
    /* After its slurmstepd died, every process of the step is an orphan to be killed. */
    std::vector<DeviceHolder> orphans;
    for (int i = 0; i < 100 && orphans.size() != 2u; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        orphans = findJobProcesses(77, 0);
    }
    BOOST_TEST(orphans.size() == 2u, "the step's two processes, not step 1's");
    for (pid_t pid : {escaped, otherStep, otherFile}) {
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
    }
    close(request);
    close(unrelated);
}
