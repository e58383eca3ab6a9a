// Talks to a Docker volume plugin the way dockerd does: HTTP/1.1 POST over a unix socket, no
// Content-Type, JSON body. One connection per call.
// Thread-safety: no shared state; one PluginClient may be used from several threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace nfsfuse::it {

struct PluginReply {
    int http_status = 0;
    std::string body;
};

class PluginClient {
  public:
    // reply_timeout: how long a call may take at most (0: no limit).
    explicit PluginClient(std::filesystem::path socket,
                          std::chrono::milliseconds reply_timeout = std::chrono::milliseconds(0))
        : socket_(std::move(socket)), reply_timeout_(reply_timeout) {}

    // Throws HarnessError if the socket cannot be reached, the reply is not HTTP, or it does not
    // come within the reply timeout.
    PluginReply post(const std::string& endpoint, const std::string& body) const;

  private:
    std::filesystem::path socket_;
    std::chrono::milliseconds reply_timeout_;
};

}  // namespace nfsfuse::it
