#include "camera/rpi_sync.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <yaml-cpp/yaml.h>

namespace lockstep
{

namespace
{

template <typename T> std::optional<T> numberFromEnvironment(const char *name)
{
    const char *text = std::getenv(name);
    if (!text || !*text)
        return std::nullopt;
    T value{};
    const char *end = text + std::char_traits<char>::length(text);
    const auto [ptr, ec] = std::from_chars(text, end, value);
    if (ec != std::errc() || ptr != end)
        return std::nullopt;
    return value;
}

/* The rpi.sync map of a tuning file: version 2.0 lists algorithms as one-key maps; version 1 has
 * them at the top level. An invalid node when there is none. */
YAML::Node syncSection(YAML::Node &root)
{
    if (!root.IsMap())
        return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node algorithms = root["algorithms"];
    if (algorithms && algorithms.IsSequence()) {
        for (const YAML::Node &algorithm : algorithms)
            if (algorithm.IsMap() && algorithm["rpi.sync"])
                return algorithm["rpi.sync"];
        return YAML::Node(YAML::NodeType::Undefined);
    }
    const YAML::Node &constRoot = root;
    if (constRoot["rpi.sync"])
        return root["rpi.sync"];
    return YAML::Node(YAML::NodeType::Undefined);
}

std::string readText(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof())
        throw std::runtime_error("cannot read " + path.string());
    return text.str();
}

} // namespace

const char *rpiSyncRoleName(RpiSyncRole role)
{
    switch (role) {
    case RpiSyncRole::Server:
        return "server";
    case RpiSyncRole::Client:
        return "client";
    case RpiSyncRole::Off:
        break;
    }
    return "off";
}

JobPlace jobPlaceFromEnvironment()
{
    JobPlace place;
    place.jobId = numberFromEnvironment<uint64_t>("SLURM_JOB_ID");
    place.rank = numberFromEnvironment<unsigned>("SLURM_PROCID");
    if (!place.rank)
        place.rank = numberFromEnvironment<unsigned>("PMIX_RANK");
    return place;
}

RpiSyncEndpoint rpiSyncEndpoint(uint64_t jobId)
{
    constexpr uint64_t kHosts = 254; /* 1..254 in each of the last two octets */
    const uint64_t a = 1 + (jobId / kHosts) % kHosts;
    const uint64_t b = 1 + jobId % kHosts;
    RpiSyncEndpoint endpoint;
    endpoint.group = "239.255." + std::to_string(a) + "." + std::to_string(b);
    endpoint.port = uint16_t(20000 + jobId % 12768);
    return endpoint;
}

RpiSyncChoice chooseRpiSyncRole(const RpiSyncInputs &inputs)
{
    if (!inputs.compiledIn)
        return {RpiSyncRole::Off, "this libcamera has no controls::rpi::SyncMode"};
    if (!inputs.offered)
        return {RpiSyncRole::Off, "the camera does not offer controls::rpi::SyncMode"};
    if (inputs.scheme != CaptureSync::PhaseLocked)
        return {RpiSyncRole::Off, "the open-loop scheme runs without any lock"};
    if (!inputs.groupPrepared)
        return {RpiSyncRole::Off, "no multicast group of the job's own (outside a Slurm job, or "
                                  "no tuning file with rpi.sync)"};
    if (!inputs.rank)
        return {RpiSyncRole::Off, "the process does not know its rank"};
    if (*inputs.rank == 0 && !inputs.serverTaken)
        return {RpiSyncRole::Server, "rank 0's first camera"};
    return {RpiSyncRole::Client,
            *inputs.rank == 0 ? "rank 0 already serves" : "rank " + std::to_string(*inputs.rank)};
}

std::optional<std::string> withSyncEndpoint(const std::string &tuning,
                                            const RpiSyncEndpoint &endpoint)
{
    YAML::Node root;
    try {
        root = YAML::Load(tuning);
    } catch (const YAML::Exception &error) {
        throw std::runtime_error(std::string("not a tuning file: ") + error.what());
    }
    YAML::Node sync = syncSection(root);
    if (!sync)
        return std::nullopt;
    if (!sync.IsMap())
        sync = YAML::Node(YAML::NodeType::Map);
    sync["group"] = endpoint.group;
    sync["port"] = endpoint.port;
    YAML::Emitter out;
    out << root;
    if (!out.good())
        throw std::runtime_error(std::string("cannot write a tuning file: ") + out.GetLastError());
    return std::string(out.c_str()) + "\n";
}

