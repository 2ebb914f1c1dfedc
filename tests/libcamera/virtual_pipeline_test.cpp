/* The libcamera backend against a real libcamera: upstream's virtual pipeline handler, whose
 * cameras (declared in the pipeline's virtual.yaml) produce software test patterns with no kernel
 * device. Run inside a Debian trixie root by scripts/libcamera-virtual.sh.
 *
 * What the virtual pipeline is, read from its source and seen here: a request completes as soon
 * as it is queued (no frame pacing), SensorTimestamp is CLOCK_MONOTONIC at queue time,
 * FrameDurationLimits and ExposureTime are accepted but not applied, only NV12 is offered (BT.601
 * limited range from libyuv), and "Virtual1" shows colour bars that move one column left per
 * frame. So it shows libcamera's API and state machine, buffers, formats and clocks; it cannot
 * show real frame timing or exposure: those stay with the strict simulated sensor's tests. */
#define BOOST_TEST_MODULE libcamera_virtual
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <libcamera/camera.h>
#include <libcamera/camera_manager.h>
#include <libcamera/color_space.h>
#include <libcamera/logging.h>
#include <libcamera/stream.h>

#include "camera/camera.h"
#include "camera/camera_manager.h"
#include "camera/libcamera_camera.h"
#include "image/yuv_to_rgb.h"
#include "util/chrono_clocks.h"
#include "util/errors.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

/* Virtual1: 800x600 colour bars (white, yellow, cyan, green, magenta, red, blue, black), 100
 * columns each. */
constexpr const char *kBarsCamera = "Virtual1";
constexpr unsigned kBarsWidth = 800;
constexpr unsigned kBarsHeight = 600;

struct LibcameraLog {
    std::string path = "/tmp/lockstep-libcamera-test.log";
    LibcameraLog()
    {
        std::remove(path.c_str());
        libcamera::logSetFile(path.c_str());
    }
    std::string text() const
    {
        std::ifstream in(path);
        std::stringstream all;
        all << in.rdbuf();
        return all.str();
    }
};

LibcameraLog &libcameraLog()
{
    static LibcameraLog log;
    return log;
}

struct Report {
    Report()
    {
        libcameraLog();
        BOOST_TEST_MESSAGE(
            "libcamera " << libcamera::CameraManager::version()
                         << ", virtual pipeline handler. Tested here: opening by id and the "
                            "not-found error, exclusive acquire, configuration adjustment, NV12 "
                            "frames copied to planar YUV (checked as RGB), start/stop/restart, "
                            "request reuse, no "
                            "re-queue while stopping, SensorTimestamp conversion, captureNext, "
                            "captureAt and its bound, the camera state machine, the sensor mode. "
                            "Not testable on this pipeline (it has no frame pacing and "
                            "applies neither FrameDurationLimits nor ExposureTime): real frame "
                            "timing, exposure and the phase lock onto the frame grid (streams here "
                            "are open loop); the strict simulated sensor's tests cover those.");
    }
};
BOOST_TEST_GLOBAL_FIXTURE(Report);

CameraConfig realCamera(const std::string &id, const std::string &name = "cam")
{
    CameraConfig camera;
    camera.name = name;
    camera.backend = Backend::Real;
    camera.id = id;
    return camera;
}

CaptureSettings barsSettings()
{
    CaptureSettings settings;
    settings.width = kBarsWidth;
    settings.height = kBarsHeight;
    settings.exposure = 10ms;
    return settings;
}

/* The lock error bound the tests capture with: frames of the unpaced virtual pipeline come a few
 * ms apart, more under the sanitizers and a loaded machine. */
constexpr Nanoseconds kBound = 80ms;

FrameGrid barsGrid()
{
    const SensorMode mode{200ms, 500ms, 200ms, 0ns};
    return chooseFrameGrid(std::span<const SensorMode>(&mode, 1), barsSettings().exposure);
}

