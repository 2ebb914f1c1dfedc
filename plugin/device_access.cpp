#include "device_access.h"

#include <acl/libacl.h>
#include <cerrno>
#include <cstring>
#include <glob.h>
#include <sys/acl.h>
#include <sys/stat.h>

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

} // namespace

DeviceAccess::~DeviceAccess()
{
    revokeAll();
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
    Acl acl(path);
    if (acl.findUser(uid))
        return;
    addUserEntry(acl, uid);
    acl.write(path);
    granted_.push_back({path, uid});
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
            Acl acl(grant.path);
            if (acl_entry_t entry = acl.findUser(grant.uid);
                entry && acl_delete_entry(acl.get(), entry) == 0)
                acl.write(grant.path);
            report(false,
                   "access to " + grant.path + " taken back from uid " + std::to_string(grant.uid));
        } catch (const std::exception &e) {
            report(true, e.what());
        }
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
