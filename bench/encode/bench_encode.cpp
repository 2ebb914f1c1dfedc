/* JPEG encode rate of lockstep's encodeJpeg on a rendered simulated frame at 640x480,
 * 1920x1080 and 4056x3040 (12 MP), beside libjpeg-turbo's own tjbench on the same image (saved
 * as PPM), same quality and 4:2:0 subsampling. The gap between the two is lockstep's overhead
 * (handle set-up, buffer allocation and copy per frame).
 *
 * Usage: bench_encode [--quality Q] [--seconds S] [--doc docs/performance.md]
 * --doc replaces (or appends) the "## Frame encoding" section of that Markdown file. */
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "camera/sim_scene.h"
#include "common/bench_support.h"
#include "image/image.h"
#include "image/yuv_to_rgb.h"
#include "util/chrono_clocks.h"

using namespace lockstep;
using namespace lockstep::bench;

namespace
{

struct Rate {
    double framesPerSecond = 0;
    double megapixelsPerSecond = 0;
};

struct Result {
    unsigned width;
    unsigned height;
    size_t jpegBytes;
    Rate lockstep;
    std::optional<Rate> tjbench;
};

Rate timeEncoder(const Image &frame, int quality, double seconds)
{
    encodeJpeg(frame, quality); /* warm-up */
    const MonotonicInstant begin = MonotonicClock::now();
    const MonotonicInstant until =
        begin + std::chrono::duration_cast<Nanoseconds>(FloatSeconds(seconds));
    unsigned frames = 0;
    MonotonicInstant now = begin;
    do {
        encodeJpeg(frame, quality);
        ++frames;
        now = MonotonicClock::now();
    } while (now < until || frames < 3);
    const double elapsed = FloatSeconds(now - begin).count();
    const double rate = frames / elapsed;
    return {rate, rate * frame.width * frame.height / 1e6};
}

void writePpm(const Image &frame, const std::string &path)
{
    std::ofstream out(path, std::ios::binary);
    out << "P6\n" << frame.width << " " << frame.height << "\n255\n";
    out.write(reinterpret_cast<const char *>(frame.rgb.data()), std::streamsize(frame.rgb.size()));
}

/* tjbench's arguments after the image: the same work as encodeJpeg(frame, quality). */
std::string tjbenchArgs(int quality, double seconds)
{
    return std::to_string(quality) +
           " -rgb -subsamp 420 -componly -nowrite -warmup 0.5 -benchtime " + fixed(seconds, 1);
}

/* Reads "Frame rate: N fps" and "Throughput: N Megapixels/sec" from tjbench's report. */
std::optional<Rate> runTjbench(const std::string &ppm, int quality, double seconds)
{
    const std::string command = "tjbench " + ppm + " " + tjbenchArgs(quality, seconds);
    FILE *pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return std::nullopt;
    std::string output;
    std::array<char, 512> line{};
    while (fgets(line.data(), int(line.size()), pipe))
        output += line.data();
    if (pclose(pipe) != 0)
        return std::nullopt;
    Rate rate;
    bool haveFps = false;
    bool haveMps = false;
    std::istringstream lines(output);
    for (std::string text; std::getline(lines, text);) {
        if (const auto at = text.find("Frame rate:"); at != std::string::npos)
            haveFps = std::sscanf(text.c_str() + at, "Frame rate: %lf", &rate.framesPerSecond) == 1;
        if (const auto at = text.find("Throughput:"); at != std::string::npos)
            haveMps =
                std::sscanf(text.c_str() + at, "Throughput: %lf", &rate.megapixelsPerSecond) == 1;
    }
    return haveFps && haveMps ? std::optional(rate) : std::nullopt;
}

std::string section(const std::vector<Result> &results, int quality, double seconds,
                    const std::string &command, const std::string &loadBefore)
{
    std::ostringstream out;
    out << "## Frame encoding\n\n"
        << "JPEG encoding of one rendered simulated frame (turntable scene with sensor noise), "
           "quality "
        << quality
        << ", 4:2:0, RGB input, one thread. lockstep = `encodeJpeg` (TurboJPEG handle and output "
           "buffer set up per "
           "frame, result copied into a vector); tjbench = libjpeg-turbo's own benchmark on the "
           "same image saved as "
           "PPM (reuses its handle and buffer).\n\n"
        << "- Machine: " << machine() << "\n"
        << "- Command: `" << command << "`\n"
        << "- Load average before the run: " << loadBefore
        << " (other work on the machine slows both columns)\n"
        << "- tjbench: `tjbench FRAME.ppm " << tjbenchArgs(quality, seconds) << "` (per size)\n\n"
        << "| size | JPEG bytes | lockstep frames/s | lockstep MP/s | tjbench frames/s | tjbench "
           "MP/s | lockstep / "
           "tjbench |\n"
        << "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const Result &r : results) {
        out << "| " << r.width << "x" << r.height << " | " << r.jpegBytes << " | "
            << fixed(r.lockstep.framesPerSecond, 1) << " | "
            << fixed(r.lockstep.megapixelsPerSecond, 1) << " | ";
        if (r.tjbench)
            out << fixed(r.tjbench->framesPerSecond, 1) << " | "
                << fixed(r.tjbench->megapixelsPerSecond, 1) << " | "
                << fixed(r.lockstep.framesPerSecond / r.tjbench->framesPerSecond * 100, 0)
                << "% |\n";
        else
            out << "n/a | n/a | n/a |\n";
    }
    out << "\nThis section measures `encodeJpeg` of an RGB image (what the report's contact sheet "
           "uses). Scan frames are 4:2:0 YUV and are compressed from their planes by a per-thread "
           "encoder that keeps its handle and buffer: that path is measured in the Writer section "
           "below. "
        << "These are build-machine figures (x86-64, SIMD). A Raspberry Pi runs the NEON build "
           "of "
           "the same library several times slower: run `bench_encode` there for its own figures. "
           "A scan encodes on writer threads, so this rate bounds how fast frames can be stored, "
           "not when they are exposed. lockstep's per-frame set-up costs little beside the "
           "encoding itself when the two columns agree.\n";
    return out.str();
}

