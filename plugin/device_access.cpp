#include "device_access.h"

#include <acl/libacl.h>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <glob.h>
#include <map>
#include <sys/acl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "device_node.h"
#include "root_file.h"
#include "util/errors.h"

namespace lockstep::spank
{

namespace
{

std::string errnoText()
{
    return std::strerror(errno);
}

/* The ACL of a device node, reached through its O_PATH descriptor; freed on scope exit. */
class Acl
{
public:
    explicit Acl(const DeviceNode &node)
        : node_(node), acl_(acl_get_file(node.procPath().c_str(), ACL_TYPE_ACCESS))
    {
        if (!acl_)
            throw RunError("cannot read the ACL of " + node.path() + ": " + errnoText());
    }
    ~Acl() { acl_free(acl_); }
    Acl(const Acl &) = delete;
    Acl &operator=(const Acl &) = delete;

    /* The first entry with this tag (and, for ACL_USER, this uid), or nullptr. */
    acl_entry_t find(acl_tag_t wanted, uid_t uid = 0)
    {
        acl_entry_t entry;
        for (int which = ACL_FIRST_ENTRY; acl_get_entry(acl_, which, &entry) == 1;
             which = ACL_NEXT_ENTRY) {
            acl_tag_t tag;
            if (acl_get_tag_type(entry, &tag) != 0 || tag != wanted)
                continue;
            if (tag != ACL_USER)
                return entry;
            auto *qualifier = static_cast<uid_t *>(acl_get_qualifier(entry));
            const bool match = qualifier && *qualifier == uid;
            acl_free(qualifier);
            if (match)
                return entry;
        }
        return nullptr;
    }

    /* The mask's permissions as "rw-", or "none" for an ACL without a mask. */
    std::string maskText()
    {
        acl_entry_t mask = find(ACL_MASK);
        acl_permset_t perms;
        if (!mask || acl_get_permset(mask, &perms) != 0)
            return "none";
        return std::string(acl_get_perm(perms, ACL_READ) == 1 ? "r" : "-") +
               (acl_get_perm(perms, ACL_WRITE) == 1 ? "w" : "-") +
               (acl_get_perm(perms, ACL_EXECUTE) == 1 ? "x" : "-");
    }

    void addUser(uid_t uid)
    {
        acl_entry_t entry;
        acl_permset_t perms;
        if (acl_create_entry(&acl_, &entry) != 0 || acl_set_tag_type(entry, ACL_USER) != 0 ||
            acl_set_qualifier(entry, &uid) != 0 || acl_get_permset(entry, &perms) != 0 ||
            acl_clear_perms(perms) != 0 || acl_add_perm(perms, ACL_READ) != 0 ||
            acl_add_perm(perms, ACL_WRITE) != 0 || acl_calc_mask(&acl_) != 0)
            throw RunError("cannot build an ACL entry for " + node_.path() + ": " + errnoText());
    }

    /* Removes the user's entry and puts the mask back as it was before lockstep added it:
     * an administrator's restrictive mask stays restrictive. */
    void removeUser(uid_t uid, const std::string &mask)
    {
        if (acl_entry_t entry = find(ACL_USER, uid); entry && acl_delete_entry(acl_, entry) != 0)
            throw RunError("cannot remove an ACL entry of " + node_.path() + ": " + errnoText());
        acl_entry_t maskEntry = find(ACL_MASK);
        if (mask == "none") {
            const bool named = find(ACL_GROUP) != nullptr || anyUser();
            if (maskEntry && !named && acl_delete_entry(acl_, maskEntry) != 0)
                throw RunError("cannot remove the ACL mask of " + node_.path());
            if (named && acl_calc_mask(&acl_) != 0)
                throw RunError("cannot compute the ACL mask of " + node_.path());
            return;
        }
        acl_permset_t perms;
        if (!maskEntry || acl_get_permset(maskEntry, &perms) != 0 || acl_clear_perms(perms) != 0 ||
            (mask[0] == 'r' && acl_add_perm(perms, ACL_READ) != 0) ||
            (mask[1] == 'w' && acl_add_perm(perms, ACL_WRITE) != 0) ||
            (mask[2] == 'x' && acl_add_perm(perms, ACL_EXECUTE) != 0))
            throw RunError("cannot restore the ACL mask of " + node_.path());
    }

    void write()
    {
        if (acl_set_file(node_.procPath().c_str(), ACL_TYPE_ACCESS, acl_) != 0)
            throw RunError("cannot set the ACL of " + node_.path() + ": " + errnoText());
    }

private:
    bool anyUser()
    {
        acl_entry_t entry;
        for (int which = ACL_FIRST_ENTRY; acl_get_entry(acl_, which, &entry) == 1;
             which = ACL_NEXT_ENTRY) {
            acl_tag_t tag;
            if (acl_get_tag_type(entry, &tag) == 0 && tag == ACL_USER)
                return true;
        }
        return false;
    }

