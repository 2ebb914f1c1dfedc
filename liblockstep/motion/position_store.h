/* Where a node's motors were left, so that successive runs continue from there: one small JSON
 * file per node, replaced atomically, holding each motor's step position. */
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "config/rig.h"

namespace lockstep
{

struct StoredPosition {
    int64_t step = 0; /* the position lockstep works in, 0 at the endstop after homing */
    /* Sim motors only: the simulated driver's own count, which homing does not reset. */
    std::optional<int64_t> simDriverStep;
};

class PositionStore
{
public:
    /* <simDir>/positions/<host>.json for simulated motors; for real ones the same name below
     * $LOCKSTEP_STATE_DIR, or /var/lib/lockstep. */
    static std::string pathFor(const RigConfig &rig, const NodeConfig &node, Backend backend);

    explicit PositionStore(std::string path) : path_(std::move(path)) {}

    /* Every stored motor; an absent file is empty. Throws RunError for an unreadable or
     * malformed file (guessing a position could drive a motor into its end stop). */
    std::map<std::string, StoredPosition> load() const;
    /* Replaces the given motors' entries, keeping the others. Throws RunError. */
    void save(const std::map<std::string, StoredPosition> &positions) const;

    const std::string &path() const { return path_; }

private:
    std::string path_;
};

} // namespace lockstep
