#include "plugin_args.h"

#include "util/errors.h"

namespace lockstep::spank
{

namespace
{

std::string requireAbsolute(const std::string &key, const std::string &value)
{
    if (value.empty() || value.front() != '/')
        throw InputError("plugstack.conf: " + key + "= needs an absolute path, got '" + value +
                         "'");
    return value;
}

Conflict parseConflict(const std::string &value)
{
    if (value == "refuse")
        return Conflict::Refuse;
    if (value == "wait")
        return Conflict::Wait;
    throw InputError("plugstack.conf: conflict= must be refuse or wait, got '" + value + "'");
}

} // namespace

std::string PluginArgs::str() const
{
    return "rig=" + rig + " lockdir=" + lockDir +
           " conflict=" + (conflict == Conflict::Wait ? "wait" : "refuse");
}

PluginArgs parsePluginArgs(const std::vector<std::string> &args)
{
    PluginArgs result;
    for (const std::string &arg : args) {
        const auto eq = arg.find('=');
        if (eq == std::string::npos)
            throw InputError("plugstack.conf: argument '" + arg + "' is not key=value");
        const std::string key = arg.substr(0, eq);
        const std::string value = arg.substr(eq + 1);
        if (key == "rig")
            result.rig = requireAbsolute(key, value);
        else if (key == "lockdir")
            result.lockDir = requireAbsolute(key, value);
        else if (key == "conflict")
            result.conflict = parseConflict(value);
        else
            throw InputError("plugstack.conf: unknown argument '" + key +
                             "' (known: rig, lockdir, conflict)");
    }
    return result;
}

} // namespace lockstep::spank
