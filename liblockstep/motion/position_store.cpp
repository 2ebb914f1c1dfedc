#include "motion/position_store.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/errors.h"

namespace lockstep
{

namespace
{

RunError storeError(const std::string &path, const std::string &what)
{
    return RunError("position store " + path + ": " + what);
}

/* Temporary in the same directory, fsync, rename: a crash leaves the old or the new file. */
void replaceFile(const std::string &path, const std::string &text)
{
    const std::filesystem::path target(path);
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
    if (ec)
        throw storeError(path, "cannot create its directory: " + ec.message());
    const std::string temporary = path + ".tmp." + std::to_string(getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw storeError(path, std::strerror(errno));
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = ::fsync(fd) == 0 && ok;
    const int error = errno;
    ok = ::close(fd) == 0 && ok;
    if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(ok ? errno : error);
        std::remove(temporary.c_str());
        throw storeError(path, reason);
    }
}

} // namespace

std::string PositionStore::pathFor(const RigConfig &rig, const NodeConfig &node, Backend backend)
{
    std::string dir;
    if (backend == Backend::Sim) {
        dir = rig.simDir;
    } else {
        const char *env = std::getenv("LOCKSTEP_STATE_DIR");
        dir = env != nullptr && *env != '\0' ? env : "/var/lib/lockstep";
    }
    return dir + "/positions/" + node.hostname + ".json";
}

std::map<std::string, StoredPosition> PositionStore::load() const
{
    std::map<std::string, StoredPosition> positions;
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec) && !ec)
        return positions; /* never moved on this node */
    std::ifstream in(path_);
    if (!in)
        throw storeError(path_, "cannot be read");
    try {
        const nlohmann::json doc = nlohmann::json::parse(in);
        for (const auto &[motor, entry] : doc.at("motors").items()) {
            StoredPosition p;
            p.step = entry.at("step").get<int64_t>();
            if (entry.contains("sim_driver_step"))
                p.simDriverStep = entry.at("sim_driver_step").get<int64_t>();
            positions[motor] = p;
        }
    } catch (const nlohmann::json::exception &e) {
        throw storeError(path_, std::string("malformed (") + e.what() +
                                    "); fix or delete it and home the motors");
    }
    return positions;
}

void PositionStore::save(const std::map<std::string, StoredPosition> &positions) const
{
    std::map<std::string, StoredPosition> all = load();
    for (const auto &[motor, p] : positions)
        all[motor] = p;
    nlohmann::json motors = nlohmann::json::object();
    for (const auto &[motor, p] : all) {
        nlohmann::json entry{{"step", p.step}};
        if (p.simDriverStep)
            entry["sim_driver_step"] = *p.simDriverStep;
        motors[motor] = entry;
    }
    replaceFile(path_, nlohmann::json{{"motors", motors}}.dump(2) + "\n");
}

} // namespace lockstep
