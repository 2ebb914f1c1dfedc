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

    /* "rig=... lockdir=... conflict=refuse" for the log. */
    std::string str() const;
};

/* Parses plugstack.conf arguments. Throws InputError naming the bad argument. */
PluginArgs parsePluginArgs(const std::vector<std::string> &args);

} // namespace lockstep::spank
