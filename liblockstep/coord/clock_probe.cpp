#include "coord/clock_probe.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cstring>
#include <ifaddrs.h>
#include <memory>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <vector>

#include "util/errors.h"

namespace lockstep
{

namespace
{

/* On the wire: the four instants as big-endian 64-bit integers, nanoseconds since the epoch. */
constexpr std::size_t kMessageSize = 4 * sizeof(uint64_t);
using Message = std::array<unsigned char, kMessageSize>;

Message pack(const ClockExchange &e)
{
    Message m{};
    const int64_t values[4] = {wireNanos(e.clientSend), wireNanos(e.serverReceive),
                               wireNanos(e.serverSend), wireNanos(e.clientReceive)};
    for (std::size_t i = 0; i < 4; ++i) {
        const auto v = static_cast<uint64_t>(values[i]);
        for (std::size_t b = 0; b < 8; ++b)
            m[i * 8 + b] = static_cast<unsigned char>(v >> (56 - 8 * b));
    }
    return m;
}

ClockExchange unpack(const Message &m)
{
    int64_t values[4] = {};
    for (std::size_t i = 0; i < 4; ++i) {
        uint64_t v = 0;
        for (std::size_t b = 0; b < 8; ++b)
            v = (v << 8) | m[i * 8 + b];
        values[i] = static_cast<int64_t>(v);
    }
    return {realtimeFromWire(values[0]), realtimeFromWire(values[1]), realtimeFromWire(values[2]),
            realtimeFromWire(values[3])};
}

[[noreturn]] void fail(const std::string &what)
{
    throw RunError("clock probe: " + what + ": " + std::strerror(errno));
}

} // namespace

Nanoseconds ClockExchange::offset() const
{
    return ((serverReceive - clientSend) + (serverSend - clientReceive)) / 2;
}

Nanoseconds ClockExchange::roundTrip() const
{
    return (clientReceive - clientSend) - (serverSend - serverReceive);
}

ClockOffset bestOffset(std::span<const ClockExchange> exchanges)
{
    if (exchanges.empty())
        throw std::invalid_argument("bestOffset: no exchanges");
    const auto best = std::min_element(exchanges.begin(), exchanges.end(),
                                       [](const ClockExchange &a, const ClockExchange &b) {
                                           return a.roundTrip() < b.roundTrip();
                                       });
    return {best->offset(), std::max(best->roundTrip(), Nanoseconds::zero()) / 2,
            static_cast<int>(exchanges.size())};
}

ClockProbeServer::ClockProbeServer()
    : socket_(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)), stop_(::eventfd(0, EFD_CLOEXEC))
{
    if (!socket_.valid() || !stop_.valid())
        fail("socket");
    /* One socket for IPv4 and IPv6 peers. */
    const int no = 0;
    setsockopt(socket_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no));
    sockaddr_in6 any{};
    any.sin6_family = AF_INET6;
    any.sin6_addr = in6addr_any;
    if (::bind(socket_.get(), reinterpret_cast<const sockaddr *>(&any), sizeof(any)) != 0)
        fail("bind");
    socklen_t length = sizeof(any);
    if (::getsockname(socket_.get(), reinterpret_cast<sockaddr *>(&any), &length) != 0)
        fail("getsockname");
    port_ = ntohs(any.sin6_port);
    thread_ = std::thread([this] { serve(); });
}

ClockProbeServer::~ClockProbeServer()
{
    const uint64_t one = 1;
    if (::write(stop_.get(), &one, sizeof(one)) != sizeof(one))
        std::terminate(); /* the thread would never end */
    thread_.join();
}

void ClockProbeServer::serve()
{
    std::array<pollfd, 2> fds{{{socket_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}}};
    while (true) {
        if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
            return;
        if (fds[1].revents != 0)
            return;
        if ((fds[0].revents & POLLIN) == 0)
            continue;
        Message m{};
        sockaddr_storage peer{};
        socklen_t peerLength = sizeof(peer);
        const ssize_t n = ::recvfrom(socket_.get(), m.data(), m.size(), 0,
                                     reinterpret_cast<sockaddr *>(&peer), &peerLength);
        const RealtimeInstant received = RealtimeClock::now();
        if (n != static_cast<ssize_t>(m.size()))
            continue; /* not ours */
        ClockExchange e = unpack(m);
        e.serverReceive = received;
        e.serverSend = RealtimeClock::now();
        m = pack(e);
        ::sendto(socket_.get(), m.data(), m.size(), 0, reinterpret_cast<sockaddr *>(&peer),
                 peerLength);
    }
}

ClockOffset probeClock(const std::string &host, uint16_t port, int count)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo *found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
        throw RunError("clock probe: cannot resolve rank 0's host '" + host +
                       "': " + gai_strerror(rc));
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
    const UniqueFd socket(::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket.valid())
        fail("socket");
    if (::connect(socket.get(), found->ai_addr, found->ai_addrlen) != 0)
        fail("connect to " + host);

    std::vector<ClockExchange> exchanges;
    for (int attempt = 0; attempt < 2 * count && static_cast<int>(exchanges.size()) < count;
         ++attempt) {
        ClockExchange sent{};
        sent.clientSend = RealtimeClock::now();
        const Message request = pack(sent);
        if (::send(socket.get(), request.data(), request.size(), 0) < 0)
            continue;
        pollfd fd{socket.get(), POLLIN, 0};
        if (::poll(&fd, 1, 200) <= 0)
            continue; /* lost: try again */
        Message reply{};
        const ssize_t n = ::recv(socket.get(), reply.data(), reply.size(), 0);
        const RealtimeInstant received = RealtimeClock::now();
        if (n != static_cast<ssize_t>(reply.size()))
            continue;
        ClockExchange e = unpack(reply);
        if (e.clientSend != sent.clientSend)
            continue; /* a late answer to an earlier request */
        e.clientReceive = received;
        exchanges.push_back(e);
    }
    if (exchanges.empty())
        throw RunError("clock probe: no answer from rank 0 at " + host + ":" + service);
    return bestOffset(exchanges);
}

std::vector<std::string> localAddresses()
{
    ifaddrs *list = nullptr;
    if (::getifaddrs(&list) != 0)
        fail("getifaddrs");
    const std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owner(list, freeifaddrs);
    std::vector<std::string> others;
    std::vector<std::string> loopback;
    for (const ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_flags & IFF_UP) == 0)
            continue;
        char text[INET6_ADDRSTRLEN] = {};
        const int family = i->ifa_addr->sa_family;
        if (family == AF_INET)
            inet_ntop(family, &reinterpret_cast<const sockaddr_in *>(i->ifa_addr)->sin_addr, text,
                      sizeof(text));
        else if (family == AF_INET6 &&
                 !IN6_IS_ADDR_LINKLOCAL(
                     &reinterpret_cast<const sockaddr_in6 *>(i->ifa_addr)->sin6_addr))
            inet_ntop(family, &reinterpret_cast<const sockaddr_in6 *>(i->ifa_addr)->sin6_addr, text,
                      sizeof(text));
        else
            continue;
        ((i->ifa_flags & IFF_LOOPBACK) ? loopback : others).emplace_back(text);
    }
    others.insert(others.end(), loopback.begin(), loopback.end());
    return others;
}

KernelClockState kernelClockState()
{
    timex tx{};
    const int state = ::adjtimex(&tx);
    return {state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0, tx.esterror, tx.maxerror};
}

} // namespace lockstep
