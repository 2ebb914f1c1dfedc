#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <optional>
#include <string>

#include "coord/coordinator.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

/* Sets or removes an environment variable for the scope of one test, then restores it. */
class ScopedEnv
{
public:
    ScopedEnv(const char *name, const char *value) : name_(name)
    {
        if (const char *old = std::getenv(name))
            old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv()
    {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *name_;
    std::optional<std::string> old_;
};

} // namespace

BOOST_AUTO_TEST_CASE(pmix_is_recognised_by_its_environment)
{
    const ScopedEnv rank("PMIX_RANK", nullptr);
    const ScopedEnv nspace("PMIX_NAMESPACE", nullptr);
    BOOST_TEST(!underPmix());
    const ScopedEnv set("PMIX_RANK", "3");
    BOOST_TEST(underPmix());
}

BOOST_AUTO_TEST_CASE(connecting_without_a_server_explains_how_to_start)
{
    const ScopedEnv rank("PMIX_RANK", nullptr);
    const ScopedEnv nspace("PMIX_NAMESPACE", nullptr);
    try {
        connectPmix();
        BOOST_FAIL("connectPmix succeeded without a PMIx server");
    } catch (const RunError &e) {
        const std::string message = e.what();
        BOOST_TEST_MESSAGE(message);
        BOOST_TEST(message.find("srun --mpi=pmix") != std::string::npos);
        BOOST_TEST(message.find("mpirun") != std::string::npos);
    }
}
