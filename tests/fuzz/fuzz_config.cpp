/* libFuzzer target for the rig and plan loaders. The first byte picks the loader (even: rig,
 * odd: a plan checked against the example rig); the rest is the file. A finding is a crash, a
 * hang, an exception other than ConfigError, or a diagnostic that breaks the loaders' promises:
 * every problem has a position (LINE:COL, since the file always opens) and a one-line, printable
 * message. */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include "config/diagnostic.h"
#include "config/plan.h"
#include "config/rig.h"

namespace
{

/* The input as a file without touching the disk: a memfd, opened by path like any file. */
class MemoryFile
{
public:
    MemoryFile(const uint8_t *data, size_t size) : fd_(memfd_create("fuzz.yaml", MFD_CLOEXEC))
    {
        if (fd_ < 0 || write(fd_, data, size) != static_cast<ssize_t>(size))
            std::abort();
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    ~MemoryFile() { close(fd_); }
    MemoryFile(const MemoryFile &) = delete;
    MemoryFile &operator=(const MemoryFile &) = delete;
    const std::string &path() const { return path_; }

private:
    int fd_;
    std::string path_;
};

void check(const lockstep::Diagnostic &d)
{
    bool printable = true;
    for (const char c : d.message)
        printable = printable && (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    if (d.line < 1 || d.column < 1 || !printable || d.message.empty()) {
        std::fprintf(stderr, "broken diagnostic: %s\n", d.str().c_str());
        std::abort();
    }
}

const lockstep::RigConfig &exampleRig()
{
    static const lockstep::RigConfig rig = lockstep::loadRig(LOCKSTEP_FUZZ_RIG);
    return rig;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const bool plan = (data[0] & 1) != 0;
    const MemoryFile file(data + 1, size - 1);
    try {
        if (plan)
            lockstep::loadPlan(file.path(), exampleRig());
        else
            lockstep::loadRig(file.path());
    } catch (const lockstep::ConfigError &e) {
        for (const lockstep::Diagnostic &d : e.diagnostics())
            check(d);
    }
    /* Anything else thrown escapes and libFuzzer reports it as a crash. */
    return 0;
}
