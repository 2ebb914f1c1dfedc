/* The four-timestamp clock offset: its arithmetic on exchanges with known clocks and delays, and
 * the UDP server and client on loopback, where both ends read one clock. */
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "coord/clock_probe.h"
#include "util/errors.h"

using namespace lockstep;

namespace
{

/* An exchange with a server whose clock reads `serverAhead` more than the client's, a request
 * taking `out` and an answer taking `back`, the server answering after `hold`. */
ClockExchange exchange(Nanos start, Nanos serverAhead, Nanos out, Nanos hold, Nanos back)
{
    ClockExchange e;
    e.clientSend = start;
    e.serverReceive = start + out + serverAhead;
    e.serverSend = e.serverReceive + hold;
    e.clientReceive = start + out + hold + back;
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(clock_probe)

BOOST_AUTO_TEST_CASE(symmetric_paths_give_the_exact_offset)
{
    const ClockExchange e = exchange(1'000'000, 1'500'000, 40'000, 7'000, 40'000);
    BOOST_TEST(e.offset() == 1'500'000);
    BOOST_TEST(e.roundTrip() == 80'000); /* the server's 7 us not counted */
}

BOOST_AUTO_TEST_CASE(the_true_offset_lies_within_half_the_round_trip_whatever_the_asymmetry)
{
    for (const Nanos ahead : {-3'000'000L, 0L, 250'000L})
        for (const auto &[out, back] : std::vector<std::pair<Nanos, Nanos>>{
                 {10'000, 90'000}, {90'000, 10'000}, {1, 200'000}, {50'000, 50'000}}) {
            const ClockExchange e = exchange(5'000'000, ahead, out, 3'000, back);
            const ClockOffset o = bestOffset(std::vector<ClockExchange>{e});
            BOOST_TEST(std::abs(o.offset - ahead) <= o.uncertainty);
            BOOST_TEST(o.uncertainty == (out + back) / 2);
        }
}

BOOST_AUTO_TEST_CASE(the_shortest_round_trip_wins)
{
    const std::vector<ClockExchange> exchanges = {
        exchange(0, 100'000, 900'000, 0, 100'000),  /* slow: offset off by 400 us */
        exchange(10, 100'000, 20'000, 0, 30'000),   /* fast: off by 5 us */
        exchange(20, 100'000, 300'000, 0, 10'000)}; /* slow the other way */
    const ClockOffset o = bestOffset(exchanges);
    BOOST_TEST(o.offset == 100'000 - 5'000);
    BOOST_TEST(o.uncertainty == 25'000);
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
            BOOST_TEST(std::abs(o.offset) <= o.uncertainty);
            BOOST_TEST(o.uncertainty < 100'000'000); /* a round trip under 200 ms */
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
