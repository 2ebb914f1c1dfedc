#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "camera/camera.h"
#include "camera/sim_camera.h"
#include "camera/sim_scene.h"
#include "gpio/motor_track.h"
#include "gpio/sim_gpio.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

constexpr Nanos kMs = 1'000'000;

/* A rig with one turntable (3200 microsteps per turn) and one simulated camera, in a temporary
 * sim directory removed afterwards. */
struct SimRig {
    std::filesystem::path dir;
    RigConfig rig;
    CameraConfig camera;

    explicit SimRig(double azimuth = 0)
    {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "lockstep-camera-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        dir = pattern;
        rig.simDir = dir.string();
        NodeConfig node;
        node.hostname = "node0";
        MotorConfig table;
        table.name = "table";
        table.stepsPerRev = 200;
        table.microsteps = 16;
        node.motors.push_back(table);
        camera.name = "cam0";
        camera.simAzimuth = azimuth;
        camera.simMotor = "table";
        node.cameras.push_back(camera);
        rig.nodes.push_back(node);
    }
    ~SimRig() { std::filesystem::remove_all(dir); }
    SimRig(const SimRig &) = delete;
    SimRig &operator=(const SimRig &) = delete;

    /* Writes the turntable's track in the simulated GPIO's file format. */
    void writeTrack(const std::vector<TrackRecord> &records) const
    {
        const std::string path = simTrackPath(rig.simDir, "table");
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(records.data()),
                  std::streamsize(records.size() * sizeof(TrackRecord)));
    }
};

CaptureSettings settings(int64_t exposureUs = 10'000)
{
    CaptureSettings s;
    s.exposureUs = exposureUs;
    s.gain = 2.5;
    s.width = 320;
    s.height = 240;
    return s;
}

double angleError(double a, double b)
{
    return std::abs(std::remainder(a - b, 360.0));
}

} // namespace