/* The virtual pipeline applies no frame duration, so it cannot be phase-locked: the tests stream
 * open loop (GridLock's retiming is requested and ignored). */
LockOptions openLoop()
{
    return {CaptureSync::OpenLoop, kBound};
}

/* Configured and streaming for one test; stopped at its end. */
struct Streaming {
    Camera &camera;
    explicit Streaming(Camera &c) : camera(c)
    {
        camera.configure(barsSettings());
        camera.start(barsGrid(), openLoop());
    }
    ~Streaming() { camera.stop(); }
    Streaming(const Streaming &) = delete;
    Streaming &operator=(const Streaming &) = delete;
};

std::vector<std::string> cameraIds()
{
    /* The manager outlives every Camera handle taken from it (libcamera's order). */
    const auto manager = sharedCameraManager();
    std::vector<std::string> ids;
    for (const auto &camera : manager->cameras())
        ids.push_back(camera->id());
    return ids;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

/* The colour-bar index a pixel column shows once the pattern has been shifted left `shift`
 * columns. The generator shifts it once per generated frame, the first one included, from
 * configure() on: after configure(), frame `sequence` shows shift sequence + 1. (A restart
 * without configure() numbers frames from 0 again but keeps shifting.) */
unsigned barAt(unsigned x, uint64_t shift)
{
    return unsigned((x + shift) % kBarsWidth) / (kBarsWidth / 8);
}

/* Whether the pipeline names its frames BT.709. The virtual pipeline makes them with libyuv's
 * ARGBToNV12, BT.601 limited range, whatever it names: 0.4 names no colour space, 0.7 names
 * Rec709. The backend decodes with the named one, so that is what the test expects. */
bool namedRec709()
{
    const auto manager = sharedCameraManager();
    const auto camera = manager->get(kBarsCamera);
    auto config = camera->generateConfiguration({libcamera::StreamRole::StillCapture});
    config->validate();
    const auto &space = config->at(0).colorSpace;
    return space && space->ycbcrEncoding == libcamera::ColorSpace::YcbcrEncoding::Rec709;
}

/* A bar's colour as the pipeline encodes it (BT.601 limited) and the backend decodes it (the
 * named matrix), in plain floating point. */
std::array<int, 3> expectedColour(const std::array<double, 3> &rgb, bool rec709)
{
    const auto encode = [&](double kr, double kb) {
        const double y = kr * rgb[0] + (1 - kr - kb) * rgb[1] + kb * rgb[2];
        return std::array<double, 3>{y, (rgb[2] - y) / (2 * (1 - kb)),
                                     (rgb[0] - y) / (2 * (1 - kr))};
    };
    const auto [y, pb, pr] = encode(0.299, 0.114);
    /* 8-bit limited range, as stored. */
    const double y8 = std::round(16 + 219 * y / 255);
    const double cb8 = std::round(128 + 224 * pb / 255);
    const double cr8 = std::round(128 + 224 * pr / 255);
    const double kr = rec709 ? 0.2126 : 0.299;
    const double kb = rec709 ? 0.0722 : 0.114;
    const double yd = (y8 - 16) * 255 / 219;
    const double pbd = (cb8 - 128) * 255 / 224;
    const double prd = (cr8 - 128) * 255 / 224;
    const double r = yd + 2 * (1 - kr) * prd;
    const double b = yd + 2 * (1 - kb) * pbd;
    const double g = (yd - kr * r - kb * b) / (1 - kr - kb);
    const auto byte = [](double v) { return int(std::lround(std::clamp(v, 0.0, 255.0))); };
    return {byte(r), byte(g), byte(b)};
}

/* The frame shows the colour bars shifted by `shift` (by its sequence + 1 when unset), decoded
 * to the right colours, away from the bar edges. */
void checkBars(const Frame &frame, std::optional<uint64_t> shift = std::nullopt)
{
    constexpr std::array<std::array<double, 3>, 8> kBars{{{255, 255, 255},
                                                          {255, 255, 0},
                                                          {0, 255, 255},
                                                          {0, 255, 0},
                                                          {255, 0, 255},
                                                          {255, 0, 0},
                                                          {0, 0, 255},
                                                          {0, 0, 0}}};
    static const bool rec709 = namedRec709();
    BOOST_TEST_REQUIRE(frame.image.width() == kBarsWidth);
    BOOST_TEST_REQUIRE(frame.image.height() == kBarsHeight);
    const Image rgb = toRgb(frame.image);
    const uint64_t s = shift.value_or(frame.sequence + 1);
    unsigned checked = 0;
    for (unsigned x = 8; x < kBarsWidth; x += 16) {
        /* Away from bar edges (chroma is shared by two columns). */
        if (barAt(x - 4, s) != barAt(x + 4, s))
            continue;
        const unsigned bar = barAt(x, s);
        const std::array<int, 3> want = expectedColour(kBars[bar], rec709);
        for (const unsigned y : {0u, kBarsHeight / 2, kBarsHeight - 1}) {
            const uint8_t *px = rgb.pixel(x, y);
            for (size_t c = 0; c < 3; ++c) {
                BOOST_TEST_CONTEXT("frame " << frame.sequence << " shift " << s << " x " << x
                                            << " y " << y << " bar " << bar << " channel " << c)
                {
                    BOOST_TEST(std::abs(int(px[c]) - want[c]) <= 3);
                }
            }
            ++checked;
        }
    }
    BOOST_TEST(checked > 100u);
}

/* The shift the frame's middle row shows: where the white bar (the first) begins. */
uint64_t shiftOf(const Frame &frame)
{
    const unsigned y = kBarsHeight / 2;
    const Image rgb = toRgb(frame.image);
    for (unsigned x = 0; x < kBarsWidth; ++x) {
        const uint8_t *here = rgb.pixel(x, y);
        const uint8_t *before = rgb.pixel((x + kBarsWidth - 1) % kBarsWidth, y);
        /* black (the last bar) to white: the only edge where all three channels rise */
        if (here[0] > 200 && here[1] > 200 && here[2] > 200 && before[0] < 60 && before[1] < 60 &&
            before[2] < 60)
            return (kBarsWidth - x) % kBarsWidth;
    }
    return 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(virtual_cameras_are_seen)
{
    const std::vector<std::string> ids = cameraIds();
    BOOST_TEST_MESSAGE("libcamera sees " << describeCameras(*sharedCameraManager()));
    BOOST_TEST_REQUIRE(ids.size() >= 2u);
    BOOST_TEST(contains(describeCameras(*sharedCameraManager()), kBarsCamera));

    const auto manager = sharedCameraManager();
    const auto camera = manager->get(kBarsCamera);
    BOOST_TEST_REQUIRE(bool(camera));
    auto config = camera->generateConfiguration({libcamera::StreamRole::StillCapture});
    BOOST_TEST_REQUIRE(bool(config));
    const auto status = config->validate();
    const libcamera::StreamConfiguration &stream = config->at(0);
    BOOST_TEST_MESSAGE(
        kBarsCamera << " offers " << stream.toString() << ", colour space "
                    << (stream.colorSpace ? stream.colorSpace->toString() : std::string("unnamed"))
                    << ", validate() " << int(status));
}

BOOST_AUTO_TEST_CASE(unknown_camera_error_lists_what_libcamera_sees)
{
    RigConfig rig;
    try {
        openCamera(rig, realCamera("Virtual99", "side"));
        BOOST_FAIL("an unknown camera id was opened");
    } catch (const RunError &error) {
        const std::string text = error.what();
        BOOST_TEST_MESSAGE(text);
        BOOST_TEST(contains(text, "\"Virtual99\""));
        BOOST_TEST(contains(text, "side"));
        for (const std::string &id : cameraIds())
            BOOST_TEST(contains(text, id), "the error names " << id);
    }
    CameraConfig byIndex = realCamera("");
    byIndex.index = int(cameraIds().size());
    BOOST_CHECK_THROW(openCamera(rig, byIndex), RunError);
    byIndex.index = 0;
    BOOST_CHECK_NO_THROW(openCamera(rig, byIndex));
}

BOOST_AUTO_TEST_CASE(a_camera_is_acquired_once)
{
    RigConfig rig;
    auto first = openCamera(rig, realCamera(kBarsCamera, "a"));
    try {
        openCamera(rig, realCamera(kBarsCamera, "b"));
        BOOST_FAIL("the same camera was acquired twice");
    } catch (const RunError &error) {
        BOOST_TEST_MESSAGE(error.what());
        BOOST_TEST(contains(error.what(), "in use"));
    }
    first.reset();
    BOOST_CHECK_NO_THROW(openCamera(rig, realCamera(kBarsCamera, "b")));
}

BOOST_AUTO_TEST_CASE(the_sensor_mode_comes_from_frame_duration_limits)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    const SensorMode mode = camera->configure(barsSettings());
    BOOST_TEST_MESSAGE(kBarsCamera << ": frame duration " << mode.minFrameDuration.count() << " to "
                                   << mode.maxFrameDuration.count() << " ns, readout bound "
                                   << mode.readout.count() << " ns");
    /* virtual.yaml gives it 2 to 5 frames per second. */
    BOOST_TEST((mode.minFrameDuration == 200ms));
    BOOST_TEST((mode.maxFrameDuration == 500ms));
    BOOST_TEST((mode.readout == mode.minFrameDuration));
    BOOST_TEST((mode.lineTime == 0ns));
}

BOOST_AUTO_TEST_CASE(an_adjusted_size_is_refused_with_what_the_camera_offers)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    CaptureSettings settings = barsSettings();
    settings.width = 1000;
    settings.height = 700;
    try {
        camera->configure(settings);
        BOOST_FAIL("a size the camera does not have was accepted");
    } catch (const RunError &error) {
        BOOST_TEST_MESSAGE(error.what());
        BOOST_TEST(contains(error.what(), "1000x700"));
        BOOST_TEST(contains(error.what(), "800x600"));
    }
    /* Still usable after the refusal, and not configured by it. */
    BOOST_CHECK_THROW(camera->start(barsGrid(), openLoop()), RunError);
    Streaming streaming(*camera);
    checkBars(camera->captureNext());
}

