#include "scan/rank_messages.h"

#include <nlohmann/json.hpp>

#include "util/errors.h"

namespace lockstep
{

using nlohmann::json;

namespace
{

/* Parses and converts, turning the library's exceptions into the one the scan handles. */
template <typename Convert> auto decode(const std::string &text, const char *what, Convert convert)
{
    try {
        return convert(json::parse(text));
    } catch (const json::exception &e) {
        throw RunError(std::string("a rank sent a ") + what + " that does not parse: " + e.what());
    }
}

} // namespace

std::string encode(const StartDecision &d)
{
    return json{
        {"first", d.firstPosition}, {"input_error", d.inputError}, {"run_error", d.runError}}
        .dump();
}

StartDecision decodeStartDecision(const std::string &text)
{
    return decode(text, "start decision", [](const json &j) {
        return StartDecision{j.at("first").get<size_t>(), j.at("input_error").get<std::string>(),
                             j.at("run_error").get<std::string>()};
    });
}

std::string encode(const std::vector<SensorMode> &modes)
{
    json all = json::array();
    for (const SensorMode &m : modes)
        all.push_back({{"min_frame_ns", m.minFrameDuration},
                       {"max_frame_ns", m.maxFrameDuration},
                       {"readout_ns", m.readout},
                       {"line_ns", m.lineTime}});
    return all.dump();
}

std::vector<SensorMode> decodeSensorModes(const std::string &text)
{
    return decode(text, "list of sensor modes", [](const json &all) {
        std::vector<SensorMode> modes;
        for (const json &m : all)
            modes.push_back({m.at("min_frame_ns").get<Nanos>(), m.at("max_frame_ns").get<Nanos>(),
                             m.at("readout_ns").get<Nanos>(), m.at("line_ns").get<Nanos>()});
        return modes;
    });
}

std::string encode(const RankStatus &s)
{
    json frames = json::array();
    for (const FrameRecord &record : s.frames)
        frames.push_back(toJson(record));
    json lock = json::object();
    for (const auto &[camera, figures] : s.lock)
        lock[camera] = toJson(figures);
    json status = {{"node", s.node},
                   {"error", s.error},
                   {"stop", s.stop},
                   {"handling_ns", s.handling},
                   {"peak_rss_kb", s.peakRssKb},
                   {"frames", frames},
                   {"lock", lock}};
    if (s.timings)
        status["timings"] = {{"position", s.timings->position},
                             {"move_ms", s.timings->timings.moveMs},
                             {"settle_ms", s.timings->timings.settleMs},
                             {"capture_ms", s.timings->timings.captureMs}};
    return status.dump();
}

RankStatus decodeRankStatus(const std::string &text)
{
    return decode(text, "status", [](const json &j) {
        RankStatus s;
        s.node = j.at("node").get<std::string>();
        s.error = j.at("error").get<std::string>();
        s.stop = j.at("stop").get<bool>();
        s.handling = j.at("handling_ns").get<Nanos>();
        s.peakRssKb = j.at("peak_rss_kb").get<long>();
        for (const json &frame : j.at("frames"))
            s.frames.push_back(frameFromJson(frame));
        for (const auto &[camera, figures] : j.at("lock").items())
            s.lock[camera] = lockFromJson(figures);
        if (j.contains("timings")) {
            const json &t = j.at("timings");
            s.timings =
                PositionTimings{t.at("position").get<unsigned>(),
                                {t.at("move_ms").get<double>(), t.at("settle_ms").get<double>(),
                                 t.at("capture_ms").get<double>()}};
        }
        return s;
    });
}

} // namespace lockstep
