/* The four-timestamp clock offset: its arithmetic on exchanges with known clocks and delays, and
 * the UDP server and client on loopback, where both ends read one clock. */
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "coord/clock_probe.h"
#include "util/errors.h"

using namespace lockstep;
using namespace std::chrono_literals;

namespace
{

/* An exchange with a server whose clock reads `serverAhead` more than the client's, a request
 * taking `out` and an answer taking `back`, the server answering after `hold`. */
ClockExchange exchange(Nanoseconds start, Nanoseconds serverAhead, Nanoseconds out,
                       Nanoseconds hold, Nanoseconds back)
{
    ClockExchange e;
    e.clientSend = RealtimeInstant(start);
    e.serverReceive = e.clientSend + out + serverAhead;
    e.serverSend = e.serverReceive + hold;
    e.clientReceive = e.clientSend + out + hold + back;
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(clock_probe)

BOOST_AUTO_TEST_CASE(symmetric_paths_give_the_exact_offset)
{
    const ClockExchange e = exchange(1ms, 1500us, 40us, 7us, 40us);
    BOOST_TEST(e.offset().count() == 1'500'000);
    BOOST_TEST(e.roundTrip().count() == 80'000); /* the server's 7 us not counted */
}

BOOST_AUTO_TEST_CASE(the_true_offset_lies_within_half_the_round_trip_whatever_the_asymmetry)
{
    for (const Nanoseconds ahead : {Nanoseconds(-3ms), Nanoseconds(0), Nanoseconds(250us)})
        for (const auto &[out, back] : std::vector<std::pair<Nanoseconds, Nanoseconds>>{
                 {10us, 90us}, {90us, 10us}, {1ns, 200us}, {50us, 50us}}) {
            const ClockExchange e = exchange(5ms, ahead, out, 3us, back);
            const ClockOffset o = bestOffset(std::vector<ClockExchange>{e});
            BOOST_TEST(std::chrono::abs(o.offset - ahead).count() <= o.uncertainty.count());
            BOOST_TEST(o.uncertainty.count() == ((out + back) / 2).count());
        }
}

BOOST_AUTO_TEST_CASE(the_shortest_round_trip_wins)
{
    const std::vector<ClockExchange> exchanges = {
        exchange(0ns, 100us, 900us, 0ns, 100us),  /* slow: offset off by 400 us */
        exchange(10ns, 100us, 20us, 0ns, 30us),   /* fast: off by 5 us */
        exchange(20ns, 100us, 300us, 0ns, 10us)}; /* slow the other way */
    const ClockOffset o = bestOffset(exchanges);
    BOOST_TEST(o.offset.count() == 100'000 - 5'000);
    BOOST_TEST(o.uncertainty.count() == 25'000);
    BOOST_TEST(o.exchanges == 3);
    BOOST_CHECK_THROW(bestOffset(std::vector<ClockExchange>{}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(one_clock_over_loopback_shows_no_offset_beyond_the_uncertainty)
{
    const ClockProbeServer server;
    BOOST_TEST(server.port() != 0);
    for (const char *address : {"127.0.0.1", "::1"}) {
        const ClockOffset o = probeClock(address, server.port(), 20);
        BOOST_TEST_CONTEXT(address)
        {
            BOOST_TEST(o.exchanges == 20);
            /* Both ends read the same CLOCK_REALTIME: the true offset, 0, is in the interval. */
            BOOST_TEST(std::chrono::abs(o.offset).count() <= o.uncertainty.count());
            BOOST_TEST((o.uncertainty < 100ms)); /* a round trip under 200 ms */
        }
    }
}

BOOST_AUTO_TEST_CASE(no_server_is_an_error_not_a_zero_offset)
{
    /* A port just used and closed: nobody answers there. */
    uint16_t port = 0;
    {
        const ClockProbeServer gone;
        port = gone.port();
    }
    const auto start = std::chrono::steady_clock::now();
    BOOST_CHECK_THROW(probeClock("127.0.0.1", port, 2), RunError);
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(std::chrono::duration_cast<std::chrono::seconds>(took).count() < 5);
}

BOOST_AUTO_TEST_CASE(local_addresses_list_loopback_last)
{
    const std::vector<std::string> addresses = localAddresses();
    BOOST_TEST_REQUIRE(!addresses.empty());
    const auto loopback = [](const std::string &a) { return a == "127.0.0.1" || a == "::1"; };
    bool seenLoopback = false;
    for (const std::string &a : addresses) {
        BOOST_TEST(!(seenLoopback && !loopback(a)), "a non-loopback address after loopback: " + a);
        seenLoopback = seenLoopback || loopback(a);
    }
}

BOOST_AUTO_TEST_SUITE_END()