BOOST_AUTO_TEST_CASE(dng_is_refused_at_configure_by_a_camera_without_a_raw_stream)
{
    /* The virtual pipeline has no sensor and so no StreamRole::Raw: a plan writing DNG must
     * stop at configure(), before any motor moves, not at its first frame. */
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    CaptureSettings settings = barsSettings();
    settings.formats = {ImageFormat::Jpeg, ImageFormat::Dng};
    try {
        camera->configure(settings);
        BOOST_FAIL("a camera without a raw stream was configured for DNG");
    } catch (const RunError &error) {
        BOOST_TEST_MESSAGE(error.what());
        BOOST_TEST(contains(error.what(), "raw"));
        BOOST_TEST(contains(error.what(), "dng"));
    }
    /* The refusal leaves it usable for the processed stream alone. */
    camera->configure(barsSettings());
    Streaming streaming(*camera);
    const Frame frame = camera->captureNext();
    checkBars(frame);
    BOOST_TEST(frame.raw.empty());
}

BOOST_AUTO_TEST_CASE(the_state_machine_is_enforced)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    BOOST_CHECK_THROW(camera->captureNext(), RunError);
    BOOST_CHECK_THROW(camera->start(barsGrid(), openLoop()), RunError);
    camera->stop(); /* harmless when not streaming */
    camera->configure(barsSettings());
    camera->configure(barsSettings()); /* again while configured */
    BOOST_CHECK_THROW(camera->captureAt(RealtimeClock::now() + 1s), RunError);
    camera->start(barsGrid(), openLoop());
    BOOST_CHECK_THROW(camera->configure(barsSettings()), RunError);
    BOOST_CHECK_THROW(camera->start(barsGrid(), openLoop()), RunError);
    camera->stop();
    BOOST_CHECK_THROW(camera->captureNext(), RunError);
}