    const DeviceNode &node_;
    acl_t acl_;
};

constexpr char kRecordPrefix[] = "access.";
constexpr char kMutexName[] = "access.lock";
constexpr std::chrono::milliseconds kWaitPoll(100);

std::string mangle(const std::string &path)
{
    std::string name;
    for (char c : path)
        name += c == '/' ? '_' : c;
    return name;
}

std::string recordName(const std::string &path, uid_t uid)
{
    return kRecordPrefix + mangle(path) + "." + std::to_string(uid);
}

/* What a grant record says: lockstep added the entry (and the last step using it removes it),
 * or nothing (empty: no lockstep step has it). */
struct GrantRecord {
    bool added = false;
    std::string boot;
    uid_t uid = 0;
    std::string rdev;
    std::string mask;
    std::string path;

    std::string text() const
    {
        return "added boot=" + boot + " uid=" + std::to_string(uid) + " rdev=" + rdev +
               " mask=" + mask + " path=" + path + "\n";
    }
};

GrantRecord readRecord(int fd)
{
    char buf[1024] = {};
    GrantRecord record;
    const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return record;
    std::map<std::string, std::string> fields;
    std::string text(buf, static_cast<size_t>(n));
    if (!text.starts_with("added ") || !text.ends_with("\n"))
        return record;
    text = text.substr(6, text.size() - 7);
    for (size_t start = 0; start < text.size();) {
        const size_t end = std::min(text.find(' ', start), text.size());
        const std::string field = text.substr(start, end - start);
        const size_t eq = field.find('=');
        if (eq != std::string::npos)
            fields[field.substr(0, eq)] = field.substr(eq + 1);
        start = end + 1;
    }
    record.boot = fields["boot"];
    record.rdev = fields["rdev"];
    record.mask = fields["mask"];
    record.path = fields["path"];
    record.uid = static_cast<uid_t>(std::strtoul(fields["uid"].c_str(), nullptr, 10));
    record.added = !record.path.empty() && !record.rdev.empty() && record.mask.size() >= 3;
    return record;
}

void writeRecord(int fd, const GrantRecord *record)
{
    const std::string text = record ? record->text() : "";
    if (ftruncate(fd, 0) != 0 ||
        (!text.empty() && pwrite(fd, text.data(), text.size(), 0) != ssize_t(text.size())))
        throw RunError("cannot write a grant record: " + errnoText());
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
            throw RunError("cannot lock " + what + ": " + errnoText());
}

/* access.lock held exclusively for one decision. */
class RegistryMutex
{
public:
    explicit RegistryMutex(int dir) : fd_(openRecord(dir, kMutexName))
    {
        try {
            lockOrThrow(fd_, LOCK_EX, kMutexName);
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

/* The names of every grant record in the directory. */
std::vector<std::string> recordNames(int dir)
{
    std::vector<std::string> names;
    const int copy = fcntl(dir, F_DUPFD_CLOEXEC, 0);
    DIR *listing = copy >= 0 ? fdopendir(copy) : nullptr;
    if (!listing) {
        if (copy >= 0)
            close(copy);
        throw RunError("cannot list the lock directory: " + errnoText());
    }
    rewinddir(listing);
    while (const dirent *entry = readdir(listing)) {
        const std::string name = entry->d_name;
        if (name.starts_with(kRecordPrefix) && name != kMutexName)
            names.push_back(name);
    }
    closedir(listing);
    return names;
}

/* Opens a record that must already exist (sweeping creates nothing). -1 if it is gone. */
int openExistingRecord(int dir, const std::string &name)
{
    const int fd = openat(dir, name.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    close(fd);
    return openRecord(dir, name);
}

/* Takes a dead step's entry back; the record (locked exclusively by the caller) is cleared. */
void takeBackStale(int record, const GrantRecord &grant, const AccessLog &log)
{
    const std::string who = "uid " + std::to_string(grant.uid);
    if (grant.boot != bootId()) {
        log(false, "grant record of " + grant.path + " for " + who +
                       " is from an earlier boot: cleared (the node is not the same any more)");
    } else {
        try {
            const DeviceNode node(grant.path);
            if (deviceNumberText(node.rdev()) != grant.rdev) {
                log(true, "stale access of " + who + " to " + grant.path +
                              ": the node is now device " + deviceNumberText(node.rdev()) +
                              ", not " + grant.rdev + ": left alone");
            } else {
                Acl acl(node);
                acl.removeUser(grant.uid, grant.mask);
                acl.write();
                log(false, "stale access to " + grant.path + " taken back from " + who +
                               " (its step is gone)");
            }
        } catch (const RunError &e) {
            log(true, std::string("stale access of ") + who + ": " + e.what());
        }
    }
    writeRecord(record, nullptr);
}

/* With access.lock held. */
void sweepLocked(int dir, const AccessLog &log)
{
    for (const std::string &name : recordNames(dir)) {
        const int record = openExistingRecord(dir, name);
        if (record < 0)
            continue;
        if (flock(record, LOCK_EX | LOCK_NB) == 0) {
            const GrantRecord grant = readRecord(record);
            if (grant.added)
                takeBackStale(record, grant, log);
        }
        close(record);
    }
}

/* A step of another user that has access to the node now (its record is locked), or -1. */
long otherUserWithAccess(int dir, const std::string &path, uid_t uid)
{
    const std::string prefix = kRecordPrefix + mangle(path) + ".";
    for (const std::string &name : recordNames(dir)) {
        if (!name.starts_with(prefix) || name == recordName(path, uid))
            continue;
        const int record = openExistingRecord(dir, name);
        if (record < 0)
            continue;
        const GrantRecord grant = readRecord(record);
        const bool live = flock(record, LOCK_EX | LOCK_NB) != 0;
        close(record);
        if (live && grant.added && grant.path == path)
            return grant.uid;
    }
    return -1;
}

} // namespace

std::string bootId()
{
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id.empty() ? "unknown" : id;
}

DeviceAccess::DeviceAccess(Log log, int registryDir)
    : log_(std::move(log)), dir_(fcntl(registryDir, F_DUPFD_CLOEXEC, 0))
{
    if (dir_ < 0)
        throw RunError("cannot keep the lock directory open: " + errnoText());
}

DeviceAccess::~DeviceAccess()
{
    revokeAll();
    close(dir_);
}

void DeviceAccess::grant(const std::string &path,
                         std::initializer_list<std::string_view> subsystems, uid_t uid,
                         Conflict conflict, std::chrono::milliseconds waitLimit)
{
    auto node = std::make_unique<DeviceNode>(path, subsystems);
    const auto deadline = std::chrono::steady_clock::now() + waitLimit;
    for (;;) {
        long other = -1;
        {
            const RegistryMutex decide(dir_);
            sweepLocked(dir_, [this](bool error, const std::string &m) { report(error, m); });
            other = otherUserWithAccess(dir_, path, uid);
            if (other < 0) {
                addLocked(std::move(node), uid);
                return;
            }
        }
        if (conflict == Conflict::Refuse || std::chrono::steady_clock::now() >= deadline)
            throw RunError(path + " is open to a step of another user (uid " +
                           std::to_string(other) + ") now; two users never share a device" +
                           (conflict == Conflict::Wait ? " (waited, conflict=wait)" : ""));
        std::this_thread::sleep_for(kWaitPoll);
    }
}

void DeviceAccess::addLocked(std::unique_ptr<DeviceNode> node, uid_t uid)
{
    const std::string name = recordName(node->path(), uid);
    const int record = openRecord(dir_, name);
    try {
        Acl acl(*node);
        if (acl.find(ACL_USER, uid)) {
            /* Added by a lockstep step of this user still running: share it. Any other entry
             * is the administrator's. */
            if (!readRecord(record).added) {
                close(record);
                return;
            }
        } else {
            const GrantRecord added{
                true, bootId(), uid, deviceNumberText(node->rdev()), acl.maskText(), node->path()};
            writeRecord(record, &added);
            acl.addUser(uid);
            acl.write();
        }
    } catch (...) {
        close(record);
        throw;
    }
    /* From here on revokeAll() undoes it, whatever fails next. */
    granted_.push_back({std::move(node), uid, record});
    lockOrThrow(record, LOCK_SH, name);
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
        const std::string &path = grant.node->path();
        try {
            const RegistryMutex decide(dir_);
            /* Exclusive only if no other step holds the record: then we are the last. */
            if (flock(grant.record, LOCK_EX | LOCK_NB) != 0) {
                report(false, "access to " + path + " stays with uid " + std::to_string(grant.uid) +
                                  " for another step");
            } else {
                const GrantRecord record = readRecord(grant.record);
                Acl acl(*grant.node);
                acl.removeUser(grant.uid, record.added ? record.mask : "none");
                acl.write();
                writeRecord(grant.record, nullptr);
                report(false,
                       "access to " + path + " taken back from uid " + std::to_string(grant.uid));
            }
        } catch (const std::exception &e) {
            report(true, e.what());
        }
        close(grant.record);
    }
    granted_.clear();
    try {
        const RegistryMutex decide(dir_);
        sweepLocked(dir_, [this](bool error, const std::string &m) { report(error, m); });
    } catch (const std::exception &e) {
        report(true, e.what());
    }
}

void sweepStaleGrants(int registryDir, const AccessLog &log)
{
    const RegistryMutex decide(registryDir);
    sweepLocked(registryDir, log);
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
