/* Storage throughput: the WriterPool end to end (12 MP JPEG encode + atomic write + SHA-256 on
 * worker threads), the atomic write of already encoded frames alone (temporary, fsync, rename,
 * directory fsync, checksum), and `dd ... conv=fsync` writing the same number of bytes into the
 * same directory in the same run, as the reference for what the disk takes.
 *
 * Usage: bench_writer [--dir DIR] [--frames N] [--threads T] [--queue Q] [--quality Q]
 * DIR defaults to a new folder under the current directory; it is removed afterwards. */

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "camera/sim_scene.h"
#include "common/bench_support.h"
#include "image/image.h"
#include "storage/writer_pool.h"
#include "util/atomic_file.h"
#include "util/clock.h"

using namespace lockstep;
using namespace lockstep::bench;

namespace
{

constexpr unsigned kWidth = 4056; /* Raspberry Pi HQ camera, 12.3 MP */
constexpr unsigned kHeight = 3040;
constexpr double kMB = 1e6;

struct Options {
    std::string dir;
    unsigned frames = 48;
    unsigned threads = 2;
    size_t queue = 4;
    int quality = 90;
};

Options parse(int argc, char **argv)
{
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--dir")
            options.dir = value;
        else if (flag == "--frames")
            options.frames = static_cast<unsigned>(std::stoul(value));
        else if (flag == "--threads")
            options.threads = static_cast<unsigned>(std::stoul(value));
        else if (flag == "--queue")
            options.queue = std::stoul(value);
        else if (flag == "--quality")
            options.quality = std::stoi(value);
        else
            throw std::runtime_error("unknown option " + flag);
    }
    return options;
}

double seconds(Nanos ns)
{
    return static_cast<double>(ns) / kNanosPerSecond;
}

} // namespace

int main(int argc, char **argv)
{
    const Options options = parse(argc, argv);
    const bool ownDir = options.dir.empty();
    std::string dir = options.dir;
    if (ownDir) {
        std::string pattern = std::filesystem::current_path().string() + "/bench-writer-XXXXXX";
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        dir = pattern;
    }

    std::vector<Frame> frames(4);
    for (size_t i = 0; i < frames.size(); ++i) {
        const std::array<double, 1> angle{static_cast<double>(i) * 17.0};
        frames[i].image = renderTurntable(kWidth, kHeight, angle, 0, false, 1 + unsigned(i));
    }

    /* 1. WriterPool end to end. */
    std::atomic<uint64_t> poolBytes{0};
    std::atomic<Nanos> encodeNs{0};
    std::atomic<Nanos> writeNs{0};
    Nanos poolTime = 0;
    {
        WriterPool pool(options.threads, options.queue,
                        [&](const WriteJob &, const WriteResult &r) {
                            poolBytes += r.bytes;
                            encodeNs += r.encode.count();
                            writeNs += r.write.count();
                        });
        const Nanos start = monotonicNow();
        for (unsigned n = 0; n < options.frames; ++n) {
            WriteJob job;
            job.frame = frames[n % frames.size()];
            job.path = dir + "/pool/frame-" + std::to_string(n) + ".jpg";
            job.jpegQuality = options.quality;
            pool.submit(std::move(job));
        }
        pool.drain();
        poolTime = monotonicNow() - start;
    }

    /* 2. Atomic write + checksum of encoded frames, one thread. */
    const std::vector<uint8_t> jpeg = encodeJpeg(frames[0].image, options.quality);
    makeDirectories(dir + "/atomic");
    const Nanos atomicStart = monotonicNow();
    for (unsigned n = 0; n < options.frames; ++n) {
        writeFileAtomic(dir + "/atomic/frame-" + std::to_string(n) + ".jpg", jpeg);
        (void)sha256Hex(jpeg);
    }
    const Nanos atomicTime = monotonicNow() - atomicStart;
    const double atomicBytes = static_cast<double>(jpeg.size()) * options.frames;

    /* 3. dd with the same number of bytes, in 4 MiB blocks, fsync at the end. */
    const uint64_t block = 4 << 20;
    const uint64_t count = (static_cast<uint64_t>(atomicBytes) + block - 1) / block;
    const std::vector<std::string> dd = {"dd",
                                         "if=/dev/zero",
                                         "of=" + dir + "/ddtest",
                                         "bs=4M",
                                         "count=" + std::to_string(count),
                                         "conv=fsync"};
    const Nanos ddStart = monotonicNow();
    const int ddStatus = run(dd, dir + "/dd.log");
    const Nanos ddTime = monotonicNow() - ddStart;
    const double ddBytes = static_cast<double>(count * block);

    std::string fsType = "unknown";
    run({"stat", "-f", "-c", "%T", dir}, dir + "/fstype");
    std::ifstream(dir + "/fstype") >> fsType;

    const double poolMBs = static_cast<double>(poolBytes) / kMB / seconds(poolTime);
    const double atomicMBs = atomicBytes / kMB / seconds(atomicTime);
    const double ddMBs = ddBytes / kMB / seconds(ddTime);

    std::cout << "machine: " << hostAndLoad() << "\n"
              << "directory: " << dir << " (" << fsType << ")\n"
              << "command: bench_writer --frames " << options.frames << " --threads "
              << options.threads << " --queue " << options.queue << " --quality " << options.quality
              << "\n\n"
              << "| what | frames | MB | seconds | frames/s | MB/s |\n"
              << "| --- | ---: | ---: | ---: | ---: | ---: |\n"
              << "| WriterPool: encode 12 MP JPEG q" << options.quality << " + atomic write + "
              << "SHA-256, " << options.threads << " threads, queue " << options.queue << " | "
              << options.frames << " | " << fixed(static_cast<double>(poolBytes) / kMB, 1) << " | "
              << fixed(seconds(poolTime), 2) << " | "
              << fixed(options.frames / seconds(poolTime), 2) << " | " << fixed(poolMBs, 1)
              << " |\n"
              << "| writeFileAtomic + SHA-256 of encoded frames (" << fixed(jpeg.size() / kMB, 2)
              << " MB each), 1 thread | " << options.frames << " | " << fixed(atomicBytes / kMB, 1)
              << " | " << fixed(seconds(atomicTime), 2) << " | "
              << fixed(options.frames / seconds(atomicTime), 1) << " | " << fixed(atomicMBs, 1)
              << " |\n"
              << "| `dd if=/dev/zero of=DIR/ddtest bs=4M count=" << count << " conv=fsync` | - | "
              << fixed(ddBytes / kMB, 1) << " | " << fixed(seconds(ddTime), 2) << " | - | "
              << fixed(ddMBs, 1) << " |\n\n"
              << "pool time split (sum over jobs): encode " << fixed(seconds(encodeNs), 2)
              << " s, write " << fixed(seconds(writeNs), 2) << " s\n"
              << "ratios: atomic write / dd = " << fixed(atomicMBs / ddMBs, 2)
              << ", pool / dd = " << fixed(poolMBs / ddMBs, 2) << "\n";
    if (ddStatus != 0)
        std::cout << "dd exited with status " << ddStatus << "\n";

    std::error_code ignored;
    if (ownDir)
        std::filesystem::remove_all(dir, ignored);
    else
        for (const char *name : {"pool", "atomic", "ddtest", "dd.log", "fstype"})
            std::filesystem::remove_all(dir + "/" + name, ignored);
    return 0;
}
