/* A node's clock offset to rank 0's, measured the way NTP measures it, and what the kernel says
 * of its own synchronisation.
 *
 * One exchange: the client sends at t1 (its CLOCK_REALTIME), the server receives at t2 and
 * answers at t3 (the server's clock), the client receives at t4. Then
 *     offset = ((t2 - t1) + (t3 - t4)) / 2      the server's clock minus the client's
 *     delay  = (t4 - t1) - (t3 - t2)            the round trip, without the server's own time
 * and the true offset lies within offset ± delay / 2 whatever the asymmetry of the path. Of many
 * exchanges the one with the shortest round trip is the tightest bound. (Fence exit times, what
 * `lockstep hello` used before, are no clock offset: ranks leave a fence at different times.) */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "util/chrono_clocks.h"
#include "util/unique_fd.h"

namespace lockstep
{

/* t1 and t4 are read on the client's CLOCK_REALTIME, t2 and t3 on the server's: the same kind of
 * clock on two machines, whose difference is what the exchange measures. */
struct ClockExchange {
    RealtimeInstant clientSend;    /* t1 */
    RealtimeInstant serverReceive; /* t2 */
    RealtimeInstant serverSend;    /* t3 */
    RealtimeInstant clientReceive; /* t4 */

    Nanoseconds offset() const;
    Nanoseconds roundTrip() const;
};

struct ClockOffset {
    Nanoseconds offset{0};      /* the reference's clock minus this one's, from the best exchange */
    Nanoseconds uncertainty{0}; /* half that exchange's round trip: the true offset is within */
    int exchanges = 0;
};

/* The exchange with the shortest round trip. Throws std::invalid_argument on an empty list. */
ClockOffset bestOffset(std::span<const ClockExchange> exchanges);

/* Answers exchanges on a UDP port from a thread of its own until destroyed. */
class ClockProbeServer
{
public:
    /* Binds every address, an ephemeral port. Throws RunError. */
    ClockProbeServer();
    ~ClockProbeServer();
    ClockProbeServer(const ClockProbeServer &) = delete;
    ClockProbeServer &operator=(const ClockProbeServer &) = delete;

    uint16_t port() const { return port_; }

private:
    void serve();

    UniqueFd socket_;
    UniqueFd stop_; /* an eventfd: written to stop the thread */
    uint16_t port_ = 0;
    std::thread thread_;
};

/* `count` exchanges with the server at host:port, one at a time (each waits at most 200 ms for
 * its answer; lost ones are retried up to `count` more times). Throws RunError if none came back.
 */
ClockOffset probeClock(const std::string &host, uint16_t port, int count);

/* This machine's addresses, numeric, those of loopback last: where rank 0's server can be
 * reached from other nodes without relying on host names resolving. */
std::vector<std::string> localAddresses();

/* What the kernel's clock discipline (driven by chrony, ntpd or ptp4l) reports: adjtimex(2). */
struct KernelClockState {
    bool synchronised = false; /* STA_UNSYNC clear and adjtimex did not return TIME_ERROR */
    long estimatedErrorUs = 0; /* esterror */
    long maximumErrorUs = 0;   /* maxerror */
};
KernelClockState kernelClockState();

} // namespace lockstep
