#include "scan/progress.h"

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unistd.h>

extern "C" {
#include <slurm/slurm.h>
}

#include "util/chrono_clocks.h"

namespace lockstep
{

namespace
{

constexpr Nanoseconds kCommentInterval = std::chrono::seconds(5);

std::string formatDuration(double seconds)
{
    const long s = std::lround(seconds);
    char text[32];
    std::snprintf(text, sizeof(text), "%ld:%02ld", s / 60, s % 60);
    return text;
}

/* Sets the running job's Comment from its own thread, throttled. */
class JobComment
{
public:
    explicit JobComment(uint32_t jobId) : jobId_(jobId), thread_([this] { run(); }) {}
    ~JobComment()
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    void set(std::string text, bool urgent)
    {
        {
            std::lock_guard lock(mutex_);
            pending_ = std::move(text);
            urgent_ = urgent_ || urgent;
        }
        wake_.notify_all();
    }

private:
    void run()
    {
        slurm_init(nullptr);
        MonotonicInstant lastSent;
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
            if (pending_.empty())
                return;
            const Nanoseconds wait = lastSent + kCommentInterval - MonotonicClock::now();
            if (!urgent_ && !stopping_ && wait > Nanoseconds::zero()) {
                wake_.wait_for(lock, wait, [this] { return stopping_ || urgent_; });
                continue;
            }
            std::string text = std::move(pending_);
            pending_.clear();
            urgent_ = false;
            lock.unlock();
            send(text);
            lastSent = MonotonicClock::now();
            lock.lock();
        }
    }
    void send(const std::string &text)
    {
        job_desc_msg_t msg;
        slurm_init_job_desc_msg(&msg);
        msg.job_id = jobId_;
        std::string comment = text;
        msg.comment = comment.data();
        if (slurm_update_job(&msg) != SLURM_SUCCESS && !warned_) {
            std::fprintf(stderr, "lockstep: cannot set the job comment: %s\n",
                         slurm_strerror(slurm_get_errno()));
            warned_ = true;
        }
    }

    uint32_t jobId_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string pending_;
    bool urgent_ = false;
    bool stopping_ = false;
    bool warned_ = false;
    std::thread thread_;
};

} // namespace

class Progress::Impl
{
public:
    std::string scan;
    size_t total = 0;
    size_t firstDone = 0;
    MonotonicInstant start = MonotonicClock::now();
    bool tty = isatty(STDERR_FILENO) == 1;
    std::unique_ptr<JobComment> comment;
};

Progress::Progress(std::string scan, size_t total, size_t alreadyDone) : impl_(new Impl)
{
    impl_->scan = std::move(scan);
    impl_->total = total;
    impl_->firstDone = alreadyDone;
    const char *job = std::getenv("SLURM_JOB_ID");
    if (job && *job && std::getenv("LOCKSTEP_NO_COMMENT") == nullptr)
        impl_->comment = std::make_unique<JobComment>(std::strtoul(job, nullptr, 10));
}

Progress::~Progress() = default;

void Progress::update(size_t done)
{
    Impl &p = *impl_;
    const double elapsed = FloatSeconds(MonotonicClock::now() - p.start).count();
    const size_t doneHere = done - p.firstDone;
    const double rate = elapsed > 0 ? double(doneHere) / elapsed : 0; /* positions/s */
    const double eta = rate > 0 ? double(p.total - done) / rate : 0;
    char line[160];
    std::snprintf(line, sizeof(line), "%s: position %zu/%zu  %.1f pos/min  ETA %s", p.scan.c_str(),
                  done, p.total, rate * 60, formatDuration(eta).c_str());
    if (p.tty)
        std::fprintf(stderr, "\r%s\033[K", line);
    else
        std::fprintf(stderr, "%s\n", line);
    if (p.comment)
        p.comment->set(std::string("lockstep ") + line, done == p.firstDone + 1);
}

void Progress::finish(const std::string &summary)
{
    Impl &p = *impl_;
    if (p.tty)
        std::fprintf(stderr, "\n");
    if (p.comment)
        p.comment->set("lockstep " + p.scan + ": " + summary, true);
}

} // namespace lockstep
