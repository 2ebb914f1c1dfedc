#include "scan/frame_metadata_check.h"

#include <chrono>
#include <cmath>
#include <optional>

#include "image/capture_exif.h"
#include "image/dng_file.h"

namespace lockstep
{

namespace
{

/* What both kinds of file store of a capture: to the microsecond, and gain as ISO (x 100). */
struct Stored {
    Microseconds exposure{0};
    double gain = 0;
    std::string camera;
    RealtimeInstant sensorTimestamp;
};

void compare(const FrameRecord &record, const Stored &stored, const std::string &says,
             std::vector<std::string> &problems)
{
    if (stored.exposure != record.exposure)
        problems.push_back("manifest exposure " + std::to_string(record.exposure.count()) + " us" +
                           says + std::to_string(stored.exposure.count()) + " us");
    if (std::fabs(stored.gain - record.gain) > 0.005 + 1e-9)
        problems.push_back("manifest gain " + std::to_string(record.gain) + says +
                           std::to_string(stored.gain));
    if (stored.camera != record.node + "/" + record.camera)
        problems.push_back("manifest camera " + record.node + "/" + record.camera + says +
                           stored.camera);
    if (stored.sensorTimestamp != std::chrono::floor<Microseconds>(record.sensorTimestamp))
        problems.push_back("manifest sensor_ts " +
                           std::to_string(wireNanos(record.sensorTimestamp)) + says +
                           std::to_string(wireNanos(stored.sensorTimestamp)) + " (to the us)");
}

} // namespace

std::vector<std::string> exifProblems(const FrameRecord &record, std::span<const uint8_t> file)
{
    std::vector<std::string> problems;
    const std::optional<CaptureExif> exif = readCaptureExif(file);
    if (!exif) {
        problems.emplace_back("no capture EXIF in the file (exposure, gain, size, camera, "
                              "sensor time)");
        return problems;
    }
    const std::string says = ", the file's EXIF says ";
    compare(record, {exif->exposure, exif->gain, exif->camera, exif->sensorTimestamp}, says,
            problems);
    if (exif->width != record.width || exif->height != record.height)
        problems.push_back("manifest size " + std::to_string(record.width) + "x" +
                           std::to_string(record.height) + says + std::to_string(exif->width) +
                           "x" + std::to_string(exif->height));
    return problems;
}

std::vector<std::string> dngProblems(const FrameRecord &record, std::span<const uint8_t> file)
{
    std::vector<std::string> problems;
    DngContents dng;
    try {
        dng = readDng(file);
    } catch (const std::exception &e) {
        problems.push_back(std::string("not a readable DNG: ") + e.what());
        return problems;
    }
    const DngMetadata &meta = dng.meta;
    compare(record, {meta.exposure, meta.gain, meta.camera, meta.sensorTimestamp},
            ", the DNG says ", problems);
    if (dng.raw.blackLevel >= dng.raw.whiteLevel())
        problems.push_back("black level " + std::to_string(dng.raw.blackLevel) +
                           " at or above the white level " + std::to_string(dng.raw.whiteLevel()));
    return problems;
}

} // namespace lockstep
