#include "job_gres.h"

#include <algorithm>

#include "util/errors.h"

namespace lockstep::spank
{

namespace
{

/* Splits at commas outside parentheses ("gpu:2(IDX:0,2)" stays one). */
std::vector<std::string_view> topLevelItems(std::string_view text)
{
    std::vector<std::string_view> items;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        const char c = i < text.size() ? text[i] : ',';
        if (c == '(')
            ++depth;
        else if (c == ')')
            --depth;
        else if (c == ',' && depth == 0) {
            if (i > start)
                items.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return items;
}

bool allDigits(std::string_view text)
{
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

GresCounts parseGresDetail(std::string_view detail)
{
    GresCounts counts;
    for (std::string_view item : topLevelItems(detail)) {
        if (const size_t paren = item.find('('); paren != std::string_view::npos)
            item = item.substr(0, paren);
        const size_t firstColon = item.find(':');
        const std::string_view name = item.substr(0, firstColon);
        const std::string_view count =
            firstColon == std::string_view::npos ? "1" : item.substr(item.rfind(':') + 1);
        if (name.empty() || !allDigits(count) || count.size() > 18)
            throw RunError("cannot read the job's GRES from slurmctld: '" + std::string(item) +
                           "'");
        counts[std::string(name)] += std::stoull(std::string(count));
    }
    return counts;
}

bool gresTieEnabled(const PluginArgs &args)
{
    return !args.motorGres.empty() || !args.cameraGres.empty();
}

std::string missingGres(const DeviceRequest &request, const std::vector<Device> &selected,
                        const GresCounts &held, const PluginArgs &args, const std::string &node)
{
    std::vector<std::string> motors;
    std::vector<std::string> cameras;
    for (const Device &device : selected)
        if (std::find(request.names.begin(), request.names.end(), device.name) !=
            request.names.end())
            (device.kind == DeviceKind::Motor ? motors : cameras).push_back(device.name);
    std::string missing;
    const auto check = [&](const std::vector<std::string> &named, const std::string &gres,
                           const char *kind) {
        if (named.empty() || gres.empty())
            return;
        const auto found = held.find(gres);
        const uint64_t have = found == held.end() ? 0 : found->second;
        if (have >= named.size())
            return;
        std::string list;
        for (const std::string &name : named)
            list += (list.empty() ? "" : ",") + name;
        missing += std::string(missing.empty() ? "" : "; ") + "--lockstep names the " + kind + " " +
                   list + " on " + node + ", but the job holds " + std::to_string(have) + " '" +
                   gres + "' GRES there, not " + std::to_string(named.size()) +
                   " (ask for --gres=" + gres + ":" + std::to_string(named.size()) +
                   " on this node, or use --lockstep=all)";
    };
    check(motors, args.motorGres, motors.size() == 1 ? "motor" : "motors");
    check(cameras, args.cameraGres, cameras.size() == 1 ? "camera" : "cameras");
    return missing;
}

} // namespace lockstep::spank
