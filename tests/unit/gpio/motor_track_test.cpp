#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "common/instant_printing.h"
#include "gpio/motor_track.h"
#include "gpio/sim_gpio.h"
#include "temp_dir.h"
#include "util/chrono_clocks.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

/* Records as the file holds them: { realtime ns since the epoch, step }. */
void writeTrack(const std::string &path, const std::vector<TrackFileRecord> &records,
                size_t tornBytes = 0)
{
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(records.data()),
              static_cast<std::streamsize>(records.size() * sizeof(TrackFileRecord)));
    const std::array<char, sizeof(TrackFileRecord)> junk{};
    out.write(junk.data(), static_cast<std::streamsize>(tornBytes));
}

/* One simulated motor on lines 2 (STEP), 3 (DIR), 4 (ENABLE, active-high). */
struct SimMotor {
    SimMotor(const std::string &simDir, int64_t initialStep)
        : gpio(simDir, "pi01", {driver(initialStep)}, request())
    {
    }
    static SimDriver driver(int64_t initialStep)
    {
        SimDriver d;
        d.motor = "tilt";
        d.lines = {.step = 2, .dir = 3, .enable = 4};
        d.initialStep = initialStep;
        return d;
    }
    static LineRequest request()
    {
        LineRequest r;
        r.outputs = {2, 3, 4};
        r.initialLevels = {0, 0, 0};
        return r;
    }
    void set(unsigned offset, uint8_t level)
    {
        const std::array<unsigned, 1> offsets{offset};
        const std::array<uint8_t, 1> levels{level};
        gpio.set(offsets, levels);
    }
    void step()
    {
        set(2, 1);
        set(2, 0);
    }

    SimGpio gpio;
};

/* The instant `ns` nanoseconds after the epoch, as the tracks written here hold them. */
constexpr RealtimeInstant at(int64_t ns)
{
    return realtimeFromWire(ns);
}

} // namespace

BOOST_AUTO_TEST_SUITE(motor_track)

BOOST_AUTO_TEST_CASE(absent_file_is_a_motor_that_never_moved)
{
    TempDir dir;
    const MotorTrack track = MotorTrack::load(dir.path() + "/none.track", 42);
    BOOST_TEST(track.records().empty());
    BOOST_TEST(track.stepAt(at(0)) == 42);
    BOOST_TEST(track.stepAt(RealtimeClock::now()) == 42);
    BOOST_TEST(!track.movedDuring(at(0), RealtimeClock::now()));
}

BOOST_AUTO_TEST_CASE(step_at_is_the_last_record_at_or_before)
{
    TempDir dir;
    const std::string path = dir.path() + "/m.track";
    writeTrack(path, {{100, 5}, {200, 6}, {200, 7}, {300, 8}}, 7);

    const MotorTrack track = MotorTrack::load(path, -1);
    BOOST_TEST(track.records().size() == 4u); /* the torn tail is not a record */
    BOOST_TEST(track.stepAt(at(99)) == -1);
    BOOST_TEST(track.stepAt(at(100)) == 5);
    BOOST_TEST(track.stepAt(at(199)) == 5);
    BOOST_TEST(track.stepAt(at(200)) == 7);
    BOOST_TEST(track.stepAt(at(299)) == 7);
    BOOST_TEST(track.stepAt(at(300)) == 8);
    BOOST_TEST(track.stepAt(at(1'000'000)) == 8);
}

BOOST_AUTO_TEST_CASE(load_since_keeps_what_answers_from_then_on)
{
    TempDir dir;
    const std::string path = dir.path() + "/m.track";
    writeTrack(path, {{100, 5}, {200, 6}, {200, 7}, {300, 8}, {400, 9}}, 7);
    const MotorTrack whole = MotorTrack::load(path, -1);

    for (const int64_t ns : {0, 99, 100, 150, 200, 250, 300, 400, 1000}) {
        const RealtimeInstant from = at(ns);
        const MotorTrack tail = MotorTrack::loadSince(path, from, -1);
        BOOST_TEST_CONTEXT("from " << ns)
        {
            for (RealtimeInstant t = from; t <= at(1100); t += 25ns)
                BOOST_TEST(tail.stepAt(t) == whole.stepAt(t), "t " << wireNanos(t));
            BOOST_TEST(tail.movedDuring(from, at(1000)) == whole.movedDuring(from, at(1000)));
        }
    }
    /* It reads the tail only: from 250 the records at and after 200 (step 7). */
    const MotorTrack tail = MotorTrack::loadSince(path, at(250));
    BOOST_TEST_REQUIRE(tail.records().size() == 3u);
    BOOST_TEST(tail.records().front().step == 7);
    BOOST_TEST(MotorTrack::loadSince(path, at(1000)).records().size() == 1u);
    BOOST_TEST(MotorTrack::loadSince(dir.path() + "/none.track", at(5), 42).stepAt(at(10)) == 42);
}

