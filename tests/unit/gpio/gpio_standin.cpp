/* A stand-in for the kernel's GPIO character device, for the cluster tests on a machine with no
 * GPIO chip and no gpio-sim module:
 *
 *   gpio_standin --chip MAJOR:MINOR --lines N --levels FILE [--uapi v1|v2] -- COMMAND...
 *
 * runs COMMAND (a node's slurmd: slurmstepd, the plugin, the job's tasks and the epilog all
 * descend from it) under a seccomp filter that hands every GPIO ioctl (type 0xB4) to this
 * process, which answers it as the kernel's GPIO uAPI would for a chip of N lines on the
 * character device MAJOR:MINOR (a node whose own driver has no ioctls, e.g. /dev/full's 1:7;
 * opening it is left to the kernel, so its permissions decide who may open the "chip"). The
 * ABI is the real one (struct layouts and ioctl numbers of <linux/gpio.h>); what stands in is
 * the kernel side:
 *   - GPIO_V2_GET_LINE_IOCTL (unless --uapi v1, where it fails with EINVAL as on a kernel without
 *     v2) and GPIO_GET_LINEHANDLE_IOCTL on the chip: lines already held by a live request give
 *     EBUSY; otherwise the caller gets a new descriptor (a memfd installed with
 *     SECCOMP_IOCTL_NOTIF_ADDFD, close-on-exec like the kernel's) standing for the request;
 *   - the set/get values ioctls of both versions on such a descriptor, with the kernel's checks
 *     (a set needs output lines: EPERM otherwise; an empty mask or a line outside the request:
 *     EINVAL);
 *   - a request lives as long as any process holds its descriptor (checked in /proc when a line
 *     is asked for again), as the kernel's lives as long as its file.
 * Levels of every line ever requested are written to FILE after each change, one line each:
 * "<offset> <level> <in|out> <consumer>". Other ioctls pass to the kernel unchanged. */
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/gpio.h>
#include <linux/seccomp.h>
#include <map>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace
{

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "gpio_standin: add this architecture's AUDIT_ARCH"
#endif

struct Options {
    dev_t chip = 0;
    unsigned lines = 0;
    std::string levels;
    bool v2 = true;
    char **command = nullptr;
};

struct Line {
    uint8_t level = 0;
    bool output = false;
    int request = -1; /* id of the request holding it */
    std::string consumer;
    bool known = false; /* ever requested: written to the levels file */
};

struct Request {
    dev_t dev = 0;
    ino_t ino = 0;
    bool v2 = true;
    std::vector<unsigned> offsets;
    std::vector<bool> outputs;
};

std::vector<Line> lines;
std::map<int, Request> requests;
int nextRequest = 0;
Options options;

void die(const char *what)
{
    std::fprintf(stderr, "gpio_standin: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

void writeLevels()
{
    const std::string tmp = options.levels + ".tmp";
    FILE *out = std::fopen(tmp.c_str(), "w");
    if (!out)
        return;
    for (size_t i = 0; i < lines.size(); ++i)
        if (lines[i].known)
            std::fprintf(out, "%zu %u %s %s\n", i, lines[i].level, lines[i].output ? "out" : "in",
                         lines[i].consumer.empty() ? "-" : lines[i].consumer.c_str());
    std::fclose(out);
    std::rename(tmp.c_str(), options.levels.c_str());
}

/* Whether any process still holds the request's descriptor. */
bool requestAlive(const Request &request)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return true;
    bool alive = false;
    while (const dirent *p = readdir(proc)) {
        if (alive || p->d_name[0] < '0' || p->d_name[0] > '9')
            continue;
        const std::string fdDir = std::string("/proc/") + p->d_name + "/fd";
        DIR *fds = opendir(fdDir.c_str());
        if (!fds)
            continue;
        while (const dirent *f = readdir(fds)) {
            struct stat st = {};
            if (f->d_name[0] != '.' && stat((fdDir + "/" + f->d_name).c_str(), &st) == 0 &&
                st.st_dev == request.dev && st.st_ino == request.ino) {
                alive = true;
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    return alive;
}

void dropDeadRequests()
{
    for (auto it = requests.begin(); it != requests.end();) {
        if (requestAlive(it->second)) {
            ++it;
            continue;
        }
        for (Line &line : lines)
            if (line.request == it->first)
                line.request = -1;
        it = requests.erase(it);
    }
}

class Notification
{
public:
    Notification(int listener, seccomp_notif &notif) : listener_(listener), notif_(notif) {}

    pid_t pid() const { return static_cast<pid_t>(notif_.pid); }
    int fd() const { return static_cast<int>(notif_.data.args[0]); }
    unsigned long cmd() const { return static_cast<unsigned long>(notif_.data.args[1]); }
    uint64_t arg() const { return notif_.data.args[2]; }

    template <typename T> bool read(T &value, uint64_t address) const
    {
        iovec local = {&value, sizeof(T)};
        /* An address in the caller's memory, not ours. */
        // NOLINTNEXTLINE(performance-no-int-to-ptr)
        iovec remote = {reinterpret_cast<void *>(address), sizeof(T)};
        return process_vm_readv(pid(), &local, 1, &remote, 1, 0) == sizeof(T);
    }
    template <typename T> bool write(const T &value, uint64_t address) const
    {
        iovec local = {const_cast<T *>(&value), sizeof(T)};
        // NOLINTNEXTLINE(performance-no-int-to-ptr)
        iovec remote = {reinterpret_cast<void *>(address), sizeof(T)};
        return process_vm_writev(pid(), &local, 1, &remote, 1, 0) == sizeof(T);
    }
    /* Installs `fd` in the caller (close-on-exec); its number there, or -1. */
    int addFd(int fd) const
    {
        seccomp_notif_addfd add = {};
        add.id = notif_.id;
        add.srcfd = static_cast<uint32_t>(fd);
        add.newfd_flags = O_CLOEXEC;
        return ioctl(listener_, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    }
    bool valid() const
    {
        uint64_t id = notif_.id;
        return ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
    }
    void reply(int error, int64_t value = 0) const { send(error, value, 0); }
    void passOn() const { send(0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE); }

private:
    void send(int error, int64_t value, uint32_t flags) const
    {
        seccomp_notif_resp resp = {};
        resp.id = notif_.id;
        resp.error = error ? -error : 0;
        resp.val = value;
        resp.flags = flags;
        ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, &resp); /* ENOENT: the caller is gone */
    }
    int listener_;
    seccomp_notif &notif_;
};

/* Makes a request of `offsets` with the given directions and initial levels; the caller's new
 * descriptor number, or -errno. */
int makeRequest(const Notification &n, bool v2, const std::vector<unsigned> &offsets,
                const std::vector<bool> &outputs, const std::vector<uint8_t> &levels,
                const std::string &consumer)
{
    if (offsets.empty() || offsets.size() > 64)
        return -EINVAL;
    for (size_t i = 0; i < offsets.size(); ++i) {
        if (offsets[i] >= lines.size())
            return -EINVAL;
        if (std::count(offsets.begin(), offsets.end(), offsets[i]) > 1)
            return -EBUSY; /* the kernel: the second request of the same line is busy */
    }
    bool busy = std::any_of(offsets.begin(), offsets.end(),
                            [](unsigned o) { return lines[o].request >= 0; });
    if (busy) {
        dropDeadRequests();
        busy = std::any_of(offsets.begin(), offsets.end(),
                           [](unsigned o) { return lines[o].request >= 0; });
    }
    if (busy)
        return -EBUSY;
    const int memfd = memfd_create("gpio-line-standin", MFD_CLOEXEC);
    if (memfd < 0)
        return -ENOMEM;
    struct stat st = {};
    fstat(memfd, &st);
    const int theirs = n.addFd(memfd);
    const int error = errno;
    close(memfd);
    if (theirs < 0)
        return -error;
    const int id = nextRequest++;
    requests[id] = {st.st_dev, st.st_ino, v2, offsets, outputs};
    for (size_t i = 0; i < offsets.size(); ++i) {
        Line &line = lines[offsets[i]];
        line.request = id;
        line.output = outputs[i];
        if (outputs[i])
            line.level = levels[i];
        line.consumer = consumer;
        line.known = true;
    }
    writeLevels();
    return theirs;
}

void chipIoctl(const Notification &n)
{
    const unsigned long cmd = n.cmd();
    if (cmd == GPIO_GET_CHIPINFO_IOCTL) {
        gpiochip_info info = {};
        std::snprintf(info.name, sizeof(info.name), "gpiochip-standin");
        std::snprintf(info.label, sizeof(info.label), "lockstep-standin");
        info.lines = static_cast<uint32_t>(lines.size());
        n.reply(n.write(info, n.arg()) ? 0 : EFAULT);
    } else if (cmd == GPIO_V2_GET_LINE_IOCTL && options.v2) {
        gpio_v2_line_request req = {};
        if (!n.read(req, n.arg()))
            return n.reply(EFAULT);
        if (req.num_lines == 0 || req.num_lines > GPIO_V2_LINES_MAX ||
            req.config.num_attrs > GPIO_V2_LINE_NUM_ATTRS_MAX)
            return n.reply(EINVAL);
        std::vector<unsigned> offsets(req.offsets, req.offsets + req.num_lines);
        std::vector<bool> outputs(offsets.size());
        std::vector<uint8_t> levels(offsets.size());
        for (size_t i = 0; i < offsets.size(); ++i) {
            uint64_t flags = req.config.flags;
            uint8_t level = 0;
            for (uint32_t a = 0; a < req.config.num_attrs; ++a) {
                const auto &attr = req.config.attrs[a];
                if (!(attr.mask >> i & 1))
                    continue;
                if (attr.attr.id == GPIO_V2_LINE_ATTR_ID_FLAGS)
                    flags = attr.attr.flags;
                else if (attr.attr.id == GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES)
                    level = (attr.attr.values >> i) & 1;
            }
            const bool in = flags & GPIO_V2_LINE_FLAG_INPUT;
            const bool out = flags & GPIO_V2_LINE_FLAG_OUTPUT;
            if (in && out)
                return n.reply(EINVAL);
            outputs[i] = out;
            levels[i] = level;
        }
        req.consumer[sizeof(req.consumer) - 1] = '\0';
        const int fd = makeRequest(n, true, offsets, outputs, levels, req.consumer);
        if (fd < 0)
            return n.reply(-fd);
        req.fd = fd;
        n.reply(n.write(req.fd, n.arg() + offsetof(gpio_v2_line_request, fd)) ? 0 : EFAULT);
    } else if (cmd == GPIO_GET_LINEHANDLE_IOCTL) {
        gpiohandle_request req = {};
        if (!n.read(req, n.arg()))
            return n.reply(EFAULT);
        if (req.lines == 0 || req.lines > GPIOHANDLES_MAX)
            return n.reply(EINVAL);
        const bool out = req.flags & GPIOHANDLE_REQUEST_OUTPUT;
        if (out && (req.flags & GPIOHANDLE_REQUEST_INPUT))
            return n.reply(EINVAL);
        std::vector<unsigned> offsets(req.lineoffsets, req.lineoffsets + req.lines);
        std::vector<bool> outputs(offsets.size(), out);
        std::vector<uint8_t> levels(offsets.size());
        for (size_t i = 0; i < offsets.size(); ++i)
            levels[i] = req.default_values[i] ? 1 : 0;
        req.consumer_label[sizeof(req.consumer_label) - 1] = '\0';
        const int fd = makeRequest(n, false, offsets, outputs, levels, req.consumer_label);
        if (fd < 0)
            return n.reply(-fd);
        req.fd = fd;
        n.reply(n.write(req.fd, n.arg() + offsetof(gpiohandle_request, fd)) ? 0 : EFAULT);
    } else {
        n.reply(EINVAL); /* gpio_ioctl's answer to what it does not know */
    }
}

void lineIoctl(const Notification &n, Request &request)
{
    const unsigned long cmd = n.cmd();
    const size_t count = request.offsets.size();
    if (request.v2 && cmd == GPIO_V2_LINE_SET_VALUES_IOCTL) {
        gpio_v2_line_values values = {};
        if (!n.read(values, n.arg()))
            return n.reply(EFAULT);
        if (!values.mask || (count < 64 && values.mask >> count))
            return n.reply(EINVAL);
        for (size_t i = 0; i < count; ++i)
            if ((values.mask >> i & 1) && !request.outputs[i])
                return n.reply(EPERM);
        for (size_t i = 0; i < count; ++i)
            if (values.mask >> i & 1)
                lines[request.offsets[i]].level = (values.bits >> i) & 1;
        writeLevels();
        n.reply(0);
    } else if (request.v2 && cmd == GPIO_V2_LINE_GET_VALUES_IOCTL) {
        gpio_v2_line_values values = {};
        if (!n.read(values, n.arg()))
            return n.reply(EFAULT);
        if (!values.mask || (count < 64 && values.mask >> count))
            return n.reply(EINVAL);
        values.bits = 0;
        for (size_t i = 0; i < count; ++i)
            if (values.mask >> i & 1)
                values.bits |= uint64_t{lines[request.offsets[i]].level} << i;
        n.reply(n.write(values, n.arg()) ? 0 : EFAULT);
    } else if (!request.v2 && cmd == GPIOHANDLE_SET_LINE_VALUES_IOCTL) {
        gpiohandle_data data = {};
        if (!n.read(data, n.arg()))
            return n.reply(EFAULT);
        if (!request.outputs[0])
            return n.reply(EPERM);
        for (size_t i = 0; i < count; ++i)
            lines[request.offsets[i]].level = data.values[i] ? 1 : 0;
        writeLevels();
        n.reply(0);
    } else if (!request.v2 && cmd == GPIOHANDLE_GET_LINE_VALUES_IOCTL) {
        gpiohandle_data data = {};
        for (size_t i = 0; i < count; ++i)
            data.values[i] = lines[request.offsets[i]].level;
        n.reply(n.write(data, n.arg()) ? 0 : EFAULT);
    } else {
        n.reply(EINVAL); /* linereq_ioctl and linehandle_ioctl: unknown command */
    }
}

void handle(const Notification &n)
{
    struct stat st = {};
    const std::string path = "/proc/" + std::to_string(n.pid()) + "/fd/" + std::to_string(n.fd());
    if (stat(path.c_str(), &st) != 0 || !n.valid())
        return n.reply(EBADF);
    if (S_ISCHR(st.st_mode) && st.st_rdev == options.chip)
        return chipIoctl(n);
    for (auto &[id, request] : requests)
        if (request.dev == st.st_dev && request.ino == st.st_ino)
            return lineIoctl(n, request);
    n.passOn(); /* not ours: the kernel answers */
}

int installFilter()
{
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* The ioctl number's low 32 bits; its type (bits 8-15) is 0xB4 for GPIO. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[1])),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff00),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xb400, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
    return static_cast<int>(
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
}

void sendFd(int socket, int fd)
{
    char byte = 0;
    iovec io = {&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg = {};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(socket, &msg, 0) != 1)
        die("sendmsg");
}

int receiveFd(int socket)
{
    char byte = 0;
    iovec io = {&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg = {};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    if (recvmsg(socket, &msg, 0) != 1)
        die("recvmsg (the command could not install the filter)");
    int fd = -1;
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        die("no listener received");
    std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

Options parse(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--" && i + 1 < argc) {
            o.command = argv + i + 1;
            break;
        }
        if (i + 1 >= argc)
            break;
        const std::string value = argv[++i];
        unsigned a = 0;
        unsigned b = 0;
        if (arg == "--chip" && std::sscanf(value.c_str(), "%u:%u", &a, &b) == 2)
            o.chip = makedev(a, b);
        else if (arg == "--lines")
            o.lines = static_cast<unsigned>(std::stoul(value));
        else if (arg == "--levels")
            o.levels = value;
        else if (arg == "--uapi" && (value == "v1" || value == "v2"))
            o.v2 = value == "v2";
        else
            break; /* usage below */
    }
    if (!o.command || !o.chip || !o.lines || o.lines > 1024 || o.levels.empty()) {
        std::fprintf(stderr,
                     "usage: %s --chip MAJOR:MINOR --lines N --levels FILE [--uapi v1|v2] "
                     "-- COMMAND...\n",
                     argv[0]);
        std::exit(2);
    }
    return o;
}

} // namespace

int main(int argc, char **argv)
{
    options = parse(argc, argv);
    /* Nothing inherited is passed on: the command is a daemon, and a lock file a caller held
     * (flock around the cluster tests) must not stay held by it. */
    close_range(3, ~0U, 0);
    lines.resize(options.lines);
    writeLevels();
    /* qemu-user (the arm64 unit tests) implements no seccomp: no stand-in chip can be made. */
    seccomp_notif_sizes probe = {};
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &probe) != 0 && errno == ENOSYS) {
        std::fprintf(stderr, "gpio_standin: SKIP: no seccomp here (ENOSYS, as under qemu-user): "
                             "the stand-in chip needs seccomp user notification\n");
        return 77;
    }
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
        die("socketpair");
    const pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        close(sockets[0]);
        /* Without root, seccomp needs no_new_privs (root's slurmd keeps setuid binaries). */
        if (geteuid() != 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            die("PR_SET_NO_NEW_PRIVS");
        const int listener = installFilter();
        if (listener < 0)
            die("seccomp");
        sendFd(sockets[1], listener);
        close(listener);
        close(sockets[1]);
        execvp(options.command[0], options.command);
        die(options.command[0]);
    }
    close(sockets[1]);
    const int listener = receiveFd(sockets[0]);
    close(sockets[0]);
    std::fprintf(stderr,
                 "gpio_standin: stand-in for the kernel's GPIO chip (uAPI %s) on "
                 "device %u:%u, %u lines, for %s (pid %d) and its descendants\n",
                 options.v2 ? "v1+v2" : "v1 only", major(options.chip), minor(options.chip),
                 options.lines, options.command[0], static_cast<int>(child));

    seccomp_notif_sizes sizes = {};
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
        die("SECCOMP_GET_NOTIF_SIZES");
    std::vector<char> buffer(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
    /* Serves until no process with the filter is left (the listener then reports POLLHUP). */
    for (;;) {
        pollfd p = {listener, POLLIN, 0};
        if (poll(&p, 1, 1000) < 0 && errno != EINTR)
            die("poll");
        if (p.revents & POLLHUP)
            break;
        if (!(p.revents & POLLIN))
            continue;
        std::fill(buffer.begin(), buffer.end(), 0);
        auto *notif = reinterpret_cast<seccomp_notif *>(buffer.data());
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif) != 0)
            continue; /* the caller went away meanwhile */
        handle(Notification(listener, *notif));
    }
    int status = 0;
    waitpid(child, &status, WNOHANG);
    return 0;
}