BOOST_AUTO_TEST_CASE(nv12_frames_arrive_as_rgb)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    Streaming streaming(*camera);
    for (int i = 0; i < 3; ++i)
        checkBars(camera->captureNext());
}

BOOST_AUTO_TEST_CASE(requests_are_reused_and_frames_come_in_order)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    Streaming streaming(*camera);
    uint64_t last = 0;
    RealtimeInstant lastTimestamp;
    /* Far more frames than buffers: every request is completed and queued again many times. */
    for (int i = 0; i < 40; ++i) {
        const Frame frame = camera->captureNext();
        if (i > 0) {
            BOOST_TEST(frame.sequence > last);
            BOOST_TEST((frame.sensorTimestamp > lastTimestamp));
        }
        last = frame.sequence;
        lastTimestamp = frame.sensorTimestamp;
    }
    BOOST_TEST(last >= 39u);
    const LockStats stats = camera->takeLockStats();
    BOOST_TEST_MESSAGE("lock figures over " << stats.frames << " frames (open loop)");
    BOOST_TEST(stats.frames >= 40u);
}

BOOST_AUTO_TEST_CASE(timestamps_are_converted_to_realtime)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    const CaptureSettings settings = barsSettings();
    const Nanoseconds exposure = settings.exposure;
    const RealtimeInstant startedBefore = RealtimeClock::now();
    Streaming streaming(*camera);
    for (int i = 0; i < 5; ++i) {
        const Frame frame = camera->captureNext();
        const RealtimeInstant returned = RealtimeClock::now();
        /* The virtual pipeline stamps a frame (CLOCK_MONOTONIC) when it is queued; lockstep's
         * timestamp is the exposure start on CLOCK_REALTIME, one exposure earlier. The frame
         * start lies between start() and the return. */
        const RealtimeInstant frameStart = frame.sensorTimestamp + exposure;
        BOOST_TEST((frame.exposure == settings.exposure));
        BOOST_TEST((frame.readout == 200ms));
        BOOST_TEST((frameStart >= startedBefore));
        BOOST_TEST((frameStart <= returned));
    }
}

