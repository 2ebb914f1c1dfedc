#define BOOST_TEST_MODULE scan
/* The messages ranks exchange survive their codec whole; a broken one is a RunError. */
#include <boost/test/unit_test.hpp>
#include <csignal>

#include "common/instant_printing.h"
#include "scan/rank_messages.h"
#include "util/errors.h"

using namespace lockstep;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(a_rank_report_round_trips)
{
    RankReport status;
    status.node = "pi03";
    status.peakRssKb = 204'800;
    FrameRecord frame;
    frame.position = 7;
    frame.frame = 2;
    frame.node = "pi03";
    frame.camera = "cam";
    frame.file = "pos-0007/pi03-cam-02.jpg";
    frame.captureInstant = realtimeFromWire(1'796'000'000'000'000'000);
    frame.sensorTimestamp = frame.captureInstant + Nanoseconds(17'000);
    frame.exposure = Microseconds(4000);
    frame.gain = 2.5;
    frame.width = 320;
    frame.height = 240;
    frame.bytes = 12'345;
    frame.sha256 = std::string(64, 'a');
    status.frames = {frame};
    status.timings = PositionTimings{6, {12.5, 50.25, 101.0, 0.5}};
    status.lock["pi03/cam"] = {9, 27.5, 11.25, 6};

    const RankReport back = decodeRankReport(encode(status));
    BOOST_TEST(back.node == status.node);
    BOOST_TEST(back.peakRssKb == status.peakRssKb);
    BOOST_TEST_REQUIRE(back.frames.size() == 1u);
    BOOST_TEST(back.frames[0].file == frame.file);
    BOOST_TEST(back.frames[0].sensorTimestamp == frame.sensorTimestamp);
    BOOST_TEST(back.frames[0].sha256 == frame.sha256);
    BOOST_TEST_REQUIRE(back.timings.has_value());
    BOOST_TEST(back.timings->position == 6u);
    BOOST_TEST(back.timings->timings.settleMs == 50.25);
    BOOST_TEST(back.timings->timings.fenceMs == 0.5);
    BOOST_TEST(back.lock.at("pi03/cam").maxUs == 27.5);
    BOOST_TEST(back.lock.at("pi03/cam").latencyFrames == 6u);

    RankReport quiet;
    quiet.node = "pi01";
    const RankReport quietBack = decodeRankReport(encode(quiet));
    BOOST_TEST(!quietBack.timings.has_value());
    BOOST_TEST(quietBack.frames.empty());
}

BOOST_AUTO_TEST_CASE(health_and_timeline_offer_round_trip)
{
    const RankHealth health{"pi02: camera cam: \"quoted\"\nand a newline", SIGTERM,
                            realtimeFromWire(1'796'000'000'123'456'789)};
    const RankHealth back = decodeRankHealth(encode(health));
    BOOST_TEST(back.error == health.error);
    BOOST_TEST(back.signal == SIGTERM);
    BOOST_TEST(back.fenceEntry == health.fenceEntry);
    /* Every rank reads every rank's health at every position: it stays small whatever the
     * scan (a healthy one, with a time stamp of 19 digits). */
    BOOST_TEST(encode(RankHealth{"", 0, realtimeFromWire(1'796'000'000'123'456'789)}).size() <=
               48u);

    const TimelineOffer offer{{0ns, 577'628'130ns, 1ms},
                              4'500us,
                              700us,
                              realtimeFromWire(1'796'000'000'000'000'000),
                              "",
                              false};
    const TimelineOffer offerBack = decodeTimelineOffer(encode(offer));
    BOOST_TEST((offerBack.moves == offer.moves));
    BOOST_TEST((offerBack.handling == offer.handling));
    BOOST_TEST((offerBack.fence == offer.fence));
    BOOST_TEST(offerBack.offeredAt == offer.offeredAt);
    BOOST_TEST(offerBack.error.empty());
}

BOOST_AUTO_TEST_CASE(start_decision_and_modes_round_trip)
{
    const StartDecision d = decodeStartDecision(encode(StartDecision{4, "", "disk full"}));
    BOOST_TEST(d.firstPosition == 4u);
    BOOST_TEST(d.inputError.empty());
    BOOST_TEST(d.runError == "disk full");

    const std::vector<SensorMode> modes{{100ms, 120s, 86'940us, 28'600ns},
                                        {33'333'333ns, 0ns, 0ns, 0ns}};
    const std::vector<SensorMode> back = decodeSensorModes(encode(modes));
    BOOST_TEST_REQUIRE(back.size() == 2u);
    BOOST_TEST((back[0].readout == 86'940us));
    BOOST_TEST((back[0].maxFrameDuration == 120s));
    BOOST_TEST((back[1].minFrameDuration == 33'333'333ns));
    BOOST_TEST((back[0].lineTime == 28'600ns));
    BOOST_TEST(decodeSensorModes(encode(std::vector<SensorMode>{})).empty());
}

BOOST_AUTO_TEST_CASE(a_broken_message_is_a_run_error)
{
    BOOST_CHECK_THROW(decodeRankReport("{\"node\": \"pi01\""), RunError);
    BOOST_CHECK_THROW(decodeRankReport("{\"node\": \"pi01\"}"), RunError); /* fields missing */
    BOOST_CHECK_THROW(decodeRankHealth("{\"e\": \"\"}"), RunError);
    BOOST_CHECK_THROW(decodeStartDecision("[]"), RunError);
    BOOST_CHECK_THROW(decodeSensorModes("[{\"min_frame_ns\": \"fast\"}]"), RunError);
}