BOOST_AUTO_TEST_CASE(moved_during_looks_inside_the_interval)
{
    TempDir dir;
    const std::string path = dir.path() + "/m.track";
    /* Still from 100 to 300 (an ENABLE record repeats the step), then moves at 400. */
    writeTrack(path, {{100, 5}, {300, 5}, {400, 6}});

    const MotorTrack track = MotorTrack::load(path);
    BOOST_TEST(!track.movedDuring(at(100), at(399)));
    BOOST_TEST(track.movedDuring(at(100), at(400)));
    BOOST_TEST(track.movedDuring(at(50), at(150)));
    BOOST_TEST(!track.movedDuring(at(400), at(500)));
    BOOST_TEST(!track.movedDuring(at(500), at(400)));
}

BOOST_AUTO_TEST_CASE(sim_gpio_publishes_each_step)
{
    TempDir dir;
    const std::string path = simTrackPath(dir.path(), "tilt");
    std::vector<RealtimeInstant> marks;
    {
        SimMotor motor(dir.path(), 100);
        marks.push_back(RealtimeClock::now());
        motor.set(4, 1); /* ENABLE: a record at the same step */
        motor.set(3, 1);
        for (int i = 0; i < 3; ++i) {
            motor.step();
            marks.push_back(RealtimeClock::now());
        }
        motor.gpio.flushTracks();

        const MotorTrack track = MotorTrack::load(path);
        std::vector<int64_t> steps;
        for (const TrackRecord &r : track.records())
            steps.push_back(r.step);
        /* initial position, ENABLE, three steps */
        BOOST_TEST(steps == std::vector<int64_t>({100, 100, 101, 102, 103}),
                   boost::test_tools::per_element());
        for (size_t i = 1; i < track.records().size(); ++i)
            BOOST_TEST(track.records()[i - 1].realtime <= track.records()[i].realtime);

        BOOST_TEST(track.stepAt(marks[0]) == 100);
        BOOST_TEST(track.stepAt(marks[1]) == 101);
        BOOST_TEST(track.stepAt(marks[3]) == 103);
        BOOST_TEST(track.movedDuring(marks[0], marks[1]));
        BOOST_TEST(!track.movedDuring(marks[3], marks[3] + 1s));

        motor.set(4, 0);
    } /* destruction flushes the ENABLE release */
    BOOST_TEST(MotorTrack::load(path).records().size() == 6u);
}

BOOST_AUTO_TEST_CASE(background_flusher_publishes_without_being_asked)
{
    TempDir dir;
    SimMotor motor(dir.path(), 0);
    motor.set(4, 1);
    motor.set(3, 1);
    motor.step();
    const std::string path = simTrackPath(dir.path(), "tilt");
    /* Behaviour, not speed: wait generously for the flusher's first pass. */
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (MotorTrack::load(path).records().size() < 3 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_TEST(MotorTrack::load(path).stepAt(RealtimeClock::now()) == 1);
}

BOOST_AUTO_TEST_CASE(initial_record_only_when_the_track_ends_elsewhere)
{
    TempDir dir;
    const std::string path = simTrackPath(dir.path(), "tilt");
    {
        SimMotor motor(dir.path(), 7);
    }
    BOOST_TEST(MotorTrack::load(path).records().size() == 1u);
    {
        SimMotor motor(dir.path(), 7);
    }
    BOOST_TEST(MotorTrack::load(path).records().size() == 1u);
    {
        SimMotor motor(dir.path(), 9);
    }
    const MotorTrack track = MotorTrack::load(path);
    BOOST_TEST(track.records().size() == 2u);
    BOOST_TEST(track.stepAt(RealtimeClock::now()) == 9);
}

BOOST_AUTO_TEST_SUITE_END()