BOOST_AUTO_TEST_CASE(start_stop_restart_never_requeues_while_stopping)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    camera->configure(barsSettings());
    const std::string before = libcameraLog().text();
    for (int cycle = 0; cycle < 20; ++cycle) {
        camera->start(barsGrid(), openLoop());
        /* Frames keep completing (and being queued again) while stop() runs. */
        const Frame frame = camera->captureNext();
        checkBars(frame, shiftOf(frame));
        camera->stop();
    }
    camera->stop(); /* harmless when stopped */
    const std::string log = libcameraLog().text().substr(before.size());
    BOOST_TEST(!contains(log, "requiring state"), "libcamera's log: " << log);
    BOOST_TEST(!contains(log, "ERROR"), "libcamera's log: " << log);
}

BOOST_AUTO_TEST_CASE(capture_at_selects_the_frame_starting_at_the_instant)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    Streaming streaming(*camera);
    const FrameGrid grid = barsGrid();
    for (int i = 0; i < 3; ++i) {
        const RealtimeInstant t = grid.instantAtOrAfter(RealtimeClock::now() + 300ms);
        const Frame frame = camera->captureAt(t);
        /* No pacing here: frames come every few ms, so one starts within the bound of t. */
        BOOST_TEST((std::chrono::abs(frame.sensorTimestamp - t) <= kBound));
        /* Within the bound the frame may start a little before t: it cannot be delivered before
         * it started. */
        BOOST_TEST((RealtimeClock::now() >= frame.sensorTimestamp));
        checkBars(frame);
    }
    try {
        camera->captureAt(RealtimeClock::now() - 1s);
        BOOST_FAIL("an instant in the past was captured");
    } catch (const RunError &error) {
        BOOST_TEST_MESSAGE(error.what());
        BOOST_TEST(contains(error.what(), "has passed"));
    }
}

