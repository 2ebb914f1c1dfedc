/* The planning trials time what a position's exchange costs: the exchange itself (status to every
 * rank, report to rank 0), never a bare fence, and their median. */
#include <boost/test/unit_test.hpp>

#include <thread>
#include <vector>

#include "scan/exchange_trials.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

/* A one-rank coordinator whose fence is free and whose exchanges take the given times in turn,
 * as under mpirun, where a position's exchange costs many times a bare fence. */
class TimedCoordinator : public Coordinator
{
public:
    explicit TimedCoordinator(std::vector<Nanoseconds> exchangeTimes)
        : exchangeTimes_(std::move(exchangeTimes))
    {
    }

    int rank() const override { return 0; }
    int size() const override { return 1; }
    const std::string &host() const override { return host_; }
    void fence() override { ++fences; }
    std::string broadcast(const std::string &value, int) override { return value; }
    std::vector<std::string> allGather(const std::string &value) override { return {value}; }
    Gathered gatherStatus(const std::string &status, const std::string &report, int) override
    {
        statuses.push_back(status);
        reports.push_back(report);
        std::this_thread::sleep_for(exchangeTimes_.at(next_++ % exchangeTimes_.size()));
        return {{status}, {report}};
    }
    bool reusesKeys() const override { return true; }

    int fences = 0;
    std::vector<std::string> statuses;
    std::vector<std::string> reports;

private:
    std::string host_ = "pi01";
    std::vector<Nanoseconds> exchangeTimes_;
    size_t next_ = 0;
};

} // namespace

BOOST_AUTO_TEST_SUITE(exchange_trials)

BOOST_AUTO_TEST_CASE(the_trials_are_position_exchanges_not_bare_fences)
{
    TimedCoordinator coord({30ms});
    const Nanoseconds median = medianExchange(coord, "status", "report", 3);
    BOOST_TEST(coord.fences == 0);
    BOOST_TEST(coord.statuses == std::vector<std::string>(3, "status"),
               boost::test_tools::per_element());
    BOOST_TEST(coord.reports == std::vector<std::string>(3, "report"),
               boost::test_tools::per_element());
    /* A sleep lasts at least its time: what the exchange costs is what is measured. */
    BOOST_TEST((median >= 30ms));
}

BOOST_AUTO_TEST_CASE(the_median_leaves_out_a_slow_first_exchange)
{
    /* The first one warms the server up; one fast outlier does not count either. */
    TimedCoordinator coord({400ms, 100ms, 0ms, 100ms, 100ms});
    const Nanoseconds median = medianExchange(coord, "s", "r", 5);
    BOOST_TEST((median >= 100ms));
    BOOST_TEST((median < 400ms)); /* a 100 ms sleep 300 ms late would be another test's news */
    BOOST_CHECK_THROW(medianExchange(coord, "s", "r", 0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
