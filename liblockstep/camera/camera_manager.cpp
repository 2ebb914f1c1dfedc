#include "camera/camera_manager.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <vector>

#include <libcamera/camera.h>
#include <libcamera/camera_manager.h>

#include "camera/libcamera_camera.h"
#include "camera/rpi_sync.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

namespace fs = std::filesystem;

std::atomic<bool> groupPrepared = false;

/* The job's tuning files for as long as the manager starts: the IPAs read them when the camera
 * manager registers its cameras, and never again. */
class JobTuning
{
public:
    JobTuning()
    {
        const JobPlace place = jobPlaceFromEnvironment();
        /* A tuning file named by the user wins over any search path: theirs is used, and with
         * it the group it names, so Raspberry Pi's sync stays off. */
        const char *userTuning = std::getenv("LIBCAMERA_RPI_TUNING_FILE");
        if (!LibcameraCamera::rpiSyncCompiledIn() || !place.jobId || (userTuning && *userTuning))
            return;
        const char *oldPath = std::getenv("LIBCAMERA_IPA_CONFIG_PATH");
        std::vector<fs::path> sources;
        std::string path = oldPath ? oldPath : "";
        for (size_t at = 0; at <= path.size();) {
            const size_t end = std::min(path.find(':', at), path.size());
            if (end > at)
                sources.emplace_back(path.substr(at, end - at));
            at = end + 1;
        }
        /* libcamera's own locations (sysconfdir, then datadir; /usr/local for a built one). */
        for (const char *dir :
             {"/etc/libcamera/ipa", "/usr/local/share/libcamera/ipa", "/usr/share/libcamera/ipa"})
            sources.emplace_back(dir);
        try {
            const char *tmp = std::getenv("TMPDIR");
            std::string pattern =
                std::string(tmp && *tmp ? tmp : "/tmp") + "/lockstep-rpi-sync-XXXXXX";
            if (!mkdtemp(pattern.data()))
                throw std::runtime_error(pattern + ": " + std::strerror(errno));
            dir_ = pattern;
            const RpiSyncEndpoint endpoint = rpiSyncEndpoint(*place.jobId);
            if (prepareRpiSyncTuning(sources, *dir_, endpoint, sensorNames()) == 0)
                return;
            if (oldPath)
                oldPath_ = oldPath;
            const std::string newPath = dir_->string() + (oldPath ? ":" + *oldPath_ : "");
            setenv("LIBCAMERA_IPA_CONFIG_PATH", newPath.c_str(), 1);
            prepared_ = true;
        } catch (const std::exception &error) {
            std::cerr << "lockstep: Raspberry Pi camera sync stays off: " << error.what() << "\n";
        }
    }

    ~JobTuning()
    {
        if (prepared_) {
            if (oldPath_)
                setenv("LIBCAMERA_IPA_CONFIG_PATH", oldPath_->c_str(), 1);
            else
                unsetenv("LIBCAMERA_IPA_CONFIG_PATH");
        }
        if (dir_) {
            std::error_code ec;
            fs::remove_all(*dir_, ec);
        }
    }
    JobTuning(const JobTuning &) = delete;
    JobTuning &operator=(const JobTuning &) = delete;

    bool prepared() const { return prepared_; }

private:
    std::optional<fs::path> dir_;
    std::optional<std::string> oldPath_;
    bool prepared_ = false;
};

} // namespace

std::shared_ptr<libcamera::CameraManager> sharedCameraManager()
{
    static std::mutex mutex;
    static std::weak_ptr<libcamera::CameraManager> shared;

    const std::lock_guard lock(mutex);
    if (auto manager = shared.lock())
        return manager;
    auto manager = std::make_unique<libcamera::CameraManager>();
    {
        const JobTuning tuning;
        groupPrepared = tuning.prepared();
        if (const int rc = manager->start(); rc != 0)
            throw RunError(std::string("cannot start libcamera's camera manager: ") +
                           std::strerror(-rc));
    }
    std::shared_ptr<libcamera::CameraManager> owned(manager.release(),
                                                    [](libcamera::CameraManager *m) {
                                                        m->stop();
                                                        delete m;
                                                    });
    shared = owned;
    return owned;
}

bool rpiSyncGroupPrepared()
{
    return groupPrepared;
}

std::string describeCameras(const libcamera::CameraManager &manager)
{
    const auto cameras = manager.cameras();
    std::string text =
        std::to_string(cameras.size()) + (cameras.size() == 1 ? " camera" : " cameras");
    for (size_t i = 0; i < cameras.size(); ++i)
        text +=
            (i == 0 ? ": " : ", ") + std::string("[") + std::to_string(i) + "] " + cameras[i]->id();
    return text;
}

} // namespace lockstep