BOOST_AUTO_TEST_CASE(capture_at_refuses_a_frame_off_its_instant)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    camera->configure(barsSettings());
    /* A 1 ns bound: no frame of an unpaced pipeline starts exactly on the instant. */
    camera->start(barsGrid(), {CaptureSync::OpenLoop, 1ns});
    try {
        camera->captureAt(barsGrid().instantAtOrAfter(RealtimeClock::now() + 300ms));
        BOOST_FAIL("a frame off its instant was accepted");
    } catch (const RunError &error) {
        BOOST_TEST_MESSAGE(error.what());
        BOOST_TEST(contains(error.what(), "more than the bound"));
    }
    /* The stream goes on. */
    checkBars(camera->captureNext());
    camera->stop();
}

BOOST_AUTO_TEST_CASE(announced_frames_wait_for_a_late_capture)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    Streaming streaming(*camera);
    const FrameGrid grid = barsGrid();
    const RealtimeInstant first = grid.instantAtOrAfter(RealtimeClock::now() + 300ms);
    const std::array<RealtimeInstant, 2> instants{first, first + grid.period};
    const RealtimeInstant unannounced = first + 2 * grid.period;
    camera->expect(instants);
    /* The capture thread is kept away until every instant has passed; the stream goes on
     * (dozens of frames), yet the announced frames were kept. */
    sleepUntil(unannounced + grid.period);
    uint64_t last = 0;
    for (const RealtimeInstant t : instants) {
        const Frame frame = camera->captureAt(t);
        BOOST_TEST((std::chrono::abs(frame.sensorTimestamp - t) <= kBound));
        BOOST_TEST(frame.sequence > last);
        last = frame.sequence;
        checkBars(frame);
    }
    const Frame later = camera->captureNext();
    BOOST_TEST(later.sequence > last + 10, "the stream went on while frames were kept");
    /* An instant that was not announced is not kept. */
    try {
        camera->captureAt(unannounced);
        BOOST_FAIL("a frame of an instant that was not announced was kept");
    } catch (const RunError &error) {
        BOOST_TEST_MESSAGE(error.what());
        BOOST_TEST(contains(error.what(), "has passed"));
    }
}

BOOST_AUTO_TEST_CASE(without_raspberry_pi_sync_lockstep_loop_holds_the_camera)
{
    RigConfig rig;
    auto camera = openCamera(rig, realCamera(kBarsCamera));
    Streaming streaming(*camera);
    const auto *real = dynamic_cast<const LibcameraCamera *>(camera.get());
    BOOST_REQUIRE(real);
    BOOST_TEST_MESSAGE("Raspberry Pi's sync controls compiled in: "
                       << LibcameraCamera::rpiSyncCompiledIn() << "; offered by " << kBarsCamera
                       << ": " << real->offersRpiSync() << "; role "
                       << rpiSyncRoleName(real->rpiSyncChoice().role) << " ("
                       << real->rpiSyncChoice().why << ")");
    /* Debian's builds have no rpi controls, and the virtual pipeline offers none. */
    BOOST_TEST(!real->offersRpiSync());
    BOOST_CHECK(real->rpiSyncChoice().role == RpiSyncRole::Off);
    BOOST_TEST(!real->rpiSyncChoice().why.empty());
    checkBars(camera->captureNext());
}
