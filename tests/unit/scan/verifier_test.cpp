/* The verifier on synthetic scans written here: two nodes with a camera each, two positions of a
 * turntable, small PNG frames. The untouched scan verifies; each corruption fails and names the
 * file it found wrong. */
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/capture_exif.h"
#include "image/image.h"
#include "scan/manifest.h"
#include "scan/verifier.h"
#include "util/atomic_file.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace
{

struct TempDir {
    fs::path path;
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "lockstep-verify-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { fs::remove_all(path); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
};

void writeFile(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::vector<uint8_t> readBytes(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path &path, const std::vector<uint8_t> &bytes)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
}

constexpr unsigned kWidth = 32;
constexpr unsigned kHeight = 24;
constexpr int64_t kExposureUs = 4000;
const std::vector<std::string> kNodes = {"pi01", "pi02"};

const char *const kRig = R"(rig: synthetic
sim_dir: sim-state
nodes:
  - host: pi01
    motors:
      - name: turntable
        backend: sim
        step: { line: 17 }
        dir: { line: 27 }
        enable: { line: 22, active: low }
        steps_per_rev: 200
        microsteps: 16
        units: deg
        max_speed: 90
        max_accel: 180
    cameras:
      - { name: cam, backend: sim }
  - host: pi02
    cameras:
      - { name: cam, backend: sim }
)";

const char *const kPlan = R"(scan: synthetic
rig: rig.yaml
positions:
  sweep: { motor: turntable, from: 0, to: 90, count: 2 }
settle_ms: 100
frames_per_position: 1
capture: { exposure_us: 4000, gain: 1.0, width: 32, height: 24, format: png }
max_skew_us: 5000
output: { pattern: "pos-{position}/{node}-{camera}" }
)";

/* A frame no other frame of the scan equals: its colour says which it is. */
std::vector<uint8_t> framePicture(unsigned position, unsigned node)
{
    Image image(kWidth, kHeight);
    for (unsigned y = 0; y < kHeight; ++y)
        for (unsigned x = 0; x < kWidth; ++x) {
            uint8_t *p = image.pixel(x, y);
            p[0] = uint8_t(40 + 100 * position);
            p[1] = uint8_t(60 + 90 * node);
            p[2] = uint8_t(x * 8 + y);
        }
    return encodePng(image);
}

std::string frameFile(unsigned position, const std::string &node)
{
    return "pos-000" + std::to_string(position) + "/" + node + "-cam.png";
}

/* The scan's records, edited by a test before they are written. */
struct SyntheticScan {
    std::vector<PositionRecord> positions;
    std::vector<FrameRecord> frames;

    SyntheticScan()
    {
        const double angles[] = {0.0, 90.0};
        for (unsigned k = 0; k < 2; ++k) {
            PositionRecord p;
            p.position = k;
            p.commanded = {{"turntable", angles[k]}};
            p.captureInstant =
                realtimeFromWire(1'700'000'000'000'000'000 + int64_t(k) * 500'000'000);
            positions.push_back(p);
            for (unsigned n = 0; n < kNodes.size(); ++n) {
                FrameRecord f;
                f.position = k;
                f.node = kNodes[n];
                f.camera = "cam";
                f.file = frameFile(k, kNodes[n]);
                f.captureInstant = p.captureInstant;
                f.sensorTimestamp = p.captureInstant + Nanoseconds(30'000 + int64_t(n) * 20'000);
                f.exposure = Microseconds(kExposureUs);
                f.gain = 1.0;
                f.width = kWidth;
                f.height = kHeight;
                frames.push_back(f);
            }
        }
    }

    FrameRecord &frame(unsigned position, const std::string &node)
    {
        const auto it = std::find_if(frames.begin(), frames.end(), [&](const FrameRecord &f) {
            return f.position == position && f.node == node;
        });
        BOOST_REQUIRE(it != frames.end());
        return *it;
    }

    /* Writes the pictures, each frame's size and checksum, the manifest and the config copies. */
    void write(const fs::path &root)
    {
        writeFile(root / "scan.json", "{}\n");
        writeFile(root / "rig.yaml", kRig);
        writeFile(root / "plan.yaml", kPlan);
        for (FrameRecord &f : frames) {
            /* Where the frame belongs, never where a (corrupted) record points. */
            const unsigned node = f.node == "pi01" ? 0 : 1;
            /* With the EXIF the writer gives every frame, from its record. */
            const std::vector<uint8_t> bytes =
                withExif(framePicture(f.position, node),
                         CaptureExif{f.exposure, f.gain, f.width, f.height, f.node + "/" + f.camera,
                                     f.sensorTimestamp});
            writeBytes(root / frameFile(f.position, f.node), bytes);
            f.bytes = bytes.size();
            f.sha256 = sha256Hex(bytes);
        }
        ManifestWriter manifest((root / "manifest.jsonl").string(), {});
        for (const PositionRecord &p : positions) {
            manifest.append(toJson(p));
            for (const FrameRecord &f : frames)
                if (f.position == p.position)
                    manifest.append(toJson(f));
        }
        manifest.append(
            {{"type", "complete"}, {"positions", positions.size()}, {"frames", frames.size()}});
    }
};

std::string problemsOf(const VerifyResult &result)
{
    std::string text;
    for (const std::string &p : result.problems)
        text += p + "\n";
    return text;
}

