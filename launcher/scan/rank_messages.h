/* What the ranks of a scan tell each other, typed, with the codec that puts each on the wire
 * (JSON text through the coordinator's broadcast and all-gather):
 *
 *   StartDecision   rank 0 -> all, once: where to start, or why not
 *   SensorMode[]    all -> all, once: every camera's mode, from which each derives the grid
 *   TimelineOffer   all -> all, once: each node's planned moves, from which each plans the
 *                   same timeline, and when it made the offer
 *   RankHealth      all -> all, at every position's fence: small and of fixed size
 *   RankReport      all -> rank 0 only, at every position's fence: its manifest lines
 *
 * decode*() throw RunError on a message that does not parse: a rank of another version. */
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "camera/frame_grid.h"
#include "scan/manifest.h"

namespace lockstep
{

struct StartDecision {
    size_t firstPosition = 0;
    std::string inputError; /* bad input: every rank exits 2, nothing moved */
    std::string runError;
};

struct PositionTimings {
    unsigned position = 0;
    NodeTimings timings;
};

struct TimelineOffer {
    std::vector<Nanoseconds> moves; /* this node's planned move to each position from the first */
    Nanoseconds handling{0};        /* this node's longest frame hand-over so far */
    Nanoseconds fence{0};           /* this node's median of a few trial fences */
    RealtimeInstant offeredAt;      /* the timeline starts a margin after the latest */
    std::string error;              /* this rank's first error, "" if none */
    bool stop = false;              /* a signal asked this rank to stop */
};

/* Whether every rank may go on, and when each entered the fence. */
struct RankHealth {
    std::string error; /* this rank's first error, "" if none */
    int signal = 0;    /* the signal that asked this rank to stop, 0 if none */
    RealtimeInstant fenceEntry;
};

struct RankReport {
    std::string node;
    long peakRssKb = 0;
    std::vector<FrameRecord> frames;         /* written since the last exchange */
    std::optional<PositionTimings> timings;  /* of the position before */
    std::map<std::string, LockFigures> lock; /* "node/camera" -> since the last exchange */
};

std::string encode(const StartDecision &decision);
StartDecision decodeStartDecision(const std::string &text);

std::string encode(const std::vector<SensorMode> &modes);
std::vector<SensorMode> decodeSensorModes(const std::string &text);

std::string encode(const TimelineOffer &offer);
TimelineOffer decodeTimelineOffer(const std::string &text);

std::string encode(const RankHealth &health);
RankHealth decodeRankHealth(const std::string &text);

std::string encode(const RankReport &report);
RankReport decodeRankReport(const std::string &text);

} // namespace lockstep
