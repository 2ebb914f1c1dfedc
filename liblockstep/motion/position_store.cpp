#include "motion/position_store.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

RunError storeError(const std::string &path, const std::string &what)
{
    return RunError("position store " + path + ": " + what);
}

/* Complete or absent, whatever happens mid-write (util/atomic_file.h). */
void replaceFile(const std::string &path, const std::string &text)
{
    const std::filesystem::path target(path);
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
    if (ec)
        throw storeError(path, "cannot create its directory: " + ec.message());
    writeFileAtomic(path, text);
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