/* Replaces this section in the Markdown file, or appends it; other sections stay untouched. */
void writeSection(const std::string &path, const std::string &text)
{
    std::string doc;
    if (std::ifstream in(path); in)
        doc.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    const std::string heading = "## Frame encoding\n";
    if (const auto begin = doc.rfind(heading, 0) == 0 ? 0 : doc.find("\n" + heading);
        begin != std::string::npos) {
        const size_t start = begin == 0 ? 0 : begin + 1;
        const auto next = doc.find("\n## ", start + heading.size());
        doc.replace(start, next == std::string::npos ? std::string::npos : next + 1 - start,
                    text + "\n");
    } else {
        if (doc.empty())
            doc = "# Performance\n";
        if (doc.back() != '\n')
            doc += "\n";
        doc += "\n" + text;
    }
    const std::string temporary = path + ".tmp";
    std::ofstream(temporary) << doc;
    std::filesystem::rename(temporary, path);
}

} // namespace

int main(int argc, char **argv)
{
    int quality = 90;
    double seconds = 3;
    std::string docPath;
    std::string command = "bench_encode";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        command += " " + arg;
        if (i + 1 < argc && (arg == "--quality" || arg == "--seconds" || arg == "--doc")) {
            const std::string value = argv[++i];
            command += " " + value;
            if (arg == "--quality")
                quality = std::atoi(value.c_str());
            else if (arg == "--seconds")
                seconds = std::atof(value.c_str());
            else
                docPath = value;
        } else {
            std::cerr
                << "usage: bench_encode [--quality Q] [--seconds S] [--doc docs/performance.md]\n";
            return 2;
        }
    }

    std::string tmp =
        (std::filesystem::temp_directory_path() / "lockstep-bench-encode-XXXXXX").string();
    if (!mkdtemp(tmp.data())) {
        std::perror("mkdtemp");
        return 1;
    }
    const std::string loadBefore = oneMinuteLoad();
    std::cout << "Machine: " << machine() << "\nCommand: " << command
              << "\nLoad average: " << loadBefore << "\n\n";

    std::vector<Result> results;
    const std::array<double, 1> angle{37.5};
    for (const auto &[width, height] : {std::pair{640u, 480u}, {1920u, 1080u}, {4056u, 3040u}}) {
        const Image frame = toRgb(renderTurntable(width, height, angle, 0, false, 1));
        Result result{width,
                      height,
                      encodeJpeg(frame, quality).size(),
                      timeEncoder(frame, quality, seconds),
                      {}};
        const std::string ppm =
            tmp + "/frame-" + std::to_string(width) + "x" + std::to_string(height) + ".ppm";
        writePpm(frame, ppm);
        result.tjbench = runTjbench(ppm, quality, seconds);
        std::cout << width << "x" << height << ": lockstep "
                  << fixed(result.lockstep.framesPerSecond, 1) << " frames/s ("
                  << fixed(result.lockstep.megapixelsPerSecond, 1) << " MP/s), tjbench "
                  << (result.tjbench ? fixed(result.tjbench->framesPerSecond, 1) + " frames/s (" +
                                           fixed(result.tjbench->megapixelsPerSecond, 1) + " MP/s)"
                                     : std::string("not available (install libjpeg-turbo-progs)"))
                  << "\n";
        results.push_back(result);
    }
    std::filesystem::remove_all(tmp);

    const std::string text = section(results, quality, seconds, command, loadBefore);
    std::cout << "\n" << text;
    if (!docPath.empty()) {
        writeSection(docPath, text);
        std::cout << "\nwrote the \"Frame encoding\" section of " << docPath << "\n";
    }
    return 0;
}
