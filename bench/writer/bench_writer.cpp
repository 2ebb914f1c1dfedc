/* Storage benchmarks of issue 13, in one run, each beside its floor:
 *   1. the writer alone: already encoded 12 MP JPEG frames staged a position at a time
 *      (DurableBatch, --batch frames per position) and made durable by the DurabilityStage
 *      as the pool does (on its own thread, positions that wait committed as one group),
 *      beside `dd ... conv=fsync` writing the same number of bytes into the same directory
 *      (goal: >= 0.8x dd); neither computes a checksum. Beside them: the same with the SHA-256
 *      a pool worker computes of each frame, and the designs before: each position committed
 *      by the thread that staged it, and one writeFileAtomic per frame (temporary, fsync,
 *      rename, directory fsync);
 *   2. the WriterPool end to end (encode + EXIF + SHA-256 + durable write) beside --threads
 *      parallel tjbench processes compressing the same frames the same way: from 4:2:0 planes
 *      (tjbench -yuv, its "Comp Perf" column: tjCompressFromYUVPlanes, as the pool does), the
 *      same quality (goal: >= 0.9x); and, for reference, tjbench from RGB (the pool's work
 *      before frames were YUV);
 *   3. peak memory of a scan rank at 12 MP with the writer queue full: a child process holding
 *      what a rank holds (the pool at the scan's defaults, a frame rendered fresh per capture
 *      as the simulated camera renders it, submitted a position at a time) reports its peak
 *      resident set (goal: <= 150 MiB). The writers hold their first batches until the queue
 *      is full, so the worst case the bound allows (cameras outrunning the encoders) happens
 *      every run, on any machine.
 * Every figure is the median of --reps runs, interleaved so load hits each alike.
 *
 * Usage: bench_writer [--dir DIR] [--frames N] [--batch B] [--reps R] [--threads T]
 *                     [--queue Q] [--quality Q] [--tjbench-seconds S] [--pool-frames P]
 *                     [--writer-only 1]
 * DIR (default: a new folder under the current directory) may be any mount, e.g. NFS on a Pi;
 * only what the benchmark made there is removed afterwards. --writer-only 1 runs part 1 alone
 * (no encoding: quick on a Pi). */

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "camera/isp_strides.h"
#include "camera/sim_scene.h"
#include "common/bench_support.h"
#include "image/image.h"
#include "image/jpeg_encoder.h"
#include "image/yuv_to_rgb.h"
#include "storage/durability_stage.h"
#include "storage/durable_batch.h"
#include "storage/writer_pool.h"
#include "util/atomic_file.h"
#include "util/chrono_clocks.h"
#include "util/unique_fd.h"

using namespace lockstep;
using namespace lockstep::bench;

namespace
{

constexpr unsigned kWidth = 4056; /* Raspberry Pi HQ camera, 12.3 MP */
constexpr unsigned kHeight = 3040;
constexpr double kMB = 1e6;
constexpr double kMiB = 1024.0 * 1024.0;
/* One YUV 4:2:0 frame as the simulated camera lays it out (a Pi ISP's 64-byte rows). */
constexpr double kFrameMiB = double(ispLumaStride(kWidth)) * kHeight * 3 / 2 / kMiB;

struct Options {
    std::string dir;
    unsigned frames = 48;
    unsigned batch = 4;
    unsigned reps = 5;
    unsigned threads = 2; /* the scan's defaults: lockstep scan --writers */
    size_t queue = 4;     /* and --writer-queue */
    int quality = 90;
    double tjbenchSeconds = 3;
    /* Part 2's frames per run: about tjbench's 3 s window at this machine's rate (two threads,
     * 70-80 frames/s), so the pool's fixed costs (starting its threads, a worker idle while the
     * other finishes the last position, the last commit) weigh in it as little as tjbench's
     * own start does in its window. */
    unsigned poolFrames = 216;
    bool writerOnly = false;
    /* Internal: the memory child's positions and frames per position. */
    unsigned memoryPositions = 0;
};

Options parse(int argc, char **argv)
{
    Options options;
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (i + 1 >= argc)
            throw std::runtime_error(flag + " needs a value");
        const std::string value = argv[i + 1];
        if (flag == "--dir")
            options.dir = value;
        else if (flag == "--frames")
            options.frames = static_cast<unsigned>(std::stoul(value));
        else if (flag == "--batch")
            options.batch = static_cast<unsigned>(std::stoul(value));
        else if (flag == "--reps")
            options.reps = static_cast<unsigned>(std::stoul(value));
        else if (flag == "--threads")
            options.threads = static_cast<unsigned>(std::stoul(value));
        else if (flag == "--queue")
            options.queue = std::stoul(value);
        else if (flag == "--quality")
            options.quality = std::stoi(value);
        else if (flag == "--tjbench-seconds")
            options.tjbenchSeconds = std::stod(value);
        else if (flag == "--pool-frames")
            options.poolFrames = static_cast<unsigned>(std::stoul(value));
        else if (flag == "--writer-only")
            options.writerOnly = value != "0";
        else if (flag == "--memory-child")
            options.memoryPositions = static_cast<unsigned>(std::stoul(value));
        else
            throw std::runtime_error("unknown option " + flag);
    }
    if (options.frames == 0 || options.batch == 0 || options.reps == 0 || options.poolFrames == 0)
        throw std::runtime_error("--frames, --pool-frames, --batch and --reps must be at least 1");
    return options;
}

