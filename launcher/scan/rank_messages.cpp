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

/* A duration on the wire: integer nanoseconds. */
Nanoseconds nanoseconds(const json &value)
{
    return Nanoseconds(value.get<int64_t>());
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
        all.push_back({{"min_frame_ns", m.minFrameDuration.count()},
                       {"max_frame_ns", m.maxFrameDuration.count()},
                       {"readout_ns", m.readout.count()},
                       {"line_ns", m.lineTime.count()}});
    return all.dump();
}

std::vector<SensorMode> decodeSensorModes(const std::string &text)
{
    return decode(text, "list of sensor modes", [](const json &all) {
        std::vector<SensorMode> modes;
        for (const json &m : all)
            modes.push_back({nanoseconds(m.at("min_frame_ns")), nanoseconds(m.at("max_frame_ns")),
                             nanoseconds(m.at("readout_ns")), nanoseconds(m.at("line_ns"))});
        return modes;
    });
}

std::string encode(const TimelineOffer &o)
{
    json moves = json::array();
    for (const Nanoseconds move : o.moves)
        moves.push_back(move.count());
    return json{{"moves_ns", moves},
                {"handling_ns", o.handling.count()},
                {"fence_ns", o.fence.count()},
                {"offered_ns", wireNanos(o.offeredAt)},
                {"error", o.error},
                {"stop", o.stop}}
        .dump();
}

TimelineOffer decodeTimelineOffer(const std::string &text)
{
    return decode(text, "timeline offer", [](const json &j) {
        std::vector<Nanoseconds> moves;
        for (const json &move : j.at("moves_ns"))
            moves.push_back(nanoseconds(move));
        return TimelineOffer{std::move(moves),
                             nanoseconds(j.at("handling_ns")),
                             nanoseconds(j.at("fence_ns")),
                             realtimeFromWire(j.at("offered_ns").get<int64_t>()),
                             j.at("error").get<std::string>(),
                             j.at("stop").get<bool>()};
    });
}

/* Compact on purpose: every rank reads every rank's, at every position. */
std::string encode(const RankHealth &h)
{
    return json{{"e", h.error}, {"s", h.signal}, {"t", wireNanos(h.fenceEntry)}}.dump();
}

RankHealth decodeRankHealth(const std::string &text)
{
    return decode(text, "health", [](const json &j) {
        return RankHealth{j.at("e").get<std::string>(), j.at("s").get<int>(),
                          realtimeFromWire(j.at("t").get<int64_t>())};
    });
}

std::string encode(const RankReport &s)
{
    json frames = json::array();
    for (const FrameRecord &record : s.frames)
        frames.push_back(toJson(record));
    json lock = json::object();
    for (const auto &[camera, figures] : s.lock)
        lock[camera] = toJson(figures);
    json status = {
        {"node", s.node}, {"peak_rss_kb", s.peakRssKb}, {"frames", frames}, {"lock", lock}};
    if (s.timings)
        status["timings"] = {{"position", s.timings->position},
                             {"move_ms", s.timings->timings.moveMs},
                             {"settle_ms", s.timings->timings.settleMs},
                             {"capture_ms", s.timings->timings.captureMs},
                             {"fence_ms", s.timings->timings.fenceMs}};
    return status.dump();
}

RankReport decodeRankReport(const std::string &text)
{
    return decode(text, "report", [](const json &j) {
        RankReport s;
        s.node = j.at("node").get<std::string>();
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
                                 t.at("capture_ms").get<double>(), t.at("fence_ms").get<double>()}};
        }
        return s;
    });
}

} // namespace lockstep
