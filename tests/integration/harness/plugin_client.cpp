#include "harness/plugin_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "harness/harness_error.h"

namespace nfsfuse::it {

PluginReply PluginClient::post(const std::string& endpoint, const std::string& body) const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw HarnessError("socket: " + std::string(std::strerror(errno)));
    if (reply_timeout_.count() > 0) {
        const timeval limit{.tv_sec = reply_timeout_.count() / 1000,
                            .tv_usec = (reply_timeout_.count() % 1000) * 1000};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int saved = errno;
        ::close(fd);
        throw HarnessError("connect " + socket_.string() + ": " + std::strerror(saved));
    }
    // What dockerd 20.10 sends: its Accept header, no Content-Type.
    const std::string request = "POST " + endpoint + " HTTP/1.1\r\nHost: plugin\r\n" +
                                "Accept: application/vnd.docker.plugins.v1.2+json\r\n" +
                                "Content-Length: " + std::to_string(body.size()) +
                                "\r\nConnection: close\r\n\r\n" + body;
    for (size_t sent = 0; sent < request.size();) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may refuse an oversized body and close early
        sent += static_cast<size_t>(n);
    }
    std::string response;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ::close(fd);
            throw HarnessError(endpoint + ": no reply within " +
                               std::to_string(reply_timeout_.count()) + " ms");
        }
        if (n <= 0) break;
        response.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    const size_t header_end = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.1 ", 0) != 0 || header_end == std::string::npos)
        throw HarnessError("not an HTTP reply from " + socket_.string() + ": " + response);
    return PluginReply{std::stoi(response.substr(9, 3)), response.substr(header_end + 4)};
}

}  // namespace nfsfuse::it