/* Writes the scan, lets `corrupt` change it on disk, verifies. */
VerifyResult verifyCorrupted(SyntheticScan scan,
                             const std::function<void(const fs::path &)> &corrupt = {})
{
    const TempDir dir;
    scan.write(dir.path);
    if (corrupt)
        corrupt(dir.path);
    return verifyScan(dir.path.string(), VerifyOptions{});
}

/* The scan fails, with a problem that names `file` and says `what`. */
void failsNaming(const VerifyResult &result, const std::string &file, const std::string &what)
{
    BOOST_TEST_INFO("problems:\n" << problemsOf(result));
    BOOST_TEST(!result.ok());
    const bool named =
        std::any_of(result.problems.begin(), result.problems.end(), [&](const std::string &p) {
            return p.rfind(file, 0) == 0 && p.find(what) != std::string::npos;
        });
    BOOST_TEST(named, "a problem starting '" << file << "' saying '" << what << "'");
}

} // namespace

BOOST_AUTO_TEST_CASE(a_good_synthetic_scan_verifies)
{
    const VerifyResult result = verifyCorrupted(SyntheticScan{});
    BOOST_TEST(result.ok(), problemsOf(result));
    BOOST_TEST(result.framesChecked == 4u);
    BOOST_TEST(result.skew.perPositionUs.size() == 2u);
    BOOST_TEST(result.skew.maxUs == 20.0);
}

BOOST_AUTO_TEST_CASE(a_byte_changed_in_place_fails_on_the_checksum)
{
    const VerifyResult result = verifyCorrupted(SyntheticScan{}, [](const fs::path &root) {
        const fs::path file = root / frameFile(0, "pi02");
        std::vector<uint8_t> bytes = readBytes(file);
        bytes[bytes.size() / 2] ^= 0x01; /* same size: only the checksum can tell */
        writeBytes(file, bytes);
    });
    failsNaming(result, frameFile(0, "pi02"), "checksum does not match");
}

BOOST_AUTO_TEST_CASE(a_missing_frame_fails)
{
    const VerifyResult result = verifyCorrupted(
        SyntheticScan{}, [](const fs::path &root) { fs::remove(root / frameFile(1, "pi01")); });
    failsNaming(result, frameFile(1, "pi01"), "missing");
}

BOOST_AUTO_TEST_CASE(a_frame_missing_from_the_manifest_fails)
{
    SyntheticScan scan;
    const std::string file = frameFile(1, "pi02");
    scan.frames.erase(std::find_if(scan.frames.begin(), scan.frames.end(),
                                   [&](const FrameRecord &f) { return f.file == file; }));
    /* Its picture is still written below: both the gap and the stray file are found. */
    const VerifyResult result = verifyCorrupted(
        scan, [&](const fs::path &root) { writeBytes(root / file, framePicture(1, 1)); });
    failsNaming(result, "position 1 frame 0 of pi02/cam", "missing from the manifest");
    failsNaming(result, file, "not part of the scan");
}

BOOST_AUTO_TEST_CASE(a_changed_capture_instant_fails)
{
    SyntheticScan scan;
    scan.positions[0].captureInstant += Nanoseconds(1000);
    const VerifyResult result = verifyCorrupted(scan);
    failsNaming(result, frameFile(0, "pi01"), "differs from its position's");
    failsNaming(result, frameFile(0, "pi02"), "differs from its position's");
}

BOOST_AUTO_TEST_CASE(one_frame_of_a_position_with_another_T_fails)
{
    SyntheticScan scan;
    scan.frame(1, "pi02").captureInstant += Nanoseconds(1000);
    const VerifyResult result = verifyCorrupted(scan);
    failsNaming(result, frameFile(1, "pi02"), "capture instant T");
}

BOOST_AUTO_TEST_CASE(identical_frames_in_one_position_fail)
{
    /* pi02's frame of position 1 replaced by pi01's, the manifest updated to match. */
    const VerifyResult result = verifyCorrupted(SyntheticScan{}, [](const fs::path &root) {
        const fs::path from = root / frameFile(1, "pi01");
        const fs::path to = root / frameFile(1, "pi02");
        fs::copy_file(from, to, fs::copy_options::overwrite_existing);
        const std::vector<uint8_t> bytes = readBytes(to);
        const ManifestContents manifest = readManifest((root / "manifest.jsonl").string());
        ManifestWriter rewritten((root / "manifest.jsonl").string(), {});
        for (const PositionRecord &p : manifest.positions) {
            rewritten.append(toJson(p));
            for (FrameRecord f : manifest.frames)
                if (f.position == p.position) {
                    if (f.file == frameFile(1, "pi02")) {
                        f.bytes = bytes.size();
                        f.sha256 = sha256Hex(bytes);
                    }
                    rewritten.append(toJson(f));
                }
        }
        rewritten.append({{"type", "complete"}, {"positions", 2}, {"frames", 4}});
    });
    failsNaming(result, frameFile(1, "pi02"), "identical to " + frameFile(1, "pi01"));
    /* The copy's EXIF names the camera and sensor time of the frame it was; the same picture
     * in two positions is no copy: only within one position. */
    failsNaming(result, frameFile(1, "pi02"), "the file's EXIF says pi01/cam");
    BOOST_TEST(result.problems.size() == 3u, problemsOf(result));
}

BOOST_AUTO_TEST_CASE(a_manifest_path_outside_the_scan_is_refused_unread)
{
    SyntheticScan scan;
    scan.frame(0, "pi01").file = "../../etc/hostname";
    const VerifyResult result = verifyCorrupted(scan);
    failsNaming(result, "../../etc/hostname", "outside the scan folder; not read");
}