std::vector<std::string> sensorNames(const std::filesystem::path &sysfs)
{
    namespace fs = std::filesystem;
    std::set<std::string> names;
    for (const char *where : {"class/video4linux", "bus/i2c/devices"}) {
        std::error_code ec;
        for (const fs::directory_entry &device : fs::directory_iterator(sysfs / where, ec)) {
            std::ifstream in(device.path() / "name");
            std::string name;
            if (in >> name && !name.empty())
                names.insert(name); /* the first word: "imx477 10-001a" */
        }
    }
    return {names.begin(), names.end()};
}

unsigned prepareRpiSyncTuning(const std::vector<std::filesystem::path> &sources,
                              const std::filesystem::path &dir, const RpiSyncEndpoint &endpoint,
                              const std::vector<std::string> &sensors)
{
    namespace fs = std::filesystem;
    unsigned written = 0;
    std::set<fs::path> done; /* relative paths: the first source holding one wins */
    for (const fs::path &source : sources) {
        std::error_code ec;
        const fs::path rpi = source / "rpi";
        if (!fs::is_directory(rpi, ec))
            continue;
        for (const fs::directory_entry &platform : fs::directory_iterator(rpi, ec)) {
            if (!platform.is_directory())
                continue;
            for (const fs::directory_entry &file : fs::directory_iterator(platform.path(), ec)) {
                if (file.path().extension() != ".json" || !file.is_regular_file())
                    continue;
                const std::string stem = file.path().stem().string();
                if (std::none_of(sensors.begin(), sensors.end(), [&](const std::string &sensor) {
                        return stem.rfind(sensor, 0) == 0;
                    }))
                    continue;
                const fs::path relative =
                    fs::path("rpi") / platform.path().filename() / file.path().filename();
                if (!done.insert(relative).second)
                    continue;
                const std::optional<std::string> text =
                    withSyncEndpoint(readText(file.path()), endpoint);
                if (!text)
                    continue;
                const fs::path target = dir / relative;
                fs::create_directories(target.parent_path());
                if (fs::is_symlink(fs::symlink_status(target)))
                    throw std::runtime_error(target.string() + " is a symbolic link");
                std::ofstream out(target, std::ios::binary | std::ios::trunc);
                out << *text;
                if (!out.flush())
                    throw std::runtime_error("cannot write " + target.string());
                ++written;
            }
        }
    }
    return written;
}

RpiSyncSession::RpiSyncSession(const Options &options) : options_(options)
{
    if (options_.role == RpiSyncRole::Client)
        pendingMode_ = kRpiSyncModeClient;
}

std::optional<int32_t> RpiSyncSession::takeModeControl()
{
    std::optional<int32_t> mode = pendingMode_;
    pendingMode_.reset();
    return mode;
}

bool RpiSyncSession::syncHolds() const
{
    return options_.role == RpiSyncRole::Client && !gaveUp_;
}

RpiSyncSession::Action RpiSyncSession::onFrame(std::optional<bool> syncReady, bool gridLocked,
                                               bool withinBound)
{
    switch (options_.role) {
    case RpiSyncRole::Off:
        ready_ = ready_ || gridLocked;
        return Action::None;
    case RpiSyncRole::Server:
        if (!gridLocked || ready_)
            return Action::None;
        if (!serving_) {
            /* Serve only on-grid frames: the clients follow whatever this camera does. */
            serving_ = true;
            pendingMode_ = kRpiSyncModeServer;
            return Action::None;
        }
        if (syncReady.value_or(false)) {
            ready_ = true;
        } else if (++framesWaiting_ > options_.giveUpFrames) {
            /* No SyncReady: the IPA has no sync algorithm. The camera is locked by lockstep's
             * loop anyway; clients will give up too and lock onto the same grid. */
            gaveUp_ = true;
            pendingMode_ = kRpiSyncModeOff;
            ready_ = true;
        }
        return Action::None;
    case RpiSyncRole::Client:
        if (gaveUp_) {
            ready_ = ready_ || gridLocked;
            return Action::None;
        }
        if (syncReady.value_or(false) && gridLocked && withinBound) {
            ready_ = true;
            return Action::None;
        }
        if (!ready_ && ++framesWaiting_ > options_.giveUpFrames) {
            gaveUp_ = true;
            pendingMode_ = kRpiSyncModeOff;
            return Action::StartSteering;
        }
        return Action::None;
    }
    return Action::None;
}

} // namespace lockstep
