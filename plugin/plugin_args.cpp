#include "plugin_args.h"

#include <algorithm>

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

/* Whole seconds, 1 to one day. */
unsigned parseSeconds(const std::string &key, const std::string &value)
{
    constexpr unsigned kMax = 86400;
    unsigned seconds = 0;
    bool valid = !value.empty() && value.size() <= 5 && value.front() != '0';
    for (const char c : value) {
        valid &= c >= '0' && c <= '9';
        if (valid)
            seconds = seconds * 10 + static_cast<unsigned>(c - '0');
    }
    if (!valid || seconds > kMax)
        throw InputError("plugstack.conf: " + key + "= must be whole seconds from 1 to " +
                         std::to_string(kMax) + ", got '" + value + "'");
    return seconds;
}

/* A GRES name as slurm.conf's GresTypes has it. */
std::string parseGresName(const std::string &key, const std::string &value)
{
    bool valid = !value.empty() && value.size() <= 64;
    for (const char c : value)
        valid &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
    if (!valid)
        throw InputError("plugstack.conf: " + key +
                         "= must be a GRES name (letters, digits, _ and -), got '" + value + "'");
    return value;
}

} // namespace

std::string PluginArgs::str() const
{
    std::string text = "rig=" + rig + " lockdir=" + lockDir +
                       " conflict=" + (conflict == Conflict::Wait ? "wait" : "refuse") +
                       " wait_timeout=" + std::to_string(waitTimeoutSeconds);
    if (!motorGres.empty())
        text += " motor_gres=" + motorGres;
    if (!cameraGres.empty())
        text += " camera_gres=" + cameraGres;
    return text;
}

PluginArgs parsePluginArgs(const std::vector<std::string> &args)
{
    PluginArgs result;
    std::vector<std::string> seen;
    for (const std::string &arg : args) {
        const auto eq = arg.find('=');
        if (eq == std::string::npos)
            throw InputError("plugstack.conf: argument '" + arg + "' is not key=value");
        const std::string key = arg.substr(0, eq);
        const std::string value = arg.substr(eq + 1);
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            throw InputError("plugstack.conf: argument '" + key +
                             "' is given twice (one value per key)");
        seen.push_back(key);
        if (key == "rig")
            result.rig = requireAbsolute(key, value);
        else if (key == "lockdir")
            result.lockDir = requireAbsolute(key, value);
        else if (key == "conflict")
            result.conflict = parseConflict(value);
        else if (key == "wait_timeout")
            result.waitTimeoutSeconds = parseSeconds(key, value);
        else if (key == "motor_gres")
            result.motorGres = parseGresName(key, value);
        else if (key == "camera_gres")
            result.cameraGres = parseGresName(key, value);
        else
            throw InputError("plugstack.conf: unknown argument '" + key +
                             "' (known: rig, lockdir, conflict, wait_timeout, motor_gres, "
                             "camera_gres)");
    }
    return result;
}

} // namespace lockstep::spank
