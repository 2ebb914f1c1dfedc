#include "device_access.h"

#include <acl/libacl.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <glob.h>
#include <sys/acl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "root_file.h"
#include "util/errors.h"

namespace lockstep::spank
{

namespace
{

/* The ACL of a file, freed on scope exit. */
class Acl
{
public:
    explicit Acl(const std::string &path) : acl_(acl_get_file(path.c_str(), ACL_TYPE_ACCESS))
    {
        if (!acl_)
            throw RunError("cannot read the ACL of " + path + ": " + std::strerror(errno));
    }
    ~Acl() { acl_free(acl_); }
    Acl(const Acl &) = delete;
    Acl &operator=(const Acl &) = delete;

    acl_t &get() { return acl_; }

    /* The entry for a named user, or nullptr. */
    acl_entry_t findUser(uid_t uid)
    {
        acl_entry_t entry;
        for (int which = ACL_FIRST_ENTRY; acl_get_entry(acl_, which, &entry) == 1;
             which = ACL_NEXT_ENTRY) {
            acl_tag_t tag;
            if (acl_get_tag_type(entry, &tag) != 0 || tag != ACL_USER)
                continue;
            auto *qualifier = static_cast<uid_t *>(acl_get_qualifier(entry));
            const bool match = qualifier && *qualifier == uid;
            acl_free(qualifier);
            if (match)
                return entry;
        }
        return nullptr;
    }

    void write(const std::string &path)
    {
        if (acl_calc_mask(&acl_) != 0 || acl_set_file(path.c_str(), ACL_TYPE_ACCESS, acl_) != 0)
            throw RunError("cannot set the ACL of " + path + ": " + std::strerror(errno));
    }

private:
    acl_t acl_;
};

void addUserEntry(Acl &acl, uid_t uid)
{
    acl_entry_t entry;
    acl_permset_t perms;
    if (acl_create_entry(&acl.get(), &entry) != 0 || acl_set_tag_type(entry, ACL_USER) != 0 ||
        acl_set_qualifier(entry, &uid) != 0 || acl_get_permset(entry, &perms) != 0 ||
        acl_clear_perms(perms) != 0 || acl_add_perm(perms, ACL_READ) != 0 ||
        acl_add_perm(perms, ACL_WRITE) != 0)
        throw RunError(std::string("cannot build an ACL entry: ") + std::strerror(errno));
}

/* What a grant record says: the entry was added by lockstep (and is removed by the last step
 * that uses it), or nothing (no lockstep step has it). */
constexpr char kAdded[] = "added\n";

std::string recordName(const std::string &path, uid_t uid)
{
    std::string name = "access.";
    for (char c : path)
        name += c == '/' ? '_' : c;
    return name + "." + std::to_string(uid);
}

/* A grant record (or access.lock) in the registry directory. */
int openRecord(int dir, const std::string &name)
{
    return openRootFile(dir, name, 0600, "grant record " + name);
}

void lockOrThrow(int fd, int operation, const std::string &what)
{
    while (flock(fd, operation) != 0)
        if (errno != EINTR)
            throw RunError("cannot lock " + what + ": " + std::strerror(errno));
}

/* access.lock held exclusively for one decision. */
class RegistryMutex
{
public:
    explicit RegistryMutex(int dir) : fd_(openRecord(dir, "access.lock"))
    {
        try {
            lockOrThrow(fd_, LOCK_EX, "access.lock");
        } catch (...) {
            close(fd_);
            throw;
        }
    }
    ~RegistryMutex() { close(fd_); }
    RegistryMutex(const RegistryMutex &) = delete;
    RegistryMutex &operator=(const RegistryMutex &) = delete;

private:
    int fd_;
};

bool saysAdded(int record)
{
    char buf[sizeof(kAdded)] = {};
    return pread(record, buf, sizeof(buf) - 1, 0) == ssize_t(sizeof(kAdded) - 1) &&
           std::strcmp(buf, kAdded) == 0;
}

void mark(int record, bool added)
{
    if (ftruncate(record, 0) != 0 ||
        (added && pwrite(record, kAdded, sizeof(kAdded) - 1, 0) != ssize_t(sizeof(kAdded) - 1)))
        throw RunError(std::string("cannot write a grant record: ") + std::strerror(errno));
}

} // namespace

DeviceAccess::DeviceAccess(Log log, int registryDir)
    : log_(std::move(log)), dir_(fcntl(registryDir, F_DUPFD_CLOEXEC, 0))
{
    if (dir_ < 0)
        throw RunError(std::string("cannot keep the lock directory open: ") + std::strerror(errno));
}

DeviceAccess::~DeviceAccess()
{
    revokeAll();
    close(dir_);
}

void DeviceAccess::grant(const std::string &path, uid_t uid)
{
    /* lstat, and the ACL calls below follow no link either: the node itself must be a device. */
    struct stat st {
    };
    if (lstat(path.c_str(), &st) != 0)
        throw RunError("cannot give access to " + path + ": " + std::strerror(errno));
    if (!S_ISCHR(st.st_mode))
        throw RunError("cannot give access to " + path +
                       ": not a character device node (a symlink or a file is never opened up "
                       "to a job)");
    const RegistryMutex decide(dir_);
    const std::string name = recordName(path, uid);
    const int record = openRecord(dir_, name);
    try {
        Acl acl(path);
        if (acl.findUser(uid)) {
            /* Added by a lockstep step still running (or one that died): share it. Any other
             * entry is the administrator's. */
            if (!saysAdded(record)) {
                close(record);
                return;
            }
        } else {
            addUserEntry(acl, uid);
            acl.write(path);
            mark(record, true);
        }
        lockOrThrow(record, LOCK_SH, name);
    } catch (...) {
        close(record);
        throw;
    }
    granted_.push_back({path, uid, record});
}

void DeviceAccess::report(bool error, const std::string &message) noexcept
{
    try {
        if (log_)
            log_(error, message);
    } catch (...) {
        /* A log that fails cannot stop access being taken back. */
    }
}

void DeviceAccess::revokeAll() noexcept
{
    for (const Grant &grant : granted_) {
        try {
            const RegistryMutex decide(dir_);
            /* Exclusive only if no other step holds the record: then we are the last. */
            if (flock(grant.record, LOCK_EX | LOCK_NB) != 0) {
                report(false, "access to " + grant.path + " stays with uid " +
                                  std::to_string(grant.uid) + " for another step");
            } else {
                Acl acl(grant.path);
                if (acl_entry_t entry = acl.findUser(grant.uid);
                    entry && acl_delete_entry(acl.get(), entry) == 0)
                    acl.write(grant.path);
                mark(grant.record, false);
                report(false, "access to " + grant.path + " taken back from uid " +
                                  std::to_string(grant.uid));
            }
        } catch (const std::exception &e) {
            report(true, e.what());
        }
        close(grant.record);
    }
    granted_.clear();
}

std::vector<std::string> cameraDeviceNodes()
{
    std::vector<std::string> nodes;
    for (const char *pattern : {"/dev/media*", "/dev/video*"}) {
        glob_t matches = {};
        if (glob(pattern, 0, nullptr, &matches) == 0)
            for (size_t i = 0; i < matches.gl_pathc; ++i)
                nodes.emplace_back(matches.gl_pathv[i]);
        globfree(&matches);
    }
    return nodes;
}

} // namespace lockstep::spank