BOOST_AUTO_TEST_CASE(capture_at_starts_the_exposure_at_t)
{
    const SimRig sim;
    auto camera = openCamera(sim.rig, sim.camera);
    BOOST_TEST(camera->name() == "cam0");
    camera->start(settings(20'000));
    uint64_t lastSequence = 0;
    Nanos earliest = std::numeric_limits<Nanos>::max();
    for (int i = 0; i < 5; ++i) {
        const Nanos t = realtimeNow() + 60 * kMs;
        const Frame frame = camera->captureAt(t);
        const Nanos returned = realtimeNow();
        BOOST_TEST_MESSAGE("exposure began " << (frame.sensorTimestamp - t) / 1000.0
                                             << " us after t");
        BOOST_TEST(frame.sensorTimestamp >= t);
        /* Never a frame late: the exposure starts at t, not on the next free-running frame. */
        BOOST_TEST(frame.sensorTimestamp < t + 33 * kMs);
        earliest = std::min(earliest, frame.sensorTimestamp - t);
        BOOST_TEST(returned >= frame.sensorTimestamp + 20 * kMs); /* the exposure took its time */
        BOOST_TEST(frame.exposureUs == 20'000);
        BOOST_TEST(frame.gain == 2.5);
        BOOST_TEST(frame.image.width == 320u);
        BOOST_TEST(frame.image.height == 240u);
        BOOST_TEST(frame.sequence > lastSequence);
        lastSequence = frame.sequence;
    }
    /* A wake-up late, not more; the best of five, as a loaded test machine stalls threads
     * for tens of milliseconds now and then. */
    BOOST_TEST(earliest < 10 * kMs);
    camera->stop();
}

BOOST_AUTO_TEST_CASE(capture_next_follows_the_free_running_grid)
{
    const SimRig sim;
    SimCamera camera(sim.rig, sim.camera);
    camera.start(settings(50'000)); /* longer than 33 ms: the exposure sets the period */
    BOOST_TEST(camera.framePeriod() == 50 * kMs);
    const Frame first = camera.captureNext();
    const Frame second = camera.captureNext();
    BOOST_TEST(second.sequence > first.sequence);
    /* Starts lie on one grid: a whole number of periods apart, up to wake-up jitter. */
    const double periods =
        double(second.sensorTimestamp - first.sensorTimestamp) / double(camera.framePeriod());
    BOOST_TEST_MESSAGE("frames " << periods << " periods apart, sequence " << first.sequence
                                 << " -> " << second.sequence);
    BOOST_TEST(std::abs(periods - std::round(periods)) < 0.4);
    BOOST_TEST(second.sequence - first.sequence == uint64_t(std::round(periods)));

    /* A scheduled capture re-phases the sensor: the next free-running frame follows it. */
    const Nanos t = realtimeNow() + 80 * kMs;
    const Frame scheduled = camera.captureAt(t);
    const Frame after = camera.captureNext();
    const double later = double(after.sensorTimestamp - t) / double(camera.framePeriod());
    BOOST_TEST(std::abs(later - std::round(later)) < 0.4);
    BOOST_TEST(after.sequence > scheduled.sequence);
}

BOOST_AUTO_TEST_CASE(capture_asked_too_late_takes_the_next_free_running_frame)
{
    const SimRig sim;
    SimCamera camera(sim.rig, sim.camera);
    camera.start(settings(20'000));
    BOOST_TEST(camera.leadTime() == camera.framePeriod());
    /* Re-phase the sensor, then ask for an instant it cannot be retimed for. */
    const Nanos phased = realtimeNow() + 2 * camera.leadTime();
    camera.captureAt(phased);
    /* Half-way between two frames of the new grid, less than a frame period ahead (the
     * scheduled frame ends 25 ms after `phased`). */
    const Nanos t = phased + 3 * camera.framePeriod() / 2;
    BOOST_TEST_REQUIRE(t - realtimeNow() < camera.leadTime());
    const Frame late = camera.captureAt(t);
    BOOST_TEST(late.sensorTimestamp >= t);
    /* It started on the grid set by the scheduled frame, not at t. */
    const double periods = double(late.sensorTimestamp - phased) / double(camera.framePeriod());
    BOOST_TEST_MESSAGE("late request: exposure began " << (late.sensorTimestamp - t) / 1000.0
                                                       << " us after t, " << periods
                                                       << " periods after the scheduled frame");
    BOOST_TEST(std::abs(periods - std::round(periods)) < 0.2);
}

BOOST_AUTO_TEST_CASE(frame_shows_the_motor_position_from_the_track)
{
    const SimRig sim(90);
    const Nanos now = realtimeNow();
    /* At step 800 (90 deg) until now + 100 ms, then 40 deg further (356 steps) spread evenly
     * over 100 ms, then still. */
    std::vector<TrackRecord> track{{now - kNanosPerSecond, 800}};
    const Nanos moveBegin = now + 100 * kMs;
    for (int64_t step = 1; step <= 356; ++step)
        track.push_back({moveBegin + step * 100 * kMs / 356, 800 + step});
    sim.writeTrack(track);

    auto camera = openCamera(sim.rig, sim.camera);
    camera->start(settings(20'000));

    const AngleEstimate before =
        estimateTurntableAngle(camera->captureAt(now + 50 * kMs).image, 90);
    BOOST_TEST_REQUIRE(before.valid);
    BOOST_TEST(angleError(before.angleDeg, 90.0) < 0.5);
    BOOST_TEST(before.spreadDeg < 3.0);

    /* Exposed over 20 ms in the middle of the move: about 8 deg of travel smeared. */
    const Frame moving = camera->captureAt(moveBegin + 40 * kMs);
    const AngleEstimate blurred = estimateTurntableAngle(moving.image, 90);
    const double expected =
        90 + 40 * (double(moving.sensorTimestamp - moveBegin) + 10 * kMs) / (100 * kMs);
    BOOST_TEST_MESSAGE("while moving: angle " << blurred.angleDeg << " (expected " << expected
                                              << "), spread " << blurred.spreadDeg);
    BOOST_TEST_REQUIRE(blurred.valid);
    BOOST_TEST(blurred.spreadDeg > 5.0);
    BOOST_TEST(angleError(blurred.angleDeg, 90.0) > 5.0); /* not where the plan says it stands */
    BOOST_TEST(angleError(blurred.angleDeg, expected) < 1.5);

    const AngleEstimate after =
        estimateTurntableAngle(camera->captureAt(moveBegin + 150 * kMs).image, 90);
    BOOST_TEST_REQUIRE(after.valid);
    BOOST_TEST(angleError(after.angleDeg, 90 + 356 * 360.0 / 3200) < 0.5);
    BOOST_TEST(after.spreadDeg < 3.0);
}

BOOST_AUTO_TEST_CASE(rotated_camera_and_missing_track)
{
    SimRig sim(30);
    sim.camera.rotation = 180;
    auto camera = openCamera(sim.rig, sim.camera);
    camera->start(settings());
    /* No track file yet: the motor never moved, the table stands at step 0. */
    const Frame frame = camera->captureNext();
    BOOST_TEST(angleError(estimateTurntableAngle(frame.image, 30, true).angleDeg, 0.0) < 0.5);
    BOOST_TEST(angleError(estimateTurntableAngle(frame.image, 30, false).angleDeg, 180.0) < 0.5);
}

BOOST_AUTO_TEST_CASE(misuse_gives_clear_errors)
{
    SimRig sim;
    SimCamera camera(sim.rig, sim.camera);
    BOOST_CHECK_THROW(camera.captureNext(), RunError);
    BOOST_CHECK_THROW(camera.start(settings(0)), RunError);
    camera.start(settings());
    camera.stop();
    BOOST_CHECK_THROW(camera.captureAt(realtimeNow()), RunError);

    sim.camera.simMotor = "nowhere";
    BOOST_CHECK_EXCEPTION(openCamera(sim.rig, sim.camera), RunError, [](const RunError &e) {
        return std::string(e.what()).find("nowhere") != std::string::npos;
    });
}
