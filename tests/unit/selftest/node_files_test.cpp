#define BOOST_TEST_MODULE selftest
/* `lockstep selftest` reads a node's state from /proc and /sys: here from fixture trees shaped
 * like a Raspberry Pi 4's, one tuned for real time (PREEMPT_RT kernel, isolated core,
 * performance governor) and one as Pi OS installs it, and from texts in the kernel's formats. */
#include <boost/test/unit_test.hpp>
#include <string>

#include "commands/board_health.h"
#include "commands/clock_sync.h"
#include "commands/realtime_settings.h"

using namespace lockstep;

namespace
{

const std::string kFixtures = LOCKSTEP_SOURCE_DIR "/tests/unit/selftest/fixtures/";

} // namespace

BOOST_AUTO_TEST_SUITE(node_files)

BOOST_AUTO_TEST_CASE(a_node_tuned_for_real_time)
{
    const RealtimeSettings s = readRealtimeSettings(kFixtures + "pi4-rt");
    BOOST_TEST(s.preemptRt);
    BOOST_TEST(s.kernelVersion == "#1 SMP PREEMPT_RT Debian 1:6.6.74-1+rpt1 (2025-01-27)");
    BOOST_TEST(s.schedRtRuntimeUs.value() == -1);
    BOOST_TEST(s.schedRtPeriodUs.value() == 1'000'000);
    BOOST_TEST(s.isolatedCpus == "3");
    BOOST_TEST(s.nohzFullCpus == "3");
    /* cpu0-3 only: cpufreq/policy0 is no cpu. */
    BOOST_TEST_REQUIRE(s.governors.size() == 4U);
    for (int cpu = 0; cpu < 4; ++cpu) {
        BOOST_TEST(s.governors[static_cast<size_t>(cpu)].cpu == cpu);
        BOOST_TEST(s.governors[static_cast<size_t>(cpu)].governor == "performance");
    }
}

BOOST_AUTO_TEST_CASE(a_node_as_pi_os_installs_it)
{
    const RealtimeSettings s = readRealtimeSettings(kFixtures + "pi4-stock");
    BOOST_TEST(!s.preemptRt); /* PREEMPT is not PREEMPT_RT */
    BOOST_TEST(s.schedRtRuntimeUs.value() == 950'000);
    BOOST_TEST(s.isolatedCpus.empty());
    BOOST_TEST(s.nohzFullCpus.empty()); /* the kernel writes "(null)" without nohz_full */
    BOOST_TEST_REQUIRE(s.governors.size() == 4U);
    BOOST_TEST(s.governors[3].governor == "ondemand");
}

BOOST_AUTO_TEST_CASE(missing_files_leave_fields_empty)
{
    const RealtimeSettings s = readRealtimeSettings(kFixtures + "no-such-root");
    BOOST_TEST(!s.preemptRt);
    BOOST_TEST(!s.schedRtRuntimeUs.has_value());
    BOOST_TEST(s.governors.empty());
    BOOST_TEST(s.kernelVersion.empty());
}

BOOST_AUTO_TEST_CASE(effective_capabilities_from_proc_status)
{
    const std::string root = "Name:\tlockstep\nCapInh:\t0000000000000000\n"
                             "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n";
    const std::string user = "Name:\tlockstep\nCapEff:\t0000000000000000\n";
    const std::string nice = "CapEff:\t0000000000800000\n"; /* CAP_SYS_NICE only */
    BOOST_TEST(effectiveCapabilities(root) == 0x1ffffffffffULL);
    BOOST_TEST(effectiveCapabilities(user) == 0U);
    BOOST_TEST(effectiveCapabilities(nice) == (1ULL << 23));
    BOOST_TEST(effectiveCapabilities("Name:\tx\n") == 0U);
}

BOOST_AUTO_TEST_CASE(cma_from_meminfo)
{
    const auto stock = parseCma("MemTotal:        3880412 kB\nCmaTotal:         524288 kB\n"
                                "CmaFree:           61440 kB\n");
    BOOST_TEST_REQUIRE(stock.has_value());
    BOOST_TEST(stock->totalKiB == 524288U);
    BOOST_TEST(stock->freeKiB == 61440U);
    /* x86-64 kernels without CMA have no such lines, or a CmaTotal of 0. */
    BOOST_TEST(!parseCma("MemTotal: 24000000 kB\nMemFree: 1000 kB\n").has_value());
    BOOST_TEST(!parseCma("CmaTotal:              0 kB\nCmaFree:               0 kB\n").has_value());
}

BOOST_AUTO_TEST_CASE(throttled_word_in_both_forms)
{
    BOOST_TEST(parseThrottled("50005\n").value() == 0x50005U);             /* sysfs: %x */
    BOOST_TEST(parseThrottled("throttled=0x50005\n").value() == 0x50005U); /* vcgencmd */
    BOOST_TEST(parseThrottled("throttled=0x0\n").value() == 0U);
    BOOST_TEST(parseThrottled("0\n").value() == 0U);
    BOOST_TEST(!parseThrottled("").has_value());
    BOOST_TEST(!parseThrottled("throttled=zz\n").has_value());
    BOOST_TEST(!parseThrottled("123456789\n").has_value()); /* more than 32 bits */
}

BOOST_AUTO_TEST_CASE(throttled_from_the_firmware_file)
{
    std::string source;
    BOOST_TEST(readThrottled(kFixtures + "pi4-stock", source).value() == 0x50005U);
    BOOST_TEST(source == "get_throttled");
    BOOST_TEST(readThrottled(kFixtures + "pi4-rt", source).value() == 0U);
    /* Not "/": vcgencmd is not tried for a fixture tree. */
    BOOST_TEST(!readThrottled(kFixtures + "no-such-root", source).has_value());
    BOOST_TEST(source.empty());
}

BOOST_AUTO_TEST_CASE(time_daemons_by_process_name)
{
    /* chronyd twice, ptp4l, systemd-timesyncd (comm cuts it to 15 characters); not systemd,
     * not chronyd-helper, not the non-numeric "sys" entry. */
    const std::vector<std::string> found = runningTimeDaemons(kFixtures + "pi4-rt/proc");
    const std::vector<std::string> expected{"chronyd", "ptp4l", "systemd-timesyn"};
    BOOST_TEST(found == expected, boost::test_tools::per_element());
    BOOST_TEST(runningTimeDaemons(kFixtures + "pi4-stock/proc").empty());
}

BOOST_AUTO_TEST_SUITE_END()
