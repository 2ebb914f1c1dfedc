#include "coord/coordinator.h"

#include "coord/host_name.h"
#include "util/errors.h"

namespace lockstep
{

namespace
{

/* The coordinator of a scan with one process: every collective is trivially complete. */
class SoloCoordinator : public Coordinator
{
public:
    SoloCoordinator() : host_(localHostName()) {}

    int rank() const override { return 0; }
    int size() const override { return 1; }
    const std::string &host() const override { return host_; }

    void fence() override {}
    std::string broadcast(const std::string &value, int root) override
    {
        if (root != 0)
            throw RunError("broadcast from rank " + std::to_string(root) + " in a job of size 1");
        return value;
    }
    std::vector<std::string> allGather(const std::string &value) override { return {value}; }
    Gathered gatherStatus(const std::string &status, const std::string &report, int root) override
    {
        if (root != 0)
            throw RunError("report to rank " + std::to_string(root) + " in a job of size 1");
        return {{status}, {report}};
    }
    bool reusesKeys() const override { return true; } /* no keys at all: constant cost */

private:
    std::string host_;
};

} // namespace

std::unique_ptr<Coordinator> soloCoordinator()
{
    return std::make_unique<SoloCoordinator>();
}

} // namespace lockstep