double seconds(Nanoseconds d)
{
    return FloatSeconds(d).count();
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* VmHWM, the peak resident set of this process image: getrusage's ru_maxrss would carry the
 * parent's peak over fork and exec. */
double peakRssMiB()
{
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmHWM:") {
            double kib = 0;
            status >> kib;
            return kib / 1024.0;
        }
        status.ignore(1 << 20, '\n');
    }
    throw std::runtime_error("no VmHWM in /proc/self/status");
}

Yuv420Image render(unsigned index)
{
    const std::array<double, 1> angle{static_cast<double>(index) * 17.0};
    return renderTurntable(kWidth, kHeight, angle, 0, false, 1 + index);
}

void removeAll(const std::string &path)
{
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

/* syncfs of the file system holding `dir`: nothing left for the next timed run to flush. */
void settle(const std::string &dir)
{
    const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || ::syncfs(fd.get()) != 0)
        throw std::runtime_error("cannot sync the file system of " + dir);
}

/* Part 3, in its own process so nothing of parts 1 and 2 counts: what a scan rank holds at 12
 * MP while its cameras outrun the writers. Prints "peak_rss_mib=X baseline_mib=Y full=N/M". */
int memoryChild(const Options &options, const std::string &dir)
{
    const double baseline = peakRssMiB();
    unsigned full = 0;
    {
        /* A worker holds a frame from taking it to staging its file (then lets its pixels go):
         * the gate, at the staging step, keeps the first frames held until the queue is full
         * behind them. */
        std::mutex gateMutex;
        std::condition_variable gateOpened;
        bool gateOpen = false;
        WriterPool pool(options.threads, options.queue, {}, [&](CommitStep step, size_t) {
            if (step != CommitStep::Staged)
                return;
            std::unique_lock lock(gateMutex);
            gateOpened.wait(lock, [&] { return gateOpen; });
        });
        for (unsigned p = 0; p < options.memoryPositions; ++p) {
            std::vector<WriteJob> position;
            for (unsigned f = 0; f < options.batch; ++f) {
                WriteJob job;
                job.frame.image = render(p * options.batch + f); /* a fresh frame per capture */
                job.path =
                    dir + "/pos-" + std::to_string(p) + "/frame-" + std::to_string(f) + ".jpg";
                job.jpegQuality = options.quality;
                position.push_back(std::move(job));
            }
            /* The queue is full when this position cannot go in at once. */
            if (pool.queuedJobs() + position.size() > options.queue) {
                ++full;
                const std::lock_guard lock(gateMutex);
                gateOpen = true;
                gateOpened.notify_all();
            }
            pool.submit(std::move(position));
        }
        pool.drain();
    }
    std::cout << "peak_rss_mib=" << fixed(peakRssMiB(), 0) << " baseline_mib=" << fixed(baseline, 0)
              << " full=" << full << "/" << options.memoryPositions << "\n";
    return 0;
}

