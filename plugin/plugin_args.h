/* The plugin's arguments from plugstack.conf: strict key=value, an unknown key is an error. */
#pragma once

#include <string>
#include <vector>

namespace lockstep::spank
{

enum class Conflict { Refuse, Wait };

struct PluginArgs {
    std::string rig = "/etc/lockstep/rig.yaml";
    std::string lockDir = "/run/lockstep";
    Conflict conflict = Conflict::Refuse;
    /* With conflict=wait, how long a step waits for a device before it fails: bounded, because
     * two multi-node jobs can each hold a device the other waits for on another node. */
    unsigned waitTimeoutSeconds = 600;
    /* The GRES names that stand for a motor and a camera (job_gres.h); empty: no tie. */
    std::string motorGres;
    std::string cameraGres;

    /* "rig=... lockdir=... conflict=refuse wait_timeout=600" for the log. */
    std::string str() const;
};

/* Parses plugstack.conf arguments. Throws InputError naming the bad argument. */
PluginArgs parsePluginArgs(const std::vector<std::string> &args);

} // namespace lockstep::spank