/* Compression rate of one tjbench run in Mpixels/s, from its -quiet table ("RGB (TD) 4:2:0 90
 * 4056 3040 61.87 ..."): the sixth column; with -yuv ("... 3040 1842 233.4 ...": the RGB to YUV
 * conversion, then compression from the planes) the seventh. Returns 0 if the output has no
 * such row. */
double tjbenchMpixels(const std::string &log, bool yuv)
{
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::vector<std::string> f;
        for (std::string w; fields >> w;)
            if (w.front() != '(') /* "(TD)": top-down rows, a note, not a column */
                f.push_back(w);
        const size_t column = yuv ? 6 : 5;
        if (f.size() > column && (f[0] == "RGB" || f[0] == "BGR") && f[1] == "4:2:0")
            return std::stod(f[column]);
    }
    return 0;
}

void writePpm(const std::string &path, const Image &image)
{
    std::ofstream out(path, std::ios::binary);
    out << "P6\n" << image.width << " " << image.height << "\n255\n";
    out.write(reinterpret_cast<const char *>(image.rgb.data()),
              static_cast<std::streamsize>(image.rgb.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

/* --threads tjbench processes at once, one per writer thread, each on its own frame, as
 * fast as they go: their summed compression rate in Mpixels/s. `yuv`: compressing from 4:2:0
 * planes (-yuv; tjbench makes them from the PPM first, untimed in that column). */
double parallelTjbench(const std::string &work, unsigned sources, const Options &options, bool yuv)
{
    std::vector<pid_t> children;
    for (unsigned i = 0; i < sources; ++i) {
        const std::string ppm = work + "/frame-" + std::to_string(i) + ".ppm";
        const std::string log = work + "/tjbench-" + std::to_string(i) + ".log";
        const pid_t pid = fork();
        if (pid == 0) {
            std::vector<std::string> args{"tjbench",
                                          ppm,
                                          std::to_string(options.quality),
                                          "-rgb",
                                          "-subsamp",
                                          "420",
                                          "-componly",
                                          "-nowrite",
                                          "-quiet",
                                          "-warmup",
                                          "1",
                                          "-benchtime",
                                          fixed(options.tjbenchSeconds, 1)};
            if (yuv)
                args.emplace_back("-yuv");
            _exit(run(args, log));
        }
        if (pid < 0)
            throw std::runtime_error("fork failed");
        children.push_back(pid);
    }
    double mpixels = 0;
    for (unsigned i = 0; i < sources; ++i) {
        int status = 0;
        waitpid(children[i], &status, 0);
        const std::string log = work + "/tjbench-" + std::to_string(i) + ".log";
        const double rate = tjbenchMpixels(log, yuv);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || rate <= 0)
            throw std::runtime_error("tjbench failed; see its output in " + log);
        mpixels += rate;
    }
    return mpixels;
}

} // namespace

int main(int argc, char **argv)
{
    const Options options = parse(argc, argv);
    if (options.memoryPositions > 0)
        return memoryChild(options, options.dir);

    const bool ownDir = options.dir.empty();
    std::string dir = options.dir;
    if (ownDir) {
        std::string pattern = std::filesystem::current_path().string() + "/bench-writer-XXXXXX";
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        dir = pattern;
    }
    const std::string work = dir + "/bench-writer-work";
    makeDirectories(work);

    std::string fsType = "unknown";
    run({"stat", "-f", "-c", "%T", dir}, work + "/fstype");
    std::ifstream(work + "/fstype") >> fsType;
    const std::string loadBefore = loadAverage();

    /* The frames: the simulated turntable at 12 MP, one per writer thread (as many as tjbench
     * processes), at least one; encoded once for part 1. */
    const unsigned sources = std::max(1U, options.threads);
    std::vector<Frame> frames(sources);
    std::vector<std::vector<uint8_t>> jpegs(sources);
    for (unsigned i = 0; i < sources; ++i) {
        frames[i].image = render(i);
        jpegs[i] = encodeJpeg(frames[i].image, options.quality);
    }
    double frameBytes = 0;
    for (unsigned n = 0; n < options.frames; ++n)
        frameBytes += static_cast<double>(jpegs[n % sources].size());

    /* Part 1: the writer alone, the designs before it, dd; interleaved per repetition. The
     * writer's rows time the storage path only, as dd does (no checksum), except the one
     * that adds the SHA-256 a pool worker computes of each frame before staging it. */
    std::vector<double> stageMBs, stageShaMBs, batchMBs, perFrameMBs, ddMBs;
    const uint64_t block = 1 << 20;
    const uint64_t count = (static_cast<uint64_t>(frameBytes) + block - 1) / block;
    const double ddBytes = static_cast<double>(count * block);
    const auto positionOf = [&](const std::string &dir, unsigned n) {
        return dir + "/pos-" + std::to_string(n / options.batch * options.batch);
    };
    const auto frameIn = [&](const std::string &position, unsigned n) {
        return position + "/frame-" + std::to_string(n) + ".jpg";
    };
    const auto rate = [&](MonotonicInstant start) {
        return frameBytes / kMB / seconds(MonotonicClock::now() - start);
    };
    /* As the pool writes: each position staged on this thread and handed to the durability
     * stage, which commits it (with any that wait, as one group) while the next is staged.
     * Done when every position is durable. */
    const auto writeStaged = [&](const std::string &dir, bool checksum) {
        const MonotonicInstant start = MonotonicClock::now();
        std::string failure;
        {
            DurabilityStage stage(options.threads);
            for (unsigned first = 0; first < options.frames; first += options.batch) {
                const std::string position = positionOf(dir, first);
                makeDirectories(position);
                DurableBatch files;
                for (unsigned n = first; n < std::min(options.frames, first + options.batch); ++n) {
                    const std::vector<uint8_t> &jpeg = jpegs[n % sources];
                    if (checksum)
                        (void)sha256Hex(jpeg);
                    files.add(frameIn(position, n), jpeg);
                }
                stage.commit(std::move(files), [&](const std::string &error) {
                    if (failure.empty())
                        failure = error;
                });
            }
            stage.drain();
        }
        if (!failure.empty())
            throw std::runtime_error(failure);
        return rate(start);
    };
    /* Before issue 13 item 5: each position committed by the thread that staged it. */
    const auto writeInline = [&](const std::string &dir) {
        const MonotonicInstant start = MonotonicClock::now();
        for (unsigned first = 0; first < options.frames; first += options.batch) {
            const std::string position = positionOf(dir, first);
            makeDirectories(position);
            DurableBatch files;
            for (unsigned n = first; n < std::min(options.frames, first + options.batch); ++n)
                files.add(frameIn(position, n), jpegs[n % sources]);
            files.commit();
        }
        return rate(start);
    };
    /* Before issue 13 item 3: each frame on its own. */
    const auto writePerFrame = [&](const std::string &dir) {
        const MonotonicInstant start = MonotonicClock::now();
        for (unsigned n = 0; n < options.frames; ++n) {
            const std::string position = positionOf(dir, n);
            makeDirectories(position);
            writeFileAtomic(frameIn(position, n), jpegs[n % sources]);
        }
        return rate(start);
    };
    const auto writeDd = [&](const std::string &file) {
        const MonotonicInstant start = MonotonicClock::now();
        const int status = run({"dd", "if=/dev/zero", "of=" + file, "bs=1M",
                                "count=" + std::to_string(count), "conv=fsync"},
                               work + "/dd.log");
        if (status != 0)
            throw std::runtime_error("dd exited with status " + std::to_string(status));
        return ddBytes / kMB / seconds(MonotonicClock::now() - start);
    };
    /* Every run writes into a folder of its own, all removed at the end: removing files
     * between runs would slow the runs after it (discarded blocks, recently freed inodes
     * skipped by ext4), and a scan does not remove files either. */
    std::string runDir;
    const std::vector<std::function<void()>> part1 = {
        [&] { stageMBs.push_back(writeStaged(runDir + "/stage", false)); },
        [&] { stageShaMBs.push_back(writeStaged(runDir + "/stage-sha", true)); },
        [&] { batchMBs.push_back(writeInline(runDir + "/batch")); },
        [&] { perFrameMBs.push_back(writePerFrame(runDir + "/per-frame")); },
        [&] { ddMBs.push_back(writeDd(runDir + "/ddtest")); },
    };
    for (unsigned r = 0; r < options.reps; ++r) {
        runDir = work + "/run-" + std::to_string(r);
        makeDirectories(runDir);
        /* Each repetition starts with another of them, and each starts on a settled file
         * system: nothing left in the journal or the page cache for it to flush. */
        for (size_t i = 0; i < part1.size(); ++i) {
            settle(work);
            part1[(r + i) % part1.size()]();
        }
    }
    for (unsigned r = 0; r < options.reps; ++r)
        removeAll(work + "/run-" + std::to_string(r));

    /* Part 2: the WriterPool end to end against parallel tjbench processes. */
    std::vector<double> poolFps, tjFps, tjRgbFps;
    double encodeSeconds = 0; /* per frame, the last run */
    const double megapixels = double(kWidth) * kHeight / 1e6;
    /* Made ready before each timed run: 17.8 MiB each (3.8 GiB at the default 216; from the
     * second run on, in the blocks the frames of the run before gave back). */
    const unsigned poolFrames = options.poolFrames;
    if (!options.writerOnly) {
        for (unsigned i = 0; i < sources; ++i)
            writePpm(work + "/frame-" + std::to_string(i) + ".ppm", toRgb(frames[i].image));
        for (unsigned r = 0; r < options.reps; ++r) {
            /* The frames are handed over as a camera hands them (moved, not copied): their
             * copies are made before the clock starts, since first touching 18 MB costs more
             * than encoding it on this virtual machine. */
            std::vector<std::vector<WriteJob>> positions;
            for (unsigned first = 0; first < poolFrames; first += options.batch) {
                std::vector<WriteJob> position;
                for (unsigned n = first; n < std::min(poolFrames, first + options.batch); ++n) {
                    WriteJob job;
                    job.frame = frames[n % sources];
                    job.path = work + "/pool-" + std::to_string(r) + "/pos-" +
                               std::to_string(first) + "/frame-" + std::to_string(n) + ".jpg";
                    job.jpegQuality = options.quality;
                    job.camera = "bench/cam";
                    position.push_back(std::move(job));
                }
                positions.push_back(std::move(position));
            }
            /* Nanoseconds, as a count: the writers add to it from their threads. */
            std::atomic<int64_t> encodeNs{0};
            const MonotonicInstant start = MonotonicClock::now();
            {
                WriterPool pool(options.threads, options.queue,
                                [&](const WriteJob &, const WriteResult &result) {
                                    encodeNs += result.encode.count();
                                });
                for (std::vector<WriteJob> &position : positions)
                    pool.submit(std::move(position));
                pool.drain();
            }
            poolFps.push_back(poolFrames / seconds(MonotonicClock::now() - start));
            encodeSeconds = seconds(Nanoseconds(encodeNs)) / poolFrames;

            tjFps.push_back(parallelTjbench(work, sources, options, true) / megapixels);
            tjRgbFps.push_back(parallelTjbench(work, sources, options, false) / megapixels);
        }
    }

    /* Like part 1's runs, each pool run wrote into a folder of its own, removed only now:
     * removing a run's files makes the next run's file creation slower (ext4 passes over
     * recently freed inodes), and a scan removes none. */
    for (unsigned r = 0; r < options.reps && !options.writerOnly; ++r)
        removeAll(work + "/pool-" + std::to_string(r));

    /* Part 3: the memory child. */
    std::string memoryLine;
    const unsigned memoryPositions = 12;
    if (!options.writerOnly) {
        const std::string memoryDir = work + "/memory";
        makeDirectories(memoryDir);
        const int status =
            run({"/proc/self/exe", "--memory-child", std::to_string(memoryPositions), "--dir",
                 memoryDir, "--batch", "1", "--threads", std::to_string(options.threads), "--queue",
                 std::to_string(options.queue), "--quality", std::to_string(options.quality)},
                work + "/memory.log");
        std::getline(std::ifstream(work + "/memory.log"), memoryLine);
        if (status != 0)
            throw std::runtime_error("the memory child failed: " + memoryLine);
    }
    const std::string loadAfter = loadAverage();

    const double stageMedian = median(stageMBs);
    const double stageShaMedian = median(stageShaMBs);
    const double batchMedian = median(batchMBs);
    const double perFrameMedian = median(perFrameMBs);
    const double ddMedian = median(ddMBs);
    std::cout << "machine: " << hostAndLoad() << "\n"
              << "load average before / after: " << loadBefore << " / " << loadAfter << "\n"
              << "directory: " << dir << " (" << fsType << ")\n"
              << "command: bench_writer --frames " << options.frames << " --batch " << options.batch
              << " --reps " << options.reps << " --threads " << options.threads << " --queue "
              << options.queue << " --quality " << options.quality << " --tjbench-seconds "
              << fixed(options.tjbenchSeconds, 1) << " --pool-frames " << options.poolFrames
              << (options.writerOnly ? " --writer-only 1" : "") << "\n"
              << "frames: 4056x3040 simulated turntable, JPEG q" << options.quality << " "
              << fixed(frameBytes / options.frames / kMB, 2) << " MB on average; medians of "
              << options.reps << " interleaved runs\n\n"
              << "1. Writer alone (encoded frames), " << options.frames << " frames, "
              << fixed(frameBytes / kMB, 1) << " MB\n\n"
              << "| what | MB/s | / dd | goal |\n"
              << "| --- | ---: | ---: | ---: |\n"
              << "| DurableBatch per position, committed on the DurabilityStage (group commit, "
              << options.threads << " waiting at most), " << options.batch
              << " frames per position (now) | " << fixed(stageMedian, 1) << " | "
              << fixed(stageMedian / ddMedian, 2) << " | >= 0.8 |\n"
              << "| the same with SHA-256 of each frame before staging it (a pool worker's "
              << "share) | " << fixed(stageShaMedian, 1) << " | "
              << fixed(stageShaMedian / ddMedian, 2) << " | |\n"
              << "| DurableBatch committed by the staging thread, one position after another "
              << "(before) | " << fixed(batchMedian, 1) << " | " << fixed(batchMedian / ddMedian, 2)
              << " | |\n"
              << "| writeFileAtomic per frame (before) | " << fixed(perFrameMedian, 1) << " | "
              << fixed(perFrameMedian / ddMedian, 2) << " | |\n"
              << "| floor: `dd if=/dev/zero of=DIR/ddtest bs=1M count=" << count
              << " conv=fsync` | " << fixed(ddMedian, 1) << " | 1 | |\n";
    if (!options.writerOnly) {
        const double poolMedian = median(poolFps);
        const double tjMedian = median(tjFps);
        const double tjRgbMedian = median(tjRgbFps);
        std::cout << "\n2. Encode + write, " << options.threads << " threads\n\n"
                  << "| what | frames/s | / tjbench | goal |\n"
                  << "| --- | ---: | ---: | ---: |\n"
                  << "| WriterPool: JPEG from YUV planes + EXIF + SHA-256 + DurableBatch on the "
                  << "DurabilityStage, " << options.threads << " threads, queue " << options.queue
                  << ", " << options.batch << " frames per position, " << poolFrames << " frames | "
                  << fixed(poolMedian, 2) << " | " << fixed(poolMedian / tjMedian, 2)
                  << " | >= 0.9 |\n"
                  << "| floor: " << sources << " x `tjbench FRAME.ppm " << options.quality
                  << " -rgb -subsamp 420 -componly -nowrite -quiet -benchtime "
                  << fixed(options.tjbenchSeconds, 1) << " -yuv` at once (Comp Perf) | "
                  << fixed(tjMedian, 2) << " | 1 | |\n"
                  << "| the same without -yuv (compressing from RGB) | " << fixed(tjRgbMedian, 2)
                  << " | " << fixed(tjRgbMedian / tjMedian, 2) << " | |\n\n"
                  << "encoding per frame on a pool worker (last run): "
                  << fixed(1000 * encodeSeconds, 1)
                  << " ms; per frame in one tjbench -yuv: " << fixed(1000 * sources / tjMedian, 1)
                  << " ms\n\n"
                  << "3. Peak memory of a rank, 12 MP, writer queue full (" << options.threads
                  << " threads, queue " << options.queue << ", 1 frame per position, "
                  << memoryPositions << " positions; one YUV 4:2:0 frame = " << fixed(kFrameMiB, 1)
                  << " MiB)\n\n"
                  << memoryLine << " (goal: peak_rss_mib <= 150; full = positions that found "
                  << "the queue full)\n";
    }

    removeAll(work);
    if (ownDir)
        removeAll(dir);
    return 0;
}
